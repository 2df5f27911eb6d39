// The worker's soak: the deployable worker in workerd (worker/dev.mjs, behind its edge-like
// front), proxying to a hand-written upstream on 127.0.0.1 (tests/worker/upstreams.mjs), many
// requests of every kind, and its memory measured.
//
//   node tests/soak/worker.mjs [requests] [--no-baseline]
//
// Twice: in anonymous mode (the page's token passed through) and in server-token mode (the
// worker holds NEMO_TOKEN; one visitor with its signed cookie, whose session and render the
// Durable Object ledger records, and a session it does not own refused on every round).
// Measured after a warm-up (the first 5%) and at the end: inside the isolate, after V8's full
// collection (workerd started with --expose-gc), the wasm linear memory of the worker's module
// and the JS values its Rust side holds (tests/soak/worker_entry.js wraps worker/index.js and
// answers /__soak/memory); from outside, the resident memory (VmRSS) of the workerd process
// Miniflare started (the isolate, V8's heap, and workerd itself). workerd under Miniflare grows
// that by itself under load, so the same requests then go through a plain JS proxy
// (tests/soak/baseline_proxy.js) for comparison (a gross leak shows as twice its growth). Both run without
// Miniflare's local simulation of the rate-limiting bindings, which grows workerd by tens of
// KB a call whoever calls it. Every answer is checked (status as expected, read to its end).
import assert from "node:assert/strict";
import fs from "node:fs";
import { startWorker } from "../../worker/dev.mjs";
import { cookieOf, fakeUpstream } from "../worker/upstreams.mjs";

const TOTAL = Number(process.argv[2] ?? 10_000);
const BASELINE = !process.argv.includes("--no-baseline");
const CONCURRENCY = 8;
const MAX_WASM_GROWTH = 65536; // one page
const MAX_HELD_GROWTH = 16;
// The table of JS values grows in steps of 128 slots when requests in flight at once hold more
// than it has (a high-water mark, reached at any time under 8 concurrent requests): one step
// is allowed. A slot leaked per request (the soak found one) passes that within 128 requests.
const MAX_SLOT_GROWTH = 128;
// workerd's resident memory is workerd's and V8's allocator as much as the isolate's live
// data (it grows under Miniflare whatever runs, and never shrinks): a gross leak shows as more
// than twice the plain proxy's growth; the two checks above are the precise ones.
const MAX_RSS_RATIO = 2;
const APP = "https://app.example";
const SID = "7350000000000000001";
const RID = "render_1764000000000";
const TOKEN = "nmv_usr_soak0123456789abcdef";
const SERVER = {
  NEMO_TOKEN: "nmv_server_soak_5e1f",
  VISITOR_SECRET: "a-soak-visitor-secret-of-at-least-32-bytes",
  // Budgets the soak's single visitor never reaches (their 429 is tested in tests/worker).
  DAILY_CHAT_TURNS: "1000000",
  DAILY_EXPORTS: "1000000",
};

const upstream = await fakeUpstream(async (req, res) => {
  const json = (status, body) => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (req.url === "/run_sse") {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    for (const text of ["On it: ", "working.", "Done!"]) {
      res.write(`data: ${JSON.stringify({ author: "nemo_agent", partial: true, content: { parts: [{ text }] } })}\n\n`);
    }
    res.end(`data: ${JSON.stringify({ author: "nemo_agent", content: { parts: [{ text: "On it: working. Done!" }] } })}\n\n`);
  } else if (req.url.endsWith("/download")) {
    res.writeHead(200, { "content-type": "video/mp4" });
    res.end(Buffer.alloc(4096, 7));
  } else if (req.url.startsWith("/api/credits")) {
    json(200, { code: 0, message: "success", data: { available: 98, frozen: 0, total: 98 } });
  } else if (req.url.startsWith("/api/state")) {
    json(200, { code: 0, message: "success", data: { state: { draft: { t: [{ tt: 0, sg: [{ s: 0, d: 1000 }] }] } } } });
  } else if (req.url.startsWith("/api/render")) {
    json(200, { code: 0, message: "success", data: { id: RID, status: "processing", progress: 40 } });
  } else if (req.url.startsWith("/api/upload-video")) {
    json(200, { code: 0, message: "success", data: { files: [] } });
  } else {
    json(200, { code: 0, message: "success", data: { session_id: SID } });
  }
});

