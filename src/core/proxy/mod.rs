//! The edge handler's decisions: what a request to the worker may do. Closed by default.
//!
//! Owns: the allowlist (exactly the rows of the API's route table, `core::api::ROUTES`:
//! anything else under an API path is 404, a known path with the wrong method 405, everything
//! else is the page's static assets), id checks on the *raw* path (no `..`, no
//! percent-encoding, only `[0-9A-Za-z_-]{1,64}`), the origin gate and CORS (an `Origin` must
//! be listed in `ALLOWED_ORIGINS` or be the worker's own; a request with no `Origin` passes
//! only when the browser marks it same-origin with `Sec-Fetch-Site`, or when
//! `ALLOW_NO_ORIGIN=1`), and the refusals' answers ([`Refusal`]). Beside it: the settings
//! (`config.rs`), what a forwarded request carries (`forward.rs`: headers, body caps, what
//! streams through, the token scrub) and the rate limit's policy (`limit.rs`).
//!
//! Does not own: I/O, the rate limit's counting (the platform's binding), the simulator.
//!
//! ```text
//!  request ─▶ OPTIONS? ─▶ preflight (204, or 403 for a refused origin/method)
//!          ─▶ not an API path ─▶ Assets
//!          ─▶ unknown API path 404 / wrong method 405 / bad id 400
//!          ─▶ origin refused 403 ─▶ body over cap 413 (411 without a length on upload)
//!          ─▶ Forward (rate limit checked by the shell before sending)
//! ```

mod config;
mod forward;
mod limit;

pub use config::{DEFAULT_MAX_JSON_BYTES, DEFAULT_RATE_LIMIT_PERIOD_S, ProxyConfig};
pub use forward::{
    FORWARDED_HEADERS, RETURNED_HEADERS, body_cap, check_body, forward_headers, scrub,
    streams_through,
};
pub use limit::{rate_limit_key, rate_limited, without_limiter};

use super::api::{CallKind, Lookup, Route, RouteId, is_api_path, is_valid_id, lookup};
use super::error::{ErrorKind, NemoError};

/// What the shell gives the decision.
#[derive(Clone, Copy, Debug, Default)]
pub struct Incoming<'a> {
    /// Method, upper case.
    pub method: &'a str,
    /// The raw path, exactly as sent (before any decoding).
    pub path: &'a str,
    /// The worker's own origin (scheme://host[:port]).
    pub self_origin: &'a str,
    /// `Origin`.
    pub origin: Option<&'a str>,
    /// `Sec-Fetch-Site`.
    pub fetch_site: Option<&'a str>,
    /// `Content-Length`.
    pub content_length: Option<u64>,
    /// `Access-Control-Request-Method` (preflight).
    pub preflight_method: Option<&'a str>,
}

/// A refusal: the status, a short code and a message for the JSON body, extra headers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: u16,
    /// A short code for the JSON body.
    pub code: &'static str,
    /// What was wrong (never holds a token).
    pub message: String,
    /// Extra headers (Allow, Retry-After, CORS).
    pub headers: Vec<(&'static str, String)>,
}

impl Refusal {
    /// A refusal with no extra headers.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// The upstream could not be reached.
    pub fn upstream_unreachable() -> Self {
        Refusal::new(
            502,
            "UPSTREAM_UNREACHABLE",
            "the video API could not be reached",
        )
    }

    /// A page path with no page (the worker has no `ASSETS` binding).
    pub fn no_page() -> Self {
        Refusal::new(404, "NOT_FOUND", "no page here")
    }

    /// The worker failed on this request (never a stack trace or a token).
    pub fn internal() -> Self {
        Refusal::new(500, "INTERNAL", "the worker failed on this request")
    }

    /// `NEMO_SIMULATE=1` in a build that carries no simulator.
    pub fn no_simulator() -> Self {
        Refusal::new(
            501,
            "NO_SIMULATOR",
            "this build has no simulator: use the sim-web output",
        )
    }

    /// `SIM_OPTIONS` could not be read.
    pub fn bad_simulator_options(err: &NemoError) -> Self {
        Refusal::new(
            500,
            "BAD_SIM_OPTIONS",
            format!("SIM_OPTIONS: {}", err.message),
        )
    }

