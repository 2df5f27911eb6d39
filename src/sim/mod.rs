//! The built-in simulator of the NemoVideo API (cargo feature `simulator`).
//!
//! Owns: every endpoint of API.md answered from memory, deterministically (a seeded
//! generator): tokens per client id, sessions with a real draft that the scripted agent
//! (`agent.rs`) edits, credits, uploads, renders going pending → processing → completed, and
//! the fault injection of [`Faults`]. It also checks what it receives (headers, token, ids,
//! bodies) and answers the errors the real API would, and it logs each request (with
//! problems found, never a token) so tests can prove what the client sent.
//!
//! It serves the newest documented forms by default (the `{code, message, data}` envelope,
//! the ADK stream with `streaming: true`); options select the others (legacy stream events,
//! each documented form of the render result). It reuses the core's wire rules (`core::api`
//! ids, `core::draft`), so client and simulator cannot drift.
//!
//! Does not own: delivering bytes with real timers (the JS adapter, `js/sim.rs`).

pub mod agent;
pub mod plan;

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::core::api::is_valid_id;
use plan::{Step, Timing};

/// A tiny deterministic generator (xorshift64*): same seed, same run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    /// The next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A value below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

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
    /// Seed of the generator.
    pub seed: u64,
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
    /// Faults.
    pub faults: Faults,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            seed: 42,
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
            faults: Faults::default(),
        }
    }
}

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

/// A response.
#[derive(Clone, Debug)]
pub struct SimResponse {
    /// Status.
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
}

struct Session {
    user: String,
    draft: Value,
}

struct Render {
    polls: u32,
    fail: bool,
    cancelled: bool,
}

struct User {
    credits: f64,
}

/// The simulator.
pub struct Simulator {
    opts: SimOptions,
    rng: Rng,
    /// token → (user id, valid)
    tokens: HashMap<String, (String, bool)>,
    users: HashMap<String, User>,
    client_users: HashMap<String, String>,
    sessions: HashMap<String, Session>,
    renders: HashMap<String, Render>,
    next_session: u64,
    turns: u64,
    edits: u32,
    authed_calls: u32,
    log: Vec<LogEntry>,
}

