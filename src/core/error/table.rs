//! The error policy: one table, one row per code the service can send, read by one function.
//!
//! Like `http`'s status table, this is the one place to read what happens on each code: its
//! kind, whether trying again later may succeed, what the client does about it before giving
//! up (`session.rs` applies that at most once per call), and what the user is told. Codes are
//! the API's numbers (envelope codes such as 1001, HTTP statuses such as 429) and the agent's
//! text codes (`errorCode` in the chat stream, such as `SAFETY`). The first row that matches
//! wins, so specific rows come before the catch-alls that end each half of the table.
//!
//! The client's own failures (an abort, a timeout, a bad id, a dropped stream) are not codes
//! the service sends: they are made by `NemoError`'s constructors with their kind.

use super::{ErrorCode, ErrorKind};

/// What the client does about a code before giving up. `session.rs` applies it at most once
/// per call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing: report the error.
    Report,
    /// Get a new anonymous token for the same client id, then retry once.
    RefreshToken,
    /// Create a new session, then retry once.
    NewSession,
    /// Make sure a client id is sent (generate one if needed), then retry once.
    SendClientId,
    /// Wait (`Retry-After` or the configured wait), then retry once.
    WaitAndRetry,
}

/// Which codes a row is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    /// This number: an API envelope code or an HTTP status.
    Num(i64),
    /// This number when the server's text starts with this (ADK's 404 `Session not found`).
    NumSaying(i64, &'static str),
    /// Any number in this range, inclusive.
    Range(i64, i64),
    /// Any other number.
    OtherNum,
    /// This text code (the agent's `errorCode`).
    Text(&'static str),
    /// Any other text code.
    OtherText,
}

impl Key {
    fn matches(self, code: &ErrorCode, server_text: &str) -> bool {
        match (self, code) {
            (Key::Num(k), ErrorCode::Num(n)) => k == *n,
            (Key::NumSaying(k, says), ErrorCode::Num(n)) => {
                k == *n && server_text.trim_start().starts_with(says)
            }
            (Key::Range(lo, hi), ErrorCode::Num(n)) => (lo..=hi).contains(n),
            (Key::OtherNum, ErrorCode::Num(_)) | (Key::OtherText, ErrorCode::Text(_)) => true,
            (Key::Text(k), ErrorCode::Text(t)) => k == t,
            _ => false,
        }
    }
}

/// One row of the table.
#[derive(Debug)]
pub struct Row {
    /// The codes this row is for.
    pub key: Key,
    /// Their kind.
    pub kind: ErrorKind,
    /// Whether trying the same thing again later may succeed.
    pub retryable: bool,
    /// What the client does before reporting it.
    pub recovery: Recovery,
    /// What to tell the user.
    pub user_message: &'static str,
    /// An anonymous caller is given the registration link (`?bind=<user_id>`).
    pub bind_link: bool,
}

const fn row(
    key: Key,
    kind: ErrorKind,
    retryable: bool,
    recovery: Recovery,
    user_message: &'static str,
) -> Row {
    Row {
        key,
        kind,
        retryable,
        recovery,
        user_message,
        bind_link: false,
    }
}

use ErrorKind as K;
use Key::{Num, NumSaying, OtherNum, OtherText, Range, Text};
use Recovery::{NewSession, RefreshToken, Report, SendClientId, WaitAndRetry};

const SESSION_GONE: &str = "The project session was not found. A new session is needed.";
const DECLINED: &str = "The video agent declined this request. Try describing it differently.";
const BUSY: &str = "The video agent is busy or had a temporary problem. Try again in a moment.";

/// The table: API.md's "Errors and what the client does", then the HTTP statuses and agent
/// codes the service is known to send, then the catch-alls.
#[rustfmt::skip]
pub static TABLE: &[Row] = &[
    // API.md's table.
    row(Num(1001), K::Auth, true, RefreshToken, "Your session key expired. Reconnecting should fix it."),
    row(Num(1002), K::Session, true, NewSession, SESSION_GONE),
    Row { bind_link: true, ..row(Num(2001), K::Credits, false, Report, "You are out of credits. Top up your account to continue.") },
    row(Num(4001), K::FileType, false, Report, "That file type is not supported. Accepted formats: mp4, mov, avi, webm, mkv, jpg, png, gif, webp, mp3, wav, m4a, aac."),
    row(Num(4002), K::FileSize, false, Report, "That file is too large (500 MB at most). Try compressing or trimming it."),
    row(Num(400), K::Auth, true, SendClientId, "The request was missing its client id."),
    row(Num(402), K::Plan, false, Report, "Exporting is not available on the free plan. Register to unlock export (this is not about credits)."),
    row(Num(429), K::RateLimit, true, WaitAndRetry, "Too many requests right now. Please wait a moment and try again."),
    // ADK's HTTP errors before the stream: a missing session is 1002 by another name.
    row(NumSaying(404, "Session not found"), K::Session, true, NewSession, SESSION_GONE),
    // Other HTTP statuses.
    // A bare 401 is 1001 by HTTP's name: an anonymous token is renewed (a configured one is
    // reported by the retry policy).
    row(Num(401), K::Auth, true, RefreshToken, "Your session key expired. Reconnecting should fix it."),
    row(Num(403), K::Refused, false, Report, "The server refused this request."),
    row(Num(404), K::Refused, false, Report, "The server does not know this address."),
    row(Num(422), K::Protocol, false, Report, "The server could not read our request. Please report this."),
    row(Range(500, 599), K::Server, true, Report, "The video service had a problem. Please try again in a moment."),
    row(OtherNum, K::Server, false, Report, "The video service reported an error."),
    // The agent's errorCode in the chat stream (Gemini finish reasons and gRPC statuses).
    row(Text("SAFETY"), K::Refused, false, Report, DECLINED),
    row(Text("PROHIBITED_CONTENT"), K::Refused, false, Report, DECLINED),
    row(Text("BLOCKLIST"), K::Refused, false, Report, DECLINED),
    row(Text("SPII"), K::Refused, false, Report, DECLINED),
    row(Text("RECITATION"), K::Refused, false, Report, DECLINED),
    row(Text("UNAVAILABLE"), K::Server, true, Report, BUSY),
    row(Text("RESOURCE_EXHAUSTED"), K::Server, true, Report, BUSY),
    row(Text("DEADLINE_EXCEEDED"), K::Server, true, Report, BUSY),
    row(Text("INTERNAL"), K::Server, true, Report, BUSY),
    row(Text("OVERLOADED"), K::Server, true, Report, BUSY),
    // An `{"error": ...}` line that names no code.
    row(Text(STREAM_ERROR), K::Server, false, Report, "The video agent ran into a problem with this request."),
    row(OtherText, K::Server, false, Report, "The video agent could not finish this request."),
];

/// The code given to a stream error that names none.
pub const STREAM_ERROR: &str = "STREAM_ERROR";

/// The row for a code (and the server's text, which one row reads). Every code has one: each
/// half of the table ends with a catch-all.
pub fn lookup(code: &ErrorCode, server_text: &str) -> &'static Row {
    TABLE
        .iter()
        .find(|r| r.key.matches(code, server_text))
        .unwrap_or(&TABLE[TABLE.len() - 1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: i64) -> &'static Row {
        lookup(&ErrorCode::Num(n), "")
    }

    #[test]
    fn api_md_rows() {
        // (code, kind, retryable, recovery) exactly as API.md's table says.
        for (code, kind, retryable, recovery) in [
            (1001, K::Auth, true, RefreshToken),
            (1002, K::Session, true, NewSession),
            (2001, K::Credits, false, Report),
            (4001, K::FileType, false, Report),
            (4002, K::FileSize, false, Report),
            (400, K::Auth, true, SendClientId),
            (402, K::Plan, false, Report),
            (429, K::RateLimit, true, WaitAndRetry),
        ] {
            let r = num(code);
            assert_eq!(r.key, Num(code));
            assert_eq!(
                (r.kind, r.retryable, r.recovery),
                (kind, retryable, recovery),
                "{code}"
            );
        }
        assert!(num(2001).bind_link);
        // A bare 401 is treated as 1001; the model's refusals are refusals.
        assert_eq!((num(401).kind, num(401).recovery), (K::Auth, RefreshToken));
        for refusal in [
            "SAFETY",
            "PROHIBITED_CONTENT",
            "BLOCKLIST",
            "SPII",
            "RECITATION",
        ] {
            let r = lookup(&ErrorCode::Text(refusal.into()), "");
            assert_eq!((r.kind, r.retryable), (K::Refused, false), "{refusal}");
        }
        assert_eq!(TABLE.iter().filter(|r| r.bind_link).count(), 1);
    }

    #[test]
    fn adk_session_not_found_is_1002_by_another_name() {
        let r = lookup(
            &ErrorCode::Num(404),
            "Session not found: 7350000000000000001",
        );
        assert_eq!((r.kind, r.recovery), (K::Session, NewSession));
        assert_eq!(r.user_message, num(1002).user_message);
        let other = lookup(&ErrorCode::Num(404), "Agent not found: x");
        assert_eq!((other.kind, other.recovery), (K::Refused, Report));
    }

    #[test]
    fn catch_alls() {
        assert_eq!((num(503).kind, num(503).retryable), (K::Server, true));
        assert_eq!((num(9999).kind, num(9999).retryable), (K::Server, false));
        assert_eq!(num(9999).key, OtherNum);
        let t = |c: &str| lookup(&ErrorCode::Text(c.into()), "");
        assert_eq!(t("SAFETY").user_message, DECLINED);
        assert!(t("UNAVAILABLE").retryable);
        assert_eq!(t("SOMETHING_NEW").key, OtherText);
        assert!(!t("SOMETHING_NEW").retryable);
    }

    #[test]
    fn every_row_is_reachable() {
        // A row shadowed by an earlier one would never be read.
        for (i, r) in TABLE.iter().enumerate() {
            let (code, text) = match r.key {
                Num(n) | Range(n, _) => (ErrorCode::Num(n), ""),
                NumSaying(n, says) => (ErrorCode::Num(n), says),
                OtherNum => (ErrorCode::Num(i64::MIN), ""),
                Text(t) => (ErrorCode::Text(t.into()), ""),
                OtherText => (ErrorCode::Text("\u{1}".into()), ""),
            };
            assert!(
                std::ptr::eq(lookup(&code, text), &TABLE[i]),
                "row {i}: {:?}",
                r.key
            );
        }
    }
}
