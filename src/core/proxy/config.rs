//! The worker's configuration, read from its environment (variables and secrets only).
//!
//! Owns: every setting's name, its default and its bounds, the mode they select
//! ([`Mode`]), and the checks that make a misconfigured worker refuse the API instead of
//! running open or leaking ([`ProxyConfig::problems`]). Does not own: what the settings decide
//! (the rest of `proxy`), reading the environment object (the shell passes a getter).

use crate::core::api::DEFAULT_BASE_URL;
use crate::core::upload::MAX_UPLOAD_BYTES;

/// Largest JSON body forwarded (chat messages, exports with their draft).
pub const DEFAULT_MAX_JSON_BYTES: u64 = 1024 * 1024;

/// The seconds a rate-limited caller is told to wait when `RATE_LIMIT_PERIOD` is not set: the
/// period of the binding in `worker/wrangler.toml`.
pub const DEFAULT_RATE_LIMIT_PERIOD_S: u64 = 60;

/// Chat turns one visitor may start per UTC day in server-token mode, by default.
pub const DEFAULT_DAILY_CHAT_TURNS: u32 = 100;

/// Exports one visitor may submit per UTC day in server-token mode, by default.
pub const DEFAULT_DAILY_EXPORTS: u32 = 20;

/// The shortest `VISITOR_SECRET` accepted (bytes): the key of the visitor cookies' HMAC.
pub const MIN_VISITOR_SECRET_BYTES: usize = 32;

/// How the worker serves the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `NEMO_SIMULATE=1`: the built-in simulator answers (a demo build only).
    Simulator,
    /// No `NEMO_TOKEN`: each visitor gets its own anonymous token through the proxy, so the API
    /// keeps visitors apart.
    Anonymous,
    /// `NEMO_TOKEN` set: the operator pays; the worker keeps visitors apart itself (a signed
    /// visitor cookie, ownership of sessions and renders, daily budgets).
    ServerToken,
}

impl Mode {
    /// As the page's config answer names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Simulator => "simulator",
            Mode::Anonymous => "anonymous",
            Mode::ServerToken => "server-token",
        }
    }
}

/// The worker's configuration, from its environment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyConfig {
    /// The mode.
    pub mode: Mode,
    /// Origins allowed to call (exact, e.g. `https://app.example`).
    pub allowed_origins: Vec<String>,
    /// Accept requests without `Origin` or `Sec-Fetch-Site` (server-to-server callers).
    pub allow_no_origin: bool,
    /// `ALLOWED_HOSTS`: when set, the only `Host`s answered (against DNS rebinding when
    /// self-hosted).
    pub allowed_hosts: Vec<String>,
    /// The API to forward to, no trailing slash.
    pub upstream: String,
    /// A server-side token is configured (its value never enters this module).
    pub has_token: bool,
    /// JSON body cap.
    pub max_json_bytes: u64,
    /// Upload body cap.
    pub max_upload_bytes: u64,
    /// `X-Skill-Version` added when missing (and always, with a server token).
    pub skill_version: String,
    /// `RATE_LIMIT=off`: go on without a rate-limiting binding.
    pub rate_limit_off: bool,
    /// `RATE_LIMIT_PERIOD`: the `Retry-After` of a rate-limited answer, seconds.
    pub rate_limit_period_s: u64,
    /// `TRUST_PROXY_IP=1`: a front proxy of the operator's sets `CF-Connecting-IP` (trust it
    /// even when the request did not come through Cloudflare's edge).
    pub trust_proxy_ip: bool,
    /// `DAILY_CHAT_TURNS`: chat turns per visitor per UTC day (server-token mode).
    pub daily_chat_turns: u32,
    /// `DAILY_EXPORTS`: exports per visitor per UTC day (server-token mode).
    pub daily_exports: u32,
    /// What is wrong with the configuration: while any, the API is refused (500), never run
    /// open. Never holds a secret.
    pub problems: Vec<String>,
}

impl Default for ProxyConfig {
    fn default() -> Self {
        ProxyConfig {
            mode: Mode::Anonymous,
            allowed_origins: Vec::new(),
            allow_no_origin: false,
            allowed_hosts: Vec::new(),
            upstream: DEFAULT_BASE_URL.to_owned(),
            has_token: false,
            max_json_bytes: DEFAULT_MAX_JSON_BYTES,
            max_upload_bytes: MAX_UPLOAD_BYTES,
            skill_version: env!("CARGO_PKG_VERSION").to_owned(),
            rate_limit_off: false,
            rate_limit_period_s: DEFAULT_RATE_LIMIT_PERIOD_S,
            trust_proxy_ip: false,
            daily_chat_turns: DEFAULT_DAILY_CHAT_TURNS,
            daily_exports: DEFAULT_DAILY_EXPORTS,
            problems: Vec::new(),
        }
    }
}

