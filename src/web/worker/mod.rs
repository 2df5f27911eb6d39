//! The edge handler's I/O: a worker request in, a `Response` out. Moves bytes only; every
//! decision is `core::proxy`'s.
//!
//! Owns: reading the request (method, raw path, the headers the decision needs), serving the
//! page from the `ASSETS` binding, asking the platform's rate-limiting binding, forwarding to
//! the upstream through the module's one `fetch` path (`web::http`, the client's too) with the
//! body streamed (uploads) or read and re-checked against its cap (JSON), and passing the
//! answer back: streamed through (the chat's event stream, a download) or read and scrubbed of
//! the server token. In simulator mode the built-in simulator answers instead (`simulator`:
//! `simulated.rs` in builds with the `simulator` feature, `unsimulated.rs` otherwise, chosen
//! here at the module list).
//!
//! Modes, from the environment (see `core::proxy::ProxyConfig`):
//!
//! - **proxy** (default): the endpoints of API.md forwarded to `NEMO_API_BASE` (default the
//!   real API) with the attribution headers, `NEMO_TOKEN` injected when set, closed by default.
//! - **simulator** (`NEMO_SIMULATE=1`): the built-in simulator answers the same paths (one per
//!   isolate: a demo, not a service); `SIM_OPTIONS` (JSON) tunes it.

#[cfg_attr(feature = "simulator", path = "simulated.rs")]
#[cfg_attr(not(feature = "simulator"), path = "unsimulated.rs")]
mod simulator;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Request, Response, ResponseInit};

use super::cancel::Cancel;
use super::host;
use super::http::{Fetcher, Outgoing};
use crate::core::api::Route;
use crate::core::proxy::{self, Decision, Incoming, ProxyConfig, RETURNED_HEADERS, Refusal};

/// A string variable of the environment (empty reads as unset).
fn env_str(env: &JsValue, name: &str) -> Option<String> {
    host::get(env, name).as_string().filter(|s| !s.is_empty())
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// A response from a status, a body and headers.
fn respond(
    status: u16,
    body: Option<&str>,
    headers: &[(&str, String)],
) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(status);
    let h = Object::new();
    for (k, v) in headers {
        host::set(&h, k, &JsValue::from_str(v));
    }
    init.set_headers(&h);
    Response::new_with_opt_str_and_init(body, &init)
}

/// A refusal as its JSON answer, with `extra` headers (CORS) besides its own.
fn refusal(r: &Refusal, extra: &[(&'static str, String)]) -> Result<Response, JsValue> {
    let mut headers = vec![("content-type", "application/json".to_owned())];
    headers.extend(r.headers.iter().cloned());
    headers.extend(extra.iter().cloned());
    respond(r.status, Some(&r.body()), &headers)
}

/// Copies `from`'s status and chosen headers into a new response around `body`.
fn passthrough(
    from: &Response,
    body: Option<&JsValue>,
    text: Option<&str>,
    cors: &[(&'static str, String)],
) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(from.status());
    let h = Object::new();
    for name in RETURNED_HEADERS {
        if let Ok(Some(v)) = from.headers().get(name)
            && !(text.is_some() && *name == "content-length")
        {
            host::set(&h, name, &JsValue::from_str(&v));
        }
    }
    for (k, v) in cors {
        host::set(&h, k, &JsValue::from_str(v));
    }
    init.set_headers(&h);
    match (text, body) {
        (Some(t), _) => Response::new_with_opt_str_and_init(Some(t), &init),
        (None, Some(stream)) => {
            Response::new_with_opt_readable_stream_and_init(Some(stream.unchecked_ref()), &init)
        }
        (None, None) => Response::new_with_opt_str_and_init(None, &init),
    }
}

async fn settle(p: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&p?)).await
}

/// Asks the rate-limiting binding; `Some(answer)` when the request must not go on.
async fn rate_limited(
    cfg: &ProxyConfig,
    env: &JsValue,
    req: &Request,
) -> Result<Option<Response>, JsValue> {
    let limiter = host::get(env, "RATE_LIMITER");
    let Ok(limit) = host::get(&limiter, "limit").dyn_into::<Function>() else {
        return match proxy::without_limiter(cfg) {
            Ok(()) => Ok(None),
            Err(r) => refusal(&r, &[]).map(Some),
        };
    };
    let key = proxy::rate_limit_key(
        header(req, "cf-connecting-ip").as_deref(),
        header(req, "x-client-id").as_deref(),
    );
    let arg = host::object(&[("key", JsValue::from_str(&key))]);
    let outcome = settle(limit.call1(&limiter, &arg)).await?;
    if host::get(&outcome, "success").as_bool() == Some(false) {
        return refusal(&proxy::rate_limited(cfg), &[]).map(Some);
    }
    Ok(None)
}

fn request_headers(req: &Request) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&req.headers()) {
        for pair in iter.flatten() {
            let pair: js_sys::Array = pair.unchecked_into();
            out.push((
                pair.get(0).as_string().unwrap_or_default(),
                pair.get(1).as_string().unwrap_or_default(),
            ));
        }
    }
    out
}

