// What both module workers export, from the wasm build each imports: the wasm initialised once
// per isolate, the `fetch` handler, and the ledger of server-token mode as a Durable Object
// class (one instance per record: a session, a render, a visitor's day; one operation at a
// time, so a claim is first come first served and a budget cannot be spent twice). Every
// decision is in the wasm module (`handleWorkerRequest`, `ledgerApply`: src/web/worker,
// src/core/proxy); the class only loads and stores the record it is given.
import { DurableObject } from "cloudflare:workers";

export function entry(glue, wasm) {
  glue.initSync({ module: wasm });
  class NemoLedger extends DurableObject {
    async ledger(op) {
      const stored = (await this.ctx.storage.get("record")) ?? null;
      const { state, answer } = JSON.parse(glue.ledgerApply(stored, op));
      if (state !== null) await this.ctx.storage.put("record", state);
      return JSON.stringify(answer);
    }
  }
  return {
    NemoLedger,
    handler: { fetch: (request, env, ctx) => glue.handleWorkerRequest(request, env, ctx) },
  };
}