    /// The simulator could not answer: the request's fault (unreadable) or its own.
    pub fn simulator_failed(err: &NemoError) -> Self {
        match err.kind {
            ErrorKind::Refused | ErrorKind::Protocol => {
                Refusal::new(400, "BAD_REQUEST", err.message.clone())
            }
            _ => Refusal::new(500, "SIMULATOR_FAILED", err.message.clone()),
        }
    }

    /// The JSON body: `{"code": <status>, "error": <code>, "message": ...}`.
    pub fn body(&self) -> String {
        serde_json::json!({"code": self.status, "error": self.code, "message": self.message})
            .to_string()
    }
}

/// What to do with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer a CORS preflight with 204 and these headers.
    Preflight(Vec<(&'static str, String)>),
    /// Not an API path: the page's static assets.
    Assets,
    /// Refuse.
    Refuse(Refusal),
    /// Forward to `url`.
    Forward {
        /// The upstream URL.
        url: String,
        /// The route's row.
        route: &'static Route,
        /// The cap for the body the shell reads or streams.
        max_body: u64,
        /// CORS headers for the response.
        cors: Vec<(&'static str, String)>,
    },
}

const ALLOW_HEADERS: &str = "Authorization, Content-Type, Accept, X-Client-Id, X-Skill-Source, X-Skill-Version, X-Skill-Platform";

fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> Decision {
    Decision::Refuse(Refusal::new(status, code, message))
}

/// Whether the request's origin may call the API; `Some(origin)` to echo in CORS headers.
fn origin_ok(cfg: &ProxyConfig, req: &Incoming<'_>) -> Result<Option<String>, Decision> {
    match req.origin {
        Some(o) => {
            let o = o.trim_end_matches('/');
            if o == req.self_origin || cfg.allowed_origins.iter().any(|a| a == o) {
                Ok((o != req.self_origin).then(|| o.to_owned()))
            } else {
                Err(refuse(
                    403,
                    "ORIGIN_REFUSED",
                    format!("origin {o} is not allowed"),
                ))
            }
        }
        None if req.fetch_site == Some("same-origin") || cfg.allow_no_origin => Ok(None),
        None => Err(refuse(
            403,
            "ORIGIN_REQUIRED",
            "requests must come from an allowed page (Origin missing)",
        )),
    }
}

fn cors_headers(origin: Option<&str>) -> Vec<(&'static str, String)> {
    match origin {
        Some(o) => vec![
            ("Access-Control-Allow-Origin", o.to_owned()),
            ("Vary", "Origin".to_owned()),
            (
                "Access-Control-Expose-Headers",
                "Retry-After, Content-Disposition".to_owned(),
            ),
        ],
        None => Vec::new(),
    }
}

/// Decides what to do with a request.
pub fn decide(cfg: &ProxyConfig, req: &Incoming<'_>) -> Decision {
    let path = req.path;
    if !is_api_path(path) {
        return if req.method == "GET" || req.method == "HEAD" {
            Decision::Assets
        } else {
            refuse(405, "METHOD_NOT_ALLOWED", "only GET and HEAD for pages")
        };
    }
    if req.method == "OPTIONS" {
        let origin = match origin_ok(cfg, req) {
            Ok(o) => o,
            Err(d) => return d,
        };
        let method = req.preflight_method.unwrap_or("");
        return match lookup(method, path) {
            Lookup::Found(..) => {
                let mut h = cors_headers(origin.as_deref());
                h.push((
                    "Access-Control-Allow-Methods",
                    "GET, POST, OPTIONS".to_owned(),
                ));
                h.push(("Access-Control-Allow-Headers", ALLOW_HEADERS.to_owned()));
                h.push(("Access-Control-Max-Age", "600".to_owned()));
                Decision::Preflight(h)
            }
            _ => refuse(403, "PREFLIGHT_REFUSED", "no such endpoint for that method"),
        };
    }
    let (route, ids) = match lookup(req.method, path) {
        Lookup::NotFound => return refuse(404, "NOT_FOUND", "not an endpoint of the API"),
        Lookup::WrongMethod(allowed) => {
            return Decision::Refuse(Refusal {
                headers: vec![("Allow", allowed.as_str().to_owned())],
                ..Refusal::new(
                    405,
                    "METHOD_NOT_ALLOWED",
                    format!("use {}", allowed.as_str()),
                )
            });
        }
        Lookup::Found(route, ids) => (route, ids),
    };
    if let Some(bad) = ids.into_iter().find(|id| !is_valid_id(id)) {
        let shown: String = bad.chars().take(70).collect();
        return refuse(
            400,
            "BAD_ID",
            format!("invalid id {shown:?}: expected 1-64 of [0-9A-Za-z_-]"),
        );
    }
    let origin = match origin_ok(cfg, req) {
        Ok(o) => o,
        Err(d) => return d,
    };
    if route.id == RouteId::AnonymousToken && cfg.has_token {
        // The server holds the token: the page must not mint anonymous ones.
        return refuse(
            404,
            "NOT_FOUND",
            "this proxy uses a server-side token; create the client with any token, e.g. { token: \"server\" }",
        );
    }
    let max_body = body_cap(cfg, route.kind);
    if req.method == "POST" {
        match req.content_length {
            Some(n) => {
                if let Err(r) = check_body(n, max_body) {
                    return Decision::Refuse(r);
                }
            }
            None if route.kind == CallKind::Upload => {
                return refuse(411, "LENGTH_REQUIRED", "uploads need a Content-Length");
            }
            None => {}
        }
    }
    Decision::Forward {
        url: format!("{}{path}", cfg.upstream),
        route,
        max_body,
        cors: cors_headers(origin.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::api::DEFAULT_BASE_URL;
    use crate::core::upload::MAX_UPLOAD_BYTES;

    fn cfg() -> ProxyConfig {
        ProxyConfig {
            allowed_origins: vec!["https://app.example".into()],
            ..ProxyConfig::default()
        }
    }

    fn req<'a>(method: &'a str, path: &'a str, origin: Option<&'a str>) -> Incoming<'a> {
        Incoming {
            method,
            path,
            self_origin: "https://proxy.example",
            origin,
            content_length: Some(10),
            ..Incoming::default()
        }
    }

    fn status(d: &Decision) -> u16 {
        match d {
            Decision::Refuse(r) => r.status,
            Decision::Preflight(_) => 204,
            Decision::Forward { .. } | Decision::Assets => 200,
        }
    }

    #[test]
    fn every_endpoint_of_the_api_is_forwarded() {
        let o = Some("https://app.example");
        for (m, p) in [
            ("POST", "/api/auth/anonymous-token"),
            ("POST", "/api/tasks/me/with-session/nemo_agent"),
            ("POST", "/run_sse"),
            (
                "POST",
                "/api/upload-video/nemo_agent/me/7350000000000000001",
            ),
            ("GET", "/api/credits/balance/simple"),
            ("GET", "/api/state/nemo_agent/me/7350000000000000001/latest"),
            ("POST", "/api/render/proxy/lambda"),
            ("GET", "/api/render/proxy/lambda/render_1"),
            ("POST", "/api/render/proxy/lambda/render_1/cancel"),
            ("GET", "/api/render/proxy/render_1/download"),
        ] {
            let d = decide(&cfg(), &req(m, p, o));
            let Decision::Forward { url, cors, .. } = d else {
                panic!("{m} {p}: {d:?}")
            };
            assert_eq!(url, format!("{DEFAULT_BASE_URL}{p}"));
            assert!(cors.contains(&("Access-Control-Allow-Origin", "https://app.example".into())));
        }
    }

    #[test]
    fn closed_by_default() {
        let closed = ProxyConfig::default();
        assert_eq!(
            status(&decide(
                &closed,
                &req(
                    "GET",
                    "/api/credits/balance/simple",
                    Some("https://app.example")
                )
            )),
            403
        );
        assert_eq!(
            status(&decide(
                &closed,
                &req("GET", "/api/credits/balance/simple", None)
            )),
            403
        );
        // The worker's own page is always allowed (same origin).
        assert_eq!(
            status(&decide(
                &closed,
                &req(
                    "GET",
                    "/api/credits/balance/simple",
                    Some("https://proxy.example")
                )
            )),
            200
        );
        let same = Incoming {
            fetch_site: Some("same-origin"),
            ..req("GET", "/api/credits/balance/simple", None)
        };
        assert_eq!(status(&decide(&closed, &same)), 200);
        let cross = Incoming {
            fetch_site: Some("cross-site"),
            ..req("GET", "/api/credits/balance/simple", None)
        };
        assert_eq!(status(&decide(&closed, &cross)), 403);
        let open = ProxyConfig {
            allow_no_origin: true,
            ..ProxyConfig::default()
        };
        assert_eq!(
            status(&decide(
                &open,
                &req("GET", "/api/credits/balance/simple", None)
            )),
            200
        );
    }

    #[test]
    fn unknown_paths_methods_and_ids() {
        let o = Some("https://app.example");
        assert_eq!(status(&decide(&cfg(), &req("GET", "/api/admin", o))), 404);
        assert_eq!(status(&decide(&cfg(), &req("GET", "/run_sse", o))), 405);
        assert_eq!(
            status(&decide(
                &cfg(),
                &req("DELETE", "/api/credits/balance/simple", o)
            )),
            405
        );
        assert_eq!(status(&decide(&cfg(), &req("POST", "/", o))), 405);
        assert_eq!(
            decide(&cfg(), &req("GET", "/index.html", None)),
            Decision::Assets
        );
        for bad in [
            "/api/state/nemo_agent/me/..%2F..%2Fx/latest",
            "/api/state/nemo_agent/me/%2e%2e/latest",
            "/api/state/nemo_agent/me/a%2Fb/latest",
            "/api/render/proxy/lambda/render_1%00",
            "/api/render/proxy/@evil.com/download",
        ] {
            assert_eq!(status(&decide(&cfg(), &req("GET", bad, o))), 400, "{bad}");
        }
        assert_eq!(
            status(&decide(
                &cfg(),
                &req("GET", "/api/state/nemo_agent/me/../../x/latest", o)
            )),
            404
        );
        assert_eq!(
            status(&decide(
                &cfg(),
                &req("GET", "/api//credits/balance/simple", o)
            )),
            404
        );
    }

    #[test]
    fn body_caps() {
        let o = Some("https://app.example");
        let big = Incoming {
            content_length: Some(DEFAULT_MAX_JSON_BYTES + 1),
            ..req("POST", "/run_sse", o)
        };
        assert_eq!(status(&decide(&cfg(), &big)), 413);
        let upload = Incoming {
            content_length: Some(MAX_UPLOAD_BYTES + 1),
            ..req("POST", "/api/upload-video/nemo_agent/me/1", o)
        };
        assert_eq!(status(&decide(&cfg(), &upload)), 413);
        let lower = ProxyConfig {
            max_upload_bytes: 1000,
            ..cfg()
        };
        let small = Incoming {
            content_length: Some(1001),
            ..req("POST", "/api/upload-video/nemo_agent/me/1", o)
        };
        assert_eq!(status(&decide(&lower, &small)), 413);
        let no_len = Incoming {
            content_length: None,
            ..req("POST", "/api/upload-video/nemo_agent/me/1", o)
        };
        assert_eq!(status(&decide(&cfg(), &no_len)), 411);
    }

    #[test]
    fn preflight() {
        let ok = Incoming {
            preflight_method: Some("POST"),
            ..req("OPTIONS", "/run_sse", Some("https://app.example"))
        };
        let Decision::Preflight(h) = decide(&cfg(), &ok) else {
            panic!()
        };
        assert!(
            h.iter()
                .any(|(k, v)| *k == "Access-Control-Allow-Headers" && v.contains("X-Client-Id"))
        );
        let foreign = Incoming {
            preflight_method: Some("POST"),
            ..req("OPTIONS", "/run_sse", Some("https://evil.example"))
        };
        assert_eq!(status(&decide(&cfg(), &foreign)), 403);
        let wrong = Incoming {
            preflight_method: Some("GET"),
            ..req("OPTIONS", "/run_sse", Some("https://app.example"))
        };
        assert_eq!(status(&decide(&cfg(), &wrong)), 403);
    }

    #[test]
    fn anonymous_tokens_closed_with_a_server_token() {
        let with_token = ProxyConfig {
            has_token: true,
            ..cfg()
        };
        assert_eq!(
            status(&decide(
                &with_token,
                &req(
                    "POST",
                    "/api/auth/anonymous-token",
                    Some("https://app.example")
                )
            )),
            404
        );
    }
}
