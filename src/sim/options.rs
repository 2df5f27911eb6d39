//! What a simulator is asked to be: its timing, its forms and the faults it injects.
//!
//! Owns: [`SimOptions`] and [`Faults`] with their defaults, and reading them from JSON
//! ([`SimOptions::from_json`]: the `createSimulator(options)` object and the worker's
//! `SIM_OPTIONS` variable are both JSON), with a typed error for a value of the wrong type.

use serde_json::{Map, Value};

use super::plan::Timing;
use crate::core::api::RouteId;
use crate::core::error::NemoError;

/// Faults to inject: each counter fires that many times, then stops.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Faults {
    /// Chat streams that drop: after the tool ran (the edit is applied), or after the first
    /// message when the turn has no edit.
    pub drop_stream: u32,
    /// Chat streams that send only heartbeats and never end.
    pub heartbeats_only: u32,
    /// Chat streams that send nothing and never end.
    pub silence_only: u32,
    /// Chat streams that fail: `errorCode: SAFETY` and then the `{"error"}` line, HTTP 200.
    pub error_payload: u32,
    /// After this many authenticated calls, the current token expires (1001).
    pub expire_token_after: Option<u32>,
    /// Calls naming the session that answer "session not found" (1002; ADK's 404 on chat).
    pub session_not_found: u32,
    /// Anonymous-token calls answered 400 (missing X-Client-Id) even with the header.
    pub missing_client_id: u32,
    /// Calls answered 429.
    pub rate_limit: u32,
    /// The `Retry-After` seconds sent with 429 (`None`: no header).
    pub retry_after_s: Option<u64>,
    /// Chats answered 2001 (out of credits).
    pub out_of_credits: u32,
    /// Exports answered 402 (free plan).
    pub export_plan: u32,
    /// Renders that fail.
    pub render_failure: u32,
    /// Status polls answered 500.
    pub poll_errors: u32,
    /// Export submits answered 500.
    pub submit_errors: u32,
    /// Export submits accepted (the render runs) whose answer is lost: a 504 comes back.
    pub submit_lost: u32,
    /// Faults aimed at the calls of one endpoint (`faults.calls`), each firing `times` times.
    pub calls: Vec<CallFault>,
    /// The wait between events of a `slow` stream, ms (default 500).
    pub slow_ms: Option<u64>,
}

/// A fault aimed at one endpoint's calls: `{ call, fault, times }` in JSON.
#[derive(Clone, Debug, PartialEq)]
pub struct CallFault {
    /// The endpoint.
    pub route: RouteId,
    /// What happens to its calls.
    pub kind: CallFaultKind,
    /// How many of its calls it hits.
    pub times: u32,
}

/// What a [`CallFault`] does to a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallFaultKind {
    /// `"lostRequest"`: the connection fails before the server sees the request (nothing is
    /// done); the `fetch` rejects.
    LostRequest,
    /// `"lostAnswer"`: the server does the work, then the connection fails before the answer.
    LostAnswer,
    /// A number: the API's answer for that code, without doing the work: 1001 (the token
    /// expires), 1002 (the session vanishes), 400, 402, 429 (with `retryAfterS`), 2001, 4001,
    /// 4002, or an HTTP status such as 500 or 503.
    Code(i64),
    /// `"malformedJson"`: the work is done, its answer is not JSON (a chat's event payloads
    /// are cut in half).
    MalformedJson,
    /// `"truncated"`: the work is done, its answer is cut short and ends cleanly (a chat's
    /// stream in the middle of its second event).
    Truncated,
    /// `"wrongContentType"`: a gateway's 200 `text/html` page instead of the answer; nothing
    /// is done.
    WrongContentType,
    /// `"dropAtStart"`: the chat runs; its stream fails before the first event.
    DropAtStart,
    /// `"dropAfterText"`: the chat runs; its stream fails after its first event.
    DropAfterText,
    /// `"dropAfterTool"`: the chat runs; its stream fails after the tool's result (the
    /// edit applied) or, with no edit, after the first message (the `dropStream` counter).
    DropAfterTool,
    /// `"dropAtEnd"`: the chat runs; its stream sends everything, then fails instead of
    /// ending.
    DropAtEnd,
    /// `"slow"`: the chat's events come whole, `slowMs` apart, with nothing in between.
    Slow,
    /// `"heartbeatsOnly"`: the chat's stream sends only heartbeats and never ends.
    HeartbeatsOnly,
    /// `"echoToken"`: a 503 whose error text quotes the bearer token the request carried (a
    /// server echoing what it was sent); nothing is done.
    EchoToken,
}