/// Forwards an allowed request upstream and passes the answer back.
async fn forward(
    cfg: &ProxyConfig,
    env: &JsValue,
    req: &Request,
    url: &str,
    route: &Route,
    max_body: u64,
    cors: &[(&'static str, String)],
) -> Result<Response, JsValue> {
    let token = env_str(env, "NEMO_TOKEN");
    let headers = proxy::forward_headers(cfg, &request_headers(req), token.as_deref());
    let method = req.method();
    let body = if method != "POST" {
        None
    } else if route.kind == crate::core::api::CallKind::Upload {
        // Streamed through; its Content-Length was checked against the cap.
        req.body().map(JsValue::from)
    } else {
        let text = settle(req.text().map(Into::into))
            .await?
            .as_string()
            .unwrap_or_default();
        if let Err(r) = proxy::check_body(text.len() as u64, max_body) {
            return refusal(&r, cors);
        }
        Some(JsValue::from_str(&text))
    };
    let out = Outgoing {
        method: &method,
        url,
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        body,
    };
    let fetcher = Fetcher::new(None).map_err(|e| JsValue::from_str(&e.message))?;
    let upstream = match fetcher.fetch(&out, &Cancel::new(None), None).await {
        Ok(inflight) => inflight.into_response(),
        Err(_) => return refusal(&Refusal::upstream_unreachable(), cors),
    };
    let content_type = header_of(&upstream, "content-type").unwrap_or_default();
    if proxy::streams_through(route.kind, &content_type) {
        // Not buffered: each chunk reaches the browser as it arrives.
        let body = upstream.body().map(JsValue::from);
        return passthrough(&upstream, body.as_ref(), None, cors);
    }
    let text = settle(upstream.text().map(Into::into))
        .await?
        .as_string()
        .unwrap_or_default();
    passthrough(
        &upstream,
        None,
        Some(&proxy::scrub(&text, token.as_deref())),
        cors,
    )
}

fn header_of(resp: &Response, name: &str) -> Option<String> {
    resp.headers().get(name).ok().flatten()
}

/// Serves the page from the `ASSETS` binding.
async fn assets(env: &JsValue, request: &Request) -> Result<Response, JsValue> {
    let assets = host::get(env, "ASSETS");
    match host::get(&assets, "fetch").dyn_into::<Function>() {
        Ok(f) => Ok(settle(f.call1(&assets, request)).await?.unchecked_into()),
        Err(_) => refusal(&Refusal::no_page(), &[]),
    }
}

async fn handle(request: Request, env: JsValue) -> Result<Response, JsValue> {
    let url = web_sys::Url::new(&request.url())?;
    let cfg = ProxyConfig::from_env(|k| env_str(&env, k));
    let method = request.method().to_uppercase();
    let (origin, fetch_site, preflight) = (
        header(&request, "origin"),
        header(&request, "sec-fetch-site"),
        header(&request, "access-control-request-method"),
    );
    let path = url.pathname();
    let self_origin = url.origin();
    let incoming = Incoming {
        method: &method,
        path: &path,
        self_origin: &self_origin,
        origin: origin.as_deref(),
        fetch_site: fetch_site.as_deref(),
        content_length: header(&request, "content-length").and_then(|v| v.trim().parse().ok()),
        preflight_method: preflight.as_deref(),
    };
    match proxy::decide(&cfg, &incoming) {
        Decision::Assets => assets(&env, &request).await,
        Decision::Refuse(r) => refusal(&r, &[]),
        Decision::Preflight(headers) => respond(204, None, &headers),
        Decision::Forward {
            url: upstream,
            route,
            max_body,
            cors,
        } => {
            if let Some(r) = rate_limited(&cfg, &env, &request).await? {
                return Ok(r);
            }
            if cfg.simulate {
                return simulator::answer(&env, &request, &cors).await;
            }
            forward(&cfg, &env, &request, &upstream, route, max_body, &cors).await
        }
    }
}

/// Answers one worker request. A failure inside is a plain 500 (never a stack trace or a
/// token); only a runtime that cannot make a `Response` at all rejects.
pub(crate) async fn respond_to(request: Request, env: JsValue) -> Result<Response, JsValue> {
    match handle(request, env).await {
        Ok(r) => Ok(r),
        Err(_) => refusal(&Refusal::internal(), &[]),
    }
}
