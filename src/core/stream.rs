//! The chat stream's payloads: SSE `data` → what happened in the turn.
//!
//! Owns two layers above `sse.rs`:
//!
//! 1. [`classify`]: one payload → [`Payload`], in API.md's order: error payload, heartbeat, ADK
//!    event, legacy `{type}` event, unknown. Tolerant: unknown fields are ignored, wrong types
//!    read as absent, non-JSON is [`Payload::Unknown`]; nothing here fails.
//! 2. [`TurnReader`]: the payloads of one turn → [`StreamEvent`]s with the turn's rules applied:
//!    tool calls reported once per call id and only from non-partial events (ADK repeats a
//!    streamed call in the final event), `thought` parts hidden, `partial` deltas followed by a
//!    whole text that replaces them, one error per turn (ADK sends an `errorCode` event and then
//!    an `{"error"}` line for the same failure), a trailing "I encountered a temporary issue"
//!    after normal text dropped (its deltas held back while they could still be that phrase),
//!    and at the end, whether the turn ended with no text (the three real forms of API.md).
//!
//! Does not own: time (still-working notices, timeouts: `chat.rs`), what to do about a silent
//! edit (`chat.rs` asks for the state), GUI phrases (`gui.rs`).

use std::collections::HashSet;

use serde_json::{Map, Value};

use super::error::{Caller, ErrorCode, ErrorKind, NemoError};
use super::sse::{SseItem, SseParser};

/// ADK's `errorCode` for a model turn that produced nothing: after a tool call, a silent edit.
pub const NO_CONTENT: &str = "MODEL_RETURNED_NO_CONTENT";
/// The vendor's trailing apology that follows normal text and means nothing.
pub const TEMPORARY_ISSUE: &str = "I encountered a temporary issue";

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

/// What the reader reports, in stream order.
#[derive(Clone, Debug, PartialEq)]
pub enum StreamEvent {
    /// Text for the user. `partial`: a delta to append; otherwise the whole message, which
    /// replaces the deltas shown for it.
    Text {
        /// The text.
        text: String,
        /// A delta rather than a whole message.
        partial: bool,
    },
    /// A tool call, once per call.
    ToolCall {
        /// The tool's name.
        name: String,
    },
    /// A tool result, once per call.
    ToolResult {
        /// The tool's name.
        name: String,
    },
    /// Proof of life with no content: empty data, a heartbeat object, a comment.
    Heartbeat,
    /// A real event with nothing to show (an empty partial, a status event, an unknown payload).
    Quiet,
    /// The turn failed. Reported at most once per turn.
    Error(NemoError),
}

impl StreamEvent {
    /// Whether this is progress of the work (resets the idle timer), not mere proof of life.
    pub fn is_real(&self) -> bool {
        !matches!(self, StreamEvent::Heartbeat)
    }
}

/// How a turn's stream ended, from what it carried.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TurnSummary {
    /// The turn's whole messages, in order.
    pub messages: Vec<String>,
    /// The turn ended with no text (an empty partial, `MODEL_RETURNED_NO_CONTENT`, a final
    /// `functionResponse`, or no text at all): an edit may have happened silently.
    pub ended_without_text: bool,
    /// A tool ran during the turn.
    pub ran_tool: bool,
    /// The last `draft` a `stateDelta` carried.
    pub draft_delta: Option<Value>,
    /// Bytes of an unterminated final event that were discarded.
    pub truncated_bytes: usize,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Last {
    Nothing,
    Text,
    Silent,
    Other,
}

/// Reads one turn's stream: bytes in, [`StreamEvent`]s out.
#[derive(Debug)]
pub struct TurnReader {
    sse: SseParser,
    caller: Caller,
    calls_seen: HashSet<String>,
    results_seen: HashSet<String>,
    /// Deltas of the message being streamed.
    current: String,
    /// How much of `current` has been shown; the rest is held back.
    shown: usize,
    /// The current message is the trailing apology: show none of it.
    suppress: bool,
    summary: TurnSummary,
    last: Last,
    errored: bool,
}

