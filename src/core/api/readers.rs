//! The readers of each endpoint's `data`: token, session, credits, state, upload.
//!
//! Owns: turning a decoded payload into the client's types, tolerantly (numbers sent as text,
//! the field-name variants the sources disagree on, unknown fields ignored); a missing field
//! the client needs is a protocol error. Does not own: envelopes (`envelope.rs`).

use std::collections::BTreeMap;

use serde_json::Value;
use serde_json::value::RawValue;

use super::envelope::carries_data;
use super::routes::is_valid_id;
use super::token::Token;
use crate::core::error::NemoError;

fn missing(what: &str) -> NemoError {
    NemoError::protocol("MISSING_FIELD", format!("the response has no {what}"))
}

fn str_or_number(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => crate::core::number::parse(s),
        _ => None,
    }
}

/// An anonymous token grant.
#[derive(Clone, Debug, PartialEq)]
pub struct TokenGrant {
    /// The token.
    pub token: Token,
    /// `anon_...`, for the bind link.
    pub user_id: Option<String>,
    /// Starting credits.
    pub credits: Option<f64>,
    /// ISO-8601 expiry.
    pub expires_at: Option<String>,
}

/// Reads the anonymous-token `data`.
pub fn parse_token(data: &Value) -> Result<TokenGrant, NemoError> {
    let token = data
        .get("token")
        .or_else(|| data.get("access_token"))
        .and_then(Value::as_str)
        .ok_or_else(|| missing("token"))?;
    Ok(TokenGrant {
        token: Token::new(token)?,
        user_id: parse_user_id(data),
        credits: number(data.get("credits")),
        expires_at: data
            .get("expires_at")
            .or_else(|| data.get("expiresAt"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}

/// The user id an answer carries (`user_id` or `userId`): the token answer and the session
/// answer may each have it (API.md).
pub fn parse_user_id(data: &Value) -> Option<String> {
    str_or_number(data.get("user_id").or_else(|| data.get("userId")))
}

/// Reads the session `data`: the session id, kept as a string (it is a 19-digit number).
pub fn parse_session(data: &Value) -> Result<String, NemoError> {
    let id = str_or_number(data.get("session_id").or_else(|| data.get("sessionId")))
        .ok_or_else(|| missing("session_id"))?;
    if !is_valid_id(&id) {
        return Err(NemoError::protocol(
            "BAD_ID",
            "the server sent an invalid session id",
        ));
    }
    Ok(id)
}

/// The credit balance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Credits {
    /// Spendable now.
    pub available: f64,
    /// Held by running work.
    pub frozen: f64,
    /// In all.
    pub total: f64,
}

/// Reads the credits `data`.
pub fn parse_credits(data: &Value) -> Result<Credits, NemoError> {
    let available = number(data.get("available"));
    let frozen = number(data.get("frozen"));
    let total = number(data.get("total"));
    if available.is_none() && total.is_none() {
        return Err(missing("credit balance"));
    }
    let frozen = frozen.unwrap_or(0.0);
    let available = available.unwrap_or_else(|| (total.unwrap_or(0.0) - frozen).max(0.0));
    Ok(Credits {
        available,
        frozen,
        total: total.unwrap_or(available + frozen),
    })
}

/// Reads the draft out of the state `data` (`state.draft`, or `draft` directly; a draft sent
/// as a JSON string is parsed). `None`: the session has no draft yet.
pub fn parse_state_draft(data: &Value) -> Option<Value> {
    let state = data.get("state").filter(|s| s.is_object()).unwrap_or(data);
    match state.get("draft")? {
        Value::Null => None,
        Value::String(s) => serde_json::from_str(s).ok(),
        v => Some(v.clone()),
    }
}

/// The members of the JSON object `text`, each as its raw text, read by serde exactly as
/// [`Value`] reads them (escaped keys decoded, a key given twice keeps its last value); `None`
/// when `text` is not an object.
fn members(text: &str) -> Option<BTreeMap<String, &RawValue>> {
    serde_json::from_str(text).ok()
}

/// The draft of a state answer exactly as the server wrote it (key order, number spelling,
/// a draft sent as a JSON string still a string), found where [`parse_state_draft`] finds it
/// in what `decode` made of the body: `data` of an envelope (else the bare body), then `state`
/// (else `data` itself), then `draft`. `None`: no draft, or `null`. `parsed` is the body as
/// `decode` parsed it (`Decoded::top`), which says whether it is an envelope.
pub fn raw_state_draft(body: &str, parsed: &Value) -> Option<Box<RawValue>> {
    let top = members(body)?;
    let enveloped = parsed.as_object().is_some_and(carries_data);
    let data = if enveloped {
        top.get("data")?.get()
    } else {
        body
    };
    let data = members(data)?;
    let state = match data.get("state").and_then(|s| members(s.get())) {
        Some(state) => state,
        None => data,
    };
    let draft = *state.get("draft")?;
    (draft.get() != "null").then(|| draft.to_owned())
}

/// One uploaded file as the server describes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UploadedFile {
    /// Name.
    pub filename: String,
    /// Type as the server names it.
    pub file_type: Option<String>,
    /// Where it is now.
    pub cdn_url: Option<String>,
    /// Seconds.
    pub duration: Option<f64>,
    /// Pixels.
    pub width: Option<f64>,
    /// Pixels.
    pub height: Option<f64>,
    /// Frames per second.
    pub fps: Option<f64>,
    /// Content hash.
    pub hash: Option<String>,
}

/// Reads the upload `data` (`files[]`, or a bare array).
pub fn parse_upload(data: &Value) -> Result<Vec<UploadedFile>, NemoError> {
    let files = data
        .get("files")
        .or(Some(data))
        .and_then(Value::as_array)
        .ok_or_else(|| missing("files"))?;
    Ok(files
        .iter()
        .filter(|f| f.is_object())
        .map(|f| {
            let s = |k: &str| f.get(k).and_then(Value::as_str).map(str::to_owned);
            UploadedFile {
                filename: s("filename").or_else(|| s("name")).unwrap_or_default(),
                file_type: s("file_type"),
                cdn_url: s("cdn_url").or_else(|| s("url")),
                duration: number(f.get("duration")),
                width: number(f.get("width")),
                height: number(f.get("height")),
                fps: number(f.get("fps")),
                hash: s("hash"),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_raw_draft_is_the_servers_text() {
        let draft = r#"{"t":[{"tt":0,"sg":[{"s":0,"d":1.50}]}],"d":10000,"big":12345678901234567890,"a":1}"#;
        for body in [
            format!(r#"{{"code":0,"message":"ok","data":{{"state":{{"draft":{draft}}}}}}}"#),
            format!(r#"{{"success":true,"data":{{"draft":{draft}}}}}"#),
            format!(r#"{{"state":{{"video_infos":[],"draft":{draft}}}}}"#),
        ] {
            assert_eq!(raw(&body).unwrap().get(), draft, "{body}");
        }
        let as_string = serde_json::to_string(draft).unwrap();
        let body = format!(r#"{{"code":0,"data":{{"state":{{"draft":{as_string}}}}}}}"#);
        assert_eq!(
            raw(&body).unwrap().get(),
            as_string,
            "a string stays a string"
        );
        assert!(raw(r#"{"code":0,"data":{"state":{"draft":null}}}"#).is_none());
        assert!(raw(r#"{"code":0,"data":{"state":{}}}"#).is_none());
        assert!(raw("not json").is_none());
        // Strings holding brackets, quotes and escapes, and members before and after.
        let tricky = r#"{"a":"}]\"{","draft":{"s":"x\\\"}","n":[1,{"b":[]}]} ,"z":0}"#;
        assert_eq!(
            raw(tricky).unwrap().get(),
            r#"{"s":"x\\\"}","n":[1,{"b":[]}]}"#
        );
        assert_eq!(raw(r#"{ "draft" : 12.50 }"#).unwrap().get(), "12.50");
    }

    use super::*;
    use serde_json::json;

    /// [`raw_state_draft`] of a body, with the body parsed as `decode` parses it.
    fn raw(body: &str) -> Option<Box<RawValue>> {
        raw_state_draft(body, &serde_json::from_str(body).unwrap_or(Value::Null))
    }

    /// The draft read from a state body, and the text that would go back on export.
    fn both(body: &str) -> (Option<Value>, Option<Value>) {
        let v: Value = serde_json::from_str(body).unwrap();
        let data = if v.get("code").is_some() || v.get("success").is_some() {
            v.get("data").cloned().unwrap_or(Value::Null)
        } else {
            v
        };
        let raw = raw(body).map(|r| serde_json::from_str(r.get()).unwrap());
        (parse_state_draft(&data), raw)
    }

    #[test]
    fn the_raw_draft_is_found_where_the_parser_finds_the_draft() {
        // Found by the `draft` fuzz target (fuzz/corpus/draft/crash-duplicate-draft): with a
        // key given twice the parser keeps the last, as JSON parsers do; the text sent back
        // on export must be that same draft, not the first one.
        for body in [
            r#"{"code":0,"data":{"state":{"draft":{"t":22},"draft":{"t":[{"tt":0}]}}}}"#,
            r#"{"code":0,"data":{"state":{"x":1},"state":{"draft":{"t":[2]}}}}"#,
            r#"{"code":0,"data":{"state":{"draft":{"t":[3]}}},"data":{"state":{"draft":{"t":[4]}}}}"#,
            // A key written with an escape is the same key.
            r#"{"code":0,"data":{"state":{"dr\u0061ft":{"t":[5]}}}}"#,
        ] {
            let (parsed, sent) = both(body);
            assert!(parsed.is_some(), "{body}");
            assert_eq!(sent, parsed, "{body}");
        }
    }

    #[test]
    fn readers() {
        let g = parse_token(&json!({"token": "nmv_usr_x", "credits": 100, "user_id": "anon_1", "expires_at": "2026-12-01T00:00:00Z"})).unwrap();
        assert_eq!(
            (g.token.expose(), g.user_id.as_deref(), g.credits),
            ("nmv_usr_x", Some("anon_1"), Some(100.0))
        );
        assert!(parse_token(&json!({})).is_err());
        assert_eq!(
            parse_session(&json!({"session_id": "7350000000000000001"})).unwrap(),
            "7350000000000000001"
        );
        assert_eq!(
            parse_session(&json!({"session_id": 7350000000000000001u64})).unwrap(),
            "7350000000000000001"
        );
        assert!(parse_session(&json!({"session_id": "../x"})).is_err());
        let c = parse_credits(&json!({"available": 90, "frozen": "10", "total": 100})).unwrap();
        assert_eq!((c.available, c.frozen, c.total), (90.0, 10.0, 100.0));
        assert_eq!(
            parse_credits(&json!({"total": 100, "frozen": 5}))
                .unwrap()
                .available,
            95.0
        );
        assert!(parse_credits(&json!({"x": 1})).is_err());
        assert_eq!(
            parse_state_draft(&json!({"state": {"draft": {"t": []}, "video_infos": []}})),
            Some(json!({"t": []}))
        );
        assert_eq!(
            parse_state_draft(&json!({"draft": "{\"t\":[]}"})),
            Some(json!({"t": []}))
        );
        assert_eq!(parse_state_draft(&json!({"state": {"draft": null}})), None);
        let f = parse_upload(&json!({"files": [{"filename": "a.mp4", "cdn_url": "https://c/a.mp4", "duration": 3.5, "width": 1920}, 7]})).unwrap();
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].filename.as_str(), f[0].duration, f[0].width),
            ("a.mp4", Some(3.5), Some(1920.0))
        );
        assert!(parse_upload(&json!({"nope": 1})).is_err());
    }
}
