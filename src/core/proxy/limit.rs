//! The rate limit's policy: the key a request is counted under, what happens without a
//! limiter, and the refusal a limited caller gets.
//!
//! Does not own: the counting (the platform's rate-limiting binding, called by the shell).

use super::{ProxyConfig, Refusal};
use crate::core::api::is_valid_id;

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

/// What to do when the worker has no rate-limiting binding: go on (the simulator demo, or
/// `RATE_LIMIT=off`), or refuse, since a proxy without a limit is a misconfiguration, not an
/// open door (and a per-isolate counter would not be a limit).
pub fn without_limiter(cfg: &ProxyConfig) -> Result<(), Refusal> {
    if cfg.simulate || cfg.rate_limit_off {
        Ok(())
    } else {
        Err(Refusal::new(
            500,
            "NO_RATE_LIMITER",
            "the RATE_LIMITER binding is missing (or set RATE_LIMIT=off)",
        ))
    }
}

/// The answer to a caller over its budget: 429, told to wait the binding's period.
pub fn rate_limited(cfg: &ProxyConfig) -> Refusal {
    Refusal {
        headers: vec![("Retry-After", cfg.rate_limit_period_s.to_string())],
        ..Refusal::new(429, "RATE_LIMITED", "too many requests from this client")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limit_policy() {
        assert_eq!(
            rate_limit_key(Some("192.0.2.1"), Some("c-1")),
            "ip:192.0.2.1"
        );
        assert_eq!(rate_limit_key(None, Some("c-1")), "client:c-1");
        assert_eq!(rate_limit_key(Some(""), Some("../x")), "anonymous");
        let cfg = ProxyConfig::default();
        assert_eq!(without_limiter(&cfg).unwrap_err().status, 500);
        let off = ProxyConfig {
            rate_limit_off: true,
            ..ProxyConfig::default()
        };
        assert!(without_limiter(&off).is_ok());
        let sim = ProxyConfig {
            simulate: true,
            ..ProxyConfig::default()
        };
        assert!(without_limiter(&sim).is_ok());
        let r = rate_limited(&ProxyConfig {
            rate_limit_period_s: 30,
            ..ProxyConfig::default()
        });
        assert_eq!(r.status, 429);
        assert_eq!(r.headers, vec![("Retry-After", "30".to_owned())]);
    }
}
