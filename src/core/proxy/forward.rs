//! What a forwarded request and its answer carry: headers in and out, the body cap, how the
//! upstream's answer passes back (streamed, or read whole and scrubbed; a redirect never
//! followed).
//!
//! Does not own: whether a request is forwarded at all (`decide`), the I/O (the shell), the
//! token scrub itself (`scrub.rs`).

use super::{ProxyConfig, Refusal};
use crate::core::api::{CallKind, DEFAULT_PLATFORM, DEFAULT_SKILL_SOURCE};

/// How much of a refused request's body the worker reads and drops before it answers: a
/// caller still sending when the answer goes out would otherwise often get a reset connection
/// instead of the 413 (a server that closes with unread input resets it, and the reset
/// discards the answer the caller had not read yet). Beyond it the rest of a flood is cut.
pub const DRAIN_REFUSED_BYTES: u64 = 64 * 1024 * 1024;

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

const ATTRIBUTION: [&str; 3] = ["x-skill-source", "x-skill-version", "x-skill-platform"];

/// The request headers to send upstream, from the incoming ones: only [`FORWARDED_HEADERS`],
/// the attribution headers added when missing, and when the server holds the token
/// (`server_token` is the `Bearer` value; it is only ever written here) its `Authorization`
/// and its own attribution, whatever the page sent, since the operator pays.
pub fn forward_headers(
    cfg: &ProxyConfig,
    incoming: &[(String, String)],
    server_token: Option<&str>,
) -> Vec<(String, String)> {
    let operator = server_token.is_some();
    let mut out: Vec<(String, String)> = incoming
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v))
        .filter(|(k, _)| FORWARDED_HEADERS.contains(&k.as_str()))
        .filter(|(k, _)| !(operator && (k == "authorization" || ATTRIBUTION.contains(&k.as_str()))))
        .map(|(k, v)| (k, v.clone()))
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

/// How an upstream answer passes back to the page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PassBack {
    /// Read whole, scrubbed of the server token, then sent (JSON, errors).
    Whole,
    /// Streamed through as it arrives, each chunk scrubbed (the chat's event stream, a text
    /// download): the token is text, so any text may carry it.
    ScrubbedStream,
    /// Streamed through untouched (a successful binary download: a video).
    Stream,
}

/// How an upstream answer with this status and content type passes back, or the refusal for an
/// answer that must not reach the page: a redirect is never followed nor passed on (its
/// `Location` could send the page, or the token, anywhere), it is a 502.
pub fn pass_back(kind: CallKind, status: u16, content_type: &str) -> Result<PassBack, Refusal> {
    if (300..400).contains(&status) {
        return Err(Refusal::new(
            502,
            "UPSTREAM_REDIRECT",
            "the video API answered with a redirect, which is not followed",
        ));
    }
    let ct = content_type.trim_start().to_ascii_lowercase();
    let ok = (200..300).contains(&status);
    let text = ct.starts_with("text/") || ct.contains("json") || ct.contains("xml");
    Ok(match kind {
        CallKind::Stream if ok && ct.starts_with("text/event-stream") => PassBack::ScrubbedStream,
        CallKind::Download if ok && text => PassBack::ScrubbedStream,
        CallKind::Download if ok => PassBack::Stream,
        _ => PassBack::Whole,
    })
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
        // The operator pays: its attribution, not the page's.
        assert!(h.contains(&("x-skill-source".into(), "colab-text-to-video".into())));
        assert!(!h.contains(&("x-skill-source".into(), "mine".into())));
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
    fn how_answers_pass_back() {
        use PassBack::*;
        let sse = "text/event-stream; charset=utf-8";
        assert_eq!(pass_back(CallKind::Stream, 200, sse), Ok(ScrubbedStream));
        assert_eq!(
            pass_back(CallKind::Stream, 200, "application/json"),
            Ok(Whole),
            "a chat error is read and scrubbed"
        );
        assert_eq!(
            pass_back(CallKind::Stream, 500, sse),
            Ok(Whole),
            "errors are read whole"
        );
        assert_eq!(pass_back(CallKind::Download, 200, "video/mp4"), Ok(Stream));
        assert_eq!(
            pass_back(CallKind::Download, 200, "text/plain"),
            Ok(ScrubbedStream)
        );
        assert_eq!(pass_back(CallKind::Download, 404, "video/mp4"), Ok(Whole));
        assert_eq!(pass_back(CallKind::Json, 200, sse), Ok(Whole));
        for s in [301, 302, 307, 308] {
            assert_eq!(pass_back(CallKind::Json, s, "").unwrap_err().status, 502);
        }
    }
}
