//! The edge handler's decisions: what a request to the worker may do. Closed by default.
//!
//! Owns: the allowlist (exactly the rows of the API's route table, `core::api::ROUTES`:
//! anything else under an API path is 404, a known path with the wrong method 405, everything
//! else is the page's static assets), id checks on the *raw* path (no `..`, no
//! percent-encoding, only `[0-9A-Za-z_-]{1,64}`), the host and origin gates and CORS (an
//! `Origin` must be listed in `ALLOWED_ORIGINS` or be the worker's own; a request with no
//! `Origin` passes only when the browser marks it same-origin with `Sec-Fetch-Site`, or when
//! `ALLOW_NO_ORIGIN=1`; once the origin passed, every refusal carries the CORS headers so the
//! page can read it), and the refusals' answers ([`Refusal`]). Beside it: the settings and the
//! mode (`config.rs`), what a forwarded request carries and how its answer passes back
//! (`forward.rs`), the rate limit's keys (`limit.rs`), server-token mode's visitors and their
//! guards (`visitor.rs`) and ledger (`ledger.rs`), the token scrub (`scrub.rs`), and the
//! headers of every answer (`headers.rs`).
//!
//! Does not own: I/O, the rate limit's counting (the platform's bindings), the ledger's
//! storage (a Durable Object), the simulator.
//!
//! ```text
//!  request ─▶ Host not allowed 403
//!          ─▶ GET /config.json ─▶ Config (the mode; a visitor cookie in server-token mode)
//!          ─▶ not an API path ─▶ Assets (GET/HEAD, with the page's security headers)
//!          ─▶ misconfigured 500
//!          ─▶ OPTIONS? ─▶ preflight (204, or 403 for a refused origin/method)
//!          ─▶ origin refused 403
//!          ─▶ (CORS from here on) unknown API path 404 / wrong method 405 / bad id 400
//!          ─▶ body over cap 413 (411 without a length on upload)
//!          ─▶ Forward (the shell then: rate limit, visitor guards, upstream)
//! ```

mod config;
mod forward;
mod headers;
pub mod ledger;
mod limit;
mod scrub;
pub mod visitor;

pub use config::{
    DEFAULT_DAILY_CHAT_TURNS, DEFAULT_DAILY_EXPORTS, DEFAULT_MAX_JSON_BYTES,
    DEFAULT_RATE_LIMIT_PERIOD_S, MIN_VISITOR_SECRET_BYTES, Mode, ProxyConfig, server_token,
};
pub use forward::{
    DRAIN_REFUSED_BYTES, FORWARDED_HEADERS, PassBack, RETURNED_HEADERS, body_cap, check_body,
    forward_headers, pass_back,
};
pub use headers::{CONFIG_PATH, CONTENT_SECURITY_POLICY, api_headers, config_answer, page_headers};
pub use limit::{GLOBAL_KEY, address_key, rate_limit_keys, rate_limited, without_limiter};
pub use scrub::{Scrubber, scrub};

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
    /// The `Host` the request was sent to (host[:port], as in the URL).
    pub host: &'a str,
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
    /// The `code` of the body when it is the API's own (1002: a session this visitor does
    /// not have), instead of the HTTP status.
    pub api_code: Option<i64>,
    /// ADK's `{"detail": ...}` body instead (the chat's 404 `Session not found`).
    pub detail: Option<String>,
}

impl Refusal {
    /// A refusal with no extra headers.
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
            headers: Vec::new(),
            api_code: None,
            detail: None,
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

    /// The API is refused while the configuration is wrong (the problems never hold a secret).
    pub fn misconfigured(problems: &[String]) -> Self {
        Refusal::new(
            500,
            "MISCONFIGURED",
            format!("the worker is misconfigured: {}", problems.join("; ")),
        )
    }

    /// A server-token request without a valid visitor cookie.
    pub fn no_visitor() -> Self {
        Refusal::new(
            401,
            "VISITOR_REQUIRED",
            "no visitor identity: load the page first (GET /config.json gives one)",
        )
    }

    /// A body over its cap.
    pub fn too_large(max_body: u64) -> Self {
        Refusal::new(
            413,
            "BODY_TOO_LARGE",
            format!("the body is over {max_body} bytes"),
        )
    }

    /// The JSON body: `{"code": <status>, "error": <code>, "message": ...}`, or ADK's
    /// `{"detail": ...}` where the client knows that form.
    pub fn body(&self) -> String {
        match &self.detail {
            Some(d) => serde_json::json!({ "detail": d }),
            None => serde_json::json!({
                "code": self.api_code.unwrap_or(self.status.into()),
                "error": self.code,
                "message": self.message,
            }),
        }
        .to_string()
    }

