// What the packed tarball ships (scripts/package.sh packs it and compares the list with what
// it assembled): no sources, tests or maps; the README, licences and changelog; the crate's
// version; every file the exports map names; glue a bundler's default output can carry.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { crateVersion, tarball } from "./consumer.mjs";

const list = execFileSync("tar", ["tzf", tarball()], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, ""));
const read = (file) => execFileSync("tar", ["xzOf", tarball(), `package/${file}`], { encoding: "utf8", maxBuffer: 16 << 20 });
const manifest = JSON.parse(read("package.json"));

test("no sources, tests, maps or dotfiles; the documents are there", () => {
  for (const file of list) {
    assert.ok(!/(^|\/)(src|tests?|benches|www|worker\/site)\/|\.(rs|map|ts\.map|toml|lock|sh)$|(^|\/)\./.test(file), `ships ${file}`);
  }
  for (const doc of ["package.json", "README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"]) assert.ok(list.includes(doc), doc);
  console.log(`tarball: ${list.length} files`);
});

test("the crate version is the package version, and the README starts with npm install", () => {
  assert.equal(manifest.name, "nemo-video");
  assert.equal(manifest.version, crateVersion());
  assert.ok(read("README.md").includes("npm install nemo-video"));
});

test("every file the exports map names is in the tarball; every entry has types and a default", () => {
  const targets = [];
  const walk = (node, where) => {
    if (typeof node === "string") return targets.push([where, node]);
    for (const [key, value] of Object.entries(node)) walk(value, `${where} ${key}`);
  };
  walk(manifest.exports, "exports");
  for (const [where, target] of [...targets, ["main", manifest.main], ["types", manifest.types]]) {
    assert.ok(list.includes(target.replace(/^\.\//, "")), `${where}: ${target}`);
  }
  for (const [entry, conditions] of Object.entries(manifest.exports).filter(([e]) => e !== "./package.json")) {
    const keys = Object.keys(conditions);
    assert.ok(keys.indexOf("workerd") < keys.indexOf("worker") && (keys.indexOf("browser") < 0 || keys.indexOf("worker") < keys.indexOf("browser")), `${entry}: workerd, worker before browser`);
    assert.equal(keys.at(-1), "default", `${entry} ends with default`);
    for (const [key, value] of Object.entries(conditions)) {
      const leaves = "types" in value ? [value] : Object.values(value);
      for (const leaf of leaves) assert.ok(leaf.types && leaf.default, `${entry} ${key} has types and a default`);
    }
  }
});

test("the glue the browser entries import has no import.meta (esbuild's default iife output has none)", () => {
  for (const file of list.filter((f) => /^dist\/(client|simulator)\/[^/]+\.js$/.test(f))) {
    assert.ok(!read(file).includes("import.meta"), file);
  }
});
