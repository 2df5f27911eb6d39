//! The one error type of the crate, and the API's error table.
//!
//! Owns: [`NemoError`] (code, kind, retryable, what the client may do about it, a technical
//! message, a user-facing message, the registration link for an anonymous user out of
//! credits) with its predicates (`is_aborted()`, ...), and the error policy: [`TABLE`]
//! (`table.rs`), one row per code the service sends, read by one function,
//! [`NemoError::from_code`]. Recovery *decisions* per call (whether the one retry was already
//! spent) belong to `session.rs`; the table says what a code means and what may be done.
//!
//! Does not own: conversion to a JS `Error` (done once, in `js/`), finding the code in an
//! answer (`api/envelope.rs`, `stream/`).
//!
//! Never holds a token: messages are built from codes and server text only, the caller's token
//! masked in that text ([`Caller::redact`]), and `Debug` is derived from those same fields.

mod table;

pub use table::{Key, Recovery, Row, STREAM_ERROR, TABLE, lookup};

use std::borrow::Cow;
use std::fmt;

use super::api::Token;

/// Link that lets an anonymous user register and keep their session (`?bind=<user_id>`).
pub const REGISTER_URL: &str = "https://nemovideo.com/register";

/// What kind of failure this is; stable strings in JS (`kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Token expired, invalid or refused (1001, 401).
    Auth,
    /// Session not found (1002, ADK 404 "Session not found").
    Session,
    /// Out of credits (2001).
    Credits,
    /// Unsupported file type (4001, or refused before upload).
    FileType,
    /// File too large (4002, or refused before upload).
    FileSize,
    /// Free plan cannot export (402).
    Plan,
    /// Rate limited (429).
    RateLimit,
    /// The request did not complete: connection refused, reset, stream dropped.
    Network,
    /// A client-side timeout (idle, total, export).
    Timeout,
    /// The caller aborted through its `AbortSignal`.
    Aborted,
    /// The peer said something we cannot read: bad JSON, oversize SSE event, 422.
    Protocol,
    /// The server failed (5xx, an agent error such as `UNAVAILABLE`, a failed render).
    Server,
    /// Refused by a rule: a bad id, a bad URL, a 403, bad input to the library, the model
    /// declining a request (`SAFETY` and the other refusals).
    Refused,
}

impl ErrorKind {
    /// The stable name JS sees in `NemoError.kind`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Auth => "auth",
            ErrorKind::Session => "session",
            ErrorKind::Credits => "credits",
            ErrorKind::FileType => "file_type",
            ErrorKind::FileSize => "file_size",
            ErrorKind::Plan => "plan",
            ErrorKind::RateLimit => "rate_limit",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Aborted => "aborted",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Server => "server",
            ErrorKind::Refused => "refused",
        }
    }
}

/// An error code: the API's numbers (1001, 429, ...) or a string (`"SAFETY"`, our own codes).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// A numeric API or HTTP code.
    Num(i64),
    /// A string code: the agent's `errorCode`, or one of this crate's (`"STREAM_DROPPED"`).
    Text(String),
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCode::Num(n) => write!(f, "{n}"),
            ErrorCode::Text(s) => f.write_str(s),
        }
    }
}

impl From<i64> for ErrorCode {
    fn from(n: i64) -> Self {
        ErrorCode::Num(n)
    }
}

impl From<i32> for ErrorCode {
    fn from(n: i32) -> Self {
        ErrorCode::Num(n.into())
    }
}

impl From<u16> for ErrorCode {
    fn from(n: u16) -> Self {
        ErrorCode::Num(n.into())
    }
}

impl From<&str> for ErrorCode {
    fn from(s: &str) -> Self {
        ErrorCode::Text(s.to_owned())
    }
}

/// Who is asking: decides the wording of credit errors, and which secret no error may quote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Caller {
    /// True when the token is an anonymous one acquired by the client.
    pub anonymous: bool,
    /// The user id the backend gave the anonymous token (`anon_...`), for the bind link.
    pub user_id: Option<String>,
    /// The token the call was sent with: masked wherever server text is quoted.
    pub token: Option<Token>,
}

impl Caller {
    /// `text` with the caller's token masked (`***`): errors quote server text, and a server
    /// may echo what it was sent.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.token.as_ref().map(Token::expose) {
            Some(t) if text.contains(t) => Cow::Owned(text.replace(t, "***")),
            _ => Cow::Borrowed(text),
        }
    }
}

