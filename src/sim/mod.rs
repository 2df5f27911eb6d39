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
//! each documented form of the render result). It dispatches by the core's route table and
//! reuses its wire rules (`core::api` ids, `core::draft`), so client and simulator cannot
//! drift.
//!
//! Files: this one holds the state, the dispatch, tokens and sessions; `chat.rs`, `upload.rs`
//! and `render.rs` answer those endpoints; `agent.rs` is the scripted agent, `plan.rs` how a
//! body is delivered, `options.rs` what the simulator is asked to be, `wire.rs` requests,
//! responses and the log.
//!
//! Does not own: delivering bytes with real timers (the JS adapter, `js/sim.rs`).

pub mod agent;
mod bounded;
mod chat;
mod faults;
mod options;
pub mod plan;
mod render;
mod upload;
mod wire;

use std::collections::HashMap;

use bounded::{Bounded, MAX_ENTRIES};

use serde_json::{Value, json};

use crate::core::api::{Lookup, Route, RouteId, is_valid_id, lookup};
pub use options::{CallFault, CallFaultKind, Faults, RenderForm, SimOptions};
pub use wire::{LogEntry, SimBody, SimRequest, SimResponse, TINY_MP4};
use wire::{api_error, envelope, header, json_response, take};

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
    /// The generator of session ids, user ids and tokens.
    ids: Rng,
    /// token → (user id, valid)
    /// Anonymous tokens → (user id, valid).
    tokens: Bounded<(String, bool)>,
    /// The configured tokens → valid (never forgotten), and their registered user.
    known: HashMap<String, bool>,
    registered: User,
    users: Bounded<User>,
    client_users: Bounded<String>,
    sessions: Bounded<Session>,
    renders: Bounded<Render>,
    turns: u64,
    edits: u32,
    authed_calls: u32,
    /// The newest requests (at most [`MAX_LOG`]); `log_base` were dropped before them.
    log: Vec<LogEntry>,
    log_base: usize,
}

/// Requests the log keeps.
pub const MAX_LOG: usize = 10_000;

/// The user id of the configured tokens.
const REGISTERED: &str = "user_registered";

impl Simulator {
    /// A simulator with these options.
    pub fn new(opts: SimOptions) -> Self {
        let rng = Rng::new(opts.seed);
        let ids = Rng::new(opts.id_seed.unwrap_or(opts.seed ^ 0x9E37_79B9_7F4A_7C15));
        let registered = User {
            credits: opts.credits,
        };
        let known = opts
            .known_tokens
            .iter()
            .map(|t| (t.clone(), true))
            .collect();
        Simulator {
            opts,
            rng,
            ids,
            tokens: Bounded::new(MAX_ENTRIES),
            known,
            registered,
            users: Bounded::new(MAX_ENTRIES),
            client_users: Bounded::new(MAX_ENTRIES),
            sessions: Bounded::new(MAX_ENTRIES),
            renders: Bounded::new(MAX_ENTRIES),
            turns: 0,
            edits: 0,
            authed_calls: 0,
            log: Vec::new(),
            log_base: 0,
        }
    }

    /// The request log: the newest requests, at most [`MAX_LOG`].
    pub fn log(&self) -> &[LogEntry] {
        &self.log
    }

    /// The number of the newest request (for [`Simulator::mark_aborted`]); requests are
    /// numbered from 0 in the order they came, whatever the log has dropped since.
    pub fn last_request(&self) -> usize {
        (self.log_base + self.log.len()).saturating_sub(1)
    }

    /// Records that the client hung up on request number `n`.
    pub fn mark_aborted(&mut self, n: usize) {
        if let Some(e) = n
            .checked_sub(self.log_base)
            .and_then(|i| self.log.get_mut(i))
        {
            e.aborted = true;
        }
    }

    /// A new session id: 19 digits, as the API's, drawn from the generator (a worker seeds it
    /// from crypto randomness, so ids cannot be guessed from one another).
    fn new_session_id(&mut self) -> String {
        loop {
            let id =
                (7_350_000_000_000_000_000 + self.ids.below(10_000_000_000_000_000)).to_string();
            if !self.sessions.contains_key(&id) {
                return id;
            }
        }
    }

    fn user(&self, id: &str) -> Option<&User> {
        if id == REGISTERED {
            Some(&self.registered)
        } else {
            self.users.get(id)
        }
    }

