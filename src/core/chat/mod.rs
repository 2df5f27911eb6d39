//! One chat turn as a state machine; time is an input.
//!
//! Owns: everything that happens between sending a message and telling the user how it went:
//! the events the user sees (text after GUI translation, tool progress, "⏳ Still working..." every
//! `still_working_ms` while only heartbeats or silence arrive, GUI actions once each, change
//! summaries), the idle and total timeouts, the state check after a silent edit, and the state
//! polls after a dropped stream. It never asks for the message to be sent again: a chat turn
//! is paid work, and closing the stream aborts it on the server, so the only hang-ups are the
//! timeouts.
//!
//! ```text
//!                 bytes / heartbeats (notices, timeouts checked)
//!              ┌──────────┐
//!              ▼          │
//!   new ──▶ Streaming ────┘   (from the request: the wait for headers is part of it)
//!              │  │  │  └─ failure before the stream opened ───────────────────▶ Finished(Err)
//!              │  │  └─ error event, idle or total timeout, abort ─────────────▶ Finished(Err)
//!              │  └─ body ended ─┬─ inside an event: cut short, as a drop (below)
//!              │                 ├─ no tool and some text ─────────────────────▶ Finished(Ok)
//!              │                 ├─ stateDelta carried the draft: compare it ──▶ Finished(Ok)
//!              │                 └─ else ─▶ CheckingState ─ state / failure ──▶ Finished(Ok)
//!              └─ stream dropped ─┬─ a stateDelta showed the edit ─────────────▶ Finished(Ok)
//!                                 └─▶ DropWait ─(dropPollMs, then 2×)─▶ DropPolling
//!                                       ▲   (notices)                     │ draft changed ─▶ Finished(Ok)
//!                                       └── unchanged or failed (< 5) ────┘ 5th unchanged ─▶ Finished(Err)
//! ```
//!
//! "Changed" is decided on the whole draft (`draft::same`: everything the server returned,
//! key order and number spelling aside), not on what the summary shows; an edit the summary
//! cannot show is still reported. The draft before the message is `None` when unknown and
//! `Some(Value::Null)` when the session is known to have none yet: then the first poll after a
//! drop is compared with "no draft", never taken as the baseline.
//!
//! The driver loop: feed inputs (`on_bytes`, `on_end`, `on_dropped`, `on_state`, `on_tick`,
//! `abort`) with the current time in ms, drain [`ChatTurn::poll_event`], then do what
//! [`ChatTurn::step`] says, waking at [`ChatTurn::poll_timeout`].
//!
//! Does not own: the HTTP request, reading the body, fetching the state (the shell), payload
//! rules (`stream/`), drafts (`draft.rs`).

use std::collections::VecDeque;

use serde_json::Value;

use super::draft;
use super::error::{Caller, ErrorKind, NemoError};
use super::gui::{self, GuiAction};
use super::stream::{StreamEvent, TurnReader, TurnSummary};

mod events;

use events::session_gone;
pub use events::{
    ChatConfig, ChatEvent, ChatResult, NO_REPLY_NO_CHANGE, NO_REPLY_UNCHECKED, SESSION_REPLACED,
    Step,
};

#[derive(Clone, Debug, PartialEq)]
enum Phase {
    Streaming {
        last_real: u64,
    },
    CheckingState,
    DropWait {
        at: u64,
        polls: u32,
        baseline: Option<Value>,
    },
    DropPolling {
        polls: u32,
        baseline: Option<Value>,
    },
    Finished(Result<ChatResult, NemoError>),
}

/// One turn.
#[derive(Debug)]
pub struct ChatTurn {
    config: ChatConfig,
    started: u64,
    /// The next "still working" notice, while streaming or waiting between drop polls.
    next_notice: u64,
    before: Option<Value>,
    reader: TurnReader,
    phase: Phase,
    events: VecDeque<ChatEvent>,
    actions: Vec<GuiAction>,
    summary: Option<TurnSummary>,
    /// The session the message went to: the reference of the turn's state reads.
    session: Option<String>,
    /// A change of the client's session during the turn was reported.
    swap_reported: bool,
}

