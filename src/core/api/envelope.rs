//! Answers read tolerantly: the three documented envelope forms, HTTP errors, `Retry-After`.
//!
//! Owns: [`decode`] (`{code, message, data}` with `code != 0` an error even with HTTP 200,
//! `{success, data, error}`, or a bare object; ADK's `{"detail": ...}` errors), telling the
//! chat's event stream from an error answer ([`is_event_stream`], [`chat_open_error`]), and the
//! two forms of `Retry-After` ([`retry_after_ms`]). What each code *means* is the error table's
//! (`core::error`): this module only finds the code and the server's text.
//!
//! Does not own: the readers of each endpoint's `data` (`readers.rs`).

use serde_json::{Map, Value};

use crate::core::error::{Caller, ErrorKind, NemoError};

/// A response as the shell received it.
#[derive(Clone, Copy, Debug)]
pub struct HttpResponse<'a> {
    /// HTTP status.
    pub status: u16,
    /// The body text.
    pub body: &'a str,
    /// The `Retry-After` header, if any.
    pub retry_after: Option<&'a str>,
}

/// A decoded success: `data` (the envelope's payload) and the whole top-level object.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    /// The payload: `data` of an envelope, or the bare object.
    pub data: Value,
    /// The whole body.
    pub top: Value,
    /// The body's text, as it came (what a draft is passed on from, byte for byte).
    pub body: String,
}

fn code_value(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Object(o)) => o
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        Some(Value::Null) | None => String::new(),
        Some(other) => other.to_string(),
    }
}

