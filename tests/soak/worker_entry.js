// The deployable worker (worker/index.js) as the soak runs it in workerd: the same handler and
// Durable Object, plus one route the soak reads its wasm memory from. Never deployed.
import * as glue from "../../pkg/worker/nemo_video.js";
import wasm from "../../pkg/worker/nemo_video_bg.wasm";
import handler, { NemoLedger } from "../../worker/index.js";

// Initialised already by worker/index.js: initSync hands back that instance's exports.
const exports = glue.initSync({ module: wasm });

const allow = { limit: async () => ({ success: true }) };
let calls = 0;

export { NemoLedger };
export default {
  fetch(request, env, ctx) {
    if (new URL(request.url).pathname === "/__soak/memory") {
      // A full collection first, when the soak started workerd with V8's --expose-gc.
      const collected = typeof globalThis.gc === "function";
      if (collected) globalThis.gc();
      // The JS values the module's Rust side holds (the live slots of wasm-bindgen's table),
      // and the table's size (slots taken and never given back show there, null or not).
      const table = exports.__wbindgen_externrefs;
      let held = 0;
      for (let i = 0; i < table.length; i++) if (table.get(i) !== undefined && table.get(i) !== null) held += 1;
      return new Response(JSON.stringify({ wasmBytes: exports.memory.buffer.byteLength, held, slots: table.length, collected }), {
        headers: { "content-type": "application/json" },
      });
    }
    // Without Miniflare's local simulation of the rate-limiting bindings: it grows workerd's
    // memory by tens of KB a call whoever calls it (a plain JS proxy calling it does the
    // same), which would hide the worker's own. Every other request has bindings that always
    // allow, the rest none and RATE_LIMIT=off: both ways a deployment can run.
    const { RATE_LIMITER, GLOBAL_RATE_LIMITER, ...rest } = env;
    calls += 1;
    const bindings = calls % 2 ? { RATE_LIMITER: allow, GLOBAL_RATE_LIMITER: allow } : { RATE_LIMIT: "off" };
    return handler.fetch(request, { ...rest, ...bindings }, ctx);
  },
};