fn header<'a>(req: &'a SimRequest, name: &str) -> Option<&'a str> {
    req.headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn take(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

fn json_response(status: u16, body: Value) -> SimResponse {
    SimResponse {
        status,
        headers: vec![("content-type".into(), "application/json".into())],
        body: vec![Step::Bytes(body.to_string().into_bytes())],
    }
}

fn envelope(data: Value) -> SimResponse {
    json_response(200, json!({"code": 0, "message": "success", "data": data}))
}

fn api_error(status: u16, code: i64, message: &str) -> SimResponse {
    json_response(
        status,
        json!({"code": code, "message": message, "data": null}),
    )
}

/// A minimal MP4 header (an `ftyp` box), served by the fallback download.
pub const TINY_MP4: &[u8] = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom";

impl Simulator {
    /// A simulator with these options.
    pub fn new(opts: SimOptions) -> Self {
        let rng = Rng::new(opts.seed);
        let tokens = opts
            .known_tokens
            .iter()
            .map(|t| (t.clone(), ("user_registered".to_owned(), true)))
            .collect();
        let mut users = HashMap::new();
        users.insert(
            "user_registered".to_owned(),
            User {
                credits: opts.credits,
            },
        );
        Simulator {
            opts,
            rng,
            tokens,
            users,
            client_users: HashMap::new(),
            sessions: HashMap::new(),
            renders: HashMap::new(),
            next_session: 7_350_000_000_000_000_001,
            turns: 0,
            edits: 0,
            authed_calls: 0,
            log: Vec::new(),
        }
    }

    /// The request log.
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    /// Records that the client hung up on request `index` of the log.
    pub fn mark_aborted(&mut self, index: usize) {
        if let Some(e) = self.log.get_mut(index) {
            e.aborted = true;
        }
    }

    /// Replaces the faults.
    pub fn set_faults(&mut self, faults: Faults) {
        self.opts.faults = faults;
    }

    /// Expires every token now (the next call with one gets 1001).
    pub fn expire_tokens(&mut self) {
        for v in self.tokens.values_mut() {
            v.1 = false;
        }
    }

    /// A session's draft.
    pub fn draft(&self, session_id: &str) -> Option<&Value> {
        self.sessions.get(session_id).map(|s| &s.draft)
    }

    /// Forgets a session (its next use gets 1002).
    pub fn drop_session(&mut self, session_id: &str) {
        self.sessions.remove(session_id);
    }

    /// Answers one request.
    pub fn handle(&mut self, req: &SimRequest) -> SimResponse {
        let mut entry = LogEntry {
            method: req.method.clone(),
            path: req.path.clone(),
            status: 0,
            auth: "none",
            client_id: header(req, "x-client-id").map(str::to_owned),
            attribution: ["x-skill-source", "x-skill-version", "x-skill-platform"]
                .iter()
                .all(|h| header(req, h).is_some_and(|v| !v.is_empty())),
            message: None,
            problems: Vec::new(),
            aborted: false,
        };
        if !entry.attribution {
            entry.problems.push("missing attribution headers".into());
        }
        let resp = self.route(req, &mut entry);
        entry.status = resp.status;
        self.log.push(entry);
        resp
    }

    fn route(&mut self, req: &SimRequest, entry: &mut LogEntry) -> SimResponse {
        let segs: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
        let m = req.method.as_str();
        if m == "GET" && req.path == "/sim/video.mp4" {
            return SimResponse {
                status: 200,
                headers: vec![("content-type".into(), "video/mp4".into())],
                body: vec![Step::Bytes(TINY_MP4.to_vec())],
            };
        }
        if take(&mut self.opts.faults.rate_limit) {
            let mut r = api_error(429, 429, "rate limited");
            if let Some(s) = self.opts.faults.retry_after_s {
                r.headers.push(("retry-after".into(), s.to_string()));
            }
            return r;
        }
        if m == "POST" && req.path == "/api/auth/anonymous-token" {
            return self.anonymous_token(req, entry);
        }
        let user = match self.authenticate(req, entry) {
            Ok(u) => u,
            Err(r) => return r,
        };
        match (m, segs.as_slice()) {
            ("POST", ["api", "tasks", "me", "with-session", "nemo_agent"]) => {
                self.create_session(req, &user, entry)
            }
            ("POST", ["run_sse"]) => self.chat(req, &user, entry),
            ("POST", ["api", "upload-video", "nemo_agent", "me", sid]) => {
                self.upload(req, &user, sid, entry)
            }
            ("GET", ["api", "credits", "balance", "simple"]) => {
                let c = self.users.get(&user).map_or(0.0, |u| u.credits);
                envelope(json!({"available": c, "frozen": 0, "total": c}))
            }
            ("GET", ["api", "state", "nemo_agent", "me", sid, "latest"]) => {
                match self.session(sid, &user) {
                    Ok(s) => envelope(
                        json!({"state": {"draft": s.draft, "video_infos": [], "canvas_config": {"width": 1920, "height": 1080}, "generated_media": []}}),
                    ),
                    Err(r) => r,
                }
            }
            ("POST", ["api", "render", "proxy", "lambda"]) => self.submit_render(req, &user, entry),
            ("GET", ["api", "render", "proxy", "lambda", id]) => self.poll_render(req, id),
            ("POST", ["api", "render", "proxy", "lambda", id, "cancel"]) => {
                match self.renders.get_mut(*id) {
                    Some(r) => {
                        r.cancelled = true;
                        envelope(json!({"id": id, "status": "cancelled"}))
                    }
                    None => api_error(404, 404, "render not found"),
                }
            }
            ("GET", ["api", "render", "proxy", id, "download"]) => match self.renders.get(*id) {
                Some(r) if r.polls >= self.opts.render_polls && !r.fail => SimResponse {
                    status: 200,
                    headers: vec![("content-type".into(), "video/mp4".into())],
                    body: vec![Step::Bytes(TINY_MP4.to_vec())],
                },
                Some(_) => api_error(409, 409, "render not finished"),
                None => api_error(404, 404, "render not found"),
            },
            _ => {
                entry.problems.push("unknown endpoint".into());
                json_response(404, json!({"detail": "Not Found"}))
            }
        }
    }

    fn anonymous_token(&mut self, req: &SimRequest, entry: &mut LogEntry) -> SimResponse {
        let Some(client) = header(req, "x-client-id").filter(|c| is_valid_id(c)) else {
            entry
                .problems
                .push("anonymous token without a valid X-Client-Id".into());
            return api_error(400, 400, "missing X-Client-Id");
        };
        if take(&mut self.opts.faults.missing_client_id) {
            return api_error(400, 400, "missing X-Client-Id");
        }
        if header(req, "authorization").is_some() {
            entry
                .problems
                .push("anonymous-token call carried a token".into());
        }
        let user = match self.client_users.get(client) {
            Some(u) => u.clone(),
            None => {
                let u = format!("anon_{:012x}", self.rng.next_u64() & 0xFFFF_FFFF_FFFF);
                self.client_users.insert(client.to_owned(), u.clone());
                self.users.insert(
                    u.clone(),
                    User {
                        credits: self.opts.credits,
                    },
                );
                u
            }
        };
        // One live token per client id: a new one replaces (and so expires) the old.
        self.tokens.retain(|_, (u, _)| *u != user);
        let token = format!(
            "nmv_usr_{:016x}{:016x}",
            self.rng.next_u64(),
            self.rng.next_u64()
        );
        self.tokens.insert(token.clone(), (user.clone(), true));
        let credits = self.users.get(&user).map_or(0.0, |u| u.credits);
        envelope(
            json!({"token": token, "credits": credits, "user_id": user, "expires_at": "2026-12-02T00:00:00Z"}),
        )
    }

    fn authenticate(
        &mut self,
        req: &SimRequest,
        entry: &mut LogEntry,
    ) -> Result<String, SimResponse> {
        let token = header(req, "authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token else {
            entry.problems.push("no Authorization header".into());
            return Err(api_error(401, 1001, "token missing"));
        };
        if let Some(n) = self.opts.faults.expire_token_after.as_mut() {
            if *n == 0 {
                self.opts.faults.expire_token_after = None;
                if let Some(t) = self.tokens.get_mut(token) {
                    t.1 = false;
                }
            } else {
                *n -= 1;
            }
        }
        match self.tokens.get(token) {
            Some((user, true)) => {
                entry.auth = "valid";
                self.authed_calls += 1;
                Ok(user.clone())
            }
            Some((_, false)) => {
                entry.auth = "expired";
                Err(api_error(401, 1001, "token expired"))
            }
            None => {
                entry.auth = "unknown";
                Err(api_error(401, 1001, "token invalid"))
            }
        }
    }

    fn session(&mut self, sid: &str, user: &str) -> Result<&mut Session, SimResponse> {
        if take(&mut self.opts.faults.session_not_found) {
            // The fault makes the session vanish, as an expired one would.
            self.sessions.remove(sid);
        }
        match self.sessions.get_mut(sid) {
            Some(s) if s.user == user => Ok(s),
            _ => Err(api_error(200, 1002, "session not found")),
        }
    }

    fn create_session(
        &mut self,
        req: &SimRequest,
        user: &str,
        entry: &mut LogEntry,
    ) -> SimResponse {
        let body = match &req.body {
            SimBody::Text(t) => serde_json::from_str::<Value>(t).ok(),
            _ => None,
        };
        if header(req, "content-type") != Some("application/json") {
            entry
                .problems
                .push("session body without Content-Type: application/json".into());
        }
        let ok = body
            .as_ref()
            .is_some_and(|b| b["task_name"] == "project" && b["language"].is_string());
        if !ok {
            entry.problems.push("bad session body".into());
            return json_response(
                422,
                json!({"detail": [{"loc": ["body"], "msg": "task_name and language required"}]}),
            );
        }
        let id = self.next_session.to_string();
        self.next_session += 1;
        self.sessions.insert(
            id.clone(),
            Session {
                user: user.to_owned(),
                draft: json!({"t": [], "d": 0}),
            },
        );
        envelope(json!({"session_id": id, "task_id": format!("task_{id}"), "user_id": user}))
    }

    fn chat(&mut self, req: &SimRequest, user: &str, entry: &mut LogEntry) -> SimResponse {
        let body = match &req.body {
            SimBody::Text(t) => serde_json::from_str::<Value>(t).ok(),
            _ => None,
        };
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
                .users
                .get(user)
                .is_some_and(|u| u.credits < self.opts.chat_cost)
        {
            return api_error(200, 2001, "insufficient credits");
        }
        if let Some(u) = self.users.get_mut(user) {
            u.credits -= self.opts.chat_cost;
        }
        self.turns += 1;
        let n = self.turns;
        let t = self.opts.timing;
        let mut steps = Vec::new();
        let stream_headers = vec![(
            "content-type".to_owned(),
            "text/event-stream; charset=utf-8".to_owned(),
        )];
        if take(&mut self.opts.faults.heartbeats_only) {
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
        let session = self.sessions.get_mut(&sid).expect("checked above");
        let edit = agent::edit_for(&text, &session.draft);
        let applied = edit.as_ref().map(|e| agent::apply(e, &mut session.draft));
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
        let with_delta = self.rng.below(2) == 0;
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
        let drop = take(&mut self.opts.faults.drop_stream);
        let edited = applied.is_some();
        for (i, (works, payload)) in reply.payloads.into_iter().enumerate() {
            if works {
                plan::work(t, &mut steps);
            }
            plan::chunked(&plan::frame(&payload), t, &mut self.rng, &mut steps);
            if drop && ((edited && works) || (!edited && i == 0)) {
                steps.push(Step::Fail);
                break;
            }
        }
        SimResponse {
            status: 200,
            headers: stream_headers,
            body: steps,
        }
    }

    fn upload(
        &mut self,
        req: &SimRequest,
        user: &str,
        sid: &str,
        entry: &mut LogEntry,
    ) -> SimResponse {
        if let Err(r) = self.session(sid, user) {
            return r;
        }
        let files: Vec<(String, u64)> = match &req.body {
            SimBody::Files(f) => f.iter().map(|(n, s, _)| (n.clone(), *s)).collect(),
            SimBody::Text(t) => match serde_json::from_str::<Value>(t) {
                Ok(v) if v["source_type"] == "url" => v["urls"]
                    .as_array()
                    .map(|u| {
                        u.iter()
                            .filter_map(Value::as_str)
                            .map(|u| (u.rsplit('/').next().unwrap_or(u).to_owned(), 0))
                            .collect()
                    })
                    .unwrap_or_default(),
                _ => Vec::new(),
            },
            SimBody::None => Vec::new(),
        };
        if files.is_empty() {
            entry.problems.push("upload without files".into());
            return api_error(200, 4001, "no files");
        }
        let mut out = Vec::new();
        for (name, size) in files {
            if crate::core::upload::extension(&name)
                .is_some_and(|e| !crate::core::upload::ACCEPTED_EXTENSIONS.contains(&e.as_str()))
            {
                return api_error(200, 4001, "unsupported file type");
            }
            if size > crate::core::upload::MAX_UPLOAD_BYTES {
                return api_error(200, 4002, "file too large");
            }
            let hash = format!("{:016x}", self.rng.next_u64());
            out.push(json!({"filename": name, "file_type": "video", "cdn_url": format!("https://cdn.sim.invalid/{hash}/{name}"), "duration": 10.0, "width": 1920, "height": 1080, "fps": 30, "hash": hash}));
        }
        envelope(json!({"files": out}))
    }

    fn submit_render(&mut self, req: &SimRequest, user: &str, entry: &mut LogEntry) -> SimResponse {
        if !entry.attribution {
            return json_response(402, json!({"detail": "attribution headers missing"}));
        }
        if take(&mut self.opts.faults.export_plan) {
            return json_response(
                402,
                json!({"code": 402, "message": "free plan cannot export", "data": null}),
            );
        }
        if take(&mut self.opts.faults.submit_errors) {
            return json_response(
                500,
                json!({"success": false, "error": "render queue unavailable"}),
            );
        }
        let body = match &req.body {
            SimBody::Text(t) => serde_json::from_str::<Value>(t).ok(),
            _ => None,
        };
        let Some(body) = body else {
            entry.problems.push("export body is not JSON".into());
            return json_response(422, json!({"detail": "JSON required"}));
        };
        let id = body["id"].as_str().unwrap_or("").to_owned();
        if !id.starts_with("render_")
            || !is_valid_id(&id)
            || id["render_".len()..].parse::<u64>().is_err()
        {
            entry.problems.push("render id is not render_<ms>".into());
        }
        if body["output"] != json!({"format": "mp4", "quality": "high"}) {
            entry.problems.push("export output is not mp4/high".into());
        }
        let sid = body["sessionId"].as_str().unwrap_or("").to_owned();
        let draft = match self.session(&sid, user) {
            Ok(s) => s.draft.clone(),
            Err(r) => return r,
        };
        if body["draft"] != draft {
            entry
                .problems
                .push("export draft differs from the session's".into());
        }
        if self.renders.contains_key(&id) {
            entry.problems.push("render id reused".into());
            return json_response(
                409,
                json!({"success": false, "error": "duplicate render id"}),
            );
        }
        let fail = take(&mut self.opts.faults.render_failure);
        self.renders.insert(
            id.clone(),
            Render {
                polls: 0,
                fail,
                cancelled: false,
            },
        );
        envelope(json!({"id": id, "status": "pending", "progress": 0}))
    }

    fn poll_render(&mut self, req: &SimRequest, id: &str) -> SimResponse {
        if take(&mut self.opts.faults.poll_errors) {
            return json_response(
                503,
                json!({"success": false, "error": "render service busy"}),
            );
        }
        let steps = self.opts.render_polls.max(1);
        let Some(r) = self.renders.get_mut(id) else {
            return json_response(
                404,
                json!({"success": false, "error": {"code": 404, "message": "render not found"}}),
            );
        };
        r.polls += 1;
        let (status, progress) = if r.cancelled {
            ("cancelled", 0)
        } else if r.fail && r.polls >= steps {
            ("failed", 50)
        } else if r.polls >= steps {
            ("completed", 100)
        } else if r.polls == 1 {
            ("pending", 0)
        } else {
            ("processing", (100 * r.polls / steps) as i64)
        };
        let url = self.opts.video_url.replace("{origin}", &req.origin);
        let done = status == "completed";
        let data = json!({"id": id, "status": status, "progress": progress});
        let with = |mut d: Value, k: &str| {
            if done {
                d[k] = json!(url);
            }
            d
        };
        match self.opts.render_form {
            RenderForm::OutputDotUrl => {
                let mut d = data;
                if done {
                    d["output"] = json!({"url": url, "format": "mp4"});
                }
                envelope(d)
            }
            RenderForm::OutputUrl => envelope(with(data, "outputUrl")),
            RenderForm::SuccessTopLevel => json_response(
                200,
                with(json!({"success": true, "data": data}), "outputUrl"),
            ),
            RenderForm::Bare => json_response(200, with(data, "outputUrl")),
            RenderForm::NoUrl => envelope(data),
        }
    }
}

#[cfg(test)]
mod tests;
