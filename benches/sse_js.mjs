// SseParser (the shipped wasm) against eventsource-parser (issue 13's anchor) on the same
// synthetic ADK stream, 4 KiB and 64 KiB chunks, in Node and in headless Chromium. Both parsers
// get bytes and give event objects (eventsource-parser's input decoded by a streaming
// TextDecoder, as a caller of it must). Interleaved rounds after a warm-up; medians of the
// speeds and of the per-round ratios. Asserts nothing.
// Needs scripts/build.sh (nodejs, web) and benches/anchors.mjs' install (for Chromium).
import { createRequire } from "node:module";
import http from "node:http";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createParser } from "eventsource-parser";
import { installAnchors } from "./anchors.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const SIZE = 8 * 1024 * 1024;
const ROUNDS = 15;

// The same code runs in Node and in the page: make the stream, time both parsers.
const RUN = `
function stream(bytes) {
  let s = "";
  for (let i = 0; s.length < bytes; i++) {
    s += 'data: {"content":{"parts":[{"text":"piece ' + i + ' of the reply, with some words 导出 ✓"}],"role":"model"},"partial":true,"invocationId":"e-1","author":"nemo_agent","actions":{"stateDelta":{}},"id":"ev-' + (i >> 2) + '","timestamp":1764000000.1}\\n\\n';
  }
  return new TextEncoder().encode(s);
}
function median(xs) { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; }
function run(SseParser, createParser, size, rounds) {
  const input = stream(size);
  const out = {};
  for (const chunk of [4096, 65536]) {
    const chunks = [];
    for (let i = 0; i < input.length; i += chunk) chunks.push(input.subarray(i, i + chunk));
    const oursRun = () => { const p = new SseParser(); let n = 0; for (const c of chunks) n += p.push(c).length; return n; };
    const theirsRun = () => { let n = 0; const p = createParser({ onEvent: () => n++ }); const d = new TextDecoder(); for (const c of chunks) p.feed(d.decode(c, { stream: true })); return n; };
    // Rounds interleave the two parsers, and the ratio is the median of each round's ratio,
    // so a burst of load on a shared machine hits both sides of a ratio alike.
    const once = (f) => { const t0 = performance.now(); const n = f(); return { ms: performance.now() - t0, n }; };
    oursRun(); theirsRun(); oursRun(); theirsRun();
    const a = [], b = [], ratios = [];
    let n = 0;
    for (let r = 0; r < rounds; r++) {
      const x = once(oursRun), y = once(theirsRun);
      a.push(x.ms); b.push(y.ms); ratios.push(y.ms / x.ms); n = x.n;
    }
    const mbps = (ts) => input.length / (median(ts) / 1000) / 1e6;
    out[chunk] = { ours: { mbps: mbps(a), n }, theirs: { mbps: mbps(b) }, ratio: median(ratios) };
  }
  return out;
}`;

function print(where, r) {
  for (const [chunk, { ours, theirs, ratio }] of Object.entries(r)) {
    const label = `${where}, ${Number(chunk) / 1024} KiB chunks`;
    console.log(`${label.padEnd(30)} SseParser ${ours.mbps.toFixed(1).padStart(7)} MB/s   eventsource-parser ${theirs.mbps.toFixed(1).padStart(7)} MB/s   ratio ${ratio.toFixed(2)}×  (${ours.n} events)`);
  }
}

const { SseParser } = require("../pkg/node/nemo_video.js");
print("Node", new Function("SseParser", "createParser", "size", "rounds", `${RUN}; return run(SseParser, createParser, size, rounds);`)(SseParser, createParser, SIZE, ROUNDS));

// Chromium: the web build and eventsource-parser's ES module, served from 127.0.0.1.
installAnchors();
const anchors = path.join(ROOT, "target/bench/anchors/node_modules/eventsource-parser/dist");
const files = {
  "/": ["text/html", "<!doctype html><meta charset=utf-8><script type=module src=/run.js></script>"],
  "/run.js": ["text/javascript", `import init, { SseParser } from "/pkg/nemo_video.js"; import { createParser } from "/esp/index.js"; ${RUN}
    await init(); window.result = run(SseParser, createParser, ${SIZE}, ${ROUNDS});`],
};
const server = http.createServer((req, res) => {
  const local = req.url.startsWith("/pkg/")
    ? path.join(ROOT, "pkg/web", req.url.slice(5))
    : req.url.startsWith("/esp/") ? path.join(anchors, req.url.slice(5)) : null;
  const [type, body] = files[req.url] ?? [req.url.endsWith(".wasm") ? "application/wasm" : "text/javascript", () => readFileSync(local)];
  let bytes;
  try {
    bytes = typeof body === "function" ? body() : body;
  } catch {
    res.writeHead(404);
    res.end();
    return;
  }
  res.writeHead(200, { "content-type": type });
  res.end(bytes);
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
try {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("page error:", e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => window.result, null, { timeout: 300_000 });
  print("Chromium", await page.evaluate(() => window.result));
  await browser.close();
} finally {
  server.close();
}