impl ChatTurn {
    /// A turn whose message is being sent at `now` (the clock runs from the request, so the
    /// wait for the stream's headers gets notices and timeouts too). `before` is the draft
    /// before the message: `None` unknown, `Some(Value::Null)` known to be no draft yet (it
    /// makes the change summary a diff rather than a fresh summary).
    pub fn new(config: ChatConfig, caller: Caller, before: Option<Value>, now: u64) -> Self {
        let reader = TurnReader::new(caller, config.max_event_bytes);
        let next_notice = now.saturating_add(config.still_working_ms);
        ChatTurn {
            config,
            started: now,
            before,
            reader,
            next_notice,
            phase: Phase::Streaming { last_real: now },
            events: VecDeque::new(),
            actions: Vec::new(),
            summary: None,
            session: None,
            swap_reported: false,
        }
    }

    /// The draft before the message, once the shell has learned it (see [`ChatTurn::new`]).
    pub fn know_before(&mut self, before: Option<Value>) {
        self.before = before;
    }

    /// The session the message went to.
    pub fn set_session(&mut self, session_id: Option<&str>) {
        self.session = session_id.map(str::to_owned);
    }

    /// The session the message went to: the turn's state reads name it.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// The client's current session. When a side call replaced the turn's session (its 1002),
    /// the user is told once; the turn goes on with its own session.
    pub fn on_session(&mut self, current: Option<&str>) {
        if self.swap_reported || self.is_finished() || self.session.is_none() {
            return;
        }
        if current != self.session.as_deref() {
            self.swap_reported = true;
            self.events.push_back(ChatEvent::Status {
                text: SESSION_REPLACED.to_owned(),
            });
        }
    }

    /// The next event for the user.
    pub fn poll_event(&mut self) -> Option<ChatEvent> {
        self.events.pop_front()
    }

    /// What the shell should do now.
    pub fn step(&self) -> Step {
        match &self.phase {
            Phase::Streaming { .. } => Step::Read,
            Phase::CheckingState | Phase::DropPolling { .. } => Step::FetchState,
            Phase::DropWait { .. } => Step::Wait,
            Phase::Finished(r) => Step::Finished(r.clone()),
        }
    }

    /// When to call `on_tick` next, if anything is timed.
    pub fn poll_timeout(&self) -> Option<u64> {
        match &self.phase {
            Phase::Streaming { last_real } => Some(
                self.next_notice
                    .min(last_real.saturating_add(self.config.idle_timeout_ms))
                    .min(self.started.saturating_add(self.config.total_timeout_ms)),
            ),
            Phase::DropWait { at, .. } => Some((*at).min(self.next_notice)),
            _ => None,
        }
    }

    /// Bytes of the body arrived.
    pub fn on_bytes(&mut self, bytes: &[u8], now: u64) {
        if !matches!(self.phase, Phase::Streaming { .. }) {
            return;
        }
        self.on_tick(now);
        let events = self.reader.push(bytes);
        for ev in events {
            if !matches!(self.phase, Phase::Streaming { .. }) {
                break;
            }
            self.stream_event(ev, now);
        }
    }

    /// Time passed: notices, timeouts, drop polls.
    pub fn on_tick(&mut self, now: u64) {
        match &mut self.phase {
            Phase::Streaming { last_real } => {
                if now >= self.started.saturating_add(self.config.total_timeout_ms) {
                    self.fail(NemoError::timeout("CHAT_TIMEOUT", "The request"));
                } else if now >= last_real.saturating_add(self.config.idle_timeout_ms) {
                    self.fail(NemoError::timeout("CHAT_IDLE_TIMEOUT", "The video agent"));
                } else {
                    self.notice(now);
                }
            }
            Phase::DropWait {
                at,
                polls,
                baseline,
            } => {
                if now >= *at {
                    self.phase = Phase::DropPolling {
                        polls: *polls,
                        baseline: baseline.take(),
                    };
                }
                // The wait between drop polls is the agent still working, as far as the user
                // can tell: it gets the same notices.
                self.notice(now);
            }
            _ => {}
        }
    }

