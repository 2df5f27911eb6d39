//! `handleWorkerRequest(request, env, ctx)`: the Cloudflare-Worker-style edge handler.
//!
//! Moves bytes only; the decisions are `core::proxy`'s. Modes, from `env`:
//!
//! - **proxy** (default): the endpoints of API.md forwarded to `NEMO_API_BASE` (default the
//!   real API) with the attribution headers, `NEMO_TOKEN` injected when set, `/run_sse` and
//!   uploads streamed through unbuffered, JSON answers passed back with their status (and the
//!   server token scrubbed should an upstream echo it), closed by default (see `core::proxy`),
//!   a per-client budget enforced by the platform's rate-limiting binding `RATE_LIMITER`.
//! - **simulator** (`NEMO_SIMULATE=1`): the built-in simulator answers the same paths (one per
//!   isolate: a demo, not a service); `SIM_OPTIONS` (JSON) tunes it. Only in builds with the
//!   `simulator` feature.
//!
//! Everything else (the page) is served from the `ASSETS` binding.

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise};
use web_sys::{Request, Response, ResponseInit};

use crate::core::proxy::{self, Decision, Incoming, ProxyConfig, RETURNED_HEADERS, RouteKind};
use crate::web::host;

fn env_str(env: &JsValue, name: &str) -> Option<String> {
    host::get(env, name).as_string().filter(|s| !s.is_empty())
}

fn json_response(status: u16, body: &str, headers: &[(&str, String)]) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(status);
    let h = Object::new();
    host::set(&h, "content-type", &JsValue::from_str("application/json"));
    for (k, v) in headers {
        host::set(&h, k, &JsValue::from_str(v));
    }
    init.set_headers(&h);
    Response::new_with_opt_str_and_init(Some(body), &init)
}

fn refusal(
    status: u16,
    code: &str,
    message: &str,
    headers: &[(&str, String)],
) -> Result<Response, JsValue> {
    let body = serde_json::json!({"code": status, "error": code, "message": message}).to_string();
    json_response(status, &body, headers)
}

fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
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

async fn rate_limited(
    env: &JsValue,
    req: &Request,
    simulate: bool,
) -> Result<Option<Response>, JsValue> {
    let limiter = host::get(env, "RATE_LIMITER");
    let limit: Option<Function> = host::get(&limiter, "limit").dyn_into().ok();
    let Some(limit) = limit else {
        return match proxy::without_limiter(simulate, env_str(env, "RATE_LIMIT").as_deref()) {
            proxy::NoLimiter::Allow => Ok(None),
            proxy::NoLimiter::Refuse => refusal(
                500,
                "NO_RATE_LIMITER",
                "the RATE_LIMITER binding is missing (or set RATE_LIMIT=off)",
                &[],
            )
            .map(Some),
        };
    };
    let key = proxy::rate_limit_key(
        header(req, "cf-connecting-ip").as_deref(),
        header(req, "x-client-id").as_deref(),
    );
    let outcome = JsFuture::from(Promise::resolve(
        &limit.call1(&limiter, &host::object(&[("key", JsValue::from_str(&key))]))?,
    ))
    .await?;
    if host::get(&outcome, "success").as_bool() == Some(false) {
        let period = env_str(env, "RATE_LIMIT_PERIOD").unwrap_or_else(|| "60".to_owned());
        return refusal(
            429,
            "RATE_LIMITED",
            "too many requests from this client",
            &[("retry-after", period)],
        )
        .map(Some);
    }
    Ok(None)
}