/// The JSON name of each fault that is not an API code.
const FAULT_NAMES: [(&str, CallFaultKind); 12] = [
    ("lostRequest", CallFaultKind::LostRequest),
    ("lostAnswer", CallFaultKind::LostAnswer),
    ("malformedJson", CallFaultKind::MalformedJson),
    ("truncated", CallFaultKind::Truncated),
    ("wrongContentType", CallFaultKind::WrongContentType),
    ("dropAtStart", CallFaultKind::DropAtStart),
    ("dropAfterText", CallFaultKind::DropAfterText),
    ("dropAfterTool", CallFaultKind::DropAfterTool),
    ("dropAtEnd", CallFaultKind::DropAtEnd),
    ("slow", CallFaultKind::Slow),
    ("heartbeatsOnly", CallFaultKind::HeartbeatsOnly),
    ("echoToken", CallFaultKind::EchoToken),
];

impl CallFaultKind {
    fn from_value(v: &Value) -> Option<Self> {
        if let Some(n) = v.as_i64() {
            return Some(CallFaultKind::Code(n));
        }
        let name = v.as_str()?;
        FAULT_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, k)| *k)
    }

    /// The fault's name as the options spell it (a code as its number), for the request log.
    pub fn name(self) -> String {
        match self {
            CallFaultKind::Code(n) => n.to_string(),
            _ => FAULT_NAMES
                .iter()
                .find(|(_, k)| *k == self)
                .map_or_else(String::new, |(n, _)| (*n).to_owned()),
        }
    }
}

/// The JSON name of each endpoint a call fault can aim at.
const CALLS: [(&str, RouteId); 10] = [
    ("anonymousToken", RouteId::AnonymousToken),
    ("createSession", RouteId::CreateSession),
    ("chat", RouteId::Chat),
    ("upload", RouteId::Upload),
    ("credits", RouteId::Credits),
    ("state", RouteId::State),
    ("export", RouteId::Export),
    ("exportStatus", RouteId::ExportStatus),
    ("download", RouteId::Download),
    ("cancelExport", RouteId::CancelExport),
];

impl CallFault {
    /// Reads `[{ call, fault, times }]`; `times` defaults to 1.
    fn list(v: Option<&Value>) -> Result<Vec<Self>, NemoError> {
        let Some(v) = v.filter(|v| !v.is_null()) else {
            return Ok(Vec::new());
        };
        let items = v
            .as_array()
            .ok_or_else(|| bad("faults.calls", "an array"))?;
        items
            .iter()
            .map(|item| {
                let f = Fields(object(Some(item), "each of faults.calls")?);
                let call = f.string("call")?.unwrap_or_default();
                let route = CALLS
                    .iter()
                    .find(|(name, _)| *name == call)
                    .map(|(_, r)| *r)
                    .ok_or_else(|| bad("call", "an endpoint's name (chat, state, export, ...)"))?;
                let kind = f
                    .get("fault")
                    .and_then(CallFaultKind::from_value)
                    .ok_or_else(|| bad("fault", "a fault's name or an API code"))?;
                let times = match f.number("times")? {
                    Some(_) => f.count("times")?,
                    None => 1,
                };
                Ok(CallFault { route, kind, times })
            })
            .collect()
    }
}