/// The server token as it is sent: trimmed; `None` when unset, an error when it holds
/// whitespace inside (a pasted line break, two tokens) and so could not be a header value.
pub fn server_token(raw: Option<&str>) -> Result<Option<&str>, &'static str> {
    let Some(t) = raw.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.bytes().all(|b| b.is_ascii_graphic()) {
        Ok(Some(t))
    } else {
        Err("NEMO_TOKEN holds whitespace or control characters")
    }
}

/// Whether `url` may be the upstream: https, or http to a loopback host when the
/// development setting `ALLOW_HTTP_LOOPBACK=1` says so.
fn upstream_ok(url: &str, allow_http_loopback: bool) -> bool {
    let lower = url.to_ascii_lowercase();
    if let Some(rest) = lower.strip_prefix("https://") {
        return !rest.is_empty();
    }
    let Some(rest) = lower.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split('/').next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.split(':').next().unwrap_or(""),
    };
    allow_http_loopback && matches!(host, "127.0.0.1" | "localhost" | "::1")
}

fn list(v: Option<String>) -> Vec<String> {
    v.map(|v| {
        v.split(',')
            .map(|o| o.trim().trim_end_matches('/').to_ascii_lowercase())
            .filter(|o| !o.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

impl ProxyConfig {
    /// Reads the configuration from environment values by name (`get` returns a string var).
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let d = ProxyConfig::default();
        let num = |k: &str| get(k).and_then(|v| v.trim().parse::<u64>().ok());
        let count = |k: &str, default: u32| {
            num(k).map_or(default, |n| u32::try_from(n).unwrap_or(u32::MAX))
        };
        let flag = |k: &str| get(k).as_deref().map(str::trim) == Some("1");
        let mut problems = Vec::new();
        let token = get("NEMO_TOKEN");
        let has_token = match server_token(token.as_deref()) {
            Ok(t) => t.is_some(),
            Err(p) => {
                problems.push(p.to_owned());
                true
            }
        };
        let mode = if flag("NEMO_SIMULATE") {
            Mode::Simulator
        } else if has_token {
            Mode::ServerToken
        } else {
            Mode::Anonymous
        };
        let upstream = get("NEMO_API_BASE")
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty())
            .unwrap_or(d.upstream);
        if mode != Mode::Simulator && !upstream_ok(&upstream, flag("ALLOW_HTTP_LOOPBACK")) {
            problems.push(
                "NEMO_API_BASE must be an https URL (http only to loopback, with ALLOW_HTTP_LOOPBACK=1)"
                    .to_owned(),
            );
        }
        if mode == Mode::ServerToken
            && get("VISITOR_SECRET").is_none_or(|s| s.trim().len() < MIN_VISITOR_SECRET_BYTES)
        {
            problems.push(format!(
                "VISITOR_SECRET (at least {MIN_VISITOR_SECRET_BYTES} bytes) is required with NEMO_TOKEN"
            ));
        }
        // Origins keep their case as browsers send them (scheme and host are lower case).
        let origins = get("ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        ProxyConfig {
            mode,
            allowed_origins: origins,
            allow_no_origin: flag("ALLOW_NO_ORIGIN"),
            allowed_hosts: list(get("ALLOWED_HOSTS")),
            upstream,
            has_token,
            max_json_bytes: num("MAX_JSON_BYTES").unwrap_or(d.max_json_bytes),
            max_upload_bytes: num("MAX_UPLOAD_BYTES")
                .map_or(d.max_upload_bytes, |n| n.min(MAX_UPLOAD_BYTES)),
            skill_version: d.skill_version,
            rate_limit_off: get("RATE_LIMIT").as_deref() == Some("off"),
            rate_limit_period_s: num("RATE_LIMIT_PERIOD")
                .filter(|&n| n > 0)
                .unwrap_or(d.rate_limit_period_s),
            trust_proxy_ip: flag("TRUST_PROXY_IP"),
            daily_chat_turns: count("DAILY_CHAT_TURNS", DEFAULT_DAILY_CHAT_TURNS),
            daily_exports: count("DAILY_EXPORTS", DEFAULT_DAILY_EXPORTS),
            problems,
        }
    }

    /// `Simulator` mode.
    pub fn simulate(&self) -> bool {
        self.mode == Mode::Simulator
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn env_config() {
        let c = ProxyConfig::from_env(env(&[
            ("ALLOWED_ORIGINS", "https://a.example, https://b.example/"),
            ("NEMO_API_BASE", "https://api.example/"),
            ("NEMO_TOKEN", " x "),
            ("VISITOR_SECRET", SECRET),
            ("MAX_UPLOAD_BYTES", "999999999999"),
            ("RATE_LIMIT_PERIOD", "10"),
            ("ALLOWED_HOSTS", "App.Example, proxy.example"),
            ("DAILY_CHAT_TURNS", "3"),
        ]));
        assert_eq!(
            c.allowed_origins,
            vec!["https://a.example", "https://b.example"]
        );
        assert_eq!(c.upstream, "https://api.example");
        assert_eq!((c.mode, c.has_token), (Mode::ServerToken, true));
        assert_eq!(c.max_upload_bytes, MAX_UPLOAD_BYTES, "never above 500 MB");
        assert_eq!(c.rate_limit_period_s, 10);
        assert_eq!(c.allowed_hosts, vec!["app.example", "proxy.example"]);
        assert_eq!(
            (c.daily_chat_turns, c.daily_exports),
            (3, DEFAULT_DAILY_EXPORTS)
        );
        assert!(c.problems.is_empty(), "{:?}", c.problems);
        assert!(!format!("{c:?}").contains("Bearer"));
        let d = ProxyConfig::from_env(env(&[
            ("NEMO_SIMULATE", "1"),
            ("RATE_LIMIT", "off"),
            ("RATE_LIMIT_PERIOD", "soon"),
        ]));
        assert!(d.simulate() && d.rate_limit_off);
        assert_eq!(d.rate_limit_period_s, DEFAULT_RATE_LIMIT_PERIOD_S);
        assert_eq!(ProxyConfig::from_env(env(&[])).mode, Mode::Anonymous);
    }

    #[test]
    fn misconfigurations_are_problems_and_name_no_secret() {
        let p = |pairs: &[(&str, &str)]| ProxyConfig::from_env(env(pairs)).problems;
        assert_eq!(
            p(&[("NEMO_TOKEN", "a b"), ("VISITOR_SECRET", SECRET)]).len(),
            1
        );
        assert!(!p(&[("NEMO_TOKEN", "a b")]).concat().contains("a b"));
        assert_eq!(p(&[("NEMO_TOKEN", "t")]).len(), 1, "no VISITOR_SECRET");
        assert_eq!(
            p(&[("NEMO_TOKEN", "t"), ("VISITOR_SECRET", "short")]).len(),
            1
        );
        assert_eq!(p(&[("NEMO_API_BASE", "http://api.example")]).len(), 1);
        assert_eq!(p(&[("NEMO_API_BASE", "http://127.0.0.1:9")]).len(), 1);
        assert!(
            p(&[
                ("NEMO_API_BASE", "http://127.0.0.1:9"),
                ("ALLOW_HTTP_LOOPBACK", "1")
            ])
            .is_empty()
        );
        assert!(
            p(&[
                ("NEMO_API_BASE", "http://[::1]:9/x"),
                ("ALLOW_HTTP_LOOPBACK", "1")
            ])
            .is_empty()
        );
        assert_eq!(
            p(&[
                ("NEMO_API_BASE", "http://127.0.0.1.evil.example"),
                ("ALLOW_HTTP_LOOPBACK", "1")
            ])
            .len(),
            1
        );
        assert_eq!(p(&[("NEMO_API_BASE", "ftp://x")]).len(), 1);
        assert!(p(&[("NEMO_SIMULATE", "1"), ("NEMO_API_BASE", "http://x")]).is_empty());
    }

    #[test]
    fn token_is_trimmed() {
        assert_eq!(server_token(Some("  nmv_x \n")), Ok(Some("nmv_x")));
        assert_eq!(server_token(Some("   ")), Ok(None));
        assert_eq!(server_token(None), Ok(None));
        assert!(server_token(Some("a\nb")).is_err());
    }
}
