//! The client's driver: runs the core's machines over `fetch`, storage and timers.
//!
//! Owns the loops, not the decisions: `call.rs` sends one API call and applies the core's
//! retry policy exactly as it says; `connect` walks the core's connect steps; `chat`,
//! `export` and `upload` (sibling modules) drive `ChatTurn` and `RenderJob`; `handle` sequences
//! the seed's workflow. Concurrent calls that hit 1001 share one token refresh (one promise,
//! awaited by all), and calls made before the client is connected share one connect.
//!
//! Callbacks are Rust closures over core types (`ChatEvent`, `ExportProgress`,
//! `UploadProgress`): turning them into JS values is `js/`'s job.

mod call;
mod chat;
mod export;
mod handle;
mod upload;

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::Promise;
use serde_json::Value;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

use call::Call;
pub(crate) use export::FinishedExport;
pub(crate) use handle::Reply;
pub(crate) use upload::{UploadInput, Uploaded};

use super::cancel::{Cancel, Raced};
use super::host;
use super::http::Fetcher;
use super::storage::Storage;
use crate::core::api::{self, ApiConfig, Auth, Credits, Endpoint};
use crate::core::chat::ChatEvent;
use crate::core::error::NemoError;
use crate::core::options::{ClientOptions, StorageItem};
use crate::core::session::{ConnectStep, Credentials};
use crate::core::{draft, render};

/// Where a call's chat events go (connect's status, a turn's events).
pub(crate) type OnEvent<'a> = &'a dyn Fn(&ChatEvent);

type SharedResult = Rc<RefCell<Option<Result<(), NemoError>>>>;
/// A piece of work in flight: its promise and where its result lands.
type Flight = RefCell<Option<(Promise, SharedResult)>>;

/// The client: its options, its `fetch`, its storage and its credentials.
pub(crate) struct Client {
    /// Checked options.
    opts: ClientOptions,
    fetcher: Fetcher,
    storage: Storage,
    creds: RefCell<Credentials>,
    /// The draft as last seen: `None` unknown, `Some(None)` known empty.
    last_draft: RefCell<Option<Option<Value>>>,
    /// The token refresh in flight, shared by every call that needs it.
    refreshing: Flight,
    /// The connect in flight, shared by every call made before the client was connected.
    connecting: Flight,
}

/// A shared flight, joined.
struct Joined {
    promise: Promise,
    result: SharedResult,
    /// This caller started it.
    started: bool,
}

/// The connection, as `connect()` reports it.
pub(crate) struct Connected {
    /// The session id.
    pub session_id: String,
    /// Whether the token is an anonymous one.
    pub anonymous: bool,
}

/// The session state, as `state()` reports it.
pub(crate) struct StateInfo {
    /// The draft, if the session has one.
    pub draft: Option<Value>,
    /// The draft exactly as the server wrote it: what an export sends back.
    pub draft_raw: Option<Box<serde_json::value::RawValue>>,
    /// The timeline summary.
    pub summary: String,
    /// Ready to export.
    pub ready: bool,
    /// The whole `data`.
    pub raw: Value,
}

impl Client {
    /// A client from checked options, its `fetch` and its storage; loads stored credentials.
    pub fn new(opts: ClientOptions, fetcher: Fetcher, storage: Storage) -> Rc<Self> {
        let key = |item| opts.storage_key(item);
        let valid = |v: Option<String>| v.filter(|s| api::is_valid_id(s));
        let mut creds = match &opts.token {
            Some(t) => Credentials::with_token(t.clone()),
            None if opts.server_token => Credentials::proxied(),
            None => Credentials {
                token: storage
                    .get(&key(StorageItem::Token))
                    .and_then(|t| api::Token::new(t).ok()),
                user_id: storage.get(&key(StorageItem::UserId)),
                ..Credentials::default()
            },
        };
        creds.client_id = opts
            .client_id
            .clone()
            .or_else(|| valid(storage.get(&key(StorageItem::ClientId))));
        creds.session_id = valid(storage.get(&key(StorageItem::SessionId)));
        Rc::new(Client {
            opts,
            fetcher,
            storage,
            creds: RefCell::new(creds),
            last_draft: RefCell::new(None),
            refreshing: RefCell::new(None),
            connecting: RefCell::new(None),
        })
    }