/// The crate's error: what failed, whether to retry, and what to tell the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NemoError {
    /// The API code, HTTP status or string code.
    pub code: ErrorCode,
    /// The kind of failure.
    pub kind: ErrorKind,
    /// Whether the same call may succeed if tried again later.
    pub retryable: bool,
    /// What the client may do about it before reporting it (from the error table).
    pub recovery: Recovery,
    /// What happened, for developers (never holds a token).
    pub message: String,
    /// What to tell the user.
    pub user_message: String,
    /// Registration link for an anonymous user out of credits.
    pub bind_url: Option<String>,
    /// How long the server asked us to wait, when it said.
    pub retry_after_ms: Option<u64>,
}

impl NemoError {
    /// A new error with the user message equal to the technical one.
    pub fn new(
        kind: ErrorKind,
        code: impl Into<ErrorCode>,
        retryable: bool,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        NemoError {
            code: code.into(),
            kind,
            retryable,
            recovery: Recovery::Report,
            user_message: message.clone(),
            message,
            bind_url: None,
            retry_after_ms: None,
        }
    }

    /// Replaces the user-facing message.
    pub fn with_user_message(mut self, text: impl Into<String>) -> Self {
        self.user_message = text.into();
        self
    }

    /// The error for a code the service sent (an API or HTTP code, or the agent's text code),
    /// from its row of [`TABLE`]; `server_message` is the service's own text, kept for
    /// developers (one row also reads it: ADK's 404 `Session not found`).
    pub fn from_code(code: impl Into<ErrorCode>, server_message: &str, caller: &Caller) -> Self {
        let code = code.into();
        let server_message = caller.redact(server_message);
        let row = lookup(&code, &server_message);
        let source = match code {
            ErrorCode::Num(_) => "API error",
            ErrorCode::Text(_) => "agent error",
        };
        let message = if server_message.is_empty() {
            format!("{source} {code}")
        } else {
            format!("{source} {code}: {server_message}")
        };
        let mut err = NemoError::new(row.kind, code, row.retryable, message)
            .with_user_message(row.user_message);
        err.recovery = row.recovery;
        if row.bind_link && caller.anonymous {
            match caller.user_id.as_deref().filter(|id| !id.is_empty()) {
                Some(id) => {
                    let url = format!("{REGISTER_URL}?bind={}", encode_query_value(id));
                    err.user_message = format!(
                        "You have used your free credits. Register to get more and keep this project: {url}"
                    );
                    err.bind_url = Some(url);
                }
                // A link with an empty `bind` would register an account this project is not
                // tied to: say what is known instead.
                None => {
                    err.user_message = format!(
                        "You have used your free credits. Register at {REGISTER_URL} to get more; \
                         the service gave no user id, so this project cannot be linked to the new \
                         account automatically."
                    );
                }
            }
        }
        err
    }

    /// The caller aborted its call.
    pub fn is_aborted(&self) -> bool {
        self.kind == ErrorKind::Aborted
    }

    /// A client-side timeout (idle, total, request, export).
    pub fn is_timeout(&self) -> bool {
        self.kind == ErrorKind::Timeout
    }

    /// Rate limited (429).
    pub fn is_rate_limited(&self) -> bool {
        self.kind == ErrorKind::RateLimit
    }

    /// The caller aborted.
    pub fn aborted() -> Self {
        NemoError::new(
            ErrorKind::Aborted,
            "ABORTED",
            false,
            "aborted by the caller",
        )
        .with_user_message("Stopped.")
    }

    /// A client-side timeout; `what` names what took too long.
    pub fn timeout(code: &str, what: &str) -> Self {
        NemoError::new(ErrorKind::Timeout, code, true, format!("{what} timed out"))
            .with_user_message(format!("{what} is taking too long. Please try again."))
    }

    /// The peer sent something unreadable.
    pub fn protocol(code: &str, message: impl Into<String>) -> Self {
        NemoError::new(ErrorKind::Protocol, code, false, message)
            .with_user_message("The video service sent a reply we could not read.")
    }

    /// Bad input to the library (a bad id, URL or option).
    pub fn refused(code: &str, message: impl Into<String>) -> Self {
        NemoError::new(ErrorKind::Refused, code, false, message)
    }

