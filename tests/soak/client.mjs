// The client's soak: one long-lived NemoClient of pkg/node (the simulator of pkg/sim-node as its
// backend), many chat turns and exports with faults mixed in, and its memory measured.
//
//   node --expose-gc tests/soak/client.mjs [turns] [exports]      (default 1000 and 300)
//
// Measured after a warm-up (the first 5% of the work) and at the end, each time after a full
// GC: the client's wasm linear memory (its `WebAssembly.Memory`, found by watching the
// instances the glue creates: the nodejs glue keeps its exports private) and the JS heap
// (`process.memoryUsage().heapUsed`), and the JS values the client's Rust side holds (the live
// slots of wasm-bindgen's table). Then, with everything settled: no timer left
// (`process.getActiveResourcesInfo()`), and no promise left pending that is still reachable
// (promises created minus those resolved or collected, from `async_hooks`). Prints the
// figures and exits non-zero when a bound is passed.
import { createRequire } from "node:module";
import { createHook } from "node:async_hooks";
import assert from "node:assert/strict";

if (typeof globalThis.gc !== "function") {
  console.error("run with node --expose-gc");
  process.exit(2);
}
const TURNS = Number(process.argv[2] ?? 1000);
const EXPORTS = Number(process.argv[3] ?? 300);
// Bounds: the wasm memory grows in 64 KiB pages and never shrinks: one page in all (a leak of
// ~128 bytes a turn grew it by three over 1,000 turns); the JS heap after GC moves by about
// half a MiB between runs of the same work.
const MAX_WASM_GROWTH = 65536;
const MAX_HEAP_GROWTH = 2 * 1024 * 1024;
const MAX_PENDING_GROWTH = 16;
// JS values held by the client's Rust side: a closure or promise leaked per call shows here
// first (the soak found two per chat turn: a dropped timer's never-settled promise).
const MAX_HELD_GROWTH = 16;

// The wasm instances the glues create, in order (the client's first).
const instances = [];
const Instance = WebAssembly.Instance;
WebAssembly.Instance = function (module, imports) {
  const instance = new Instance(module, imports);
  instances.push(instance);
  return instance;
};
WebAssembly.Instance.prototype = Instance.prototype;
const require = createRequire(import.meta.url);
const nemo = require(process.env.NEMO_PKG_NODE ?? "../../pkg/node/nemo_video.js");
const { createSimulator } = require(process.env.NEMO_PKG_SIM ?? "../../pkg/sim-node/nemo_video.js");
WebAssembly.Instance = Instance;
const [clientWasm, simWasm] = instances.map((i) => i.exports.memory);
assert.ok(clientWasm instanceof WebAssembly.Memory && simWasm instanceof WebAssembly.Memory);

// Promises created and not yet resolved or collected.
const pending = new Set();
createHook({
  init(id, type) {
    if (type === "PROMISE") pending.add(id);
  },
  promiseResolve(id) {
    pending.delete(id);
  },
  destroy(id) {
    pending.delete(id);
  },
}).enable();

const sim = createSimulator({ seed: 11, credits: 1e9, chunkDelayMs: 0, workMs: 2, heartbeatMs: 1, renderPolls: 2, silentEvery: 3 });
const client = new nemo.NemoClient({
  baseUrl: "http://sim.test", fetch: sim, storage: null,
  pollIntervalMs: 1, dropPollMs: 1, rateLimitWaitMs: 1, stillWorkingMs: 5, heartbeatOnlyTimeoutMs: 40,
});
const PROMPTS = ["make a 30-second city timelapse with lo-fi music", "add background music", "add a title \"Night City\"", "make it 20 seconds", "set the music volume to 50%", "hello"];
// One fault in most turns, cycled: the chat's stream faults and the refusals before it.
const CHAT_FAULTS = [null, "dropAfterTool", 1001, 429, 1002, "lostAnswer", "malformedJson", "truncated", "dropAtStart", 503, "heartbeatsOnly", "dropAtEnd"];
const EXPORT_FAULTS = [null, ["export", "lostAnswer"], ["exportStatus", 503], ["exportStatus", "malformedJson"], ["export", 429], ["export", "lostRequest"]];