    /// The current session id.
    pub fn session_id(&self) -> Option<String> {
        self.creds.borrow().session_id.clone()
    }

    fn persist(&self) {
        let c = self.creds.borrow();
        let key = |item| self.opts.storage_key(item);
        let put = |item, v: Option<&str>| match v {
            Some(v) => self.storage.set(&key(item), v),
            None => self.storage.remove(&key(item)),
        };
        put(StorageItem::ClientId, c.client_id.as_deref());
        put(StorageItem::SessionId, c.session_id.as_deref());
        if !c.configured {
            put(StorageItem::Token, c.token.as_ref().map(api::Token::expose));
            put(StorageItem::UserId, c.user_id.as_deref());
        }
    }

    fn ensure_client_id(&self) {
        let mut c = self.creds.borrow_mut();
        if c.client_id.is_none() {
            c.client_id = Some(host::new_uuid());
        }
        drop(c);
        self.persist();
    }

    /// Connects: client id, token and session as needed. Calls made meanwhile wait for the
    /// same connect (one token, one session); the one that starts it gets the status event.
    pub async fn connect(
        self: &Rc<Self>,
        cancel: &Cancel,
        on_event: Option<OnEvent<'_>>,
    ) -> Result<Connected, NemoError> {
        if self.creds.borrow().connect_step() != ConnectStep::Ready {
            let flight = self.shared(
                |me| &me.connecting,
                |me| async move { me.connect_steps().await },
            );
            if let (true, Some(notify)) = (flight.started, on_event) {
                notify(&ChatEvent::Status {
                    text: "Connecting...".to_owned(),
                });
            }
            self.land(flight, cancel).await?;
        }
        let c = self.creds.borrow();
        Ok(Connected {
            session_id: c.session_id.clone().unwrap_or_default(),
            anonymous: !c.configured,
        })
    }

    async fn connect_steps(self: &Rc<Self>) -> Result<(), NemoError> {
        // Not tied to one caller's signal: other calls wait for the same connect.
        let cancel = Cancel::new(None);
        loop {
            let step = self.creds.borrow().connect_step();
            match step {
                ConnectStep::NeedClientId => self.ensure_client_id(),
                ConnectStep::NeedToken => self.fetch_token(&cancel).await?,
                ConnectStep::NeedSession => self.create_session(&cancel).await?,
                ConnectStep::Ready => return Ok(()),
            }
        }
    }

    /// Joins the work in `slot`, or starts it with `start`: one flight for all callers.
    fn shared<F>(
        self: &Rc<Self>,
        slot: fn(&Client) -> &Flight,
        start: impl FnOnce(Rc<Self>) -> F,
    ) -> Joined
    where
        F: std::future::Future<Output = Result<(), NemoError>> + 'static,
    {
        if let Some((promise, result)) = slot(self).borrow().clone() {
            return Joined {
                promise,
                result,
                started: false,
            };
        }
        let result: SharedResult = Rc::new(RefCell::new(None));
        let (me, out) = (self.clone(), result.clone());
        let work = start(self.clone());
        let promise = future_to_promise(async move {
            let r = work.await;
            *out.borrow_mut() = Some(r);
            *slot(&me).borrow_mut() = None;
            Ok(JsValue::UNDEFINED)
        });
        *slot(self).borrow_mut() = Some((promise.clone(), result.clone()));
        Joined {
            promise,
            result,
            started: true,
        }
    }

    /// Waits for a shared flight (or the caller's abort) and takes its result.
    async fn land(&self, flight: Joined, cancel: &Cancel) -> Result<(), NemoError> {
        match cancel.race(&flight.promise, None).await {
            Raced::Aborted => Err(NemoError::aborted()),
            _ => flight
                .result
                .borrow()
                .clone()
                .unwrap_or_else(|| Err(NemoError::network("the shared request did not finish"))),
        }
    }

