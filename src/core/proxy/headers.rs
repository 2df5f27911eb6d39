//! What every answer of the worker carries besides its body: the security headers of the page,
//! the headers of API answers, and the page's config answer.
//!
//! The Content-Security-Policy is the one the example page works under: its own scripts,
//! styles and images only, WebAssembly compiled from its own module (`'wasm-unsafe-eval'`, no
//! `'unsafe-eval'`), no inline script, calls to its own origin only, the finished video from
//! its own origin, a `blob:` URL (a fallback download) or an https CDN, and never framed.

use super::{Mode, ProxyConfig};

/// The page's Content-Security-Policy.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; \
     style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob: https:; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The path of the page's config answer: how the page connects in this mode.
pub const CONFIG_PATH: &str = "/config.json";

/// Headers of every page and asset answer.
pub fn page_headers() -> Vec<(&'static str, String)> {
    vec![
        (
            "Content-Security-Policy",
            CONTENT_SECURITY_POLICY.to_owned(),
        ),
        ("X-Content-Type-Options", "nosniff".to_owned()),
        ("Referrer-Policy", "no-referrer".to_owned()),
        ("X-Frame-Options", "DENY".to_owned()),
    ]
}

/// Headers of every API answer (forwarded or refused): never cached, never sniffed.
pub fn api_headers() -> Vec<(&'static str, String)> {
    vec![
        ("Cache-Control", "no-store".to_owned()),
        ("X-Content-Type-Options", "nosniff".to_owned()),
        ("Referrer-Policy", "no-referrer".to_owned()),
    ]
}

/// The config answer's body: `{"mode": ..., "serverToken": ..., "version": ...}`.
pub fn config_answer(cfg: &ProxyConfig) -> String {
    serde_json::json!({
        "mode": cfg.mode.as_str(),
        "serverToken": cfg.mode == Mode::ServerToken,
        "version": env!("CARGO_PKG_VERSION"),
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_allows_wasm_but_no_inline_script() {
        let csp = CONTENT_SECURITY_POLICY;
        assert!(csp.contains("'wasm-unsafe-eval'"));
        assert!(!csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(
            page_headers()
                .iter()
                .any(|(k, v)| *k == "X-Content-Type-Options" && v == "nosniff")
        );
        assert!(
            api_headers()
                .iter()
                .any(|(k, v)| *k == "Cache-Control" && v == "no-store")
        );
    }

    #[test]
    fn config_names_the_mode() {
        let cfg = ProxyConfig {
            mode: Mode::ServerToken,
            ..ProxyConfig::default()
        };
        let v: serde_json::Value = serde_json::from_str(&config_answer(&cfg)).unwrap();
        assert_eq!(v["mode"], "server-token");
        assert_eq!(v["serverToken"], true);
    }
}