const tally = { turns: 0, exports: 0, ok: 0, errors: {} };
async function work(from, to) {
  for (let i = from; i < to; i++) {
    const fault = CHAT_FAULTS[i % CHAT_FAULTS.length];
    sim.setFaults(fault === null ? {} : { retryAfterS: 0, calls: [{ call: "chat", fault }] });
    const events = [];
    try {
      await client.chat(PROMPTS[i % PROMPTS.length], { onEvent: (e) => events.push(e) });
      tally.ok += 1;
    } catch (e) {
      assert.equal(e.name, "NemoError", String(e));
      tally.errors[e.code] = (tally.errors[e.code] ?? 0) + 1;
    }
    assert.equal(events.filter((e) => e.type === "done").length, 1, `turn ${i}: one done`);
    tally.turns += 1;
    // An export every few turns, until their number is reached.
    if (tally.exports < EXPORTS && i % Math.max(1, Math.floor(TURNS / EXPORTS)) === 0) {
      const f = EXPORT_FAULTS[tally.exports % EXPORT_FAULTS.length];
      sim.setFaults(f === null ? {} : { retryAfterS: 0, calls: [{ call: f[0], fault: f[1] }] });
      try {
        await client.export();
        tally.ok += 1;
      } catch (e) {
        assert.equal(e.name, "NemoError", String(e));
        tally.errors[e.code] = (tally.errors[e.code] ?? 0) + 1;
      }
      tally.exports += 1;
    }
  }
}

async function settle() {
  // Let every timer the last call armed fire or be cleared, then collect twice.
  await new Promise((r) => setTimeout(r, 100));
  globalThis.gc();
  await new Promise((r) => setImmediate(r));
  globalThis.gc();
}
/** The JS values the client's Rust side holds (live slots of wasm-bindgen's table). */
function heldValues() {
  const table = instances[0].exports.__wbindgen_externrefs;
  let live = 0;
  for (let i = 0; i < table.length; i++) if (table.get(i) !== undefined && table.get(i) !== null) live += 1;
  return live;
}
function sample() {
  return {
    wasm: clientWasm.buffer.byteLength, simWasm: simWasm.buffer.byteLength,
    heap: process.memoryUsage().heapUsed, pending: pending.size, held: heldValues(),
    slots: instances[0].exports.__wbindgen_externrefs.length,
  };
}

const started = Date.now();
const warm = Math.max(1, Math.floor(TURNS / 20));
await work(0, warm);
await settle();
const before = sample();
await work(warm, TURNS);
while (tally.exports < EXPORTS) {
  await client.export().then(() => (tally.ok += 1), (e) => (tally.errors[e.code] = (tally.errors[e.code] ?? 0) + 1));
  tally.exports += 1;
}
await settle();
const after = sample();
const timers = process.getActiveResourcesInfo().filter((r) => /Timeout|Immediate|Timer/.test(r));

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
const mib = (n) => `${(n / 1048576).toFixed(1)} MiB`;
const requests = sim.requests().length;
console.log(`soak (client): ${tally.turns} chat turns, ${tally.exports} exports, ${tally.ok} succeeded, typed errors ${JSON.stringify(tally.errors)}; ${((Date.now() - started) / 1000).toFixed(1)} s; ${requests} requests in the simulator's log`);
console.log(`  client wasm memory: ${kib(before.wasm)} after warm-up -> ${kib(after.wasm)} at the end (growth ${kib(after.wasm - before.wasm)}, bound ${kib(MAX_WASM_GROWTH)})`);
console.log(`  JS heap after GC:   ${mib(before.heap)} -> ${mib(after.heap)} (growth ${mib(after.heap - before.heap)}, bound ${mib(MAX_HEAP_GROWTH)})`);
console.log(`  JS values held by the client's wasm: ${before.held} -> ${after.held}, in a table of ${before.slots} -> ${after.slots} slots (bound +${MAX_HELD_GROWTH} each)`);
console.log(`  pending promises:   ${before.pending} -> ${after.pending}; timers left: ${timers.length}; (simulator's wasm memory ${kib(before.simWasm)} -> ${kib(after.simWasm)}: its request log grows to its cap by design)`);
const failures = [];
if (after.wasm - before.wasm > MAX_WASM_GROWTH) failures.push("client wasm memory grew");
if (after.heap - before.heap > MAX_HEAP_GROWTH) failures.push("JS heap grew");
if (after.pending - before.pending > MAX_PENDING_GROWTH) failures.push("promises left pending");
if (after.held - before.held > MAX_HELD_GROWTH) failures.push("the client's wasm holds ever more JS values");
if (after.slots - before.slots > MAX_HELD_GROWTH) failures.push("the client's table of JS values keeps growing");
if (timers.length > 0) failures.push(`timers left: ${timers.join(", ")}`);
if (tally.ok < (tally.turns + tally.exports) / 2) failures.push("fewer than half the calls succeeded");
if (failures.length) {
  console.error(`soak (client) FAILED: ${failures.join("; ")}`);
  process.exit(1);
}
console.log("soak (client): memory flat, nothing left behind");