    async fn fetch_token(self: &Rc<Self>, cancel: &Cancel) -> Result<(), NemoError> {
        let build = |api: &ApiConfig, auth: Auth<'_>, _: Option<&str>| {
            api.request(&Endpoint::AnonymousToken, auth)
        };
        let call = Call {
            token_call: true,
            needs_session: false,
            ..Call::new(self, &build)
        };
        let d = self.call_json(call, cancel).await?;
        let grant = api::parse_token(&d.data)?;
        self.creds.borrow_mut().on_token(grant);
        self.persist();
        Ok(())
    }

    async fn create_session(self: &Rc<Self>, cancel: &Cancel) -> Result<(), NemoError> {
        let language = self.opts.language.clone();
        let build = move |api: &ApiConfig, auth: Auth<'_>, _: Option<&str>| {
            api.request(
                &Endpoint::CreateSession {
                    language: &language,
                },
                auth,
            )
        };
        let call = Call {
            needs_session: false,
            ..Call::new(self, &build)
        };
        let d = self.call_json(call, cancel).await?;
        let id = api::parse_session(&d.data)?;
        let user_id = api::parse_user_id(&d.data);
        let mut c = self.creds.borrow_mut();
        c.on_session(id);
        // The bind link's id: the session answer may carry it when the token answer did not.
        if user_id.is_some() && !c.configured {
            c.user_id = user_id;
        }
        drop(c);
        *self.last_draft.borrow_mut() = None;
        self.persist();
        Ok(())
    }

    /// A new token for the same client id, shared by every call that needs one now.
    async fn refresh_token(self: &Rc<Self>, cancel: &Cancel) -> Result<(), NemoError> {
        let flight = self.shared(
            |me| &me.refreshing,
            |me| async move { me.fetch_token(&Cancel::new(None)).await },
        );
        self.land(flight, cancel).await
    }

    async fn new_session(self: &Rc<Self>, cancel: &Cancel) -> Result<(), NemoError> {
        self.creds.borrow_mut().drop_session();
        self.create_session(cancel).await
    }

    /// `GET` the credit balance.
    pub async fn credits(self: &Rc<Self>, cancel: &Cancel) -> Result<Credits, NemoError> {
        let build = |api: &ApiConfig, auth: Auth<'_>, _: Option<&str>| {
            api.request(&Endpoint::Credits, auth)
        };
        let d = self.call_json(Call::new(self, &build), cancel).await?;
        api::parse_credits(&d.data)
    }

    /// `GET` the session state: of `pinned` (a running turn's session: a 1002 fails this
    /// read instead of replacing the session), or (`None`) of the current session.
    pub async fn state(
        self: &Rc<Self>,
        pinned: Option<&str>,
        cancel: &Cancel,
    ) -> Result<StateInfo, NemoError> {
        let build = |api: &ApiConfig, auth: Auth<'_>, sid: Option<&str>| {
            api.request(
                &Endpoint::State {
                    session_id: sid.unwrap_or_default(),
                },
                auth,
            )
        };
        let call = Call {
            session: pinned,
            ..Call::new(self, &build)
        };
        let d = self.call_json(call, cancel).await?;
        let draft = api::parse_state_draft(&d.data);
        let draft_raw = draft.as_ref().and(api::raw_state_draft(&d.body, &d.top));
        if pinned.is_none_or(|p| self.session_id().as_deref() == Some(p)) {
            *self.last_draft.borrow_mut() = Some(draft.clone());
        }
        let (summary, ready) = match &draft {
            Some(dr) => (draft::summarize(dr), draft::is_ready(dr)),
            None => (draft::summarize(&Value::Null), false),
        };
        Ok(StateInfo {
            draft,
            draft_raw,
            summary,
            ready,
            raw: d.data,
        })
    }

    /// The draft before a chat: the last one seen, else fetched. `Some(Value::Null)`: the
    /// session is known to have no draft yet; `None`: unknown (the read failed).
    async fn known_draft(self: &Rc<Self>, cancel: &Cancel) -> Option<Value> {
        let known = self.last_draft.borrow().clone();
        let known = match known {
            Some(d) => Some(d),
            None => self.state(None, cancel).await.ok().map(|s| s.draft),
        };
        known.map(|d| d.unwrap_or(Value::Null))
    }

    fn pending_renders(&self) -> Vec<render::PendingRender> {
        self.storage
            .get(&self.opts.storage_key(StorageItem::PendingRenders))
            .map(|s| render::decode_pending(&s))
            .unwrap_or_default()
    }

    fn save_pending_renders(&self, list: &[render::PendingRender]) {
        let key = self.opts.storage_key(StorageItem::PendingRenders);
        if list.is_empty() {
            self.storage.remove(&key);
        } else {
            self.storage.set(&key, &render::encode_pending(list));
        }
    }
}