    /// "⏳ Still working..." when its time has come.
    fn notice(&mut self, now: u64) {
        if now < self.next_notice {
            return;
        }
        while self.next_notice <= now {
            self.next_notice = self
                .next_notice
                .saturating_add(self.config.still_working_ms.max(1));
        }
        self.events.push_back(ChatEvent::StillWorking {
            elapsed_ms: now - self.started,
        });
    }

    /// The request failed before its stream opened (the connection, a refusal the retry
    /// policy could not fix, a 5xx): the turn fails with it, `done` first like every turn.
    pub fn on_open_failed(&mut self, err: NemoError) {
        if !self.is_finished() {
            self.fail(err);
        }
    }

    /// The caller aborted.
    pub fn abort(&mut self) {
        if !matches!(self.phase, Phase::Finished(_)) {
            self.fail(NemoError::aborted());
        }
    }

    /// The body ended normally. One that ended inside an event was cut short: it is a
    /// dropped stream, however cleanly the connection closed.
    pub fn on_end(&mut self, now: u64) {
        if !matches!(self.phase, Phase::Streaming { .. }) {
            return;
        }
        let summary = self.finish_reader(now);
        if self.is_finished() {
            return;
        }
        if summary.truncated_bytes > 0 {
            return self.after_drop(summary, now);
        }
        let needs_state = summary.ended_without_text || summary.ran_tool;
        let delta = summary.draft_delta.clone();
        self.summary = Some(summary);
        match (needs_state, delta) {
            (false, _) => self.succeed(None),
            (true, Some(after)) => self.settle_with_draft(Some(after)),
            (true, None) => self.phase = Phase::CheckingState,
        }
    }

    /// The body failed before its end (connection reset, network error).
    pub fn on_dropped(&mut self, now: u64) {
        if !matches!(self.phase, Phase::Streaming { .. }) {
            return;
        }
        let summary = self.finish_reader(now);
        if self.is_finished() {
            return;
        }
        self.after_drop(summary, now);
    }

    /// After a dropped stream: the edit its `stateDelta` showed, or the state polls.
    fn after_drop(&mut self, summary: TurnSummary, now: u64) {
        let delta = summary.draft_delta.clone();
        self.summary = Some(summary);
        if let Some(after) = delta {
            // A stateDelta is a tool's new draft: the stream already showed the edit landing,
            // unless it equals the draft known from before.
            let landed = self.before.as_ref().is_none_or(|b| !draft::same(b, &after));
            if landed {
                return self.settle_with_draft(Some(after));
            }
        }
        self.phase = Phase::DropWait {
            at: now.saturating_add(self.config.drop_poll_ms),
            polls: 0,
            baseline: self.before.clone(),
        };
    }

    /// The state the shell fetched: `Ok(draft)` (`None`: the session has no draft yet) or the
    /// failure.
    pub fn on_state(&mut self, result: Result<Option<Value>, NemoError>, now: u64) {
        match std::mem::replace(&mut self.phase, Phase::CheckingState) {
            Phase::CheckingState => match result {
                Ok(d) => self.settle_with_draft(Some(d.unwrap_or(Value::Null))),
                Err(_) => self.settle_with_draft(None),
            },
            Phase::DropPolling { polls, baseline } => {
                if let Err(e) = &result
                    && e.kind == ErrorKind::Session
                {
                    // The turn's session is gone: no poll can tell what the agent did.
                    return self.fail(session_gone(e));
                }
                let polls = polls + 1;
                if let Ok(d) = result {
                    let d = d.unwrap_or(Value::Null);
                    match &baseline {
                        Some(b) if !draft::same(b, &d) => {
                            return self.settle_with_draft(Some(d));
                        }
                        Some(_) => {}
                        // With no draft from before the message, the first poll is the baseline.
                        None => {
                            self.before = Some(d.clone());
                            return self.next_drop_poll(polls, Some(d), now);
                        }
                    }
                }
                self.next_drop_poll(polls, baseline, now)
            }
            other => self.phase = other,
        }
    }

