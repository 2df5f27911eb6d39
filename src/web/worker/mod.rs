//! The edge handler's I/O: a worker request in, a `Response` out. Moves bytes only; every
//! decision is `core::proxy`'s.
//!
//! Owns: reading the request (method, raw path, host, the headers the decision needs),
//! serving the page from the `ASSETS` binding with its security headers, the page's config
//! answer (and in server-token mode the visitor cookie, `visitor.rs`), asking the platform's
//! rate-limiting bindings (`limit.rs`) and the ledger (`visitor.rs`), and forwarding
//! (`upstream.rs`: the body counted against its cap as it streams, the module's one `fetch`
//! path, redirects never followed, the answer streamed or read whole and scrubbed of the
//! server token, `streams.rs` moving the chunks). In simulator mode the built-in simulator
//! answers instead (`simulator`: `simulated.rs` in builds with the `simulator` feature,
//! `unsimulated.rs` otherwise, chosen here at the module list; the deployable worker's build
//! carries none).
//!
//! Modes, from the environment (`core::proxy::ProxyConfig`): anonymous (each visitor's own
//! anonymous token through the proxy), server token (`NEMO_TOKEN`: the operator pays, the
//! worker keeps visitors apart), simulator (`NEMO_SIMULATE=1`, demo builds only).

mod limit;
#[cfg_attr(feature = "simulator", path = "simulated.rs")]
#[cfg_attr(not(feature = "simulator"), path = "unsimulated.rs")]
mod simulator;
mod streams;
mod upstream;
mod visitor;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, Response, ResponseInit};

use super::host;
use super::http::BodyReader;
use crate::core::api::Route;
use crate::core::proxy::visitor as guards;
use crate::core::proxy::{self, Decision, Incoming, Mode, ProxyConfig, Refusal};

