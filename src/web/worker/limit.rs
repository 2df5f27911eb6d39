//! The rate limit's I/O: the platform's rate-limiting bindings asked, per client key and
//! globally. Which keys, and what a limited caller hears, are `core::proxy`'s.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::Request;

use super::{header, settle};
use crate::core::proxy::{self, GLOBAL_KEY, ProxyConfig, Refusal};
use crate::web::host;

/// The per-client binding.
const CLIENT_LIMITER: &str = "RATE_LIMITER";
/// The whole worker's binding (optional).
const GLOBAL_LIMITER: &str = "GLOBAL_RATE_LIMITER";

/// Whether `binding` has budget left for `key`.
async fn allowed(binding: &JsValue, limit: &Function, key: &str) -> Result<bool, JsValue> {
    let arg = host::object(&[("key", JsValue::from_str(key))]);
    let outcome = settle(limit.call1(binding, &arg)).await?;
    Ok(host::get(&outcome, "success").as_bool() != Some(false))
}

/// `Some(refusal)` when the request must not go on: over a budget, or no limiter where one
/// is required.
pub(super) async fn check(
    cfg: &ProxyConfig,
    env: &JsValue,
    req: &Request,
    visitor: Option<&str>,
) -> Result<Option<Refusal>, JsValue> {
    let client = host::get(env, CLIENT_LIMITER);
    let Ok(limit) = host::get(&client, "limit").dyn_into::<Function>() else {
        return Ok(proxy::without_limiter(cfg).err());
    };
    // The platform sets `request.cf` on every request that came through its edge.
    let through_edge = host::get(req, "cf").is_object();
    let ip = header(req, "cf-connecting-ip");
    for key in proxy::rate_limit_keys(cfg, ip.as_deref(), through_edge, visitor) {
        if !allowed(&client, &limit, &key).await? {
            return Ok(Some(proxy::rate_limited(cfg)));
        }
    }
    let global = host::get(env, GLOBAL_LIMITER);
    if let Ok(limit) = host::get(&global, "limit").dyn_into::<Function>()
        && !allowed(&global, &limit, GLOBAL_KEY).await?
    {
        return Ok(Some(proxy::rate_limited(cfg)));
    }
    Ok(None)
}
