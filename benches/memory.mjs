// Peak memory of SseParser in Node: a 64 MiB ADK-like stream in 64 KiB chunks, against reading
// the same chunks alone (issue 13: at most reading alone + 5 MiB) and against eventsource-parser
// on the same stream (both make ~700 event objects per chunk, and V8's young generation grows
// with that rate whichever parser makes them), and a hostile endless line
// (64 MiB with no line end) against maxEventBytes. Each case in a fresh process, the resident
// set sampled after a full GC every MiB (its peak is what the case holds; wasm memory, which
// never shrinks, is part of it). Asserts nothing. Needs scripts/build.sh nodejs.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const SIZE = 64 * 1024 * 1024;

const CASE = (what) => `
const { SseParser } = require(${JSON.stringify(path.join(ROOT, "pkg/node/nemo_video.js"))});
const CHUNK = 64 * 1024;
const line = ${JSON.stringify('data: {"content":{"parts":[{"text":"a piece of the reply 导出"}]},"partial":true,"id":"e"}\n\n')};
const block = Buffer.from(line.repeat(Math.ceil(CHUNK / line.length))).subarray(0, CHUNK);
const endless = Buffer.alloc(CHUNK, 0x61);
let peak = 0;
const sample = () => { peak = Math.max(peak, process.memoryUsage().rss); };
global.gc(); sample();
const base = process.memoryUsage().rss;
let events = 0, refused = 0;
const p = ${what === "read" || what === "esp" ? "null" : "new SseParser({ maxEventBytes: 1024 * 1024 })"};
const esp = ${what === "esp" ? 'require("eventsource-parser").createParser({ onEvent: (e) => { kept = e; events++; } })' : "null"};
const decoder = new TextDecoder();
let kept = null;
for (let sent = 0; sent < ${SIZE}; sent += CHUNK) {
  const chunk = Buffer.from(${what === "endless" ? "endless" : "block"});
  if (p) { try { events += p.push(chunk).length; } catch (e) { refused++; events += e.events?.length ?? 0; } }
  if (esp) esp.feed(decoder.decode(chunk, { stream: true }));
  // A full GC before each sample, in every case alike: what is measured is what is held, not
  // when V8 happened to collect the chunks (which differs with the work done between them).
  if ((sent / CHUNK) % 16 === 0) { global.gc(); sample(); }
}
global.gc(); sample();
console.log(JSON.stringify({ peak: peak - base, events, refused }));
`;

const run = (what) => JSON.parse(execFileSync(process.execPath, ["--expose-gc", "-e", CASE(what)], { encoding: "utf8", cwd: ROOT }));
const mib = (n) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const read = run("read");
const parse = run("parse");
const endless = run("endless");
const esp = run("esp");
console.log("== peak resident memory over the run (64 MiB in 64 KiB chunks, a fresh process each, sampled after a GC every MiB)");
console.log(`${"reading the chunks alone".padEnd(44)} ${mib(read.peak).padStart(10)}`);
console.log(`${"SseParser on an ADK-like stream".padEnd(44)} ${mib(parse.peak).padStart(10)}   (${parse.peak >= read.peak ? "+" : ""}${mib(parse.peak - read.peak)} over reading; ${parse.events} events)`);
console.log(`${"eventsource-parser on the same stream".padEnd(44)} ${mib(esp.peak).padStart(10)}   (${esp.peak >= read.peak ? "+" : ""}${mib(esp.peak - read.peak)} over reading; ${esp.events} events)`);
console.log(`${"SseParser on one endless line (max 1 MiB)".padEnd(44)} ${mib(endless.peak).padStart(10)}   (${endless.peak >= read.peak ? "+" : ""}${mib(endless.peak - read.peak)} over reading; refused ${endless.refused}×)`);
