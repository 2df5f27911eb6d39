//! What a forwarded request and its answer carry: headers in and out, the body cap, what
//! streams through, and the scrub of the server token.
//!
//! Does not own: whether a request is forwarded at all (`decide`), the I/O (the shell).

use super::{ProxyConfig, Refusal};
use crate::core::api::{CallKind, DEFAULT_PLATFORM, DEFAULT_SKILL_SOURCE};

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

/// The cap for a route's request body: uploads at the upload cap, downloads none, the rest at
/// the JSON cap.
pub fn body_cap(cfg: &ProxyConfig, kind: CallKind) -> u64 {
    match kind {
        CallKind::Upload => cfg.max_upload_bytes,
        CallKind::Json | CallKind::Stream => cfg.max_json_bytes,
        CallKind::Download => 0,
    }
}

/// A body of `len` bytes against its cap: 413 when over.
pub fn check_body(len: u64, max_body: u64) -> Result<(), Refusal> {
    if len > max_body {
        Err(Refusal::new(
            413,
            "BODY_TOO_LARGE",
            format!("the body is {len} bytes; at most {max_body}"),
        ))
    } else {
        Ok(())
    }
}

/// Whether an upstream response is streamed through as it arrives (the chat's event stream, a
/// download) rather than read whole (and scrubbed of the server token).
pub fn streams_through(kind: CallKind, content_type: &str) -> bool {
    kind == CallKind::Download
        || (kind == CallKind::Stream && content_type.trim_start().starts_with("text/event-stream"))
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

    #[test]
    fn headers_and_token() {
        let cfg = ProxyConfig::default();
        let incoming = vec![
            ("Authorization".to_owned(), "Bearer browser".to_owned()),
            ("Cookie".to_owned(), "session=1".to_owned()),
            ("X-Client-Id".to_owned(), "c".to_owned()),
            ("X-Skill-Source".to_owned(), "mine".to_owned()),
        ];
        let h = forward_headers(&cfg, &incoming, None);
        assert!(h.contains(&("authorization".into(), "Bearer browser".into())));
        assert!(!h.iter().any(|(k, _)| k == "cookie"));
        assert!(h.contains(&("x-skill-source".into(), "mine".into())));
        assert!(h.contains(&("x-skill-platform".into(), "unknown".into())));
        let h = forward_headers(&cfg, &incoming, Some("server-secret"));
        assert_eq!(
            h.iter()
                .filter(|(k, _)| k == "authorization")
                .collect::<Vec<_>>(),
            vec![&(
                "authorization".to_owned(),
                "Bearer server-secret".to_owned()
            )]
        );
        assert_eq!(
            scrub("echo Bearer server-secret!", Some("server-secret")),
            "echo Bearer ***!"
        );
    }

    #[test]
    fn caps() {
        let cfg = ProxyConfig {
            max_upload_bytes: 1000,
            ..ProxyConfig::default()
        };
        assert_eq!(body_cap(&cfg, CallKind::Upload), 1000);
        assert_eq!(body_cap(&cfg, CallKind::Stream), cfg.max_json_bytes);
        assert_eq!(body_cap(&cfg, CallKind::Download), 0);
        assert!(check_body(1000, 1000).is_ok());
        assert_eq!(check_body(1001, 1000).unwrap_err().status, 413);
    }

    #[test]
    fn what_streams_through() {
        assert!(streams_through(
            CallKind::Stream,
            "text/event-stream; charset=utf-8"
        ));
        assert!(
            !streams_through(CallKind::Stream, "application/json"),
            "a chat error is read and scrubbed"
        );
        assert!(streams_through(CallKind::Download, "video/mp4"));
        assert!(!streams_through(CallKind::Json, "text/event-stream"));
    }
}