    /// A network failure (no response, or a dropped stream).
    pub fn network(message: impl Into<String>) -> Self {
        NemoError::new(ErrorKind::Network, "NETWORK", true, message).with_user_message(
            "Could not reach the video service. Check the connection and try again.",
        )
    }
}

impl fmt::Display for NemoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({}): {}",
            self.kind.as_str(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for NemoError {}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
pub(crate) fn encode_query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon() -> Caller {
        Caller {
            anonymous: true,
            user_id: Some("anon_42".into()),
            ..Caller::default()
        }
    }

    #[test]
    fn every_row_of_the_api_table() {
        for code in [1001, 1002, 2001, 4001, 4002, 400, 402, 429] {
            let r = lookup(&ErrorCode::Num(code), "srv");
            let e = NemoError::from_code(code, "srv", &Caller::default());
            assert_eq!(
                (e.kind, e.retryable, e.recovery),
                (r.kind, r.retryable, r.recovery)
            );
            assert_eq!(e.code, ErrorCode::Num(code));
            assert_eq!(e.user_message, r.user_message);
            assert!(e.message.contains("srv"));
        }
        let e = NemoError::from_code("SAFETY", "blocked", &Caller::default());
        assert_eq!(e.message, "agent error SAFETY: blocked");
        assert_eq!(e.code, ErrorCode::Text("SAFETY".into()));
    }

    #[test]
    fn predicates() {
        assert!(NemoError::aborted().is_aborted());
        assert!(NemoError::timeout("T", "x").is_timeout());
        assert!(NemoError::from_code(429, "", &Caller::default()).is_rate_limited());
        assert!(!NemoError::from_code(500, "", &Caller::default()).is_aborted());
    }

    #[test]
    fn file_type_message_lists_formats() {
        let e = NemoError::from_code(4001, "", &Caller::default());
        for ext in crate::core::upload::ACCEPTED_EXTENSIONS {
            assert!(e.user_message.contains(ext), "{ext}");
        }
    }

    #[test]
    fn out_of_credits_anonymous_gets_bind_link() {
        let e = NemoError::from_code(2001, "no credits", &anon());
        assert_eq!(
            e.bind_url.as_deref(),
            Some("https://nemovideo.com/register?bind=anon_42")
        );
        assert!(e.user_message.contains("register?bind=anon_42"));
        let registered = NemoError::from_code(2001, "", &Caller::default());
        assert_eq!(registered.bind_url, None);
        assert!(registered.user_message.contains("Top up"));
        // An anonymous user whose id nobody gave: no `?bind=` link to nothing.
        let unknown = Caller {
            anonymous: true,
            ..Caller::default()
        };
        let e = NemoError::from_code(2001, "", &unknown);
        assert_eq!(e.bind_url, None);
        assert!(!e.user_message.contains("bind="));
        assert!(e.user_message.contains("https://nemovideo.com/register"));
    }

    #[test]
    fn bind_id_is_encoded() {
        let c = Caller {
            anonymous: true,
            user_id: Some("a&b=c d".into()),
            ..Caller::default()
        };
        let e = NemoError::from_code(2001, "", &c);
        assert_eq!(
            e.bind_url.unwrap(),
            format!("{REGISTER_URL}?bind=a%26b%3Dc%20d")
        );
    }

    #[test]
    fn unknown_codes() {
        let e = NemoError::from_code(503, "", &Caller::default());
        assert_eq!((e.kind, e.retryable), (ErrorKind::Server, true));
        let e = NemoError::from_code(9999, "odd", &Caller::default());
        assert_eq!((e.kind, e.retryable), (ErrorKind::Server, false));
        let e = NemoError::from_code(422, "", &Caller::default());
        assert_eq!(e.kind, ErrorKind::Protocol);
        let e = NemoError::from_code(403, "", &Caller::default());
        assert_eq!(e.kind, ErrorKind::Refused);
    }

    #[test]
    fn kinds_have_stable_names() {
        assert_eq!(ErrorKind::FileType.as_str(), "file_type");
        assert_eq!(ErrorKind::RateLimit.as_str(), "rate_limit");
        assert_eq!(NemoError::aborted().kind.as_str(), "aborted");
    }
}
