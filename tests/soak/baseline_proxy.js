// The worker soak's baseline: a plain JS proxy under the same load, with no wasm, so the soak
// can tell workerd's own memory growth (under Miniflare) from the worker's. Answers the
// refusals the soak expects, forwards the rest with fetch, streams the answer back.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/__soak/memory") {
      if (typeof globalThis.gc === "function") globalThis.gc();
      return new Response(JSON.stringify({ wasmBytes: 0, held: 0 }));
    }
    if (url.pathname.includes("%2F")) return new Response("{}", { status: 400 });
    if (url.pathname.startsWith("/api/admin")) return new Response("{}", { status: 404 });
    const body = request.method === "POST" ? await request.text() : undefined;
    const r = await fetch(env.NEMO_API_BASE + url.pathname, { method: request.method, headers: { "content-type": "application/json" }, body });
    return new Response(r.body, { status: r.status, headers: { "content-type": r.headers.get("content-type") ?? "" } });
  },
};
// (worker/dev.mjs binds the ledger's Durable Object class by name.)
export class NemoLedger {}