    /// This refusal with the CORS headers of an allowed origin.
    pub fn with_cors(mut self, cors: &[(&'static str, String)]) -> Self {
        self.headers.extend(cors.iter().cloned());
        self
    }
}

/// What to do with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer a CORS preflight with 204 and these headers.
    Preflight(Vec<(&'static str, String)>),
    /// Not an API path: the page's static assets.
    Assets,
    /// The page's config answer ([`CONFIG_PATH`]).
    Config,
    /// Refuse.
    Refuse(Refusal),
    /// Forward to `url`.
    Forward {
        /// The upstream URL.
        url: String,
        /// The route's row.
        route: &'static Route,
        /// The ids in the path (checked).
        ids: Vec<String>,
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
    let host = req.host.to_ascii_lowercase();
    if !cfg.allowed_hosts.is_empty() && !cfg.allowed_hosts.contains(&host) {
        return refuse(403, "HOST_REFUSED", "this host is not served here");
    }
    if path == CONFIG_PATH && (req.method == "GET" || req.method == "HEAD") {
        return Decision::Config;
    }
    if !is_api_path(path) {
        return if req.method == "GET" || req.method == "HEAD" {
            Decision::Assets
        } else {
            refuse(405, "METHOD_NOT_ALLOWED", "only GET and HEAD for pages")
        };
    }
    if !cfg.problems.is_empty() {
        return Decision::Refuse(Refusal::misconfigured(&cfg.problems));
    }
    let origin = match origin_ok(cfg, req) {
        Ok(o) => o,
        Err(d) => return d,
    };
    let cors = cors_headers(origin.as_deref());
    let refuse_cors = |r: Refusal| Decision::Refuse(r.with_cors(&cors));
    if req.method == "OPTIONS" {
        let method = req.preflight_method.unwrap_or("");
        return match lookup(method, path) {
            Lookup::Found(..) => {
                let mut h = cors.clone();
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
        Lookup::NotFound => {
            return refuse_cors(Refusal::new(404, "NOT_FOUND", "not an endpoint of the API"));
        }
        Lookup::WrongMethod(allowed) => {
            return refuse_cors(Refusal {
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
    if let Some(bad) = ids.iter().find(|id| !is_valid_id(id)) {
        let shown: String = bad.chars().take(70).collect();
        return refuse_cors(Refusal::new(
            400,
            "BAD_ID",
            format!("invalid id {shown:?}: expected 1-64 of [0-9A-Za-z_-]"),
        ));
    }
    if route.id == RouteId::AnonymousToken && cfg.mode == Mode::ServerToken {
        // The server holds the token: the page must not mint anonymous ones.
        return refuse_cors(Refusal::new(
            404,
            "NOT_FOUND",
            "this proxy holds the API token: create the client with { serverToken: true }",
        ));
    }
    let max_body = body_cap(cfg, route.kind);
    if req.method == "POST" {
        match req.content_length {
            Some(n) => {
                if let Err(r) = check_body(n, max_body) {
                    return refuse_cors(r);
                }
            }
            None if route.kind == CallKind::Upload => {
                return refuse_cors(Refusal::new(
                    411,
                    "LENGTH_REQUIRED",
                    "uploads need a Content-Length",
                ));
            }
            None => {}
        }
    }
    Decision::Forward {
        url: format!("{}{path}", cfg.upstream),
        route,
        ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        max_body,
        cors,
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
            Decision::Forward { .. } | Decision::Assets | Decision::Config => 200,
        }
    }

    #[test]
    fn a_path_without_its_leading_slash_is_never_forwarded() {
        // Found by the `proxy` fuzz target's property (a forwarded request goes exactly to the
        // upstream plus a route's path), with a relative path in its corpus
        // (fuzz/corpus/proxy/crash-relative-path): "run_sse" matched the chat's row and went to
        // "https://mega-api-prod.nemovideo.airun_sse", another host. The shell passes
        // `URL.pathname`, which always starts with "/"; the decision must not depend on it.
        let o = Some("https://app.example");
        for (m, p) in [
            ("POST", "run_sse"),
            ("GET", "api/credits/balance/simple"),
            ("GET", ".example.org/api/credits/balance/simple"),
            ("POST", ""),
        ] {
            let d = decide(&cfg(), &req(m, p, o));
            assert!(!matches!(d, Decision::Forward { .. }), "{m} {p:?}: {d:?}");
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
            mode: Mode::ServerToken,
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

    fn headers(d: &Decision) -> Vec<(&'static str, String)> {
        match d {
            Decision::Refuse(r) => r.headers.clone(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn refusals_after_the_origin_gate_carry_cors() {
        let o = Some("https://app.example");
        let big = Incoming {
            content_length: Some(DEFAULT_MAX_JSON_BYTES + 1),
            ..req("POST", "/run_sse", o)
        };
        for d in [
            decide(&cfg(), &req("GET", "/api/admin", o)),
            decide(&cfg(), &req("GET", "/run_sse", o)),
            decide(&cfg(), &req("GET", "/api/render/proxy/lambda/a%2Fb", o)),
            decide(&cfg(), &big),
        ] {
            assert!(
                headers(&d)
                    .contains(&("Access-Control-Allow-Origin", "https://app.example".into())),
                "{d:?}"
            );
        }
        // A refused origin learns nothing: no CORS, and 403 before the path is looked at.
        let foreign = decide(
            &cfg(),
            &req("GET", "/api/admin", Some("https://evil.example")),
        );
        assert_eq!(status(&foreign), 403);
        assert!(headers(&foreign).is_empty());
    }

    #[test]
    fn hosts_config_and_misconfiguration() {
        let hosts = ProxyConfig {
            allowed_hosts: vec!["proxy.example".into()],
            ..cfg()
        };
        let on = |host| Incoming {
            host,
            ..req("GET", "/index.html", None)
        };
        assert_eq!(decide(&hosts, &on("Proxy.Example")), Decision::Assets);
        assert_eq!(status(&decide(&hosts, &on("rebound.example"))), 403);
        assert_eq!(
            decide(&cfg(), &req("GET", CONFIG_PATH, None)),
            Decision::Config
        );
        let broken = ProxyConfig {
            problems: vec!["NEMO_API_BASE must be an https URL".into()],
            ..cfg()
        };
        let d = decide(
            &broken,
            &req(
                "GET",
                "/api/credits/balance/simple",
                Some("https://app.example"),
            ),
        );
        assert_eq!(status(&d), 500);
        assert_eq!(decide(&broken, &req("GET", "/", None)), Decision::Assets);
    }
}
