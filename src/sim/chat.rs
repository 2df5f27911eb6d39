//! The simulator's chat endpoint: checks the request as ADK would, charges the turn, asks the
//! scripted agent (`agent.rs`) for the edit and the reply, and plans the stream (`plan.rs`)
//! with the faults that apply: drops (at the start, after the first event, after the tool,
//! at the end), heartbeats or silence only, slow events, an error payload, events that are
//! not JSON, a body cut short.

use serde_json::json;

use super::wire::{api_error, header, json_response, take};
use super::{CallFaultKind, LogEntry, SimRequest, SimResponse, Simulator, agent, faults, plan};
use plan::Step;

impl Simulator {
    pub(super) fn chat(
        &mut self,
        req: &SimRequest,
        user: &str,
        entry: &mut LogEntry,
        fault: Option<CallFaultKind>,
    ) -> SimResponse {
        let body = req.json();
        let Some(body) = body else {
            entry.problems.push("chat body is not JSON".into());
            return json_response(
                422,
                json!({"detail": [{"loc": ["body"], "msg": "JSON required"}]}),
            );
        };
        let text = body["new_message"]["parts"][0]["text"]
            .as_str()
            .map(str::to_owned);
        entry.message = text.clone();
        if header(req, "accept") != Some("text/event-stream") {
            entry
                .problems
                .push("chat without Accept: text/event-stream".into());
        }
        if body["streaming"] != json!(true) {
            entry.problems.push("chat without streaming: true".into());
        }
        if body["app_name"] != "nemo_agent" || body["user_id"] != "me" {
            entry
                .problems
                .push("chat body without app_name/user_id".into());
        }
        let (Some(text), Some(sid)) = (text, body["session_id"].as_str().map(str::to_owned)) else {
            entry
                .problems
                .push("chat body without session_id or message text".into());
            return json_response(
                422,
                json!({"detail": [{"loc": ["body", "new_message"], "msg": "field required"}]}),
            );
        };
        if take(&mut self.opts.faults.session_not_found) {
            self.sessions.remove(&sid);
        }
        if self.sessions.get(&sid).is_none_or(|s| s.user != user) {
            return json_response(404, json!({"detail": format!("Session not found: {sid}")}));
        }
        if take(&mut self.opts.faults.out_of_credits)
            || self
                .user(user)
                .is_some_and(|u| u.credits < self.opts.chat_cost)
        {
            return api_error(200, 2001, "insufficient credits");
        }
        let cost = self.opts.chat_cost;
        if let Some(u) = self.user_mut(user) {
            u.credits -= cost;
        }
        self.turns += 1;
        let n = self.turns;
        let t = self.opts.timing;
        let mut steps = Vec::new();
        let stream_headers = vec![(
            "content-type".to_owned(),
            "text/event-stream; charset=utf-8".to_owned(),
        )];
        if take(&mut self.opts.faults.heartbeats_only)
            || fault == Some(CallFaultKind::HeartbeatsOnly)
        {
            let every = t.heartbeat_ms.unwrap_or(400).max(1);
            steps.push(Step::Forever {
                bytes: Some(plan::heartbeat(0)),
                every_ms: every,
            });
            return SimResponse {
                status: 200,
                headers: stream_headers,
                body: steps,
            };
        }
        if take(&mut self.opts.faults.silence_only) {
            steps.push(Step::Forever {
                bytes: None,
                every_ms: 1000,
            });
            return SimResponse {
                status: 200,
                headers: stream_headers,
                body: steps,
            };
        }
        if take(&mut self.opts.faults.error_payload) {
            let a = json!({"invocationId": format!("e-{n}"), "author": "nemo_agent", "id": format!("ev-{n}-e"), "errorCode": "SAFETY", "errorMessage": "The response was blocked for safety reasons."});
            let mut bytes = plan::frame(&a.to_string());
            bytes.extend(plan::frame(r#"{"error": "The response was blocked for safety reasons.", "error_details": {"type": "SAFETY"}}"#));
            plan::chunked(&bytes, t, &mut self.rng, &mut steps);
            return SimResponse {
                status: 200,
                headers: stream_headers,
                body: steps,
            };
        }
        let Some(session) = self.sessions.get_mut(&sid) else {
            return json_response(404, json!({"detail": format!("Session not found: {sid}")}));
        };
        let edit = agent::edit_for(&text, &session.draft);
        let applied = edit.as_ref().map(|e| {
            if self.opts.hidden_edits {
                agent::apply_hidden(&mut session.draft)
            } else {
                agent::apply(e, &mut session.draft)
            }
        });
        let draft = session.draft.clone();
        let silent = if applied.is_some() {
            self.edits += 1;
            let every = self.opts.silent_every;
            (every > 0 && self.edits.is_multiple_of(every)).then(|| {
                match (self.edits / every.max(1)) % 3 {
                    1 => agent::SilentEnding::EmptyPartial,
                    2 => agent::SilentEnding::NoContent,
                    _ => agent::SilentEnding::FunctionResponse,
                }
            })
        } else {
            None
        };
        let with_delta = match self.opts.state_delta {
            Some(always) => always,
            None => self.rng.below(2) == 0,
        };
        let reply = agent::reply(
            n,
            &text,
            applied
                .as_ref()
                .map(|(tool, said)| (*tool, said.as_str(), &draft)),
            silent,
            with_delta && silent.is_none(),
            self.opts.legacy,
        );
        let drop =
            take(&mut self.opts.faults.drop_stream) || fault == Some(CallFaultKind::DropAfterTool);
        let edited = applied.is_some();
        let slow =
            (fault == Some(CallFaultKind::Slow)).then(|| self.opts.faults.slow_ms.unwrap_or(500));
        for (i, (works, payload)) in reply.payloads.into_iter().enumerate() {
            let payload = match fault {
                // Each event's JSON cut in half: nothing in it can be read.
                Some(CallFaultKind::MalformedJson) => {
                    let mut half = payload.len() / 2;
                    while !payload.is_char_boundary(half) {
                        half -= 1;
                    }
                    payload[..half].to_owned()
                }
                _ => payload,
            };
            match slow {
                // Whole events, far apart, with nothing (not even a heartbeat) between them.
                Some(gap) => {
                    steps.push(Step::Wait(gap));
                    steps.push(Step::Bytes(plan::frame(&payload)));
                }
                None => {
                    if works {
                        plan::work(t, &mut steps);
                    }
                    plan::chunked(&plan::frame(&payload), t, &mut self.rng, &mut steps);
                }
            }
            if drop && ((edited && works) || (!edited && i == 0)) {
                steps.push(Step::Fail);
                break;
            }
        }
        let steps = match fault {
            Some(CallFaultKind::DropAtStart) => vec![Step::Fail],
            Some(CallFaultKind::DropAfterText) => {
                let at = faults::after_event(&steps, 1).unwrap_or(0);
                let mut s = faults::cut(steps, at);
                s.push(Step::Fail);
                s
            }
            Some(CallFaultKind::DropAtEnd) => {
                steps.push(Step::Fail);
                steps
            }
            // The body ends cleanly in the middle of its second event.
            Some(CallFaultKind::Truncated) => {
                let first = faults::after_event(&steps, 1).unwrap_or(0);
                let second = faults::after_event(&steps, 2).unwrap_or(first);
                faults::cut(steps, first + (second - first) / 2)
            }
            _ => steps,
        };
        SimResponse {
            status: 200,
            headers: stream_headers,
            body: steps,
        }
    }
}