/// Which documented form the render status takes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RenderForm {
    /// `{code, data: {status, output: {url}}}` (newest).
    #[default]
    OutputDotUrl,
    /// `{code, data: {status, outputUrl}}`.
    OutputUrl,
    /// `{success, data: {status}, outputUrl}`: the URL at the top level.
    SuccessTopLevel,
    /// A bare `{status, outputUrl}`.
    Bare,
    /// Completed with no URL: the client falls back to the download endpoint.
    NoUrl,
}

/// Simulator options.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Seed of the generator of the simulator's behaviour (chunking, wording).
    pub seed: u64,
    /// Seed of the generator of its ids and tokens: from crypto randomness in a worker or a
    /// `createSimulator` given no `seed` (so ids cannot be guessed), else derived from `seed`.
    pub id_seed: Option<u64>,
    /// Timing of streams.
    pub timing: Timing,
    /// Every Nth edit is silent (3: about a third, as API.md's "about 30%"); 0: never.
    pub silent_every: u32,
    /// Polls before a render completes.
    pub render_polls: u32,
    /// The finished video's URL (`{origin}` is replaced by the request's origin).
    pub video_url: String,
    /// Starting credits of a new user.
    pub credits: f64,
    /// Credits a chat costs.
    pub chat_cost: f64,
    /// Serve the legacy `{type}` stream form.
    pub legacy: bool,
    /// The render status form.
    pub render_form: RenderForm,
    /// Tokens accepted as configured ones (`NEMO_TOKEN`), for a registered user.
    pub known_tokens: Vec<String>,
    /// The agent's edits touch only what the timeline summary does not show (the draft's
    /// metadata), so only a comparison of the whole draft can see them.
    pub hidden_edits: bool,
    /// Sessions start with no draft at all (the state has no `draft` until the first edit).
    pub no_draft: bool,
    /// The state gives the draft as a JSON string (a form some sources show); an export must
    /// send that string back, not the object it holds.
    pub draft_as_text: bool,
    /// The anonymous-token answer carries `user_id` (else only the session answer does).
    pub token_user_id: bool,
    /// Whether a tool's result carries `stateDelta.draft`: always, never, or (`None`) about
    /// every other turn, as the generator decides.
    pub state_delta: Option<bool>,
    /// Faults.
    pub faults: Faults,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 42,
            id_seed: None,
            timing: Timing {
                chunk_delay_ms: 15,
                work_ms: 1200,
                heartbeat_ms: Some(400),
            },
            silent_every: 3,
            render_polls: 3,
            video_url: "{origin}/sim/video.mp4".to_owned(),
            credits: 100.0,
            chat_cost: 2.0,
            legacy: false,
            render_form: RenderForm::default(),
            known_tokens: Vec::new(),
            hidden_edits: false,
            no_draft: false,
            draft_as_text: false,
            token_user_id: true,
            state_delta: None,
            faults: Faults::default(),
        }
    }
}

fn bad(name: &str, what: &str) -> NemoError {
    NemoError::refused("BAD_OPTION", format!("option {name} must be {what}"))
}

/// An options object: absent or `null` is empty, anything but an object is an error.
fn object<'a>(
    v: Option<&'a Value>,
    what: &str,
) -> Result<Option<&'a Map<String, Value>>, NemoError> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(_) => Err(NemoError::refused(
            "BAD_OPTION",
            format!("{what} must be an object"),
        )),
    }
}

/// Typed reads of one options object; `null` reads as absent.
struct Fields<'a>(Option<&'a Map<String, Value>>);

impl Fields<'_> {
    fn get(&self, name: &str) -> Option<&Value> {
        self.0?.get(name).filter(|v| !v.is_null())
    }

    fn number(&self, name: &str) -> Result<Option<f64>, NemoError> {
        self.get(name)
            .map(|v| v.as_f64().ok_or_else(|| bad(name, "a number")))
            .transpose()
    }

    /// A whole number of ms (or a count), negative read as 0.
    fn whole(&self, name: &str) -> Result<Option<u64>, NemoError> {
        Ok(self.number(name)?.map(|n| n.max(0.0) as u64))
    }

    fn count(&self, name: &str) -> Result<u32, NemoError> {
        Ok(self
            .number(name)?
            .map_or(0, |n| n.clamp(0.0, f64::from(u32::MAX)) as u32))
    }

    fn string(&self, name: &str) -> Result<Option<String>, NemoError> {
        self.get(name)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(name, "a string"))
            })
            .transpose()
    }
}