    fn user_mut(&mut self, id: &str) -> Option<&mut User> {
        if id == REGISTERED {
            Some(&mut self.registered)
        } else {
            self.users.get_mut(id)
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
        for valid in self.known.values_mut() {
            *valid = false;
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
            fault: None,
        };
        if !entry.attribution {
            entry.problems.push("missing attribution headers".into());
        }
        let resp = self.route(req, &mut entry);
        entry.status = resp.status;
        self.log.push(entry);
        if self.log.len() > MAX_LOG {
            let drop = MAX_LOG / 2;
            self.log.drain(..drop);
            self.log_base += drop;
        }
        resp
    }

    fn route(&mut self, req: &SimRequest, entry: &mut LogEntry) -> SimResponse {
        if req.method == "GET" && req.path == "/sim/video.mp4" {
            return wire::mp4();
        }
        if take(&mut self.opts.faults.rate_limit) {
            return faults::coded(429, self.opts.faults.retry_after_s);
        }
        // Dispatched by the route table the client and the proxy use too. Every path but the
        // anonymous-token call is authenticated first, unknown ones included, as a server
        // behind an auth layer answers.
        let found = match lookup(&req.method, &req.path) {
            Lookup::Found(route, ids) => Some((route, ids)),
            Lookup::WrongMethod(_) | Lookup::NotFound => None,
        };
        let route = found.as_ref().map(|(route, _)| *route);
        let fault = route.and_then(|r| self.take_call_fault(r.id));
        entry.fault = fault.map(CallFaultKind::name);
        let id = route.map(|r| r.id);
        let sessioned = matches!(
            id,
            Some(RouteId::Chat | RouteId::Upload | RouteId::State | RouteId::Export)
        );
        // Faults that come before the work.
        match fault {
            Some(CallFaultKind::LostRequest) => return faults::lost(),
            Some(CallFaultKind::WrongContentType) => return faults::gateway_page(),
            Some(CallFaultKind::EchoToken) => {
                return faults::echo(header(req, "authorization").unwrap_or_default());
            }
            // The token presented expires now: authentication answers 1001.
            Some(CallFaultKind::Code(1001)) if route.is_some_and(|r| r.authorized) => {
                self.opts.faults.expire_token_after = Some(0);
            }
            // The session named vanishes: the endpoint answers as it does for a lost one.
            Some(CallFaultKind::Code(1002)) if sessioned => {
                self.opts.faults.session_not_found += 1;
            }
            Some(CallFaultKind::Code(code)) => {
                return faults::coded(code, self.opts.faults.retry_after_s);
            }
            _ => {}
        }
        let resp = self.dispatch(req, entry, found, fault);
        // Faults that come after it: the answer is lost or mangled (a chat's stream is
        // planned with its faults by `chat.rs`).
        let chat = id == Some(RouteId::Chat);
        match fault {
            Some(CallFaultKind::LostAnswer) => faults::lost(),
            Some(CallFaultKind::MalformedJson) if !chat => faults::malformed(resp),
            Some(CallFaultKind::Truncated) if !chat => faults::truncated(resp),
            _ => resp,
        }
    }

    /// Answers a request the route table knows (or the auth layer's answer for one it does
    /// not), with a chat's stream fault.
    fn dispatch(
        &mut self,
        req: &SimRequest,
        entry: &mut LogEntry,
        found: Option<(&'static Route, Vec<&str>)>,
        fault: Option<CallFaultKind>,
    ) -> SimResponse {
        let user = match found {
            Some((route, _)) if !route.authorized => String::new(),
            _ => match self.authenticate(req, entry) {
                Ok(u) => u,
                Err(r) => return r,
            },
        };
        let Some((route, ids)) = found else {
            entry.problems.push("unknown endpoint".into());
            return json_response(404, json!({"detail": "Not Found"}));
        };
        let id = ids.first().copied().unwrap_or_default();
        match route.id {
            RouteId::AnonymousToken => self.anonymous_token(req, entry),
            RouteId::CreateSession => self.create_session(req, &user, entry),
            RouteId::Chat => self.chat(req, &user, entry, fault),
            RouteId::Upload => self.upload(req, &user, id, entry),
            RouteId::Credits => {
                let c = self.user(&user).map_or(0.0, |u| u.credits);
                envelope(json!({"available": c, "frozen": 0, "total": c}))
            }
            RouteId::State => match self.session(id, &user).map(|s| s.draft.clone()) {
                Ok(draft) => {
                    let mut state = json!({"video_infos": [], "canvas_config": {"width": 1920, "height": 1080}, "generated_media": []});
                    // No draft yet: the key is absent, as on a fresh session of `noDraft`.
                    if !draft.is_null() {
                        state["draft"] = draft_as_sent(self.opts.draft_as_text, &draft);
                    }
                    envelope(json!({ "state": state }))
                }
                Err(r) => r,
            },
            RouteId::Export => self.submit_render(req, &user, entry),
            RouteId::ExportStatus => self.poll_render(req, id),
            RouteId::CancelExport => self.cancel_render(id),
            RouteId::Download => self.download(id),
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
                let u = format!("anon_{:012x}", self.ids.next_u64() & 0xFFFF_FFFF_FFFF);
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
            self.ids.next_u64(),
            self.ids.next_u64()
        );
        self.tokens.insert(token.clone(), (user.clone(), true));
        let credits = self.user(&user).map_or(0.0, |u| u.credits);
        let mut data =
            json!({"token": token, "credits": credits, "expires_at": "2026-12-02T00:00:00Z"});
        if self.opts.token_user_id {
            data["user_id"] = json!(user);
        }
        envelope(data)
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
                if let Some(valid) = self.known.get_mut(token) {
                    *valid = false;
                }
            } else {
                *n -= 1;
            }
        }
        let found = match self.known.get(token) {
            Some(valid) => Some((REGISTERED.to_owned(), *valid)),
            None => self.tokens.get(token).cloned(),
        };
        match found {
            Some((user, true)) => {
                entry.auth = "valid";
                self.authed_calls += 1;
                Ok(user)
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
        let body = req.json();
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
        let id = self.new_session_id();
        self.sessions.insert(
            id.clone(),
            Session {
                user: user.to_owned(),
                draft: if self.opts.no_draft {
                    Value::Null
                } else {
                    json!({"t": [], "d": 0})
                },
            },
        );
        envelope(json!({"session_id": id, "task_id": format!("task_{id}"), "user_id": user}))
    }
}

/// A draft as the state answer gives it: the object, or (`draftAsText`) its JSON text.
fn draft_as_sent(as_text: bool, draft: &Value) -> Value {
    if as_text {
        Value::String(draft.to_string())
    } else {
        draft.clone()
    }
}

#[cfg(test)]
mod tests;
