//! The simulator's requests and responses as plain data, the request log, and the small
//! answer builders every handler uses.
//!
//! Does not own: playing a response with real timers (the shell, `web/sim.rs`).

use serde_json::{Value, json};

use super::plan::Step;

/// A request as the simulator sees it.
#[derive(Clone, Debug, Default)]
pub struct SimRequest {
    /// Method, upper case.
    pub method: String,
    /// The URL's origin (`http://host:port`, or empty).
    pub origin: String,
    /// The path, without query.
    pub path: String,
    /// Headers, names lower-case.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: SimBody,
}

/// A request body.
#[derive(Clone, Debug, Default)]
pub enum SimBody {
    /// None.
    #[default]
    None,
    /// Text (JSON).
    Text(String),
    /// Multipart files: name, size, type.
    Files(Vec<(String, u64, String)>),
}

impl SimRequest {
    /// The body as JSON, when it is JSON text.
    pub fn json(&self) -> Option<Value> {
        match &self.body {
            SimBody::Text(t) => serde_json::from_str(t).ok(),
            _ => None,
        }
    }
}

/// A response.
#[derive(Clone, Debug)]
pub struct SimResponse {
    /// Status; 0: no answer at all (the connection failed).
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// A plan of the body (a whole body is one `Bytes` step).
    pub body: Vec<Step>,
}

/// What the log records of one request (no token, ever).
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    /// Method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Status answered.
    pub status: u16,
    /// `none`, `valid`, `expired` or `unknown`.
    pub auth: &'static str,
    /// `X-Client-Id` sent.
    pub client_id: Option<String>,
    /// All three attribution headers sent.
    pub attribution: bool,
    /// The chat message, for chat posts.
    pub message: Option<String>,
    /// What was wrong with the request.
    pub problems: Vec<String>,
    /// The client hung up before the response body ended.
    pub aborted: bool,
    /// The fault aimed at this call that hit it (`faults.calls`), by its name.
    pub fault: Option<String>,
}

/// A request header by lower-case name.
pub(super) fn header<'a>(req: &'a SimRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Fires a fault counter: true (and one fewer left) while it is above zero.
pub(super) fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

/// A JSON answer.
pub(super) fn json_response(status: u16, body: Value) -> SimResponse {
    SimResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: vec![Step::Bytes(body.to_string().into_bytes())],
    }
}

/// A success envelope around `data`.
pub(super) fn envelope(data: Value) -> SimResponse {
    json_response(200, json!({"code": 0, "message": "success", "data": data}))
}

/// An error envelope with its HTTP status.
pub(super) fn api_error(status: u16, code: i64, message: &str) -> SimResponse {
    json_response(
        status,
        json!({"code": code, "message": message, "data": null}),
    )
}

/// A minimal MP4 header (an `ftyp` box), served by the fallback download.
pub const TINY_MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";

/// The file at `/sim/video.mp4` or a fallback download.
pub(super) fn mp4() -> SimResponse {
    SimResponse {
        status: 200,
        headers: vec![("content-type".into(), "video/mp4".into())],
        body: vec![Step::Bytes(TINY_MP4.to_vec())],
    }
}