impl Faults {
    /// Reads `{ dropStream, heartbeatsOnly, ... }` (every counter optional).
    pub fn from_value(v: Option<&Value>) -> Result<Self, NemoError> {
        let f = Fields(object(v, "faults")?);
        Ok(Faults {
            drop_stream: f.count("dropStream")?,
            heartbeats_only: f.count("heartbeatsOnly")?,
            silence_only: f.count("silenceOnly")?,
            error_payload: f.count("errorPayload")?,
            expire_token_after: f
                .whole("expireTokenAfter")?
                .map(|n| n.min(u32::MAX.into()) as u32),
            session_not_found: f.count("sessionNotFound")?,
            missing_client_id: f.count("missingClientId")?,
            rate_limit: f.count("rateLimit")?,
            retry_after_s: f.whole("retryAfterS")?,
            out_of_credits: f.count("outOfCredits")?,
            export_plan: f.count("exportPlan")?,
            render_failure: f.count("renderFailure")?,
            poll_errors: f.count("pollErrors")?,
            submit_errors: f.count("submitErrors")?,
            submit_lost: f.count("submitLost")?,
            calls: CallFault::list(f.get("calls"))?,
            slow_ms: f.whole("slowMs")?,
        })
    }
}

impl SimOptions {
    /// Reads the options from their JSON form (the `SimulatorOptions` of the TypeScript
    /// declarations); every field is optional.
    pub fn from_value(v: Option<&Value>) -> Result<Self, NemoError> {
        let o = object(v, "simulator options")?;
        let f = Fields(o);
        let d = SimOptions::default();
        let heartbeat_ms = match o.and_then(|o| o.get("heartbeatMs")) {
            // null: silence while working, as a plain ADK server.
            Some(Value::Null) => None,
            _ => Some(f.whole("heartbeatMs")?.unwrap_or(400)),
        };
        let render_form = match f.string("renderForm")?.as_deref() {
            None | Some("output.url") => RenderForm::OutputDotUrl,
            Some("outputUrl") => RenderForm::OutputUrl,
            Some("success") => RenderForm::SuccessTopLevel,
            Some("bare") => RenderForm::Bare,
            Some("none") => RenderForm::NoUrl,
            Some(other) => {
                return Err(NemoError::refused(
                    "BAD_OPTION",
                    format!("unknown renderForm {other}"),
                ));
            }
        };
        let known_tokens = match f.get("knownTokens") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        Ok(SimOptions {
            seed: f.whole("seed")?.unwrap_or(d.seed),
            id_seed: None,
            timing: Timing {
                chunk_delay_ms: f.whole("chunkDelayMs")?.unwrap_or(d.timing.chunk_delay_ms),
                work_ms: f.whole("workMs")?.unwrap_or(d.timing.work_ms),
                heartbeat_ms,
            },
            silent_every: match f.number("silentEvery")? {
                Some(_) => f.count("silentEvery")?,
                None => d.silent_every,
            },
            render_polls: f
                .number("renderPolls")?
                .map_or(d.render_polls, |n| n.clamp(1.0, f64::from(u32::MAX)) as u32),
            video_url: f.string("videoUrl")?.unwrap_or(d.video_url),
            credits: f.number("credits")?.unwrap_or(d.credits),
            chat_cost: f.number("chatCost")?.unwrap_or(d.chat_cost),
            legacy: f.get("legacy").and_then(Value::as_bool).unwrap_or(false),
            render_form,
            known_tokens,
            hidden_edits: f
                .get("hiddenEdits")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            no_draft: f.get("noDraft").and_then(Value::as_bool).unwrap_or(false),
            draft_as_text: f
                .get("draftAsText")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            token_user_id: f
                .get("tokenUserId")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            state_delta: f.get("stateDelta").and_then(Value::as_bool),
            faults: Faults::from_value(f.get("faults"))?,
        })
    }

