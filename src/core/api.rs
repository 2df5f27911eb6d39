//! The wire contract of API.md: requests as plain data, responses read tolerantly.
//!
//! Owns: every endpoint as an [`HttpRequest`] (method, URL, headers, body) built by one
//! function, [`ApiConfig::request`], which adds the attribution headers, `Authorization`,
//! `X-Client-Id`, `Accept` and `Content-Type` in one place and checks every id before it enters
//! a path; the three documented envelope forms ([`decode`]); and the readers of each
//! endpoint's `data` (token, session, credits, state, upload).
//!
//! Does not own: sending (the shell), retry decisions (`session.rs`), the export job
//! (`render.rs`), what an error code means (`error.rs`).
//!
//! The token lives in [`Token`], whose `Debug` and `Display` print `Token(***)`; an
//! [`HttpRequest`]'s `Debug` prints `Authorization: Bearer ***`. Nothing here formats a token
//! into a URL or a message.

use std::fmt;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

use super::error::{Caller, ErrorKind, NemoError};

/// The production API.
pub const DEFAULT_BASE_URL: &str = "https://mega-api-prod.nemovideo.ai";
/// `X-Skill-Source` default.
pub const DEFAULT_SKILL_SOURCE: &str = "colab-text-to-video";
/// `X-Skill-Platform` default: browsers and workers have no install path to detect from.
pub const DEFAULT_PLATFORM: &str = "unknown";
/// The ADK app name.
pub const APP_NAME: &str = "nemo_agent";

/// A bearer token. Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Wraps a token; refuses one that could not be a header value.
    pub fn new(token: impl Into<String>) -> Result<Self, NemoError> {
        let token = token.into();
        let t = token.trim();
        if t.is_empty() || t.len() > 4096 || !t.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(NemoError::refused(
                "BAD_TOKEN",
                "the token is empty or not a valid header value",
            ));
        }
        Ok(Token(t.to_owned()))
    }

    /// The secret itself, for the `Authorization` header and storage only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}

/// Whether `id` may go into a URL path: `[0-9A-Za-z_-]{1,64}`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Checks an id before it enters a path.
pub fn check_id(what: &str, id: &str) -> Result<(), NemoError> {
    if is_valid_id(id) {
        Ok(())
    } else {
        Err(NemoError::refused(
            "BAD_ID",
            format!("invalid {what}: expected 1-64 of [0-9A-Za-z_-]"),
        )
        .with_user_message(format!("That {what} is not valid.")))
    }
}

/// Where and as whom the client talks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiConfig {
    /// Base URL, no trailing slash; empty or `/path` for same-origin (a proxy worker).
    pub base_url: String,
    /// `X-Skill-Source`.
    pub skill_source: String,
    /// `X-Skill-Version`.
    pub skill_version: String,
    /// `X-Skill-Platform`.
    pub platform: String,
}

impl Default for ApiConfig {
    fn default() -> Self {
        ApiConfig {
            base_url: DEFAULT_BASE_URL.to_owned(),
            skill_source: DEFAULT_SKILL_SOURCE.to_owned(),
            skill_version: env!("CARGO_PKG_VERSION").to_owned(),
            platform: DEFAULT_PLATFORM.to_owned(),
        }
    }
}

fn header_safe(what: &str, v: &str) -> Result<(), NemoError> {
    if v.len() <= 256 && v.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
        Ok(())
    } else {
        Err(NemoError::refused(
            "BAD_OPTION",
            format!("{what} must be printable ASCII, 256 bytes at most"),
        ))
    }
}