    fn next_drop_poll(&mut self, polls: u32, baseline: Option<Value>, now: u64) {
        // (Each failed or unchanged poll counts; the fifth ends the turn.)
        if polls >= self.config.drop_max_polls {
            let err = NemoError::new(
                ErrorKind::Network,
                "STREAM_DROPPED",
                true,
                "the chat stream dropped and the session state did not change",
            )
            .with_user_message(
                "The connection dropped before the agent finished, and nothing changed in your \
                 project. Send the message again if you still want it.",
            );
            return self.fail(err);
        }
        self.phase = Phase::DropWait {
            at: now.saturating_add(self.config.drop_poll_ms.saturating_mul(2)),
            polls,
            baseline,
        };
    }

    fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Finished(_))
    }

    fn finish_reader(&mut self, now: u64) -> TurnSummary {
        let (events, summary) = self.reader.finish();
        for ev in events {
            self.stream_event(ev, now);
        }
        for m in &summary.messages {
            self.detect_actions(m);
        }
        summary
    }

    fn stream_event(&mut self, ev: StreamEvent, now: u64) {
        if ev.is_real()
            && let Phase::Streaming { last_real } = &mut self.phase
        {
            *last_real = now;
            self.next_notice = now.saturating_add(self.config.still_working_ms);
        }
        match ev {
            StreamEvent::Text { text, partial } if partial => {
                self.events.push_back(ChatEvent::Text { text, partial });
            }
            StreamEvent::Text { text, .. } => {
                // The whole message, as the user reads it: GUI instructions translated.
                self.events.push_back(ChatEvent::Text {
                    text: gui::translate(&text),
                    partial: false,
                });
                // The actions a message implies come right after it.
                self.detect_actions(&text);
            }
            StreamEvent::ToolCall { name } => self.events.push_back(ChatEvent::ToolCall { name }),
            StreamEvent::ToolResult { name } => {
                self.events.push_back(ChatEvent::ToolResult { name })
            }
            StreamEvent::Error(e) => self.fail(e),
            StreamEvent::Heartbeat | StreamEvent::Quiet => {}
        }
    }

    fn detect_actions(&mut self, text: &str) {
        for a in gui::detect(text) {
            if !self.actions.contains(&a) {
                self.actions.push(a);
                self.events.push_back(ChatEvent::Action { action: a });
            }
        }
    }

    /// Ends the turn knowing the draft after it (`None`: could not be read).
    fn settle_with_draft(&mut self, after: Option<Value>) {
        let silent = self.summary.as_ref().is_some_and(|s| s.ended_without_text);
        let changes = match (&self.before, &after) {
            (Some(b), Some(a)) => draft::changes(b, a),
            // No "before": a silent turn still gets told what the timeline now holds.
            (None, Some(a)) if silent => Some(format!("Timeline now: {}", draft::summarize(a))),
            _ => None,
        };
        if let Some(c) = &changes {
            self.events
                .push_back(ChatEvent::Changes { summary: c.clone() });
        } else if silent && self.summary.as_ref().is_some_and(|s| s.messages.is_empty()) {
            let note = if after.is_some() {
                NO_REPLY_NO_CHANGE
            } else {
                NO_REPLY_UNCHECKED
            };
            if let Some(s) = self.summary.as_mut() {
                s.messages.push(note.to_owned());
            }
            self.events.push_back(ChatEvent::Text {
                text: note.to_owned(),
                partial: false,
            });
        }
        self.succeed_with(changes, after);
    }

    fn succeed(&mut self, draft: Option<Value>) {
        self.succeed_with(None, draft);
    }

    fn succeed_with(&mut self, changes: Option<String>, draft: Option<Value>) {
        let messages = self.summary.as_ref().map_or(&[][..], |s| &s.messages[..]);
        let text = messages
            .iter()
            .map(|m| gui::translate(m))
            .collect::<Vec<_>>()
            .join("\n\n");
        let requests = messages
            .iter()
            .flat_map(|m| gui::edit_requests(m))
            .collect();
        self.events.push_back(ChatEvent::Done);
        self.phase = Phase::Finished(Ok(ChatResult {
            text,
            actions: self.actions.clone(),
            requests,
            changes,
            draft,
        }));
    }

    fn fail(&mut self, err: NemoError) {
        self.events.push_back(ChatEvent::Done);
        self.phase = Phase::Finished(Err(err));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::error::ErrorCode;
    use serde_json::json;

    fn cfg() -> ChatConfig {
        ChatConfig {
            still_working_ms: 100,
            idle_timeout_ms: 1000,
            total_timeout_ms: 3000,
            drop_poll_ms: 50,
            drop_max_polls: 5,
            max_event_bytes: 1 << 20,
        }
    }

    fn drain(t: &mut ChatTurn) -> Vec<ChatEvent> {
        std::iter::from_fn(|| t.poll_event()).collect()
    }

    fn text_event(text: &str) -> String {
        format!(
            "data: {{\"author\":\"a\",\"content\":{{\"parts\":[{{\"text\":{}}}]}}}}\n\n",
            json!(text)
        )
    }

    const TOOL: &str = "data: {\"author\":\"a\",\"content\":{\"parts\":[{\"functionCall\":{\"id\":\"c1\",\"name\":\"add_bgm\",\"args\":{}}}]}}\n\n\
        data: {\"author\":\"a\",\"content\":{\"role\":\"user\",\"parts\":[{\"functionResponse\":{\"id\":\"c1\",\"name\":\"add_bgm\",\"response\":{}}}]}}\n\n";

    fn draft_with_bgm() -> Value {
        json!({"t": [{"tt": 0, "sg": [{"s": 0, "d": 10000, "m": {"title": "city"}}]}, {"tt": 1, "m": {"title": "Lo-fi", "volume": 0.35}, "sg": [{"s": 0, "d": 10000}]}]})
    }
    fn draft_plain() -> Value {
        json!({"t": [{"tt": 0, "sg": [{"s": 0, "d": 10000, "m": {"title": "city"}}]}]})
    }

    fn result(t: &ChatTurn) -> Result<ChatResult, NemoError> {
        match t.step() {
            Step::Finished(r) => r,
            other => panic!("not finished: {other:?}"),
        }
    }

    #[test]
    fn plain_reply_finishes_on_end() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.on_bytes(text_event("Hi there.").as_bytes(), 10);
        assert_eq!(t.step(), Step::Read);
        t.on_end(20);
        let r = result(&t).unwrap();
        assert_eq!(r.text, "Hi there.");
        assert_eq!(
            drain(&mut t),
            vec![
                ChatEvent::Text {
                    text: "Hi there.".into(),
                    partial: false
                },
                ChatEvent::Done
            ]
        );
    }

    #[test]
    fn a_body_that_ends_inside_an_event_is_a_dropped_stream() {
        // Found by the fault matrix (chat × truncated): a stream that ended cleanly in the
        // middle of its second event was taken as the whole reply, so the edit the agent went
        // on to make was never looked for. Cut short is dropped, however it ended: polls.
        let before = draft_plain();
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(before), 1);
        t.on_bytes(text_event("Adding music").as_bytes(), 10);
        t.on_bytes(
            b"data: {\"author\":\"a\",\"content\":{\"parts\":[{\"functionCall",
            20,
        );
        t.on_end(30);
        assert_eq!(t.step(), Step::Wait, "waits for its first drop poll");
        assert_eq!(t.poll_timeout(), Some(80));
        t.on_tick(80);
        assert_eq!(t.step(), Step::FetchState);
        t.on_state(Ok(Some(draft_with_bgm())), 90);
        let r = result(&t).unwrap();
        assert!(r.changes.is_some_and(|c| c.contains("Lo-fi")));
        // A body that ends between events is the end of the turn, as before.
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.on_bytes(text_event("Hi there.").as_bytes(), 10);
        t.on_end(20);
        assert!(result(&t).is_ok());
    }

    #[test]
    fn still_working_only_while_quiet() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        assert_eq!(t.poll_timeout(), Some(101));
        t.on_tick(101);
        assert_eq!(
            drain(&mut t),
            vec![ChatEvent::StillWorking { elapsed_ms: 100 }]
        );
        // Heartbeats do not reset the period.
        t.on_bytes(b": ping\n\n", 150);
        t.on_tick(201);
        assert_eq!(
            drain(&mut t),
            vec![ChatEvent::StillWorking { elapsed_ms: 200 }]
        );
        // A real event does.
        t.on_bytes(text_event("working on it").as_bytes(), 250);
        drain(&mut t);
        t.on_tick(300);
        assert_eq!(drain(&mut t), vec![]);
        assert_eq!(t.poll_timeout(), Some(350));
    }

    #[test]
    fn idle_timeout_counts_heartbeats_as_nothing() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        for now in (100..1000).step_by(100) {
            t.on_bytes(b"data: {\"type\":\"heartbeat\"}\n\n", now);
        }
        t.on_tick(1001);
        let err = result(&t).unwrap_err();
        assert_eq!(
            (err.kind, err.code.clone()),
            (
                ErrorKind::Timeout,
                ErrorCode::Text("CHAT_IDLE_TIMEOUT".into())
            )
        );
        assert_eq!(drain(&mut t).last(), Some(&ChatEvent::Done));
    }

    #[test]
    fn total_timeout_even_with_progress() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        for now in (500..3001).step_by(500) {
            t.on_bytes(text_event("more").as_bytes(), now);
        }
        t.on_tick(3001);
        assert_eq!(
            result(&t).unwrap_err().code,
            ErrorCode::Text("CHAT_TIMEOUT".into())
        );
    }

    #[test]
    fn silent_edit_asks_for_state_and_summarizes() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        t.on_bytes(TOOL.as_bytes(), 5);
        t.on_end(6);
        assert_eq!(t.step(), Step::FetchState);
        t.on_state(Ok(Some(draft_with_bgm())), 7);
        let r = result(&t).unwrap();
        assert_eq!(
            r.changes.as_deref(),
            Some("Changed: Added BGM: Lo-fi (0-10s, 35%).")
        );
        let events = drain(&mut t);
        assert!(events.contains(&ChatEvent::Changes {
            summary: "Changed: Added BGM: Lo-fi (0-10s, 35%).".into()
        }));
        assert!(events.contains(&ChatEvent::ToolCall {
            name: "add_bgm".into()
        }));
    }

    #[test]
    fn state_delta_spares_the_fetch() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        let delta = format!(
            "data: {{\"author\":\"a\",\"actions\":{{\"stateDelta\":{{\"draft\":{}}}}}}}\n\n",
            draft_with_bgm()
        );
        t.on_bytes(format!("{TOOL}{delta}").as_bytes(), 5);
        t.on_end(6);
        assert!(result(&t).unwrap().changes.is_some());
    }

    #[test]
    fn silent_turn_without_change_says_so() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        t.on_bytes(
            b"data: {\"author\":\"a\",\"errorCode\":\"MODEL_RETURNED_NO_CONTENT\"}\n\n",
            2,
        );
        t.on_end(3);
        t.on_state(Ok(Some(draft_plain())), 4);
        let r = result(&t).unwrap();
        assert_eq!((r.text.as_str(), r.changes), (NO_REPLY_NO_CHANGE, None));
        // A failed state read is not a failed turn.
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        t.on_end(3);
        t.on_state(Err(NemoError::network("x")), 4);
        assert_eq!(result(&t).unwrap().text, NO_REPLY_UNCHECKED);
    }

    #[test]
    fn silent_turn_without_before_gets_summary() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.on_end(3);
        t.on_state(Ok(Some(draft_plain())), 4);
        assert_eq!(
            result(&t).unwrap().changes.unwrap(),
            "Timeline now: Timeline (1 track): 1. Video: city (0-10s)"
        );
    }

    #[test]
    fn error_event_fails_once() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.on_bytes(
            b"data: {\"author\":\"a\",\"errorCode\":\"SAFETY\"}\n\ndata: {\"error\": \"x\"}\n\n",
            2,
        );
        assert_eq!(
            result(&t).unwrap_err().code,
            ErrorCode::Text("SAFETY".into())
        );
        t.on_end(3);
        assert_eq!(drain(&mut t), vec![ChatEvent::Done]);
    }

    #[test]
    fn dropped_stream_polls_then_finds_the_edit() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        t.on_bytes(text_event("Adding music").as_bytes(), 2);
        t.on_dropped(10);
        assert_eq!((t.step(), t.poll_timeout()), (Step::Wait, Some(60)));
        t.on_tick(59);
        assert_eq!(t.step(), Step::Wait);
        t.on_tick(60);
        assert_eq!(t.step(), Step::FetchState);
        t.on_state(Ok(Some(draft_plain())), 61);
        // The wait between polls has its "still working" notices too.
        assert_eq!((t.step(), t.poll_timeout()), (Step::Wait, Some(102)));
        t.on_tick(102);
        assert!(drain(&mut t).contains(&ChatEvent::StillWorking { elapsed_ms: 101 }));
        assert_eq!((t.step(), t.poll_timeout()), (Step::Wait, Some(161)));
        t.on_tick(161);
        t.on_state(Ok(Some(draft_with_bgm())), 162);
        let r = result(&t).unwrap();
        assert_eq!(r.text, "Adding music");
        assert!(r.changes.unwrap().contains("Lo-fi"));
    }

    #[test]
    fn dropped_stream_gives_up_after_five_unchanged_polls_and_never_resends() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        t.on_dropped(10);
        let mut now = 10;
        let mut fetches = 0;
        loop {
            match t.step() {
                Step::Wait => now = t.poll_timeout().unwrap(),
                Step::FetchState => {
                    fetches += 1;
                    // A failed poll counts as unchanged.
                    let r = if fetches == 2 {
                        Err(NemoError::network("x"))
                    } else {
                        Ok(Some(draft_plain()))
                    };
                    t.on_state(r, now);
                    continue;
                }
                Step::Finished(r) => {
                    let e = r.unwrap_err();
                    assert_eq!((e.kind, e.retryable), (ErrorKind::Network, true));
                    break;
                }
                Step::Read => panic!("a dropped turn never reads again"),
            }
            t.on_tick(now);
        }
        assert_eq!(fetches, 5);
        assert_eq!(now, 10 + 50 + 4 * 100);
    }

    #[test]
    fn dropped_stream_whose_delta_shows_the_edit_needs_no_polls() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        let delta = format!(
            "data: {{\"author\":\"a\",\"actions\":{{\"stateDelta\":{{\"draft\":{}}}}}}}\n\n",
            draft_with_bgm()
        );
        t.on_bytes(format!("{TOOL}{delta}").as_bytes(), 5);
        t.on_dropped(6);
        assert!(result(&t).unwrap().changes.unwrap().contains("Lo-fi"));
    }

    #[test]
    fn dropped_without_before_uses_first_poll_as_baseline() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.on_dropped(0);
        t.on_tick(50);
        t.on_state(Ok(Some(draft_plain())), 50);
        t.on_tick(150);
        t.on_state(Ok(Some(draft_with_bgm())), 150);
        assert!(result(&t).unwrap().changes.is_some());
    }

    #[test]
    fn an_edit_the_summary_cannot_show_is_still_a_change() {
        let mut hidden = draft_plain();
        hidden["m"] = json!({"fps": 24});
        // Silent turn, state fetched.
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        t.on_bytes(TOOL.as_bytes(), 5);
        t.on_end(6);
        t.on_state(Ok(Some(hidden.clone())), 7);
        let r = result(&t).unwrap();
        assert_eq!(r.changes.as_deref(), Some(HIDDEN));
        assert_ne!(r.text, NO_REPLY_NO_CHANGE);
        // Dropped stream: the first poll that differs anywhere ends the turn.
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        t.on_dropped(2);
        t.on_tick(52);
        t.on_state(Ok(Some(hidden)), 52);
        assert_eq!(result(&t).unwrap().changes.as_deref(), Some(HIDDEN));
    }

    const HIDDEN: &str =
        "Changed: the project was edited in details the timeline summary does not show.";

    #[test]
    fn no_draft_yet_is_a_known_baseline() {
        // Before: the session had no draft (known). After a drop, the first poll already
        // shows the edit: it is the change, not a new baseline.
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(Value::Null), 1);
        t.on_bytes(TOOL.as_bytes(), 2);
        t.on_dropped(3);
        t.on_tick(53);
        assert_eq!(t.step(), Step::FetchState);
        t.on_state(Ok(Some(draft_plain())), 53);
        let r = result(&t).unwrap();
        assert_eq!(
            r.changes.as_deref(),
            Some("Changed: Added Video: city (0-10s).")
        );
    }

    #[test]
    fn a_state_delta_before_the_drop_settles_even_without_a_known_before() {
        let delta = format!(
            "data: {{\"author\":\"a\",\"actions\":{{\"stateDelta\":{{\"draft\":{}}}}}}}\n\n",
            draft_with_bgm()
        );
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.on_bytes(format!("{TOOL}{delta}").as_bytes(), 2);
        t.on_dropped(3);
        assert!(matches!(t.step(), Step::Finished(Ok(_))), "no poll needed");
        // A delta equal to the known draft proves nothing: poll.
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_with_bgm()), 1);
        t.on_bytes(format!("{TOOL}{delta}").as_bytes(), 2);
        t.on_dropped(3);
        assert_eq!(t.step(), Step::Wait);
    }

    #[test]
    fn a_failure_before_the_stream_ends_with_done_and_notices_cover_the_wait() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 0);
        // Waiting for the headers: notices come as for a quiet stream.
        t.on_tick(100);
        assert_eq!(
            drain(&mut t),
            vec![ChatEvent::StillWorking { elapsed_ms: 100 }]
        );
        t.on_open_failed(NemoError::network("reset"));
        assert_eq!(drain(&mut t), vec![ChatEvent::Done]);
        assert_eq!(result(&t).unwrap_err(), NemoError::network("reset"));
        t.on_open_failed(NemoError::aborted());
        assert_eq!(drain(&mut t), vec![], "one done, one error");
    }

    #[test]
    fn a_dropped_turn_whose_session_vanished_ends_at_once() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), Some(draft_plain()), 1);
        t.on_dropped(2);
        t.on_tick(52);
        t.on_state(Err(NemoError::from_code(1002, "", &Caller::default())), 52);
        let e = result(&t).unwrap_err();
        assert_eq!((e.kind, e.retryable), (ErrorKind::Session, false));
        assert!(e.user_message.contains("cannot be checked"));
    }

    #[test]
    fn a_replaced_session_is_reported_once() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.set_session(Some("s1"));
        t.on_session(Some("s1"));
        assert_eq!(drain(&mut t), vec![]);
        t.on_session(Some("s2"));
        t.on_session(Some("s3"));
        assert_eq!(
            drain(&mut t),
            vec![ChatEvent::Status {
                text: SESSION_REPLACED.into()
            }]
        );
        assert_eq!(t.session(), Some("s1"));
    }

    #[test]
    fn actions_once_after_their_text() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.on_bytes(text_event("Done! Click Export to download.").as_bytes(), 2);
        t.on_bytes(
            text_event("Or click the Export button later.").as_bytes(),
            3,
        );
        t.on_end(4);
        let events = drain(&mut t);
        assert_eq!(
            events[0],
            ChatEvent::Text {
                text: "Done! I'll export the video for you.".into(),
                partial: false
            },
            "the text the user reads is translated"
        );
        assert_eq!(
            events[1],
            ChatEvent::Action {
                action: GuiAction::Export
            }
        );
        assert_eq!(
            events
                .iter()
                .filter(|e| matches!(e, ChatEvent::Action { .. }))
                .count(),
            1
        );
        assert_eq!(result(&t).unwrap().actions, vec![GuiAction::Export]);
        assert_eq!(
            result(&t).unwrap().text,
            "Done! I'll export the video for you.\n\nI'll export the video for you."
        );
    }

    #[test]
    fn a_drag_instruction_is_a_request() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.on_bytes(
            text_event("Added it. Drag the logo to the top-right corner.").as_bytes(),
            2,
        );
        t.on_end(3);
        let r = result(&t).unwrap();
        assert_eq!(r.requests, vec!["Move the logo to the top-right corner."]);
        assert_eq!(r.text, "Added it. I'll ask the agent to make that change.");
    }

    #[test]
    fn abort_finishes_with_aborted() {
        let mut t = ChatTurn::new(cfg(), Caller::default(), None, 1);
        t.abort();
        assert_eq!(result(&t).unwrap_err().kind, ErrorKind::Aborted);
        t.on_bytes(text_event("late").as_bytes(), 2);
        assert_eq!(drain(&mut t), vec![ChatEvent::Done]);
    }
}