const anonymous = { Origin: APP, Authorization: `Bearer ${TOKEN}`, "X-Client-Id": "soak-client" };
const chat = JSON.stringify({ app_name: "nemo_agent", user_id: "me", session_id: SID, new_message: { role: "user", parts: [{ text: "hi" }] }, streaming: true });
const upload = JSON.stringify({ urls: ["https://example.com/a.mp4"], source_type: "url" });
// The calls that create what a visitor owns (claimed first in server-token mode).
const CREATE_SESSION = ["POST", "/api/tasks/me/with-session/nemo_agent", 200, JSON.stringify({ task_name: "project", language: "en" })];
const EXPORT = ["POST", "/api/render/proxy/lambda", 200, JSON.stringify({ id: RID, sessionId: SID, draft: { t: [] }, output: { format: "mp4", quality: "high" } })];
// Streamed answers (the chat) and counted bodies (uploads) go through the worker's transform
// streams: they are half the load.
const KINDS = [
  ["GET", "/api/credits/balance/simple", 200],
  ["POST", "/run_sse", 200, chat],
  ["GET", `/api/state/nemo_agent/me/${SID}/latest`, 200],
  ["POST", "/run_sse", 200, chat],
  EXPORT,
  ["POST", `/api/upload-video/nemo_agent/me/${SID}`, 200, upload],
  ["GET", `/api/render/proxy/lambda/${RID}`, 200],
  ["POST", "/run_sse", 200, chat],
  ["GET", `/api/render/proxy/${RID}/download`, 200],
  ["POST", `/api/upload-video/nemo_agent/me/${SID}`, 200, upload],
  CREATE_SESSION,
  ["GET", "/api/admin/users", 404],
  ["GET", "/api/state/nemo_agent/me/..%2F..%2Fadmin/latest", 400],
];
// In server-token mode, one more: a session the visitor does not own, refused by the ledger.
const SERVER_KINDS = [...KINDS, ["GET", "/api/state/nemo_agent/me/7350000000000000999/latest", 404]];

/** The workerd process Miniflare started: a child of this one. */
function workerdPid(known) {
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d) && !known.has(d))) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === process.pid && fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() === "workerd") return pid;
    } catch {
      // (a process that ended meanwhile)
    }
  }
  return null;
}
const seenPids = new Set();

/** `total` requests of every kind through the worker `script` (`server`: in server-token
 *  mode); its memory before and after. */
async function soak(script, total, server = false) {
  // V8's gc() inside the isolate, so the memory is read after a full collection.
  process.env.MINIFLARE_WORKERD_V8_FLAGS = "--expose-gc";
  const worker = await startWorker({
    script,
    bindings: { NEMO_API_BASE: upstream.url, ALLOW_HTTP_LOOPBACK: "1", ALLOWED_ORIGINS: APP, ...(server ? SERVER : {}) },
    assets: false,
  });
  const kinds = server ? SERVER_KINDS : KINDS;
  let headers = anonymous;
  if (server) {
    // The visitor's cookie, then its session and render claimed before the load.
    const config = await fetch(`${worker.url}/config.json`, { headers: { Origin: APP } });
    assert.equal((await config.json()).mode, "server-token");
    headers = { Origin: APP, Cookie: cookieOf(config) };
    for (const [method, path, status, body] of [CREATE_SESSION, EXPORT]) {
      const res = await fetch(`${worker.url}${path}`, { method, headers: { ...headers, "Content-Type": "application/json" }, body });
      assert.equal(res.status, status, `${method} ${path}: ${await res.text()}`);
    }
  }
  const pid = workerdPid(seenPids);
  assert.ok(pid, "the workerd process");
  seenPids.add(pid);
  const rss = () => Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))[1]) * 1024;
  const inside = async () => (await fetch(`${worker.url}/__soak/memory`)).json();
  const statuses = {};
  let done = 0;
  const trace = [];
  async function one(i) {
    const [method, path, status, body] = kinds[i % kinds.length];
    const res = await fetch(`${worker.url}${path}`, {
      method,
      headers: body ? { ...headers, "Content-Type": "application/json" } : headers,
      body,
    });
    const text = await res.text(); // every body read to its end, streams included
    assert.equal(res.status, status, `${method} ${path}: ${text.slice(0, 200)}`);
    statuses[res.status] = (statuses[res.status] ?? 0) + 1;
    done += 1;
  }
  async function run(from, to) {
    let next = from;
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (next < to) {
        const i = next++;
        await one(i);
        if (i % 1000 === 999) trace.push(Math.round(rss() / 1048576));
      }
    }));
  }
  const started = Date.now();
  const warm = Math.max(200, Math.floor(total / 20));
  await run(0, warm);
  const before = { ...(await inside()), rss: rss() };
  await run(warm, total);
  const after = { ...(await inside()), rss: rss() };
  await worker.dispose();
  return { done, statuses, trace, before, after, seconds: (Date.now() - started) / 1000 };
}

