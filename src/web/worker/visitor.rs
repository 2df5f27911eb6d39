//! Server-token mode's I/O: the visitor cookie read and issued, and the ledger's Durable
//! Object asked. What a guard means and what a refusal says are `core::proxy::visitor`'s.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use super::settle;
use crate::core::api::RouteId;
use crate::core::proxy::ledger::Answer;
use crate::core::proxy::visitor::{self, Guard};
use crate::core::proxy::{ProxyConfig, Refusal};
use crate::web::host;

/// The binding of the ledger's Durable Object namespace.
pub(super) const LEDGER_BINDING: &str = "LEDGER";

/// A new visitor: its id and the `Set-Cookie` value that carries it.
pub(super) fn issue(secret: &str) -> (String, String) {
    let id = visitor::new_id(host::random_16());
    let cookie = visitor::set_cookie(&visitor::sign(secret, &id));
    (id, cookie)
}

/// Asks the ledger one guard: the record's Durable Object runs the operation.
async fn ask(ledger: &JsValue, key: &str, op: &str) -> Result<Answer, JsValue> {
    let id_from_name: Function = host::get(ledger, "idFromName").dyn_into()?;
    let id = id_from_name.call1(ledger, &JsValue::from_str(key))?;
    let get: Function = host::get(ledger, "get").dyn_into()?;
    let stub = get.call1(ledger, &id)?;
    let method: Function = host::get(&stub, "ledger").dyn_into()?;
    // Reflect.apply, not `method.call(...)`: on an RPC stub `call` would itself be taken for
    // a remote method.
    let args = js_sys::Array::of1(&JsValue::from_str(op));
    let answer = settle(js_sys::Reflect::apply(&method, &stub, &args))
        .await?
        .as_string()
        .unwrap_or_default();
    serde_json::from_str(&answer)
        .map_err(|_| JsValue::from_str("the ledger's answer is unreadable"))
}

/// Runs the guards in order; the first refused one is the answer.
pub(super) async fn check(
    cfg: &ProxyConfig,
    ledger: &JsValue,
    visitor: &str,
    route: RouteId,
    guards: &[Guard],
) -> Result<Option<Refusal>, JsValue> {
    for g in guards {
        let op = serde_json::to_string(&g.op(visitor, cfg, host::now_ms()))
            .map_err(|_| JsValue::from_str("unwritable ledger operation"))?;
        let answer = ask(ledger, &g.key(visitor), &op).await?;
        if let Some(r) = visitor::refusal(g, route, &answer) {
            return Ok(Some(r));
        }
    }
    Ok(None)
}