impl TurnReader {
    /// A reader for one turn; `caller` words credit errors; `max_event_bytes` bounds the parser.
    pub fn new(caller: Caller, max_event_bytes: usize) -> Self {
        TurnReader {
            sse: SseParser::new(max_event_bytes),
            caller,
            calls_seen: HashSet::new(),
            results_seen: HashSet::new(),
            current: String::new(),
            shown: 0,
            suppress: false,
            summary: TurnSummary::default(),
            last: Last::Nothing,
            errored: false,
        }
    }

    /// Feeds bytes of the body.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<StreamEvent> {
        let mut out = Vec::new();
        for item in self.sse.push(bytes) {
            match item {
                SseItem::Comment(_) => out.push(StreamEvent::Heartbeat),
                SseItem::Error(e) => {
                    // One oversize event is dropped; the turn goes on.
                    let _ = e;
                    out.push(StreamEvent::Quiet);
                }
                SseItem::Event(ev) => {
                    if matches!(ev.event.as_str(), "heartbeat" | "ping") {
                        out.push(StreamEvent::Heartbeat);
                    } else {
                        self.payload(classify(&ev.data), &mut out);
                    }
                }
            }
        }
        out
    }

    /// Ends the stream (the body ended or was cut): flushes held text and sums the turn up.
    pub fn finish(&mut self) -> (Vec<StreamEvent>, TurnSummary) {
        let mut out = Vec::new();
        self.summary.truncated_bytes = self.sse.finish();
        if !self.current.is_empty() {
            // Deltas with no whole text after them (cut-off stream): they are the message.
            if !self.suppress {
                self.flush_held(&mut out);
                let text = std::mem::take(&mut self.current);
                self.summary.messages.push(text);
            }
            self.current.clear();
        }
        let mut summary = std::mem::take(&mut self.summary);
        summary.ended_without_text = summary.messages.is_empty() || self.last == Last::Silent;
        (out, summary)
    }

    fn fail(&mut self, err: NemoError, out: &mut Vec<StreamEvent>) {
        if !self.errored {
            self.errored = true;
            out.push(StreamEvent::Error(err));
        }
    }

    fn payload(&mut self, payload: Payload, out: &mut Vec<StreamEvent>) {
        match payload {
            Payload::Heartbeat => out.push(StreamEvent::Heartbeat),
            Payload::Unknown => out.push(StreamEvent::Quiet),
            Payload::Error { code, message } => {
                let err = self.error_for(code, Some(message));
                self.fail(err, out);
            }
            Payload::Legacy(LegacyEvent::Text(text)) => self.whole_text(text, out),
            Payload::Legacy(LegacyEvent::ToolCall(name)) => {
                self.summary.ran_tool = true;
                self.last = Last::Other;
                out.push(StreamEvent::ToolCall { name });
            }
            Payload::Legacy(LegacyEvent::ToolResult(name)) => {
                self.last = Last::Silent;
                out.push(StreamEvent::ToolResult { name });
            }
            Payload::Adk(ev) => self.adk(ev, out),
        }
    }

    fn error_for(&self, code: Option<ErrorCode>, message: Option<String>) -> NemoError {
        let message = message.unwrap_or_default();
        match code {
            Some(ErrorCode::Num(n)) => NemoError::from_code(n, &message, &self.caller),
            Some(ErrorCode::Text(code)) => agent_error(&code, &message),
            None => NemoError::new(
                ErrorKind::Server,
                "STREAM_ERROR",
                false,
                format!("stream error: {message}"),
            )
            .with_user_message("The video agent ran into a problem with this request."),
        }
    }

    fn adk(&mut self, ev: AdkEvent, out: &mut Vec<StreamEvent>) {
        if let Some(draft) = ev.state_delta.as_ref().and_then(|d| d.get("draft")) {
            self.summary.draft_delta = Some(draft.clone());
        }
        let before = out.len();
        let mut text = String::new();
        let mut had_text_part = false;
        for part in &ev.parts {
            match part {
                Part::Text(t) => {
                    had_text_part = true;
                    text.push_str(t);
                }
                Part::Call { id, name } if !ev.partial => {
                    self.summary.ran_tool = true;
                    self.last = Last::Other;
                    if first_time(&mut self.calls_seen, id) {
                        out.push(StreamEvent::ToolCall { name: name.clone() });
                    }
                }
                Part::Response { id, name } => {
                    self.summary.ran_tool = true;
                    self.last = Last::Silent;
                    if first_time(&mut self.results_seen, id) {
                        out.push(StreamEvent::ToolResult { name: name.clone() });
                    }
                }
                Part::Call { .. } | Part::Thought | Part::Other => {}
            }
        }
        if had_text_part && !text.is_empty() {
            if ev.partial {
                self.delta(&text, out);
            } else {
                self.whole_text(text, out);
            }
        } else if ev.partial && ev.parts.is_empty() {
            self.last = Last::Silent;
        }
        match ev.error_code {
            Some(ErrorCode::Text(ref c)) if c == NO_CONTENT => self.last = Last::Silent,
            Some(code) => {
                let err = self.error_for(Some(code), ev.error_message);
                self.fail(err, out);
            }
            None => {}
        }
        if out.len() == before {
            out.push(StreamEvent::Quiet);
        }
    }

    /// Whether `text` (so far) could still be the trailing apology after earlier messages.
    fn may_be_apology(&self, text: &str) -> bool {
        if self.summary.messages.is_empty() {
            return false;
        }
        let t = text.trim_start().as_bytes();
        let p = TEMPORARY_ISSUE.as_bytes();
        let n = t.len().min(p.len());
        t[..n].eq_ignore_ascii_case(&p[..n])
    }

    fn delta(&mut self, text: &str, out: &mut Vec<StreamEvent>) {
        self.last = Last::Text;
        if self.suppress {
            return;
        }
        self.current.push_str(text);
        if self.may_be_apology(&self.current) {
            if self.current.trim_start().len() >= TEMPORARY_ISSUE.len() {
                self.suppress = true;
            }
            return; // held back until it is clearly something else
        }
        self.flush_held(out);
    }

    fn flush_held(&mut self, out: &mut Vec<StreamEvent>) {
        if self.shown < self.current.len() {
            out.push(StreamEvent::Text {
                text: self.current[self.shown..].to_owned(),
                partial: true,
            });
            self.shown = self.current.len();
        }
    }

    fn whole_text(&mut self, text: String, out: &mut Vec<StreamEvent>) {
        self.current.clear();
        self.shown = 0;
        self.suppress = false;
        if text.is_empty() {
            return;
        }
        if self.may_be_apology(&text) && text.trim_start().len() >= TEMPORARY_ISSUE.len() {
            // Dropped; what the turn ended with is the text before it.
            return;
        }
        self.last = Last::Text;
        self.summary.messages.push(text.clone());
        out.push(StreamEvent::Text {
            text,
            partial: false,
        });
    }
}

