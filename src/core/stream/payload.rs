//! One SSE `data` payload → [`Payload`], in API.md's order: error payload, heartbeat, ADK
//! event, legacy `{type}` event, unknown. Tolerant: unknown fields are ignored, wrong types
//! read as absent, non-JSON is [`Payload::Unknown`]; nothing here fails.

use serde_json::{Map, Value};

use crate::core::error::ErrorCode;

/// One part of an ADK event's content.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    /// Visible text.
    Text(String),
    /// A `thought: true` text part: hidden.
    Thought,
    /// A tool call.
    Call {
        /// `functionCall.id` (absent in some forms).
        id: Option<String>,
        /// `functionCall.name`.
        name: String,
    },
    /// A tool result.
    Response {
        /// `functionResponse.id`.
        id: Option<String>,
        /// `functionResponse.name`.
        name: String,
    },
    /// A part of a kind we do not know (inline data, code, ...).
    Other,
}

/// The fields of an ADK event this client reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdkEvent {
    /// Event id (shared by a message's partial deltas and its whole text).
    pub id: Option<String>,
    /// A streamed delta.
    pub partial: bool,
    /// `content.parts`, absent content read as no parts.
    pub parts: Vec<Part>,
    /// `errorCode`, string or number.
    pub error_code: Option<ErrorCode>,
    /// `errorMessage`.
    pub error_message: Option<String>,
    /// `actions.stateDelta`, the new value of each changed state key.
    pub state_delta: Option<Map<String, Value>>,
}

/// The older vendor form, `{"type": ...}`.
#[derive(Clone, Debug, PartialEq)]
pub enum LegacyEvent {
    /// `{"type":"text","content":...}`: a whole message.
    Text(String),
    /// `{"type":"tool_call","name":...}`.
    ToolCall(String),
    /// `{"type":"tool_result","name":...}`.
    ToolResult(String),
}

/// A classified payload.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// `{"error": ...}` (or legacy `{"type":"error"}`): the stream failed.
    Error {
        /// A code from `error_details`/`code`, when one is given.
        code: Option<ErrorCode>,
        /// The message.
        message: String,
    },
    /// Empty data or `{"type":"heartbeat"}`: the backend is alive.
    Heartbeat,
    /// An ADK event.
    Adk(AdkEvent),
    /// The older vendor form.
    Legacy(LegacyEvent),
    /// Anything else, non-JSON included.
    Unknown,
}

/// Classifies one SSE `data` payload.
pub fn classify(data: &str) -> Payload {
    if data.trim().is_empty() {
        return Payload::Heartbeat;
    }
    let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(data) else {
        return Payload::Unknown;
    };
    let ty = obj.get("type").and_then(Value::as_str);
    if let Some(err) = obj.get("error").filter(|e| !e.is_null()) {
        return error_payload(err, &obj);
    }
    if ty == Some("error") {
        let msg = ["message", "content", "detail"]
            .iter()
            .find_map(|k| obj.get(*k).and_then(Value::as_str))
            .unwrap_or("the stream reported an error");
        return Payload::Error {
            code: code_of(obj.get("code")),
            message: msg.to_owned(),
        };
    }
    if matches!(ty, Some("heartbeat" | "ping" | "keepalive")) {
        return Payload::Heartbeat;
    }
    let is_adk = obj.get("content").is_some_and(Value::is_object)
        || ["author", "invocationId", "errorCode", "actions", "partial"]
            .iter()
            .any(|k| obj.contains_key(*k));
    if is_adk {
        return Payload::Adk(adk_event(&obj));
    }
    let str_of = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    match ty {
        Some("text") => Payload::Legacy(LegacyEvent::Text(str_of("content"))),
        Some("tool_call") => Payload::Legacy(LegacyEvent::ToolCall(str_of("name"))),
        Some("tool_result") => Payload::Legacy(LegacyEvent::ToolResult(str_of("name"))),
        _ => Payload::Unknown,
    }
}

fn code_of(v: Option<&Value>) -> Option<ErrorCode> {
    match v? {
        Value::Number(n) => n.as_i64().map(ErrorCode::Num),
        Value::String(s) if !s.is_empty() => Some(match s.parse::<i64>() {
            Ok(n) => ErrorCode::Num(n),
            Err(_) => ErrorCode::Text(s.clone()),
        }),
        _ => None,
    }
}

