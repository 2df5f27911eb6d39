// Size and start-up of the client beside the anchors of issue 13: the JS clients of fal,
// Replicate, OpenAI and Runway, installed at pinned versions into target/bench/anchors.
// - bundle: each client imported by a one-line app, bundled by esbuild (--bundle --minify,
//   browser ESM), brotli; ours: the client's .wasm and its glue (the web build), and the same
//   one-line app bundled from the npm package (wasm inlined);
// - init: a fresh Node process's `require` + (for us) the wasm instantiated + `new Client()`,
//   median of runs after a warm-up.
// Needs scripts/build.sh (web, nodejs) and scripts/package.sh. Prints; asserts nothing.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import * as esbuild from "esbuild";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const DIR = path.join(ROOT, "target/bench/anchors");
export const ANCHORS = {
  "@fal-ai/client": { version: "1.10.1", app: 'import { fal } from "@fal-ai/client"; globalThis.x = fal;', init: 'const { createFalClient } = require("@fal-ai/client"); createFalClient({ credentials: "k" });' },
  replicate: { version: "1.4.0", app: 'import Replicate from "replicate"; globalThis.x = new Replicate({ auth: "k" });', init: 'const Replicate = require("replicate"); new Replicate({ auth: "k" });' },
  openai: { version: "7.59.0", app: 'import OpenAI from "openai"; globalThis.x = new OpenAI({ apiKey: "k", dangerouslyAllowBrowser: true });', init: 'const OpenAI = require("openai"); new OpenAI({ apiKey: "k" });' },
  "@runwayml/sdk": { version: "4.20.1", app: 'import RunwayML from "@runwayml/sdk"; globalThis.x = new RunwayML({ apiKey: "k", dangerouslyAllowBrowser: true });', init: 'const RunwayML = require("@runwayml/sdk"); new RunwayML({ apiKey: "k" });' },
};
const EVENTSOURCE_PARSER = "4.1.3";

export const brotli = (buf) => zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
export const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** The anchors installed at their pinned versions (once; `npm install` from the registry). */
export function installAnchors() {
  const deps = Object.fromEntries(Object.entries(ANCHORS).map(([k, v]) => [k, v.version]));
  deps["eventsource-parser"] = EVENTSOURCE_PARSER;
  deps["nemo-video"] = `file:${path.join(ROOT, "target/npm/nemo-video")}`;
  const manifest = JSON.stringify({ name: "anchors", private: true, type: "module", dependencies: deps }, null, 2);
  mkdirSync(DIR, { recursive: true });
  const file = path.join(DIR, "package.json");
  const stale = !existsSync(file) || readFileSync(file, "utf8") !== manifest || !existsSync(path.join(DIR, "node_modules/openai"));
  if (stale) {
    writeFileSync(file, manifest);
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error", "--install-links"], { cwd: DIR, stdio: "inherit" });
  }
  return DIR;
}

async function bundle(name, source) {
  const result = await esbuild.build({
    stdin: { contents: source, resolveDir: DIR, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    logLevel: "silent",
  });
  return Buffer.from(result.outputFiles[0].contents);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** ms from process start to the client made, in a fresh `node -e`, median of `runs`. */
function initMs(code, runs = 9) {
  const script = `const t0 = performance.now(); ${code}; console.log(performance.now() - t0);`;
  const times = [];
  for (let i = 0; i < runs + 2; i++) {
    const out = execFileSync(process.execPath, ["-e", script], { cwd: DIR, encoding: "utf8" });
    if (i >= 2) times.push(Number(out.trim()));
  }
  return median(times);
}

export async function main() {
  installAnchors();
  const rows = [];
  const wasm = readFileSync(path.join(ROOT, "pkg/web/nemo_video_bg.wasm"));
  const glue = readFileSync(path.join(ROOT, "pkg/web/nemo_video.js"));
  const ours = brotli(wasm) + brotli(glue);
  const pkgApp = await bundle("nemo-video", 'import { NemoClient } from "nemo-video"; globalThis.x = new NemoClient({ storage: null });');
  rows.push(["nemo-video: client .wasm + glue (web build)", ours]);
  rows.push(["nemo-video: app bundled from the package (inlined)", brotli(pkgApp)]);
  for (const [name, a] of Object.entries(ANCHORS)) rows.push([`${name} ${a.version}: app bundled`, brotli(await bundle(name, a.app))]);
  console.log("== bundle, brotli (esbuild --bundle --minify, browser ESM)");
  for (const [label, n] of rows) console.log(`${label.padEnd(54)} ${kib(n).padStart(11)}   ${(n / ours).toFixed(2)}× ours`);

  console.log("\n== init in Node: require + (wasm instantiate) + new Client(), median of 9 fresh processes");
  const nemoInit = `const { NemoClient } = require(${JSON.stringify(path.join(ROOT, "pkg/node/nemo_video.js"))}); new NemoClient({ storage: null });`;
  const ourMs = initMs(nemoInit);
  console.log(`${"nemo-video".padEnd(54)} ${ourMs.toFixed(1).padStart(8)} ms`);
  for (const name of ["@fal-ai/client", "openai"]) {
    const ms = initMs(ANCHORS[name].init);
    console.log(`${name.padEnd(54)} ${ms.toFixed(1).padStart(8)} ms   ours ${(ourMs / ms).toFixed(2)}×`);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
