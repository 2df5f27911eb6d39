//! The edge handler's decisions: what a request to the worker may do. Closed by default.
//!
//! Owns: the route allowlist (exactly the endpoints of API.md; anything else under `/api/` or
//! `/run_sse` is 404, a known path with the wrong method 405, everything else is the page's
//! static assets), id checks on the *raw* path (no `..`, no percent-encoding, only
//! `[0-9A-Za-z_-]{1,64}`), the origin gate and CORS (an `Origin` must be listed in
//! `ALLOWED_ORIGINS` or be the worker's own; a request with no `Origin` passes only when the
//! browser marks it same-origin with `Sec-Fetch-Site`, or when `ALLOW_NO_ORIGIN=1`), body caps
//! (chat and other JSON small; uploads at 500 MB or a lower configured cap), the request
//! headers forwarded (a fixed list; cookies and the rest are dropped), the attribution headers
//! added when missing, and the token injected when `NEMO_TOKEN` is set.
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

use super::api::{DEFAULT_BASE_URL, DEFAULT_PLATFORM, DEFAULT_SKILL_SOURCE, is_valid_id};
use super::upload::MAX_UPLOAD_BYTES;

/// Largest JSON body forwarded (chat messages, exports with their draft).
pub const DEFAULT_MAX_JSON_BYTES: u64 = 1024 * 1024;

/// The worker's configuration, from its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConfig {
    /// Origins allowed to call (exact, e.g. `https://app.example`).
    pub allowed_origins: Vec<String>,
    /// Accept requests without `Origin` or `Sec-Fetch-Site` (server-to-server callers).
    pub allow_no_origin: bool,
    /// The API to forward to, no trailing slash.
    pub upstream: String,
    /// A server-side token is configured (its value never enters this module).
    pub has_token: bool,
    /// JSON body cap.
    pub max_json_bytes: u64,
    /// Upload body cap.
    pub max_upload_bytes: u64,
    /// `X-Skill-Version` added when missing.
    pub skill_version: String,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            allowed_origins: Vec::new(),
            allow_no_origin: false,
            upstream: DEFAULT_BASE_URL.to_owned(),
            has_token: false,
            max_json_bytes: DEFAULT_MAX_JSON_BYTES,
            max_upload_bytes: MAX_UPLOAD_BYTES,
            skill_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

impl ProxyConfig {
    /// Reads the configuration from environment values by name (`get` returns a string var).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let d = ProxyConfig::default();
        let num = |k: &str| get(k).and_then(|v| v.trim().parse::<u64>().ok());
        ProxyConfig {
            allowed_origins: get("ALLOWED_ORIGINS")
                .map(|v| {
                    v.split(',')
                        .map(|o| o.trim().trim_end_matches('/').to_owned())
                        .filter(|o| !o.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            allow_no_origin: get("ALLOW_NO_ORIGIN").as_deref() == Some("1"),
            upstream: get("NEMO_API_BASE")
                .map(|u| u.trim().trim_end_matches('/').to_owned())
                .filter(|u| !u.is_empty())
                .unwrap_or(d.upstream),
            has_token: get("NEMO_TOKEN").is_some_and(|t| !t.trim().is_empty()),
            max_json_bytes: num("MAX_JSON_BYTES").unwrap_or(d.max_json_bytes),
            max_upload_bytes: num("MAX_UPLOAD_BYTES")
                .map_or(d.max_upload_bytes, |n| n.min(MAX_UPLOAD_BYTES)),
            skill_version: d.skill_version,
        }
    }
}

/// The API routes, by what they carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RouteKind {
    /// The anonymous-token call.
    AnonymousToken,
    /// A small JSON call.
    Json,
    /// The chat stream.
    Chat,
    /// A multipart or JSON upload.
    Upload,
    /// A file download.
    Download,
}

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

/// What to do with a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Answer a CORS preflight with 204 and these headers.
    Preflight(Vec<(&'static str, String)>),
    /// Not an API path: the page's static assets.
    Assets,
    /// Refuse.
    Refuse {
        /// HTTP status.
        status: u16,
        /// A short code for the JSON body.
        code: &'static str,
        /// What was wrong (never holds a token).
        message: String,
        /// Extra headers (Allow, CORS).
        headers: Vec<(&'static str, String)>,
    },
    /// Forward to `url`.
    Forward {
        /// The upstream URL.
        url: String,
        /// The route.
        kind: RouteKind,
        /// The cap for the body the shell reads or streams.
        max_body: u64,
        /// CORS headers for the response.
        cors: Vec<(&'static str, String)>,
    },
}

/// The key a request's rate budget is counted under: the platform's client address, which a
/// caller cannot rotate; the client id only where there is no address (local runs).
pub fn rate_limit_key(client_ip: Option<&str>, client_id: Option<&str>) -> String {
    match (
        client_ip.filter(|ip| !ip.is_empty()),
        client_id.filter(|id| is_valid_id(id)),
    ) {
        (Some(ip), _) => format!("ip:{ip}"),
        (None, Some(id)) => format!("client:{id}"),
        (None, None) => "anonymous".to_owned(),
    }
}

/// What to do when the worker has no rate-limiting binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoLimiter {
    /// Go on without a limit (the simulator demo, or `RATE_LIMIT=off`).
    Allow,
    /// Refuse: a proxy without a limit is a misconfiguration, not an open door (and a
    /// per-isolate counter would not be a limit).
    Refuse,
}

/// The policy for a missing limiter binding.
pub fn without_limiter(simulate: bool, rate_limit_setting: Option<&str>) -> NoLimiter {
    if simulate || rate_limit_setting == Some("off") {
        NoLimiter::Allow
    } else {
        NoLimiter::Refuse
    }
}

/// Request headers forwarded upstream (lower case); every other header is dropped.
pub const FORWARDED_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "content-length",
    "accept",
    "x-client-id",
    "x-skill-source",
    "x-skill-version",
    "x-skill-platform",
];

/// Response headers passed back (lower case).
pub const RETURNED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "retry-after",
    "cache-control",
    "content-disposition",
];

const ALLOW_HEADERS: &str = "Authorization, Content-Type, Accept, X-Client-Id, X-Skill-Source, X-Skill-Version, X-Skill-Platform";

fn route(method: &str, segs: &[&str]) -> Option<Result<RouteKind, &'static str>> {
    let (want, kind) = match segs {
        ["api", "auth", "anonymous-token"] => ("POST", RouteKind::AnonymousToken),
        ["api", "tasks", "me", "with-session", "nemo_agent"] => ("POST", RouteKind::Json),
        ["run_sse"] => ("POST", RouteKind::Chat),
        ["api", "upload-video", "nemo_agent", "me", _] => ("POST", RouteKind::Upload),
        ["api", "credits", "balance", "simple"] => ("GET", RouteKind::Json),
        ["api", "state", "nemo_agent", "me", _, "latest"] => ("GET", RouteKind::Json),
        ["api", "render", "proxy", "lambda"] => ("POST", RouteKind::Json),
        ["api", "render", "proxy", "lambda", _] => ("GET", RouteKind::Json),
        ["api", "render", "proxy", "lambda", _, "cancel"] => ("POST", RouteKind::Json),
        ["api", "render", "proxy", _, "download"] => ("GET", RouteKind::Download),
        _ => return None,
    };
    Some(if method == want { Ok(kind) } else { Err(want) })
}