impl ApiConfig {
    /// Checks and normalises the options (base URL form, header-safe values).
    pub fn validated(mut self) -> Result<Self, NemoError> {
        let base = self.base_url.trim().trim_end_matches('/').to_owned();
        let lower = base.to_ascii_lowercase();
        let ok = base.is_empty()
            || (base.starts_with('/') && !base.starts_with("//"))
            || lower.starts_with("https://")
            || lower.starts_with("http://");
        if !ok
            || base
                .chars()
                .any(|c| c.is_whitespace() || c == '?' || c == '#')
        {
            return Err(NemoError::refused(
                "BAD_BASE_URL",
                "baseUrl must be an http(s) URL or a same-origin path",
            ));
        }
        self.base_url = base;
        header_safe("skillSource", &self.skill_source)?;
        header_safe("skillVersion", &self.skill_version)?;
        header_safe("platform", &self.platform)?;
        Ok(self)
    }
}

/// HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
}

impl Method {
    /// As written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// None.
    Empty,
    /// JSON text (`Content-Type: application/json` is set).
    Json(String),
    /// `multipart/form-data` with the files under field `files`; the shell builds it (and its
    /// boundary header) from the files it holds.
    Multipart,
}

/// One request, ready for any HTTP client.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method.
    pub method: Method,
    /// Full URL (or same-origin path).
    pub url: String,
    /// Headers, in order.
    pub headers: Vec<(&'static str, String)>,
    /// Body.
    pub body: Body,
}

impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    *k,
                    if k.eq_ignore_ascii_case("authorization") {
                        "Bearer ***"
                    } else {
                        v.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

/// The endpoints of API.md.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint<'a> {
    /// `POST /api/auth/anonymous-token` (no `Authorization`).
    AnonymousToken,
    /// `POST /api/tasks/me/with-session/nemo_agent`.
    CreateSession {
        /// `language`.
        language: &'a str,
    },
    /// `POST /run_sse`.
    Chat {
        /// Session.
        session_id: &'a str,
        /// The user's message.
        text: &'a str,
    },
    /// `POST /api/upload-video/nemo_agent/me/<sid>`, multipart.
    UploadFiles {
        /// Session.
        session_id: &'a str,
    },
    /// `POST /api/upload-video/nemo_agent/me/<sid>`, JSON URLs.
    UploadUrls {
        /// Session.
        session_id: &'a str,
        /// The URLs.
        urls: &'a [String],
    },
    /// `GET /api/credits/balance/simple`.
    Credits,
    /// `GET /api/state/nemo_agent/me/<sid>/latest`.
    State {
        /// Session.
        session_id: &'a str,
    },
    /// `POST /api/render/proxy/lambda`.
    Export {
        /// `render_<ms>`.
        render_id: &'a str,
        /// Session.
        session_id: &'a str,
        /// The draft, JSON text, sent back exactly as received.
        draft_json: &'a str,
    },
    /// `GET /api/render/proxy/lambda/<id>`.
    ExportStatus {
        /// Render id.
        render_id: &'a str,
    },
    /// `GET /api/render/proxy/<id>/download`.
    Download {
        /// Render id.
        render_id: &'a str,
    },
    /// `POST /api/render/proxy/lambda/<id>/cancel`.
    CancelExport {
        /// Render id.
        render_id: &'a str,
    },
}

/// The export body; a struct so the draft is written back verbatim (`json!` would re-encode
/// it through `Value`, changing number forms).
#[derive(Serialize)]
struct ExportBody<'a> {
    id: &'a str,
    #[serde(rename = "sessionId")]
    session_id: &'a str,
    draft: &'a RawValue,
    output: ExportOutput,
}

#[derive(Serialize)]
struct ExportOutput {
    format: &'static str,
    quality: &'static str,
}

impl ExportOutput {
    const MP4_HIGH: ExportOutput = ExportOutput {
        format: "mp4",
        quality: "high",
    };
}

/// Who the request is from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Auth<'a> {
    /// The bearer token (not sent on the anonymous-token call).
    pub token: Option<&'a Token>,
    /// `X-Client-Id`, sent whenever known.
    pub client_id: Option<&'a str>,
}

