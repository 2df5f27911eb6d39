// What the wasm-pack outputs hold: the client's three, the worker's and the simulator's, types, and a
// release .wasm that imports nothing but its own JS glue (no WASI, no stray host functions).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, existsSync, readdirSync } from "node:fs";

const pkg = (p) => new URL(`../../pkg/${p}`, import.meta.url);

test("web, bundler and node outputs with types", () => {
  for (const dir of ["web", "bundler", "node"]) {
    for (const file of ["nemo_video.js", "nemo_video.d.ts", "nemo_video_bg.wasm", "package.json"]) {
      assert.ok(existsSync(pkg(`${dir}/${file}`)), `${dir}/${file}`);
    }
    const dts = readFileSync(pkg(`${dir}/nemo_video.d.ts`), "utf8");
    for (const name of ["class SseParser", "function classifyIntent", "function summarizeTimeline", "class NemoClient", "type ChatEvent"]) {
      assert.ok(dts.includes(name), `${dir} types declare ${name}`);
    }
    assert.ok(!dts.includes("createSimulator"), `${dir}: the client outputs do not carry the simulator`);
  }
  for (const dir of ["sim-node", "sim-web"]) {
    const dts = readFileSync(pkg(`${dir}/nemo_video.d.ts`), "utf8");
    assert.ok(dts.includes("function createSimulator") && dts.includes("class NemoClient"), dir);
  }
  const worker = readFileSync(pkg("worker/nemo_video.d.ts"), "utf8");
  assert.ok(worker.includes("function handleWorkerRequest") && !worker.includes("createSimulator"), "the worker output: the edge handler, no simulator");
  assert.ok(readFileSync(pkg("web/nemo_video.d.ts"), "utf8").includes("export default function __wbg_init"));
});

test("the release wasm imports only its own glue", () => {
  for (const dir of ["web", "bundler", "node", "worker", "sim-node", "sim-web"]) {
    const mod = new WebAssembly.Module(readFileSync(pkg(`${dir}/nemo_video_bg.wasm`)));
    const modules = new Set(WebAssembly.Module.imports(mod).map((i) => i.module));
    for (const m of modules) {
      assert.ok(m === "./nemo_video_bg.js" || m === "wbg", `${dir}: unexpected import module ${m}`);
    }
  }
});

test("no code from strings: the glue runs under workerd and a strict CSP", () => {
  for (const dir of ["web", "bundler", "node", "worker", "sim-node", "sim-web"]) {
    for (const file of readdirSync(pkg(dir)).filter((f) => f.endsWith(".js"))) {
      const glue = readFileSync(pkg(`${dir}/${file}`), "utf8");
      assert.ok(!/new Function\(|\beval\(/.test(glue), `${dir}/${file} builds code from strings`);
    }
  }
});