    /// Reads the options from JSON text (the worker's `SIM_OPTIONS`).
    pub fn from_json(text: &str) -> Result<Self, NemoError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|_| NemoError::refused("BAD_OPTION", "the simulator options are not JSON"))?;
        Self::from_value(Some(&v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_and_every_field() {
        let d = SimOptions::from_value(None).unwrap();
        assert_eq!((d.seed, d.silent_every, d.render_polls), (42, 3, 3));
        assert_eq!(d.timing.heartbeat_ms, Some(400));
        let o = SimOptions::from_json(
            r#"{"seed": 7, "chunkDelayMs": 0, "workMs": -5, "heartbeatMs": null, "silentEvery": 0,
                "renderPolls": 0, "videoUrl": "x", "credits": 1.5, "chatCost": 3, "legacy": true,
                "renderForm": "bare", "knownTokens": ["t", 1],
                "faults": {"dropStream": 2, "expireTokenAfter": 3, "retryAfterS": 1, "unknown": 9}}"#,
        )
        .unwrap();
        assert_eq!(
            (o.seed, o.timing.chunk_delay_ms, o.timing.work_ms),
            (7, 0, 0)
        );
        assert_eq!(o.timing.heartbeat_ms, None);
        assert_eq!((o.silent_every, o.render_polls), (0, 1));
        assert_eq!((o.credits, o.chat_cost, o.legacy), (1.5, 3.0, true));
        assert_eq!(o.render_form, RenderForm::Bare);
        assert_eq!(o.known_tokens, vec!["t"]);
        assert_eq!(o.faults.drop_stream, 2);
        assert_eq!(o.faults.expire_token_after, Some(3));
        assert_eq!(o.faults.retry_after_s, Some(1));
    }

    #[test]
    fn wrong_types_are_typed_errors() {
        for bad in [
            json!({"seed": "7"}),
            json!({"renderForm": "gif"}),
            json!({"faults": 3}),
            json!({"faults": {"dropStream": "x"}}),
            json!([1]),
        ] {
            let e = SimOptions::from_value(Some(&bad)).unwrap_err();
            assert_eq!(e.code.to_string(), "BAD_OPTION", "{bad}");
        }
        assert!(SimOptions::from_json("{oops").is_err());
        for bad in [
            json!({"faults": {"calls": 1}}),
            json!({"faults": {"calls": [{"call": "nope", "fault": 500}]}}),
            json!({"faults": {"calls": [{"call": "chat", "fault": "gremlins"}]}}),
            json!({"faults": {"calls": [{"call": "chat"}]}}),
            json!({"faults": {"calls": [{"call": "chat", "fault": 500, "times": "x"}]}}),
        ] {
            let e = SimOptions::from_value(Some(&bad)).unwrap_err();
            assert_eq!(e.code.to_string(), "BAD_OPTION", "{bad}");
        }
    }

    #[test]
    fn call_faults() {
        let o = SimOptions::from_value(Some(
            &json!({"stateDelta": false, "faults": {"slowMs": 20, "calls": [
                {"call": "state", "fault": 503, "times": 2},
                {"call": "chat", "fault": "dropAtStart"},
                {"call": "exportStatus", "fault": "malformedJson", "times": null},
            ]}}),
        ))
        .unwrap();
        assert_eq!((o.faults.slow_ms, o.state_delta), (Some(20), Some(false)));
        assert_eq!(
            o.faults.calls,
            vec![
                CallFault {
                    route: RouteId::State,
                    kind: CallFaultKind::Code(503),
                    times: 2
                },
                CallFault {
                    route: RouteId::Chat,
                    kind: CallFaultKind::DropAtStart,
                    times: 1
                },
                CallFault {
                    route: RouteId::ExportStatus,
                    kind: CallFaultKind::MalformedJson,
                    times: 1
                },
            ]
        );
    }
}