const ours = await soak("tests/soak/worker_entry.js", TOTAL);
const server = await soak("tests/soak/worker_entry.js", TOTAL, true);
const base = BASELINE ? await soak("tests/soak/baseline_proxy.js", TOTAL) : null;
await upstream.close();

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
const grew = (r, k) => r.after[k] - r.before[k];
console.log(`soak (worker): ${ours.done} proxied requests in workerd (${KINDS.length} kinds, ${CONCURRENCY} at a time), ${ours.seconds.toFixed(1)} s, statuses ${JSON.stringify(ours.statuses)}`);
console.log(`  worker's wasm memory (inside the isolate): ${kib(ours.before.wasmBytes)} after warm-up -> ${kib(ours.after.wasmBytes)} (growth ${kib(grew(ours, "wasmBytes"))}, bound ${kib(MAX_WASM_GROWTH)})`);
console.log(`  JS values held by the worker's wasm: ${ours.before.held} -> ${ours.after.held}, in a table of ${ours.before.slots} -> ${ours.after.slots} slots (bounds +${MAX_HELD_GROWTH} and +${MAX_SLOT_GROWTH})`);
console.log(`  workerd resident memory (VmRSS of the process, from outside): ${mib(ours.before.rss)} -> ${mib(ours.after.rss)} (growth ${mib(grew(ours, "rss"))}); every 1,000 requests (MiB): ${ours.trace.join(" ")}`);
console.log(`soak (worker, server-token mode): ${server.done} requests (${SERVER_KINDS.length} kinds, one visitor, the ledger consulted), ${server.seconds.toFixed(1)} s, statuses ${JSON.stringify(server.statuses)}`);
console.log(`  wasm memory ${kib(server.before.wasmBytes)} -> ${kib(server.after.wasmBytes)}; JS values held ${server.before.held} -> ${server.after.held}, table ${server.before.slots} -> ${server.after.slots} slots; workerd resident memory ${mib(server.before.rss)} -> ${mib(server.after.rss)} (growth ${mib(grew(server, "rss"))})`);
if (base) {
  console.log(`  the same load through a plain JS proxy in workerd (tests/soak/baseline_proxy.js): ${mib(base.before.rss)} -> ${mib(base.after.rss)} (growth ${mib(grew(base, "rss"))}); every 1,000 (MiB): ${base.trace.join(" ")}`);
}
const failures = [];
if (ours.done !== TOTAL) failures.push(`${TOTAL - ours.done} requests did not finish`);
if (grew(ours, "wasmBytes") > MAX_WASM_GROWTH) failures.push("the worker's wasm memory grew");
if (grew(ours, "held") > MAX_HELD_GROWTH) failures.push("the worker's wasm holds ever more JS values");
if (grew(ours, "slots") > MAX_SLOT_GROWTH) failures.push("the worker's table of JS values keeps growing");
if (server.done !== TOTAL) failures.push(`server-token mode: ${TOTAL - server.done} requests did not finish`);
if (grew(server, "wasmBytes") > MAX_WASM_GROWTH) failures.push("server-token mode: the worker's wasm memory grew");
if (grew(server, "held") > MAX_HELD_GROWTH) failures.push("server-token mode: the worker's wasm holds ever more JS values");
if (grew(server, "slots") > MAX_SLOT_GROWTH) failures.push("server-token mode: the worker's table of JS values keeps growing");
if (base && grew(ours, "rss") > MAX_RSS_RATIO * grew(base, "rss")) failures.push(`workerd grew more than ${MAX_RSS_RATIO}× as much as with the plain proxy`);
if (base && grew(server, "rss") > MAX_RSS_RATIO * grew(base, "rss")) failures.push(`server-token mode: workerd grew more than ${MAX_RSS_RATIO}× as much as with the plain proxy`);
if (failures.length) {
  console.error(`soak (worker) FAILED: ${failures.join("; ")}`);
  process.exit(1);
}
console.log(`soak (worker): memory flat${base ? ` (workerd's own growth under Miniflare, the baseline's, aside)` : ""}`);