fn first_time(seen: &mut HashSet<String>, id: &Option<String>) -> bool {
    match id {
        Some(id) => seen.insert(id.clone()),
        None => true,
    }
}

/// The error for an agent's string `errorCode` (`SAFETY`, `UNAVAILABLE`, ...).
fn agent_error(code: &str, message: &str) -> NemoError {
    let transient = matches!(
        code,
        "UNAVAILABLE" | "RESOURCE_EXHAUSTED" | "DEADLINE_EXCEEDED" | "INTERNAL" | "OVERLOADED"
    );
    let user = match code {
        "SAFETY" | "PROHIBITED_CONTENT" | "BLOCKLIST" | "SPII" | "RECITATION" => {
            "The video agent declined this request. Try describing it differently."
        }
        _ if transient => {
            "The video agent is busy or had a temporary problem. Try again in a moment."
        }
        _ => "The video agent could not finish this request.",
    };
    let msg = if message.is_empty() {
        format!("agent error {code}")
    } else {
        format!("agent error {code}: {message}")
    };
    NemoError::new(ErrorKind::Server, code, transient, msg).with_user_message(user)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &str) -> (Vec<StreamEvent>, TurnSummary) {
        let mut r = TurnReader::new(Caller::default(), 1 << 20);
        let mut out = r.push(input.as_bytes());
        let (rest, summary) = r.finish();
        out.extend(rest);
        (out, summary)
    }

    fn texts(events: &[StreamEvent]) -> Vec<(String, bool)> {
        events
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Text { text, partial } => Some((text.clone(), *partial)),
                _ => None,
            })
            .collect()
    }

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

    #[test]
    fn deltas_then_whole_text() {
        let (ev, s) = read(concat!(
            "data: {\"id\":\"e1\",\"author\":\"a\",\"partial\":true,\"content\":{\"parts\":[{\"text\":\"Hel\"}]}}\n\n",
            "data: {\"id\":\"e1\",\"author\":\"a\",\"partial\":true,\"content\":{\"parts\":[{\"text\":\"lo\"}]}}\n\n",
            "data: {\"id\":\"e1\",\"author\":\"a\",\"content\":{\"parts\":[{\"text\":\"Hello\"}]}}\n\n",
        ));
        assert_eq!(
            texts(&ev),
            vec![
                ("Hel".into(), true),
                ("lo".into(), true),
                ("Hello".into(), false)
            ]
        );
        assert_eq!(s.messages, vec!["Hello"]);
        assert!(!s.ended_without_text);
    }

    #[test]
    fn thought_parts_hidden() {
        let (ev, s) = read(
            "data: {\"author\":\"a\",\"content\":{\"parts\":[{\"text\":\"plan...\",\"thought\":true},{\"text\":\"Answer\"}]}}\n\n",
        );
        assert_eq!(texts(&ev), vec![("Answer".into(), false)]);
        assert_eq!(s.messages, vec!["Answer"]);
    }

    #[test]
    fn tool_call_once_and_never_text() {
        let call = r#"{"functionCall":{"id":"c1","name":"add_bgm","args":{"x":1}}}"#;
        let input = format!(
            "data: {{\"author\":\"a\",\"partial\":true,\"content\":{{\"parts\":[{call}]}}}}\n\n\
             data: {{\"author\":\"a\",\"content\":{{\"parts\":[{call}]}}}}\n\n\
             data: {{\"author\":\"a\",\"content\":{{\"role\":\"user\",\"parts\":[{{\"functionResponse\":{{\"id\":\"c1\",\"name\":\"add_bgm\",\"response\":{{}}}}}}]}}}}\n\n"
        );
        let (ev, s) = read(&input);
        let calls: Vec<_> = ev
            .iter()
            .filter(|e| matches!(e, StreamEvent::ToolCall { .. }))
            .collect();
        assert_eq!(
            calls,
            vec![&StreamEvent::ToolCall {
                name: "add_bgm".into()
            }]
        );
        assert!(ev.contains(&StreamEvent::ToolResult {
            name: "add_bgm".into()
        }));
        assert!(texts(&ev).is_empty());
        assert!(s.ran_tool);
        assert!(s.ended_without_text, "ends on a functionResponse");
    }

    #[test]
    fn three_silent_endings() {
        let text =
            "data: {\"author\":\"a\",\"content\":{\"parts\":[{\"text\":\"Adding it now.\"}]}}\n\n";
        let endings = [
            "data: {\"author\":\"a\",\"partial\":true,\"content\":{\"parts\":[]}}\n\n",
            "data: {\"author\":\"a\",\"errorCode\":\"MODEL_RETURNED_NO_CONTENT\"}\n\n",
            "data: {\"author\":\"a\",\"content\":{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"id\":\"c\",\"name\":\"t\",\"response\":{}}}]}}\n\n",
        ];
        for end in endings {
            let (ev, s) = read(&format!("{text}{end}"));
            assert!(s.ended_without_text, "{end}");
            assert!(
                !ev.iter().any(|e| matches!(e, StreamEvent::Error(_))),
                "{end}"
            );
        }
        let (_, s) = read(text);
        assert!(!s.ended_without_text);
        let (_, s) = read("");
        assert!(s.ended_without_text, "no text at all");
    }

    #[test]
    fn one_error_per_turn() {
        let (ev, _) = read(concat!(
            "data: {\"author\":\"a\",\"errorCode\":\"SAFETY\",\"errorMessage\":\"blocked\"}\n\n",
            "data: {\"error\": \"blocked\", \"error_details\": {}}\n\n",
        ));
        let errs: Vec<_> = ev
            .iter()
            .filter_map(|e| match e {
                StreamEvent::Error(e) => Some(e),
                _ => None,
            })
            .collect();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, ErrorCode::Text("SAFETY".into()));
        assert!(!errs[0].retryable);
    }

    #[test]
    fn numeric_error_code_uses_the_table() {
        let (ev, _) =
            read("data: {\"error\": \"no credits\", \"error_details\": {\"code\": 2001}}\n\n");
        let StreamEvent::Error(e) = &ev[0] else {
            panic!("{ev:?}")
        };
        assert_eq!(e.kind, ErrorKind::Credits);
    }

    #[test]
    fn trailing_temporary_issue_ignored() {
        let (ev, s) = read(concat!(
            "data: {\"author\":\"a\",\"content\":{\"parts\":[{\"text\":\"Your video is ready.\"}]}}\n\n",
            "data: {\"id\":\"e9\",\"author\":\"a\",\"partial\":true,\"content\":{\"parts\":[{\"text\":\"I encountered \"}]}}\n\n",
            "data: {\"id\":\"e9\",\"author\":\"a\",\"partial\":true,\"content\":{\"parts\":[{\"text\":\"a temporary issue, sorry.\"}]}}\n\n",
            "data: {\"id\":\"e9\",\"author\":\"a\",\"content\":{\"parts\":[{\"text\":\"I encountered a temporary issue, sorry.\"}]}}\n\n",
        ));
        assert_eq!(texts(&ev), vec![("Your video is ready.".into(), false)]);
        assert_eq!(s.messages, vec!["Your video is ready."]);
    }

    #[test]
    fn held_prefix_released_when_it_is_not_the_apology() {
        let (ev, _) = read(concat!(
            "data: {\"author\":\"a\",\"content\":{\"parts\":[{\"text\":\"First.\"}]}}\n\n",
            "data: {\"author\":\"a\",\"partial\":true,\"content\":{\"parts\":[{\"text\":\"I enc\"}]}}\n\n",
            "data: {\"author\":\"a\",\"partial\":true,\"content\":{\"parts\":[{\"text\":\"ourage you\"}]}}\n\n",
        ));
        assert_eq!(
            texts(&ev),
            vec![("First.".into(), false), ("I encourage you".into(), true)]
        );
    }

    #[test]
    fn apology_alone_is_shown() {
        let (ev, _) = read(
            "data: {\"author\":\"a\",\"content\":{\"parts\":[{\"text\":\"I encountered a temporary issue.\"}]}}\n\n",
        );
        assert_eq!(texts(&ev).len(), 1);
    }

    #[test]
    fn state_delta_draft_kept() {
        let (_, s) = read(
            "data: {\"author\":\"a\",\"actions\":{\"stateDelta\":{\"draft\":{\"t\":[]}}}}\n\n",
        );
        assert_eq!(s.draft_delta, Some(serde_json::json!({"t": []})));
    }

    #[test]
    fn heartbeats_are_not_real() {
        let (ev, _) =
            read(": ping\n\ndata:\n\ndata: {\"type\":\"heartbeat\"}\n\ndata: garbage\n\n");
        assert_eq!(
            ev,
            vec![
                StreamEvent::Heartbeat,
                StreamEvent::Heartbeat,
                StreamEvent::Heartbeat,
                StreamEvent::Quiet
            ]
        );
        assert!(!StreamEvent::Heartbeat.is_real());
    }

    #[test]
    fn cut_off_deltas_become_the_message() {
        let (_, s) = read(
            "data: {\"author\":\"a\",\"partial\":true,\"content\":{\"parts\":[{\"text\":\"Work\"}]}}\n\ndata: {\"par",
        );
        assert_eq!(s.messages, vec!["Work"]);
        assert_eq!(s.truncated_bytes, "data: {\"par".len());
    }
}