/// A string variable of the environment (empty reads as unset).
fn env_str(env: &JsValue, name: &str) -> Option<String> {
    host::get(env, name).as_string().filter(|s| !s.is_empty())
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

fn header_of(resp: &Response, name: &str) -> Option<String> {
    resp.headers().get(name).ok().flatten()
}

async fn settle(p: Result<JsValue, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(Promise::resolve(&p?)).await
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

/// A refusal as its JSON answer, with `extra` headers (CORS, the API headers) besides its own.
fn refusal(r: &Refusal, extra: &[(&'static str, String)]) -> Result<Response, JsValue> {
    let mut headers = vec![("content-type", "application/json".to_owned())];
    headers.extend(r.headers.iter().cloned());
    headers.extend(extra.iter().cloned());
    respond(r.status, Some(&r.body()), &headers)
}

/// The same answer with `headers` set (a fetched answer's own headers cannot be changed).
fn with_headers(resp: Response, headers: &[(&str, String)]) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(resp.status());
    init.set_status_text(&resp.status_text());
    let h = Headers::new_with_headers(&resp.headers())?;
    for (k, v) in headers {
        h.set(k, v)?;
    }
    init.set_headers(&h);
    Response::new_with_opt_readable_stream_and_init(resp.body().as_ref(), &init)
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

/// Serves the page from the `ASSETS` binding, with the page's security headers.
async fn assets(env: &JsValue, request: &Request) -> Result<Response, JsValue> {
    let assets = host::get(env, "ASSETS");
    match host::get(&assets, "fetch").dyn_into::<Function>() {
        Ok(f) => {
            let resp: Response = settle(f.call1(&assets, request)).await?.unchecked_into();
            with_headers(resp, &proxy::page_headers())
        }
        Err(_) => refusal(&Refusal::no_page(), &proxy::page_headers()),
    }
}

/// The visitor secret, in server-token mode.
fn secret(cfg: &ProxyConfig, env: &JsValue) -> Option<String> {
    (cfg.mode == Mode::ServerToken)
        .then(|| env_str(env, "VISITOR_SECRET"))
        .flatten()
}

/// The page's config answer; in server-token mode it also gives a new visitor its cookie.
async fn config(cfg: &ProxyConfig, env: &JsValue, req: &Request) -> Result<Response, JsValue> {
    let mut headers = proxy::api_headers();
    headers.push(("content-type", "application/json".to_owned()));
    if let Some(secret) = secret(cfg, env)
        && guards::verify(&secret, header(req, "cookie").as_deref()).is_none()
    {
        // Minting identities is rate limited like any call: a fresh cookie is no fresh budget.
        if let Some(r) = limit::check(cfg, env, req, None).await? {
            return refusal(&r, &headers);
        }
        headers.push(("Set-Cookie", visitor::issue(&secret).1));
    }
    respond(200, Some(&proxy::config_answer(cfg)), &headers)
}

/// Where an allowed request goes, as the decision said.
struct Target<'a> {
    url: &'a str,
    route: &'static Route,
    ids: &'a [String],
    max_body: u64,
    /// CORS and the API headers, for every answer.
    extra: &'a [(&'static str, String)],
}

/// An allowed API request: visitor, rate limit, body, guards, then the upstream (or the
/// simulator).
async fn forward(
    cfg: &ProxyConfig,
    env: &JsValue,
    req: &Request,
    to: Target<'_>,
) -> Result<Response, JsValue> {
    let Target {
        url,
        route,
        ids,
        max_body,
        extra,
    } = to;
    let visitor = match secret(cfg, env) {
        Some(secret) => match guards::verify(&secret, header(req, "cookie").as_deref()) {
            Some(v) => Some(v),
            None => return refusal(&Refusal::no_visitor(), extra),
        },
        None => None,
    };
    if let Some(r) = limit::check(cfg, env, req, visitor.as_deref()).await? {
        return refusal(&r, extra);
    }
    if cfg.simulate() {
        return simulator::answer(env, req, extra).await;
    }
    let body = match upstream::body(req, route.kind, max_body).await? {
        Ok(b) => b,
        Err(r) => return refusal(&r, extra),
    };
    let ledger = host::get(env, visitor::LEDGER_BINDING);
    if let Some(v) = &visitor {
        if !ledger.is_object() {
            let missing = ["the LEDGER Durable Object binding is missing".to_owned()];
            return refusal(&Refusal::misconfigured(&missing), extra);
        }
        let json = match &body {
            upstream::Body::Text(t) => serde_json::from_str(t).ok(),
            _ => None,
        };
        let path_ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let checks = match guards::guards(route.id, &path_ids, json.as_ref()) {
            Ok(g) => g,
            Err(r) => return refusal(&r, extra),
        };
        if let Some(r) = visitor::check(cfg, &ledger, v, route.id, &checks).await? {
            return refusal(&r, extra);
        }
    }
    let raw_token = env_str(env, "NEMO_TOKEN");
    // Checked by the configuration: a token that is not a header value is a problem there.
    let token = proxy::server_token(raw_token.as_deref()).unwrap_or(None);
    let headers = proxy::forward_headers(cfg, &request_headers(req), token);
    let answer = match upstream::ask(url, &req.method(), &headers, body).await? {
        Ok(a) => a,
        Err(r) => return refusal(&r, extra),
    };
    let passed = match upstream::pass_back(&answer, route.kind, token, extra).await? {
        Ok(p) => p,
        Err(r) => return refusal(&r, extra),
    };
    if let (Some(v), Some(text)) = (&visitor, &passed.text)
        && let Some(claim) = guards::after_answer(route.id, answer.status(), text)
    {
        visitor::check(cfg, &ledger, v, route.id, &[claim]).await?;
    }
    Ok(passed.response)
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
    let (path, self_origin, host_name) = (url.pathname(), url.origin(), url.host());
    let incoming = Incoming {
        method: &method,
        path: &path,
        self_origin: &self_origin,
        origin: origin.as_deref(),
        fetch_site: fetch_site.as_deref(),
        content_length: header(&request, "content-length").and_then(|v| v.trim().parse().ok()),
        preflight_method: preflight.as_deref(),
        host: &host_name,
    };
    let api = proxy::api_headers();
    match proxy::decide(&cfg, &incoming) {
        Decision::Assets => assets(&env, &request).await,
        Decision::Config => config(&cfg, &env, &request).await,
        Decision::Refuse(r) => refusal(&r, &api),
        Decision::Preflight(mut headers) => {
            headers.extend(api);
            respond(204, None, &headers)
        }
        Decision::Forward {
            url: upstream,
            route,
            ids,
            max_body,
            mut cors,
        } => {
            cors.extend(api);
            let to = Target {
                url: &upstream,
                route,
                ids: &ids,
                max_body,
                extra: &cors,
            };
            forward(&cfg, &env, &request, to).await
        }
    }
}

/// Tells the operator's log why a request failed: the error's message, scrubbed of the
/// server token (never a header, never a body).
fn log_failure(env: &JsValue, err: &JsValue) {
    let message = host::get(err, "message")
        .as_string()
        .or_else(|| err.as_string())
        .unwrap_or_default();
    let token = env_str(env, "NEMO_TOKEN");
    let line = proxy::scrub(&message, token.as_deref().map(str::trim));
    let console = host::get(&host::global(), "console");
    if let Ok(error) = host::get(&console, "error").dyn_into::<Function>() {
        let _ = error.call1(
            &console,
            &JsValue::from_str(&format!("nemo-video worker: {line}")),
        );
    }
}

/// Answers one worker request. A failure inside is a plain 500 (never a stack trace or a
/// token) and a line in the operator's log; only a runtime that cannot make a `Response` at
/// all rejects.
pub(crate) async fn respond_to(request: Request, env: JsValue) -> Result<Response, JsValue> {
    // The same JS object (`Clone::clone`), not the Fetch API's `request.clone()`, which tees the body.
    let answer = match handle(Clone::clone(&request), env.clone()).await {
        Ok(r) => Ok(r),
        Err(e) => {
            log_failure(&env, &e);
            refusal(&Refusal::internal(), &proxy::api_headers())
        }
    };
    // A body nothing read (a refusal before forwarding): read and dropped, bounded, so that a
    // caller still sending gets the answer rather than a reset connection.
    if !request.body_used() {
        upstream::drain(&mut BodyReader::of(request.body())).await;
    }
    answer
}
