//! Drives one [`ChatTurn`] over the `/run_sse` stream.
//!
//! The loop does what `turn.step()` says: read a chunk (racing the turn's next deadline and
//! the caller's abort), fetch the state, or wait. It never sends the message twice: the only
//! retries are the policy's, before the stream opens, for rejections that prove the agent
//! never started. The stream is closed only when the turn is over (done, failed, timed out
//! or aborted): closing it aborts the work on the server.

use std::rc::Rc;

use super::{Call, Client, OnEvent};
use crate::core::api::{ApiConfig, Auth, Endpoint};
use crate::core::chat::{ChatResult, ChatTurn, Step};
use crate::core::error::NemoError;
use crate::web::cancel::Cancel;
use crate::web::host;
use crate::web::http::{BodyReader, Read};

impl Client {
    /// One chat turn.
    pub async fn chat(
        self: &Rc<Self>,
        text: &str,
        on_event: OnEvent<'_>,
        cancel: &Cancel,
    ) -> Result<ChatResult, NemoError> {
        if text.trim().is_empty() {
            return Err(NemoError::refused("EMPTY_MESSAGE", "the message is empty")
                .with_user_message("Type a message first."));
        }
        self.connect(cancel, Some(on_event)).await?;
        let before = self.known_draft(cancel).await;
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
        let inflight = self.call_stream(call, cancel).await?;
        let caller = self.creds.borrow().caller();
        let mut turn = ChatTurn::new(self.opts.chat_config(), caller, before, host::now_ms());
        let mut reader = BodyReader::new(&inflight.response);
        let result = loop {
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
                    let state = self.state(cancel).await.map(|s| s.draft);
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
        while let Some(e) = turn.poll_event() {
            on_event(&e);
        }
        // Over: stop reading; dropping the request aborts it if the body is still open.
        reader.cancel();
        drop(inflight);
        *self.last_draft.borrow_mut() =
            result.as_ref().ok().and_then(|r| r.draft.clone()).map(Some);
        result
    }
}
