//! Drives one [`ChatTurn`] over the `/run_sse` stream.
//!
//! The loop does what `turn.step()` says: read a chunk (racing the turn's next deadline and
//! the caller's abort), fetch the state, or wait. It never sends the message twice: the only
//! retries are the policy's, before the stream opens, for rejections that prove the agent
//! never started. The stream is closed only when the turn is over (done, failed, timed out
//! or aborted): closing it aborts the work on the server.
//!
//! The turn exists from the start of the call, so every failure (an empty message, connect,
//! a refusal before the stream, the network) reaches the caller through it: `done`, then one
//! rejection. While the request waits for its headers, the turn's clock runs: "still working"
//! notices come as for a quiet stream. The turn's session is its reference: its state polls
//! name that session and never replace it; a side call that replaced the session meanwhile is
//! reported to the turn.

use std::rc::Rc;

use super::{Call, Client, OnEvent};
use crate::core::api::{ApiConfig, Auth, Endpoint};
use crate::core::chat::{ChatResult, ChatTurn, Step};
use crate::core::error::NemoError;
use crate::web::cancel::{Cancel, First, Timer, first};
use crate::web::host;
use crate::web::http::{BodyReader, InFlight, Read};

impl Client {
    /// One chat turn.
    pub async fn chat(
        self: &Rc<Self>,
        text: &str,
        on_event: OnEvent<'_>,
        cancel: &Cancel,
    ) -> Result<ChatResult, NemoError> {
        let caller = self.creds.borrow().caller();
        let mut turn = ChatTurn::new(self.opts.chat_config(), caller, None, host::now_ms());
        let opened = self.open(text, &mut turn, on_event, cancel).await;
        let result = match opened {
            Ok(inflight) => self.run(&mut turn, inflight, on_event, cancel).await,
            Err(e) => {
                turn.on_open_failed(e);
                match turn.step() {
                    Step::Finished(r) => r,
                    _ => Err(NemoError::protocol("TURN_OPEN", "the turn did not finish")),
                }
            }
        };
        while let Some(e) = turn.poll_event() {
            on_event(&e);
        }
        // What the turn learned is the draft of its session; of another one it says nothing.
        if turn.session() == self.session_id().as_deref() {
            *self.last_draft.borrow_mut() =
                result.as_ref().ok().and_then(|r| r.draft.clone()).map(Some);
        }
        result
    }

    /// Connects, learns the draft before the message and opens the stream, with the turn's
    /// notices while it waits.
    async fn open(
        self: &Rc<Self>,
        text: &str,
        turn: &mut ChatTurn,
        on_event: OnEvent<'_>,
        cancel: &Cancel,
    ) -> Result<InFlight, NemoError> {
        if text.trim().is_empty() {
            return Err(NemoError::refused("EMPTY_MESSAGE", "the message is empty")
                .with_user_message("Type a message first."));
        }
        self.connect(cancel, Some(on_event)).await?;
        let before = self.known_draft(cancel).await;
        turn.know_before(before);
        let build = |api: &ApiConfig, auth: Auth<'_>, sid: Option<&str>| {
            api.request(
                &Endpoint::Chat {
                    session_id: sid.unwrap_or_default(),
                    text,
                },
                auth,
            )
        };
        // Until the headers come, only the turn's own bound applies: hanging up earlier would
        // abort the work on the server (requestTimeoutMs is for REST calls).
        let call = Call {
            ms: Some(
                self.opts
                    .heartbeat_only_timeout_ms
                    .min(self.opts.chat_timeout_ms),
            ),
            ..Call::new(self, &build)
        };
        let mut opening = std::pin::pin!(self.call_stream(call, cancel));
        loop {
            while let Some(e) = turn.poll_event() {
                on_event(&e);
            }
            // Timed out already: the request ends by its own bound, at about the same time.
            let Some(at) = turn.poll_timeout() else {
                return opening.await;
            };
            // (setTimeout takes at most 2^31 - 1 ms.)
            let wait = at.saturating_sub(host::now_ms()).min(i32::MAX as u64);
            let mut timer = Timer::new(wait);
            match first(&mut opening, &mut timer).await {
                First::A(r) => {
                    // A retry after 1002 moved the turn to the new session before it started.
                    turn.set_session(self.session_id().as_deref());
                    return r;
                }
                // Notices only: the request is bounded by its own `ms` (the turn's idle bound).
                First::B(()) => turn.on_tick(host::now_ms()),
            }
        }
    }

    async fn run(
        self: &Rc<Self>,
        turn: &mut ChatTurn,
        inflight: InFlight,
        on_event: OnEvent<'_>,
        cancel: &Cancel,
    ) -> Result<ChatResult, NemoError> {
        let session = turn.session().map(str::to_owned);
        let mut reader = BodyReader::new(&inflight.response);
        let result = loop {
            // A side call (an upload, a state read) that replaced the session is reported.
            turn.on_session(self.session_id().as_deref());
            while let Some(e) = turn.poll_event() {
                on_event(&e);
            }
            let wait = || {
                turn.poll_timeout()
                    .map(|t| t.saturating_sub(host::now_ms()))
            };
            match turn.step() {
                Step::Read => match reader.read(cancel, wait()).await {
                    Read::Chunk(bytes) => turn.on_bytes(&bytes, host::now_ms()),
                    Read::End => turn.on_end(host::now_ms()),
                    Read::Failed => turn.on_dropped(host::now_ms()),
                    Read::TimedOut => turn.on_tick(host::now_ms()),
                    Read::Aborted => turn.abort(),
                },
                Step::FetchState => {
                    reader.cancel();
                    let state = self
                        .state(session.as_deref(), cancel)
                        .await
                        .map(|s| s.draft);
                    match state {
                        Err(e) if e.is_aborted() => turn.abort(),
                        other => turn.on_state(other, host::now_ms()),
                    }
                }
                Step::Wait => match cancel.sleep(wait().unwrap_or(0)).await {
                    Ok(()) => turn.on_tick(host::now_ms()),
                    Err(_) => turn.abort(),
                },
                Step::Finished(r) => break r,
            }
        };
        // Over: stop reading; dropping the request aborts it if the body is still open.
        reader.cancel();
        drop(inflight);
        result
    }
}