async fn forward(
    cfg: &ProxyConfig,
    env: &JsValue,
    req: &Request,
    url: &str,
    kind: RouteKind,
    max_body: u64,
    cors: &[(&'static str, String)],
) -> Result<Response, JsValue> {
    let token = env_str(env, "NEMO_TOKEN");
    let mut incoming = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&req.headers()) {
        for pair in iter.flatten() {
            let pair: js_sys::Array = pair.unchecked_into();
            incoming.push((
                pair.get(0).as_string().unwrap_or_default(),
                pair.get(1).as_string().unwrap_or_default(),
            ));
        }
    }
    let headers = Object::new();
    for (k, v) in proxy::forward_headers(cfg, &incoming, token.as_deref()) {
        host::set(&headers, &k, &JsValue::from_str(&v));
    }
    let init = host::object(&[
        ("method", JsValue::from_str(&req.method())),
        ("headers", headers.into()),
    ]);
    if req.method() == "POST" {
        if kind == RouteKind::Upload {
            // Streamed through; its Content-Length was checked against the cap.
            if let Some(body) = req.body() {
                host::set(&init, "body", &body);
            }
        } else {
            let text = JsFuture::from(req.text()?)
                .await?
                .as_string()
                .unwrap_or_default();
            if text.len() as u64 > max_body {
                return refusal(
                    413,
                    "BODY_TOO_LARGE",
                    &format!("at most {max_body} bytes"),
                    cors,
                );
            }
            host::set(&init, "body", &JsValue::from_str(&text));
        }
    }
    let fetch = host::global_fn("fetch").ok_or_else(|| JsValue::from_str("no fetch"))?;
    let upstream = match JsFuture::from(Promise::resolve(&fetch.call2(
        &JsValue::UNDEFINED,
        &JsValue::from_str(url),
        &init,
    )?))
    .await
    {
        Ok(r) => r.unchecked_into::<Response>(),
        Err(_) => {
            return refusal(
                502,
                "UPSTREAM_UNREACHABLE",
                "the video API could not be reached",
                cors,
            );
        }
    };
    let content_type = upstream
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .unwrap_or_default();
    if proxy::streams_through(kind, &content_type) {
        // Not buffered: each chunk reaches the browser as it arrives.
        let body = upstream.body().map(JsValue::from);
        return passthrough(&upstream, body.as_ref(), None, cors);
    }
    let text = JsFuture::from(upstream.text()?)
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

#[cfg(feature = "simulator")]
mod simulated {
    use std::cell::RefCell;
    use std::rc::Rc;

    use wasm_bindgen::JsValue;
    use web_sys::{Request, Response};

    use crate::js::sim::{read_options, read_request, response};
    use crate::sim::Simulator;

    thread_local! {
        static SIM: RefCell<Option<Rc<RefCell<Simulator>>>> = const { RefCell::new(None) };
    }

    fn instance(env: &JsValue) -> Result<Rc<RefCell<Simulator>>, JsValue> {
        if let Some(s) = SIM.with(|s| s.borrow().clone()) {
            return Ok(s);
        }
        let opts = match super::env_str(env, "SIM_OPTIONS") {
            Some(json) => js_sys::JSON::parse(&json)
                .map_err(|_| JsValue::from_str("SIM_OPTIONS is not JSON"))?,
            None => JsValue::UNDEFINED,
        };
        let sim = Rc::new(RefCell::new(Simulator::new(
            read_options(&opts).map_err(|e| crate::js::error::to_js(&e))?,
        )));
        SIM.with(|s| *s.borrow_mut() = Some(sim.clone()));
        Ok(sim)
    }

    pub async fn answer(
        env: &JsValue,
        req: &Request,
        cors: &[(&'static str, String)],
    ) -> Result<Response, JsValue> {
        let sim = instance(env)?;
        let (sreq, signal) = read_request(req.as_ref(), &JsValue::UNDEFINED)
            .await
            .map_err(|e| crate::js::error::to_js(&e))?;
        let resp = sim.borrow_mut().handle(&sreq);
        let index = sim.borrow().log().len() - 1;
        let s2 = sim.clone();
        let r = response(
            resp,
            signal,
            Rc::new(move || s2.borrow_mut().mark_aborted(index)),
        )?;
        for (k, v) in cors {
            let _ = r.headers().set(k, v);
        }
        Ok(r)
    }
}

async fn handle(request: Request, env: JsValue) -> Result<Response, JsValue> {
    let url = web_sys::Url::new(&request.url())?;
    let cfg = ProxyConfig::from_env(|k| env_str(&env, k));
    let simulate = env_str(&env, "NEMO_SIMULATE").as_deref() == Some("1");
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
        Decision::Assets => {
            let assets = host::get(&env, "ASSETS");
            match host::get(&assets, "fetch").dyn_into::<Function>() {
                Ok(f) => Ok(
                    JsFuture::from(Promise::resolve(&f.call1(&assets, &request)?))
                        .await?
                        .unchecked_into(),
                ),
                Err(_) => refusal(404, "NOT_FOUND", "no page here", &[]),
            }
        }
        Decision::Refuse {
            status,
            code,
            message,
            headers,
        } => refusal(status, code, &message, &headers),
        Decision::Preflight(headers) => {
            let r = json_response(204, "", &headers)?;
            let _ = r.headers().delete("content-type");
            Ok(r)
        }
        Decision::Forward {
            url: upstream,
            kind,
            max_body,
            cors,
        } => {
            if let Some(r) = rate_limited(&env, &request, simulate).await? {
                return Ok(r);
            }
            if simulate {
                #[cfg(feature = "simulator")]
                return simulated::answer(&env, &request, &cors).await;
                #[cfg(not(feature = "simulator"))]
                return refusal(
                    501,
                    "NO_SIMULATOR",
                    "this build has no simulator: use the sim-web output",
                    &cors,
                );
            }
            forward(&cfg, &env, &request, &upstream, kind, max_body, &cors).await
        }
    }
}

/// The worker's `fetch` handler: `export default { fetch: handleWorkerRequest }`.
#[wasm_bindgen(js_name = handleWorkerRequest, unchecked_return_type = "Promise<Response>")]
pub fn handle_worker_request(request: Request, env: JsValue, ctx: JsValue) -> Promise {
    let _ = ctx;
    future_to_promise(async move {
        match handle(request, env).await {
            Ok(r) => Ok(r.into()),
            // Never a stack trace or a token: a plain 500.
            Err(_) => {
                refusal(500, "INTERNAL", "the worker failed on this request", &[]).map(Into::into)
            }
        }
    })
}