impl ApiConfig {
    /// Builds the request for `endpoint`.
    pub fn request(
        &self,
        endpoint: &Endpoint<'_>,
        auth: Auth<'_>,
    ) -> Result<HttpRequest, NemoError> {
        use Endpoint::*;
        let (method, path, body) = match endpoint {
            AnonymousToken => {
                if auth.client_id.is_none() {
                    return Err(NemoError::refused(
                        "NO_CLIENT_ID",
                        "the anonymous token needs a client id",
                    ));
                }
                (
                    Method::Post,
                    "/api/auth/anonymous-token".to_owned(),
                    Body::Empty,
                )
            }
            CreateSession { language } => {
                header_safe("language", language)?;
                let body = json!({"task_name": "project", "language": language}).to_string();
                (
                    Method::Post,
                    format!("/api/tasks/me/with-session/{APP_NAME}"),
                    Body::Json(body),
                )
            }
            Chat { session_id, text } => {
                check_id("session id", session_id)?;
                let body = json!({
                    "app_name": APP_NAME,
                    "user_id": "me",
                    "session_id": session_id,
                    "new_message": {"role": "user", "parts": [{"text": text}]},
                    "streaming": true,
                });
                (
                    Method::Post,
                    "/run_sse".to_owned(),
                    Body::Json(body.to_string()),
                )
            }
            UploadFiles { session_id } => {
                check_id("session id", session_id)?;
                (
                    Method::Post,
                    format!("/api/upload-video/{APP_NAME}/me/{session_id}"),
                    Body::Multipart,
                )
            }
            UploadUrls { session_id, urls } => {
                check_id("session id", session_id)?;
                super::upload::check_urls(urls)?;
                let body = json!({"urls": urls, "source_type": "url"}).to_string();
                (
                    Method::Post,
                    format!("/api/upload-video/{APP_NAME}/me/{session_id}"),
                    Body::Json(body),
                )
            }
            Credits => (
                Method::Get,
                "/api/credits/balance/simple".to_owned(),
                Body::Empty,
            ),
            State { session_id } => {
                check_id("session id", session_id)?;
                (
                    Method::Get,
                    format!("/api/state/{APP_NAME}/me/{session_id}/latest"),
                    Body::Empty,
                )
            }
            Export {
                render_id,
                session_id,
                draft_json,
            } => {
                check_id("render id", render_id)?;
                check_id("session id", session_id)?;
                let draft: &RawValue = serde_json::from_str(draft_json)
                    .map_err(|_| NemoError::refused("BAD_DRAFT", "the draft is not JSON"))?;
                let body = ExportBody {
                    id: render_id,
                    session_id,
                    draft,
                    output: ExportOutput::MP4_HIGH,
                };
                let body = serde_json::to_string(&body)
                    .map_err(|_| NemoError::refused("BAD_DRAFT", "the draft could not be sent"))?;
                (
                    Method::Post,
                    "/api/render/proxy/lambda".to_owned(),
                    Body::Json(body),
                )
            }
            ExportStatus { render_id } => {
                check_id("render id", render_id)?;
                (
                    Method::Get,
                    format!("/api/render/proxy/lambda/{render_id}"),
                    Body::Empty,
                )
            }
            Download { render_id } => {
                check_id("render id", render_id)?;
                (
                    Method::Get,
                    format!("/api/render/proxy/{render_id}/download"),
                    Body::Empty,
                )
            }
            CancelExport { render_id } => {
                check_id("render id", render_id)?;
                (
                    Method::Post,
                    format!("/api/render/proxy/lambda/{render_id}/cancel"),
                    Body::Empty,
                )
            }
        };
        let mut headers: Vec<(&'static str, String)> = vec![
            ("X-Skill-Source", self.skill_source.clone()),
            ("X-Skill-Version", self.skill_version.clone()),
            ("X-Skill-Platform", self.platform.clone()),
        ];
        if let Some(id) = auth.client_id {
            header_safe("clientId", id)?;
            headers.push(("X-Client-Id", id.to_owned()));
        }
        if !matches!(endpoint, AnonymousToken)
            && let Some(t) = auth.token
        {
            headers.push(("Authorization", format!("Bearer {}", t.expose())));
        }
        let accept = match endpoint {
            Chat { .. } => "text/event-stream",
            Download { .. } => "*/*",
            _ => "application/json",
        };
        headers.push(("Accept", accept.to_owned()));
        if matches!(body, Body::Json(_)) {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        Ok(HttpRequest {
            method,
            url: format!("{}{path}", self.base_url),
            headers,
            body,
        })
    }
}

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

/// Cuts server text down for an error message.
fn excerpt(s: &str) -> String {
    let s = s.trim();
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// Decodes a REST response in any of the three documented forms: `{code, message, data}`
/// (`code != 0` is an error even with HTTP 200), `{success, data, error}`, or a bare object.
/// HTTP errors become the matching [`NemoError`], with ADK's `{"detail": ...}` understood and a
/// `Retry-After` on 429 read (`now_ms` resolves its date form).
pub fn decode(resp: HttpResponse<'_>, caller: &Caller, now_ms: u64) -> Result<Decoded, NemoError> {
    let parsed: Option<Value> = serde_json::from_str(resp.body).ok();
    let ok_status = (200..300).contains(&resp.status);
    let with_wait = |mut e: NemoError| {
        if e.kind == ErrorKind::RateLimit {
            e.retry_after_ms = resp.retry_after.and_then(|h| retry_after_ms(h, now_ms));
        }
        e
    };
    let Some(top) = parsed else {
        if ok_status {
            return Err(NemoError::protocol(
                "BAD_JSON",
                format!("expected JSON, got: {}", excerpt(resp.body)),
            ));
        }
        return Err(with_wait(NemoError::from_code(
            resp.status.into(),
            &excerpt(resp.body),
            caller,
        )));
    };
    let obj = top.as_object();
    // Envelope {code, message, data}.
    if let Some(code) = obj.and_then(|o| o.get("code")).and_then(code_value)
        && obj.is_some_and(|o| {
            o.contains_key("data") || o.contains_key("message") || o.contains_key("msg")
        })
    {
        if code != 0 {
            let o = obj.expect("checked above");
            let msg = text_of(o.get("message").or_else(|| o.get("msg")));
            return Err(with_wait(NemoError::from_code(code, &msg, caller)));
        }
        if ok_status {
            let data = top.get("data").cloned().unwrap_or(Value::Null);
            return Ok(Decoded { data, top });
        }
    }
    // Envelope {success, data, error}.
    if let Some(success) = obj.and_then(|o| o.get("success")).and_then(Value::as_bool) {
        let o = obj.expect("checked above");
        if !success || !ok_status {
            let err = o.get("error");
            let code = err
                .and_then(|e| e.get("code"))
                .and_then(code_value)
                .or_else(|| o.get("code").and_then(code_value));
            let msg = text_of(err.or_else(|| o.get("message")));
            let code = code.unwrap_or(if ok_status { 500 } else { resp.status.into() });
            return Err(with_wait(NemoError::from_code(code, &msg, caller)));
        }
        let data = o.get("data").cloned().unwrap_or(Value::Null);
        return Ok(Decoded { data, top });
    }
    if ok_status {
        return Ok(Decoded {
            data: top.clone(),
            top,
        });
    }
    // ADK's FastAPI errors: {"detail": "..."} or {"detail": [...]}.
    let detail = obj.and_then(|o| o.get("detail"));
    let detail_text = match detail {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => text_of(obj.and_then(|o| o.get("message").or_else(|| o.get("error")))),
    };
    if resp.status == 404 && detail_text.starts_with("Session not found") {
        return Err(NemoError::new(
            ErrorKind::Session,
            404,
            true,
            format!("API error 404: {}", excerpt(&detail_text)),
        )
        .with_user_message(super::error::row(1002).map_or("", |r| r.user_message)));
    }
    Err(with_wait(NemoError::from_code(
        resp.status.into(),
        &excerpt(&detail_text),
        caller,
    )))
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
    let at = httpdate::parse_http_date(v).ok()?;
    let at_ms = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_millis();
    Some(
        u64::try_from(at_ms)
            .unwrap_or(u64::MAX)
            .saturating_sub(now_ms),
    )
}

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
        Value::String(s) => s.trim().parse().ok(),
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
        user_id: str_or_number(data.get("user_id").or_else(|| data.get("userId"))),
        credits: number(data.get("credits")),
        expires_at: data
            .get("expires_at")
            .or_else(|| data.get("expiresAt"))
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
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
    use super::*;
    use crate::core::error::ErrorCode;

    fn cfg() -> ApiConfig {
        ApiConfig {
            base_url: "https://api.test".into(),
            ..ApiConfig::default()
        }
    }
    fn token() -> Token {
        Token::new("nmv_usr_secret").unwrap()
    }
    fn auth(t: &Token) -> Auth<'_> {
        Auth {
            token: Some(t),
            client_id: Some("c-1"),
        }
    }
    fn header<'a>(r: &'a HttpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
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
    fn every_endpoint_carries_attribution_and_auth() {
        let t = token();
        let urls = vec!["https://x.y/a.mp4".to_owned()];
        let eps = [
            Endpoint::CreateSession { language: "en" },
            Endpoint::Chat {
                session_id: "123",
                text: "hi",
            },
            Endpoint::UploadFiles { session_id: "123" },
            Endpoint::UploadUrls {
                session_id: "123",
                urls: &urls,
            },
            Endpoint::Credits,
            Endpoint::State { session_id: "123" },
            Endpoint::Export {
                render_id: "render_1",
                session_id: "123",
                draft_json: "{}",
            },
            Endpoint::ExportStatus {
                render_id: "render_1",
            },
            Endpoint::Download {
                render_id: "render_1",
            },
            Endpoint::CancelExport {
                render_id: "render_1",
            },
        ];
        for ep in &eps {
            let r = cfg().request(ep, auth(&t)).unwrap();
            assert_eq!(
                header(&r, "X-Skill-Source"),
                Some("colab-text-to-video"),
                "{ep:?}"
            );
            assert_eq!(
                header(&r, "X-Skill-Version"),
                Some(env!("CARGO_PKG_VERSION"))
            );
            assert_eq!(header(&r, "X-Skill-Platform"), Some("unknown"));
            assert_eq!(header(&r, "Authorization"), Some("Bearer nmv_usr_secret"));
            assert_eq!(header(&r, "X-Client-Id"), Some("c-1"));
            assert!(r.url.starts_with("https://api.test/"));
            assert!(!r.url.contains("secret"));
        }
        let anon = cfg().request(&Endpoint::AnonymousToken, auth(&t)).unwrap();
        assert_eq!(header(&anon, "Authorization"), None);
        assert_eq!(
            (anon.method, anon.url.as_str()),
            (Method::Post, "https://api.test/api/auth/anonymous-token")
        );
        assert!(
            cfg()
                .request(&Endpoint::AnonymousToken, Auth::default())
                .is_err()
        );
    }

