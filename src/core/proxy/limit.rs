//! The rate limit's policy: the keys a request is counted under, what happens without a
//! limiter, and the refusal a limited caller gets.
//!
//! A caller must not choose its own key. So `CF-Connecting-IP` counts only when the platform
//! set it (the request came through Cloudflare's edge, which overwrites whatever the caller
//! sent; the local runner does the same) or when the operator's own front proxy does
//! (`TRUST_PROXY_IP=1`); otherwise the request counts under one shared key. An IPv6 address
//! counts by its /64 (one subscriber's whole prefix), `X-Client-Id` never counts (the caller
//! writes it), and in server-token mode the visitor's signed identity is a key too. Beside the
//! per-client keys, one global key caps the whole worker.
//!
//! The platform's binding counts per Cloudflare location, not globally: a client spread over
//! locations gets each location's budget. It is a brake on floods, not an exact quota; the
//! exact daily quota of server-token mode is the ledger's (`ledger.rs`).
//!
//! Does not own: the counting (the platform's rate-limiting bindings, called by the shell).

use std::net::{IpAddr, Ipv6Addr};

use super::{ProxyConfig, Refusal};

/// The key of the global limit.
pub const GLOBAL_KEY: &str = "global";

/// The key one client address counts under: `ip:a.b.c.d`, or `ip6:<first 64 bits>::/64`.
pub fn address_key(ip: &str) -> Option<String> {
    match ip.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(v4) => Some(format!("ip:{v4}")),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => Some(format!("ip:{v4}")),
            None => {
                let s = v6.segments();
                let prefix = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                Some(format!("ip6:{prefix}/64"))
            }
        },
    }
}

/// The per-client keys of a request: its address (when trusted), and its visitor identity in
/// server-token mode. Every key must have budget left.
pub fn rate_limit_keys(
    cfg: &ProxyConfig,
    connecting_ip: Option<&str>,
    through_edge: bool,
    visitor: Option<&str>,
) -> Vec<String> {
    let trusted = through_edge || cfg.trust_proxy_ip;
    let address = connecting_ip
        .filter(|_| trusted)
        .and_then(address_key)
        .unwrap_or_else(|| "untrusted".to_owned());
    let mut keys = vec![address];
    keys.extend(visitor.map(|v| format!("visitor:{v}")));
    keys
}

/// What to do when the worker has no rate-limiting binding: go on (the simulator demo, or
/// `RATE_LIMIT=off`), or refuse, since a proxy without a limit is a misconfiguration, not an
/// open door (and a per-isolate counter would not be a limit).
pub fn without_limiter(cfg: &ProxyConfig) -> Result<(), Refusal> {
    if cfg.simulate() || cfg.rate_limit_off {
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
    use super::super::Mode;
    use super::*;

    #[test]
    fn addresses() {
        assert_eq!(address_key("192.0.2.1").as_deref(), Some("ip:192.0.2.1"));
        assert_eq!(
            address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd").as_deref(),
            Some("ip6:2001:db8:1:2::/64")
        );
        assert_eq!(
            address_key("2001:db8:1:2::9"),
            address_key("2001:db8:1:2:ffff::1"),
            "one /64, one key"
        );
        assert_ne!(
            address_key("2001:db8:1:2::9"),
            address_key("2001:db8:1:3::9")
        );
        assert_eq!(
            address_key("::ffff:192.0.2.1").as_deref(),
            Some("ip:192.0.2.1")
        );
        assert_eq!(address_key("not an ip"), None);
    }

    #[test]
    fn the_caller_cannot_choose_its_key() {
        let cfg = ProxyConfig::default();
        // Through the edge: the platform's address counts.
        assert_eq!(
            rate_limit_keys(&cfg, Some("192.0.2.1"), true, None),
            vec!["ip:192.0.2.1"]
        );
        // Not through the edge: a header the caller wrote does not count.
        assert_eq!(
            rate_limit_keys(&cfg, Some("192.0.2.1"), false, None),
            vec!["untrusted"]
        );
        let front = ProxyConfig {
            trust_proxy_ip: true,
            ..ProxyConfig::default()
        };
        assert_eq!(
            rate_limit_keys(&front, Some("192.0.2.1"), false, None),
            vec!["ip:192.0.2.1"]
        );
        assert_eq!(
            rate_limit_keys(&cfg, Some("garbage"), true, Some("v1")),
            vec!["untrusted", "visitor:v1"]
        );
    }

    #[test]
    fn limiter_policy() {
        let cfg = ProxyConfig::default();
        assert_eq!(without_limiter(&cfg).unwrap_err().status, 500);
        let off = ProxyConfig {
            rate_limit_off: true,
            ..ProxyConfig::default()
        };
        assert!(without_limiter(&off).is_ok());
        let sim = ProxyConfig {
            mode: Mode::Simulator,
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