/// Cuts server text down for an error message, the caller's token masked first (so no part
/// of it survives the cut).
fn excerpt(s: &str, caller: &Caller) -> String {
    let s = caller.redact(s);
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Whether an object is the `{code, message, data}` envelope (its `code` readable).
fn code_envelope(obj: &Map<String, Value>) -> bool {
    obj.get("code").and_then(code_value).is_some()
        && (obj.contains_key("data") || obj.contains_key("message") || obj.contains_key("msg"))
}

/// Whether a successful answer's payload is its `data` (one of the two envelopes) rather than
/// the whole body: the rule [`decode`] applies, for readers that work on the body's text.
pub(super) fn carries_data(obj: &Map<String, Value>) -> bool {
    code_envelope(obj) || obj.get("success").and_then(Value::as_bool).is_some()
}

/// Decodes a REST response in any of the three documented forms: `{code, message, data}`
/// (`code != 0` is an error even with HTTP 200), `{success, data, error}`, or a bare object.
/// HTTP errors become the matching [`NemoError`], with ADK's `{"detail": ...}` understood and a
/// `Retry-After` on 429 read (`now_ms` resolves its date form).
pub fn decode(resp: HttpResponse<'_>, caller: &Caller, now_ms: u64) -> Result<Decoded, NemoError> {
    let parsed: Option<Value> = serde_json::from_str(resp.body).ok();
    let ok_status = (200..300).contains(&resp.status);
    let with_wait = |mut e: NemoError| {
        if e.is_rate_limited() {
            e.retry_after_ms = resp.retry_after.and_then(|h| retry_after_ms(h, now_ms));
        }
        e
    };
    let Some(top) = parsed else {
        if ok_status {
            return Err(NemoError::protocol(
                "BAD_JSON",
                unreadable(resp.body, caller),
            ));
        }
        return Err(with_wait(NemoError::from_code(
            resp.status,
            &excerpt(resp.body, caller),
            caller,
        )));
    };
    let status_error = |text: &str| with_wait(NemoError::from_code(resp.status, text, caller));
    let Some(obj) = top.as_object() else {
        // JSON, but not an object: a bare payload, or an error status with nothing to read.
        return if ok_status {
            Ok(Decoded {
                data: top.clone(),
                top,
                body: resp.body.to_owned(),
            })
        } else {
            Err(status_error(""))
        };
    };
    // Envelope {code, message, data}.
    if let Some(code) = obj.get("code").and_then(code_value)
        && code_envelope(obj)
    {
        if code != 0 {
            let msg = text_of(obj.get("message").or_else(|| obj.get("msg")));
            return Err(with_wait(NemoError::from_code(code, &msg, caller)));
        }
        if ok_status {
            let data = obj.get("data").cloned().unwrap_or(Value::Null);
            return Ok(Decoded {
                data,
                top,
                body: resp.body.to_owned(),
            });
        }
    }
    // Envelope {success, data, error}.
    if let Some(success) = obj.get("success").and_then(Value::as_bool) {
        if !success || !ok_status {
            let err = obj.get("error");
            let code = err
                .and_then(|e| e.get("code"))
                .and_then(code_value)
                .or_else(|| obj.get("code").and_then(code_value));
            let msg = text_of(err.or_else(|| obj.get("message")));
            let code = code.unwrap_or(if ok_status { 500 } else { resp.status.into() });
            return Err(with_wait(NemoError::from_code(code, &msg, caller)));
        }
        let data = obj.get("data").cloned().unwrap_or(Value::Null);
        return Ok(Decoded {
            data,
            top,
            body: resp.body.to_owned(),
        });
    }
    if ok_status {
        return Ok(Decoded {
            data: top.clone(),
            top,
            body: resp.body.to_owned(),
        });
    }
    // ADK's FastAPI errors: {"detail": "..."} or {"detail": [...]}; the error table reads the
    // detail (a 404 `Session not found` is a missing session).
    let detail_text = match obj.get("detail") {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => text_of(obj.get("message").or_else(|| obj.get("error"))),
    };
    Err(status_error(&excerpt(&detail_text, caller)))
}

/// What a successful answer that is not JSON was. A page (HTML, text) is quoted: it says what
/// went wrong. JSON cut short or malformed is not: a readable answer may hold a token (the
/// anonymous-token call's holds a new one, which the caller cannot mask, not knowing it).
fn unreadable(body: &str, caller: &Caller) -> String {
    if body.trim_start().starts_with(['{', '[']) {
        format!(
            "expected JSON, got {} bytes of JSON cut short or malformed (not quoted: it may hold a token)",
            body.len()
        )
    } else {
        format!("expected JSON, got: {}", excerpt(body, caller))
    }
}

/// Whether a `/run_sse` response is the event stream (else its body is an error to
/// [`decode`]).
pub fn is_event_stream(status: u16, content_type: Option<&str>) -> bool {
    (200..300).contains(&status)
        && content_type.is_none_or(|ct| {
            ct.to_ascii_lowercase()
                .trim_start()
                .starts_with("text/event-stream")
        })
}

/// The error for a `/run_sse` response that is not a stream: [`decode`]'s error, or a protocol
/// error when the body decodes as a success.
pub fn chat_open_error(resp: HttpResponse<'_>, caller: &Caller, now_ms: u64) -> NemoError {
    match decode(resp, caller, now_ms) {
        Err(e) => e,
        Ok(_) => NemoError::protocol(
            "NOT_A_STREAM",
            "the chat endpoint answered JSON instead of an event stream",
        ),
    }
}

/// Whether a download's answer is the file: a 2xx that is not a page, text or JSON (a
/// gateway's page answered 200 is not the video).
pub fn is_file(status: u16, content_type: Option<&str>) -> bool {
    let ct = content_type.unwrap_or("").trim_start().to_ascii_lowercase();
    (200..300).contains(&status)
        && !(ct.starts_with("text/") || ct.contains("json") || ct.contains("xml"))
}

/// The error for a download that did not answer the file: the API's own error when the body
/// is one, else a protocol error saying what came instead.
pub fn download_error(resp: HttpResponse<'_>, caller: &Caller, now_ms: u64) -> NemoError {
    match decode(resp, caller, now_ms) {
        Err(e) if e.kind != ErrorKind::Protocol => e,
        _ => NemoError::protocol(
            "NOT_A_FILE",
            format!(
                "the download answered {} with {} bytes that are not the video",
                resp.status,
                resp.body.len()
            ),
        ),
    }
}

/// `Retry-After` in ms: delay-seconds or an HTTP-date (relative to `now_ms`).
pub fn retry_after_ms(value: &str, now_ms: u64) -> Option<u64> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(
            v.parse::<u64>()
                .unwrap_or(u64::MAX / 1000)
                .saturating_mul(1000),
        );
    }
    let at_ms = super::http_date::parse(v)?.saturating_mul(1000);
    Some(at_ms.saturating_sub(now_ms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::{ErrorCode, ErrorKind};
    use serde_json::json;

    fn ok(body: &str) -> Result<Decoded, NemoError> {
        decode(
            HttpResponse {
                status: 200,
                body,
                retry_after: None,
            },
            &Caller::default(),
            0,
        )
    }

    #[test]
    fn no_error_quotes_a_token() {
        // Found by the fault matrix (tests/js/fault_matrix.test.mjs, anonymousToken ×
        // malformedJson and × truncated): an anonymous-token answer that could not be read
        // was quoted in the BAD_JSON error, the new token with it.
        let grant = r#"{"code":0,"message":"success","data":{"token":"nmv_usr_0123456789abcdef0123456789abcdef","user_id":"anon_1"}}"#;
        for body in [format!("{grant}}}"), grant[..grant.len() - 12].to_owned()] {
            let e = ok(&body).unwrap_err();
            assert_eq!(e.code, ErrorCode::from("BAD_JSON"));
            let shown = format!("{e:?} {e} {}", e.user_message);
            assert!(!shown.contains("nmv_usr_0123"), "{shown}");
        }
        // A page that is not JSON at all is still quoted (a gateway's page says what went
        // wrong), and the caller's own token, if a server echoes it, is masked wherever server
        // text is quoted.
        let caller = Caller {
            token: Some(crate::core::api::Token::new("nmv_usr_echoed_secret").unwrap()),
            ..Caller::default()
        };
        for (status, body) in [
            (
                401,
                r#"{"code":1001,"message":"token nmv_usr_echoed_secret expired"}"#,
            ),
            (
                200,
                r#"{"code":1002,"msg":"no session for nmv_usr_echoed_secret"}"#,
            ),
            (502, "<html>Bearer nmv_usr_echoed_secret</html>"),
            (200, "<html>Bearer nmv_usr_echoed_secret</html>"),
            (
                404,
                r#"{"detail":"Session not found: nmv_usr_echoed_secret"}"#,
            ),
            (
                500,
                r#"{"success":false,"error":{"message":"nmv_usr_echoed_secret"}}"#,
            ),
        ] {
            let resp = HttpResponse {
                status,
                body,
                retry_after: None,
            };
            for e in [
                decode(resp, &caller, 0).unwrap_err(),
                chat_open_error(resp, &caller, 0),
            ] {
                let shown = format!("{e:?} {e} {}", e.user_message);
                assert!(!shown.contains("nmv_usr_echoed_secret"), "{shown}");
                assert!(
                    shown.contains("Bearer ***") || !body.contains("Bearer"),
                    "{shown}"
                );
            }
        }
    }

    #[test]
    fn a_download_is_a_file_not_a_page() {
        // Found by the fault matrix (download × wrongContentType): a gateway's 200 text/html
        // page was handed to the caller as the video.
        assert!(is_file(200, Some("video/mp4")));
        assert!(is_file(200, Some("application/octet-stream")));
        assert!(is_file(206, None));
        for ct in [
            "text/html; charset=utf-8",
            "application/json",
            "TEXT/plain",
            "application/problem+json",
        ] {
            assert!(!is_file(200, Some(ct)), "{ct}");
        }
        assert!(!is_file(404, Some("video/mp4")));
        let resp = |status, body| HttpResponse {
            status,
            body,
            retry_after: None,
        };
        let c = Caller::default();
        assert_eq!(
            download_error(resp(200, "<!doctype html>"), &c, 0).code,
            ErrorCode::from("NOT_A_FILE")
        );
        assert_eq!(
            download_error(resp(200, r#"{"code":0,"data":{}}"#), &c, 0).code,
            ErrorCode::from("NOT_A_FILE")
        );
        assert_eq!(
            download_error(resp(200, r#"{"code":1002,"message":"x"}"#), &c, 0).code,
            ErrorCode::Num(1002)
        );
        assert_eq!(
            download_error(resp(503, "<html>busy</html>"), &c, 0).kind,
            ErrorKind::Server
        );
    }

    #[test]
    fn three_envelope_forms() {
        assert_eq!(
            ok(r#"{"code":0,"message":"ok","data":{"a":1}}"#)
                .unwrap()
                .data,
            json!({"a": 1})
        );
        assert_eq!(
            ok(r#"{"success":true,"data":{"a":2}}"#).unwrap().data,
            json!({"a": 2})
        );
        assert_eq!(
            ok(r#"{"a":3,"extra":[1]}"#).unwrap().data,
            json!({"a": 3, "extra": [1]})
        );
        let e = ok(r#"{"code":1001,"message":"token expired"}"#).unwrap_err();
        assert_eq!((e.code, e.kind), (ErrorCode::Num(1001), ErrorKind::Auth));
        let e = ok(r#"{"code":"2001","msg":"none","data":null}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Credits);
        let e = ok(r#"{"success":false,"error":"render node lost"}"#).unwrap_err();
        assert_eq!((e.kind, e.retryable), (ErrorKind::Server, true));
        let e = ok(r#"{"success":false,"error":{"code":4002,"message":"big"}}"#).unwrap_err();
        assert_eq!(e.kind, ErrorKind::FileSize);
        assert_eq!(ok("<html>").unwrap_err().kind, ErrorKind::Protocol);
    }

    #[test]
    fn http_errors() {
        let c = Caller::default();
        let r = |status, body, retry_after| {
            decode(
                HttpResponse {
                    status,
                    body,
                    retry_after,
                },
                &c,
                1_000_000,
            )
            .unwrap_err()
        };
        assert_eq!(r(400, "", None).code, ErrorCode::Num(400));
        assert_eq!(
            r(402, r#"{"detail":"upgrade"}"#, None).kind,
            ErrorKind::Plan
        );
        let e = r(429, "slow down", Some("7"));
        assert_eq!(
            (e.kind, e.retry_after_ms),
            (ErrorKind::RateLimit, Some(7000))
        );
        let e = r(404, r#"{"detail":"Session not found: 123"}"#, None);
        assert_eq!(e.kind, ErrorKind::Session);
        assert_eq!(
            r(404, r#"{"detail":"Agent not found: x"}"#, None).kind,
            ErrorKind::Refused
        );
        assert_eq!(
            r(422, r#"{"detail":[{"loc":["body"]}]}"#, None).kind,
            ErrorKind::Protocol
        );
        assert_eq!(r(403, "Forbidden", None).kind, ErrorKind::Refused);
        let e = r(502, "bad gateway", None);
        assert!(e.retryable);
        // An envelope error code wins over the HTTP status.
        assert_eq!(
            r(401, r#"{"code":1001,"message":"expired"}"#, None).code,
            ErrorCode::Num(1001)
        );
    }

    #[test]
    fn retry_after_forms() {
        assert_eq!(retry_after_ms("30", 0), Some(30_000));
        assert_eq!(retry_after_ms(" 2 ", 0), Some(2000));
        let now = 784_111_777_000 - 5_000; // 5 s before Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(5_000)
        );
        assert_eq!(
            retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", now + 10_000),
            Some(0)
        );
        assert_eq!(retry_after_ms("soon", 0), None);
        assert_eq!(retry_after_ms("-1", 0), None);
    }

    #[test]
    fn chat_open() {
        assert!(is_event_stream(
            200,
            Some("text/event-stream; charset=utf-8")
        ));
        assert!(is_event_stream(200, None));
        assert!(!is_event_stream(200, Some("application/json")));
        assert!(!is_event_stream(404, Some("text/event-stream")));
        let c = Caller::default();
        let e = chat_open_error(
            HttpResponse {
                status: 200,
                body: r#"{"code":1002,"message":"no session"}"#,
                retry_after: None,
            },
            &c,
            0,
        );
        assert_eq!(e.kind, ErrorKind::Session);
        let e = chat_open_error(
            HttpResponse {
                status: 200,
                body: r#"{"code":0,"data":{}}"#,
                retry_after: None,
            },
            &c,
            0,
        );
        assert_eq!(e.kind, ErrorKind::Protocol);
    }
}
