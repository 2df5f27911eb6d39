//! One turn's payloads → [`StreamEvent`]s, with the turn's rules applied (see the module doc
//! of `stream`): tool calls once per id and only from non-partial events, thoughts hidden,
//! deltas then the whole text, one error per turn, the trailing apology dropped, and how the
//! turn ended.

use serde_json::Value;

use super::payload::{AdkEvent, LegacyEvent, Part, Payload, classify};
use crate::core::error::{Caller, ErrorCode, NemoError, STREAM_ERROR};
use crate::core::sse::{SseItem, SseParser};

/// ADK's `errorCode` for a model turn that produced nothing: after a tool call, a silent edit.
pub const NO_CONTENT: &str = "MODEL_RETURNED_NO_CONTENT";
/// The vendor's trailing apology that follows normal text and means nothing.
pub const TEMPORARY_ISSUE: &str = "I encountered a temporary issue";

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
    /// Call ids already reported, the latest [`REMEMBERED_IDS`] (ADK repeats a streamed call
    /// in the very next final event, so recent ones are enough; a short list beats a hash set
    /// in size, and its bound keeps a hostile stream of distinct ids linear).
    calls_seen: Vec<String>,
    results_seen: Vec<String>,
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
            calls_seen: Vec::new(),
            results_seen: Vec::new(),
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

    /// The error table's row for the code; a stream error that names none is `STREAM_ERROR`.
    fn error_for(&self, code: Option<ErrorCode>, message: Option<String>) -> NemoError {
        let code = code.unwrap_or_else(|| STREAM_ERROR.into());
        NemoError::from_code(code, &message.unwrap_or_default(), &self.caller)
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

/// How many recent call (and result) ids a turn remembers.
const REMEMBERED_IDS: usize = 64;

fn first_time(seen: &mut Vec<String>, id: &Option<String>) -> bool {
    match id {
        Some(id) if seen.contains(id) => false,
        Some(id) => {
            if seen.len() >= REMEMBERED_IDS {
                seen.remove(0);
            }
            seen.push(id.clone());
            true
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorKind;

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
    fn a_stream_error_never_quotes_the_callers_token() {
        let caller = Caller {
            token: Some(crate::core::api::Token::new("nmv_usr_echoed_secret").unwrap()),
            ..Caller::default()
        };
        let mut r = TurnReader::new(caller, 1 << 20);
        let out = r.push(
            b"data: {\"error\": \"auth nmv_usr_echoed_secret refused\", \"error_details\": {\"type\": \"UNAVAILABLE\"}}\n\n",
        );
        let [StreamEvent::Error(e)] = &out[..] else {
            panic!("{out:?}")
        };
        assert!(!format!("{e:?}").contains("nmv_usr_echoed_secret"), "{e:?}");
        assert!(e.message.contains("auth *** refused"), "{e:?}");
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