    #[test]
    fn paths_and_bodies() {
        let t = token();
        let r = cfg()
            .request(
                &Endpoint::Chat {
                    session_id: "7350000000000000001",
                    text: "make a video",
                },
                auth(&t),
            )
            .unwrap();
        assert_eq!(r.url, "https://api.test/run_sse");
        assert_eq!(header(&r, "Accept"), Some("text/event-stream"));
        assert_eq!(header(&r, "Content-Type"), Some("application/json"));
        let Body::Json(b) = &r.body else { panic!() };
        let v: Value = serde_json::from_str(b).unwrap();
        assert_eq!(v["session_id"], "7350000000000000001");
        assert_eq!(v["new_message"]["parts"][0]["text"], "make a video");
        assert_eq!(v["streaming"], true);
        assert_eq!(v["app_name"], "nemo_agent");

        let draft = r#"{"t":[{"tt":0,"sg":[{"d":1.50}]}],"big":12345678901234567890}"#;
        let r = cfg()
            .request(
                &Endpoint::Export {
                    render_id: "render_9",
                    session_id: "s",
                    draft_json: draft,
                },
                auth(&t),
            )
            .unwrap();
        let Body::Json(b) = &r.body else { panic!() };
        assert!(b.contains(draft), "draft goes back byte for byte: {b}");
        assert!(b.contains(r#""sessionId":"s""#));
        assert!(b.contains(r#""output":{"format":"mp4","quality":"high"}"#));

        let s = cfg()
            .request(&Endpoint::State { session_id: "abc" }, auth(&t))
            .unwrap();
        assert_eq!(s.url, "https://api.test/api/state/nemo_agent/me/abc/latest");
        let c = cfg()
            .request(
                &Endpoint::CancelExport {
                    render_id: "render_1",
                },
                auth(&t),
            )
            .unwrap();
        assert_eq!(
            c.url,
            "https://api.test/api/render/proxy/lambda/render_1/cancel"
        );
        let d = cfg()
            .request(
                &Endpoint::Download {
                    render_id: "render_1",
                },
                auth(&t),
            )
            .unwrap();
        assert_eq!(d.url, "https://api.test/api/render/proxy/render_1/download");
    }

    #[test]
    fn ids_checked_before_paths() {
        let t = token();
        for bad in [
            "",
            "../etc",
            "a/b",
            "a%2Fb",
            "x?y",
            "a b",
            &"x".repeat(65),
            "é",
        ] {
            let e = cfg()
                .request(&Endpoint::State { session_id: bad }, auth(&t))
                .unwrap_err();
            assert_eq!(e.kind, ErrorKind::Refused, "{bad}");
            assert!(
                cfg()
                    .request(&Endpoint::ExportStatus { render_id: bad }, auth(&t))
                    .is_err()
            );
        }
        assert!(is_valid_id(&"a".repeat(64)));
        assert!(
            cfg()
                .request(
                    &Endpoint::Export {
                        render_id: "r",
                        session_id: "s",
                        draft_json: "{bad"
                    },
                    auth(&t)
                )
                .is_err()
        );
    }

    #[test]
    fn token_never_printed() {
        let t = token();
        let r = cfg().request(&Endpoint::Credits, auth(&t)).unwrap();
        assert!(!format!("{r:?}").contains("secret"));
        assert!(!format!("{t:?} {t}").contains("secret"));
        assert!(Token::new("a b").is_err());
        assert!(Token::new("").is_err());
        assert!(Token::new("x\r\nEvil: 1").is_err());
    }

    #[test]
    fn config_validation() {
        for good in ["", "/proxy", "http://127.0.0.1:8787", "https://a.b/"] {
            assert!(
                ApiConfig {
                    base_url: good.into(),
                    ..cfg()
                }
                .validated()
                .is_ok(),
                "{good}"
            );
        }
        for bad in [
            "ftp://x",
            "//evil.com",
            "javascript:x",
            "https://a b",
            "https://a?x",
        ] {
            assert!(
                ApiConfig {
                    base_url: bad.into(),
                    ..cfg()
                }
                .validated()
                .is_err(),
                "{bad}"
            );
        }
        assert_eq!(
            ApiConfig {
                base_url: "https://a.b/".into(),
                ..cfg()
            }
            .validated()
            .unwrap()
            .base_url,
            "https://a.b"
        );
        assert!(
            ApiConfig {
                platform: "x\ny".into(),
                ..cfg()
            }
            .validated()
            .is_err()
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