/// The ids in a path that must be checked: the segments in the `_` positions of [`route`].
fn ids<'a>(segs: &[&'a str]) -> Vec<&'a str> {
    match segs {
        ["api", "upload-video", "nemo_agent", "me", sid] => vec![sid],
        ["api", "state", "nemo_agent", "me", sid, "latest"] => vec![sid],
        ["api", "render", "proxy", "lambda", id]
        | ["api", "render", "proxy", "lambda", id, "cancel"] => vec![id],
        ["api", "render", "proxy", id, "download"] => vec![id],
        _ => vec![],
    }
}

fn is_api_path(path: &str) -> bool {
    path == "/run_sse"
        || path.starts_with("/run_sse/")
        || path == "/api"
        || path.starts_with("/api/")
}

fn refuse(status: u16, code: &'static str, message: impl Into<String>) -> Decision {
    Decision::Refuse {
        status,
        code,
        message: message.into(),
        headers: Vec::new(),
    }
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
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    if req.method == "OPTIONS" {
        let origin = match origin_ok(cfg, req) {
            Ok(o) => o,
            Err(d) => return d,
        };
        let method = req.preflight_method.unwrap_or("");
        return match route(method, &segs) {
            Some(Ok(_)) => {
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
    let kind = match route(req.method, &segs) {
        None => return refuse(404, "NOT_FOUND", "not an endpoint of the API"),
        Some(Err(allowed)) => {
            return Decision::Refuse {
                status: 405,
                code: "METHOD_NOT_ALLOWED",
                message: format!("use {allowed}"),
                headers: vec![("Allow", allowed.to_owned())],
            };
        }
        Some(Ok(k)) => k,
    };
    if let Some(bad) = ids(&segs).into_iter().find(|id| !is_valid_id(id)) {
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
    if kind == RouteKind::AnonymousToken && cfg.has_token {
        // The server holds the token: the page must not mint anonymous ones.
        return refuse(
            404,
            "NOT_FOUND",
            "this proxy uses a server-side token; create the client with any token, e.g. { token: \"server\" }",
        );
    }
    let max_body = match kind {
        RouteKind::Upload => cfg.max_upload_bytes,
        RouteKind::Chat | RouteKind::Json | RouteKind::AnonymousToken => cfg.max_json_bytes,
        RouteKind::Download => 0,
    };
    if req.method == "POST" {
        match req.content_length {
            Some(n) if n > max_body => {
                return refuse(
                    413,
                    "BODY_TOO_LARGE",
                    format!("the body is {n} bytes; at most {max_body}"),
                );
            }
            None if kind == RouteKind::Upload => {
                return refuse(411, "LENGTH_REQUIRED", "uploads need a Content-Length");
            }
            _ => {}
        }
    }
    Decision::Forward {
        url: format!("{}{path}", cfg.upstream),
        kind,
        max_body,
        cors: cors_headers(origin.as_deref()),
    }
}

/// The request headers to send upstream, from the incoming ones: only [`FORWARDED_HEADERS`],
/// the attribution headers added when missing, `Authorization` replaced when the server holds
/// the token (`server_token` is the `Bearer` value; it is only ever written here).
pub fn forward_headers(
    cfg: &ProxyConfig,
    incoming: &[(String, String)],
    server_token: Option<&str>,
) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = incoming
        .iter()
        .filter(|(k, _)| FORWARDED_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
        .filter(|(k, _)| !(server_token.is_some() && k.eq_ignore_ascii_case("authorization")))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
        .collect();
    for (k, v) in [
        ("x-skill-source", DEFAULT_SKILL_SOURCE),
        ("x-skill-version", cfg.skill_version.as_str()),
        ("x-skill-platform", DEFAULT_PLATFORM),
    ] {
        if !out.iter().any(|(h, _)| h == k) {
            out.push((k.to_owned(), v.to_owned()));
        }
    }
    if let Some(t) = server_token {
        out.push(("authorization".to_owned(), format!("Bearer {t}")));
    }
    out
}

/// Whether an upstream response is streamed through as it arrives (the chat's event stream, a
/// download) rather than read whole (and scrubbed of the server token).
pub fn streams_through(kind: RouteKind, content_type: &str) -> bool {
    kind == RouteKind::Download
        || (kind == RouteKind::Chat && content_type.trim_start().starts_with("text/event-stream"))
}

/// Replaces every occurrence of the server token in a body with `***` (an upstream that echoes
/// its request must not leak the token to the page).
pub fn scrub(body: &str, server_token: Option<&str>) -> String {
    match server_token {
        Some(t) if !t.is_empty() => body.replace(t, "***"),
        _ => body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            Decision::Refuse { status, .. } => *status,
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
    fn headers_and_token() {
        let incoming = vec![
            ("Authorization".to_owned(), "Bearer browser".to_owned()),
            ("Cookie".to_owned(), "session=1".to_owned()),
            ("X-Client-Id".to_owned(), "c".to_owned()),
            ("X-Skill-Source".to_owned(), "mine".to_owned()),
        ];
        let h = forward_headers(&cfg(), &incoming, None);
        assert!(h.contains(&("authorization".into(), "Bearer browser".into())));
        assert!(!h.iter().any(|(k, _)| k == "cookie"));
        assert!(h.contains(&("x-skill-source".into(), "mine".into())));
        assert!(h.contains(&("x-skill-platform".into(), "unknown".into())));
        let h = forward_headers(&cfg(), &incoming, Some("server-secret"));
        assert_eq!(
            h.iter()
                .filter(|(k, _)| k == "authorization")
                .collect::<Vec<_>>(),
            vec![&(
                "authorization".to_owned(),
                "Bearer server-secret".to_owned()
            )]
        );
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
        assert_eq!(
            scrub("echo Bearer server-secret!", Some("server-secret")),
            "echo Bearer ***!"
        );
    }

    #[test]
    fn what_streams_through() {
        assert!(streams_through(
            RouteKind::Chat,
            "text/event-stream; charset=utf-8"
        ));
        assert!(
            !streams_through(RouteKind::Chat, "application/json"),
            "a chat error is read and scrubbed"
        );
        assert!(streams_through(RouteKind::Download, "video/mp4"));
        assert!(!streams_through(RouteKind::Json, "text/event-stream"));
    }

    #[test]
    fn rate_limit_policy() {
        assert_eq!(
            rate_limit_key(Some("192.0.2.1"), Some("c-1")),
            "ip:192.0.2.1"
        );
        assert_eq!(rate_limit_key(None, Some("c-1")), "client:c-1");
        assert_eq!(rate_limit_key(Some(""), Some("../x")), "anonymous");
        assert_eq!(without_limiter(false, None), NoLimiter::Refuse);
        assert_eq!(without_limiter(false, Some("off")), NoLimiter::Allow);
        assert_eq!(without_limiter(true, None), NoLimiter::Allow);
    }

    #[test]
    fn env_config() {
        let env = |k: &str| match k {
            "ALLOWED_ORIGINS" => Some("https://a.example, https://b.example/".to_owned()),
            "NEMO_API_BASE" => Some("http://127.0.0.1:9/".to_owned()),
            "NEMO_TOKEN" => Some("x".to_owned()),
            "MAX_UPLOAD_BYTES" => Some("999999999999".to_owned()),
            _ => None,
        };
        let c = ProxyConfig::from_env(env);
        assert_eq!(
            c.allowed_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(c.upstream, "http://127.0.0.1:9");
        assert!(c.has_token);
        assert_eq!(c.max_upload_bytes, MAX_UPLOAD_BYTES, "never above 500 MB");
        assert!(!format!("{c:?}").contains("Bearer"));
    }
}