fn error_payload(err: &Value, obj: &Map<String, Value>) -> Payload {
    let (message, inner_code) = match err {
        Value::String(s) => (s.clone(), None),
        Value::Object(o) => (
            o.get("message")
                .and_then(Value::as_str)
                .unwrap_or("stream error")
                .to_owned(),
            code_of(o.get("code")),
        ),
        other => (other.to_string(), None),
    };
    let details_code = obj
        .get("error_details")
        .and_then(|d| d.get("code").or_else(|| d.get("error_code")));
    let code = inner_code
        .or_else(|| code_of(details_code))
        .or_else(|| code_of(obj.get("code")));
    Payload::Error { code, message }
}

fn adk_event(obj: &Map<String, Value>) -> AdkEvent {
    let parts = obj
        .get("content")
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array)
        .map(|ps| ps.iter().map(part).collect())
        .unwrap_or_default();
    AdkEvent {
        id: obj.get("id").and_then(Value::as_str).map(str::to_owned),
        partial: obj.get("partial").and_then(Value::as_bool).unwrap_or(false),
        parts,
        error_code: code_of(obj.get("errorCode")),
        error_message: obj
            .get("errorMessage")
            .and_then(Value::as_str)
            .map(str::to_owned),
        state_delta: obj
            .get("actions")
            .and_then(|a| a.get("stateDelta"))
            .and_then(Value::as_object)
            .cloned(),
    }
}

fn part(p: &Value) -> Part {
    let name_id = |v: &Value| {
        (
            v.get("id").and_then(Value::as_str).map(str::to_owned),
            v.get("name")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        )
    };
    if let Some(text) = p.get("text").and_then(Value::as_str) {
        if p.get("thought").and_then(Value::as_bool) == Some(true) {
            return Part::Thought;
        }
        return Part::Text(text.to_owned());
    }
    if let Some(call) = p.get("functionCall").filter(|v| v.is_object()) {
        let (id, name) = name_id(call);
        return Part::Call { id, name };
    }
    if let Some(resp) = p.get("functionResponse").filter(|v| v.is_object()) {
        let (id, name) = name_id(resp);
        return Part::Response { id, name };
    }
    Part::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_order() {
        assert_eq!(classify(""), Payload::Heartbeat);
        assert_eq!(classify(r#"{"type":"heartbeat"}"#), Payload::Heartbeat);
        assert!(matches!(
            classify(r#"{"error": "boom", "error_details": {}}"#),
            Payload::Error { code: None, .. }
        ));
        // An error key wins over ADK fields.
        assert!(matches!(
            classify(r#"{"error":"x","author":"a"}"#),
            Payload::Error { .. }
        ));
        assert!(matches!(
            classify(r#"{"author":"a","content":{"parts":[]}}"#),
            Payload::Adk(_)
        ));
        assert_eq!(
            classify(r#"{"type":"text","content":"hi"}"#),
            Payload::Legacy(LegacyEvent::Text("hi".into()))
        );
        assert_eq!(
            classify(r#"{"type":"tool_call","name":"add","args":{}}"#),
            Payload::Legacy(LegacyEvent::ToolCall("add".into()))
        );
        assert_eq!(
            classify(r#"{"type":"tool_result","name":"add","result":1}"#),
            Payload::Legacy(LegacyEvent::ToolResult("add".into()))
        );
        assert_eq!(classify("not json"), Payload::Unknown);
        assert_eq!(classify("[1,2]"), Payload::Unknown);
        assert_eq!(classify(r#"{"type":"mystery"}"#), Payload::Unknown);
    }

    #[test]
    fn python_style_error_with_code() {
        let p = classify(
            r#"{"error": "Out of credits \u79ef\u5206", "error_details": {"code": 2001}}"#,
        );
        assert_eq!(
            p,
            Payload::Error {
                code: Some(ErrorCode::Num(2001)),
                message: "Out of credits 积分".into()
            }
        );
    }

    #[test]
    fn wrong_types_are_absent_not_fatal() {
        let p = classify(
            r#"{"author":"a","partial":"yes","content":{"parts":[{"text":5},{"functionCall":"x"}]},"unknownField":1}"#,
        );
        let Payload::Adk(ev) = p else { panic!() };
        assert!(!ev.partial);
        assert_eq!(ev.parts, vec![Part::Other, Part::Other]);
    }
}
