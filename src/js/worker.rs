//! `handleWorkerRequest(request, env, ctx)`: the Cloudflare-Worker-style edge handler's export.
//! The I/O is `web::worker`'s, the decisions `core::proxy`'s; this only hands the promise over.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::Request;

/// The worker's `fetch` handler: `export default { fetch: handleWorkerRequest }`.
#[wasm_bindgen(js_name = handleWorkerRequest, unchecked_return_type = "Promise<Response>")]
pub fn handle_worker_request(request: Request, env: JsValue, ctx: JsValue) -> Promise {
    let _ = ctx;
    future_to_promise(async move {
        crate::web::worker::respond_to(request, env)
            .await
            .map(Into::into)
    })
}

/// The ledger's one operation, for the `NemoLedger` Durable Object (`worker/ledger.js`): the
/// stored record (or `null`) and the operation, both JSON, in; `{"state", "answer"}` out.
/// The decision is `core::proxy::ledger`'s; the object only stores what it returns.
#[wasm_bindgen(js_name = ledgerApply)]
pub fn ledger_apply(stored: Option<String>, op: &str) -> String {
    crate::core::proxy::ledger::apply_json(stored.as_deref(), op)
}
