//! The worker's configuration, read from its environment (variables and secrets only).
//!
//! Owns: every setting's name, its default and its bounds. Does not own: what the settings
//! decide (the rest of `proxy`), reading the environment object (the shell passes a getter).

use crate::core::api::DEFAULT_BASE_URL;
use crate::core::upload::MAX_UPLOAD_BYTES;

/// Largest JSON body forwarded (chat messages, exports with their draft).
pub const DEFAULT_MAX_JSON_BYTES: u64 = 1024 * 1024;

/// The seconds a rate-limited caller is told to wait when `RATE_LIMIT_PERIOD` is not set: the
/// period of the binding in `worker/wrangler.toml`.
pub const DEFAULT_RATE_LIMIT_PERIOD_S: u64 = 60;

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
    /// `NEMO_SIMULATE=1`: the built-in simulator answers instead of an upstream.
    pub simulate: bool,
    /// `RATE_LIMIT=off`: go on without a rate-limiting binding.
    pub rate_limit_off: bool,
    /// `RATE_LIMIT_PERIOD`: the `Retry-After` of a rate-limited answer, seconds.
    pub rate_limit_period_s: u64,
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
            simulate: false,
            rate_limit_off: false,
            rate_limit_period_s: DEFAULT_RATE_LIMIT_PERIOD_S,
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
            simulate: get("NEMO_SIMULATE").as_deref() == Some("1"),
            rate_limit_off: get("RATE_LIMIT").as_deref() == Some("off"),
            rate_limit_period_s: num("RATE_LIMIT_PERIOD")
                .filter(|&n| n > 0)
                .unwrap_or(d.rate_limit_period_s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_config() {
        let env = |k: &str| match k {
            "ALLOWED_ORIGINS" => Some("https://a.example, https://b.example/".to_owned()),
            "NEMO_API_BASE" => Some("http://127.0.0.1:9/".to_owned()),
            "NEMO_TOKEN" => Some("x".to_owned()),
            "MAX_UPLOAD_BYTES" => Some("999999999999".to_owned()),
            "RATE_LIMIT_PERIOD" => Some("10".to_owned()),
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
        assert_eq!(c.rate_limit_period_s, 10);
        assert!(!c.simulate && !c.rate_limit_off);
        assert!(!format!("{c:?}").contains("Bearer"));
        let d = ProxyConfig::from_env(|k| match k {
            "NEMO_SIMULATE" => Some("1".to_owned()),
            "RATE_LIMIT" => Some("off".to_owned()),
            "RATE_LIMIT_PERIOD" => Some("soon".to_owned()),
            _ => None,
        });
        assert!(d.simulate && d.rate_limit_off);
        assert_eq!(d.rate_limit_period_s, DEFAULT_RATE_LIMIT_PERIOD_S);
    }
}
