//! One API call, with the core's retry policy applied: the call plumbing of the drivers.
//!
//! A [`Call`] builds its request from the credentials of the moment (it is rebuilt for the
//! retry, after a new token or session), is sent, and its answer is read as the call expects:
//! a JSON envelope ([`Client::call_json`]), the chat's event stream ([`Client::call_stream`])
//! or a file ([`Client::call_bytes`]). A failure goes to the core's [`RetryPolicy`], and the
//! loop does exactly what it decides (refresh the token, new session, client id, wait), at
//! most once. Nothing here decides whether to retry.

use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::Blob;

use super::Client;
use crate::core::api::{
    ApiConfig, Auth, Decoded, HttpRequest, HttpResponse, chat_open_error, decode, download_error,
    is_event_stream, is_file,
};
use crate::core::error::{Caller, NemoError};
use crate::core::session::{Decision, RetryPolicy};
use crate::web::cancel::Cancel;
use crate::web::host;
use crate::web::http::{self, InFlight};

/// Builds a request from the current credentials and session id.
pub(crate) type Build<'a> =
    &'a dyn Fn(&ApiConfig, Auth<'_>, Option<&str>) -> Result<HttpRequest, NemoError>;

/// One API call.
pub(crate) struct Call<'a> {
    /// The request.
    pub build: Build<'a>,
    /// A multipart body.
    pub body: Option<&'a JsValue>,
    /// Connect first (the call needs a session).
    pub needs_session: bool,
    /// This is the anonymous-token call itself (sent without a token, never refreshes one).
    pub token_call: bool,
    /// Deadline for the response, ms.
    pub ms: Option<u64>,
    /// Upload byte progress `(loaded, total)`: sent through XHR where the host can report it.
    pub progress: Option<&'a dyn Fn(f64, f64)>,
    /// The session this call names, whatever the current one is: a running turn's. A 1002
    /// then fails the call; it never replaces the session under the turn.
    pub session: Option<&'a str>,
    /// Sent once, its failure returned as it is: the caller has its own policy (an export
    /// submit, whose retry is the render job's to decide).
    pub once: bool,
}

impl<'a> Call<'a> {
    /// A call that needs a session, with the request timeout.
    pub fn new(client: &Client, build: Build<'a>) -> Self {
        Call {
            build,
            body: None,
            needs_session: true,
            token_call: false,
            ms: Some(client.opts.request_timeout_ms),
            progress: None,
            session: None,
            once: false,
        }
    }
}

/// What a call expects back, and how one attempt reads it.
pub(crate) trait Answer: Sized {
    /// Sends `req` once and reads the answer as this kind of call expects.
    async fn attempt(
        client: &Client,
        req: &HttpRequest,
        call: &Call<'_>,
        cancel: &Cancel,
    ) -> Result<Self, NemoError>;
}

/// Reads an answer's whole body, with its status and `Retry-After`, and interprets it with
/// `read` (the envelope decoder, or the decoder of a refusal).
async fn read_whole<T>(
    client: &Client,
    inflight: &InFlight,
    cancel: &Cancel,
    ms: Option<u64>,
    read: impl FnOnce(HttpResponse<'_>, &Caller, u64) -> T,
) -> Result<T, NemoError> {
    let body = http::text(inflight, cancel, ms).await?;
    let retry_after = http::header(&inflight.response, "retry-after");
    let resp = HttpResponse {
        status: inflight.response.status(),
        body: &body,
        retry_after: retry_after.as_deref(),
    };
    Ok(read(resp, &client.creds.borrow().caller(), host::now_ms()))
}

impl Answer for Decoded {
    async fn attempt(
        client: &Client,
        req: &HttpRequest,
        call: &Call<'_>,
        cancel: &Cancel,
    ) -> Result<Self, NemoError> {
        if let (Some(progress), Some(body)) = (call.progress, call.body)
            && client.fetcher.has_upload_progress()
        {
            let r = client.fetcher.send_xhr(req, body, cancel, progress).await?;
            let resp = HttpResponse {
                status: r.status,
                body: &r.body,
                retry_after: r.retry_after.as_deref(),
            };
            return decode(resp, &client.creds.borrow().caller(), host::now_ms());
        }
        let inflight = client.fetcher.send(req, call.body, cancel, call.ms).await?;
        read_whole(client, &inflight, cancel, call.ms, decode).await?
    }
}

impl Answer for InFlight {
    async fn attempt(
        client: &Client,
        req: &HttpRequest,
        call: &Call<'_>,
        cancel: &Cancel,
    ) -> Result<Self, NemoError> {
        let inflight = client.fetcher.send(req, call.body, cancel, call.ms).await?;
        let content_type = http::header(&inflight.response, "content-type");
        if is_event_stream(inflight.response.status(), content_type.as_deref()) {
            return Ok(inflight);
        }
        Err(read_whole(client, &inflight, cancel, call.ms, chat_open_error).await?)
    }
}

impl Answer for Blob {
    async fn attempt(
        client: &Client,
        req: &HttpRequest,
        call: &Call<'_>,
        cancel: &Cancel,
    ) -> Result<Self, NemoError> {
        let inflight = client.fetcher.send(req, call.body, cancel, call.ms).await?;
        let content_type = http::header(&inflight.response, "content-type");
        if is_file(inflight.response.status(), content_type.as_deref()) {
            return http::blob(&inflight, cancel, None).await;
        }
        Err(read_whole(client, &inflight, cancel, call.ms, download_error).await?)
    }
}

impl Client {
    /// Sends one call, applying the retry policy; its answer read as `T`.
    async fn call<T: Answer>(
        self: &Rc<Self>,
        call: Call<'_>,
        cancel: &Cancel,
    ) -> Result<T, NemoError> {
        if call.needs_session {
            Box::pin(self.connect(cancel, None)).await?;
        }
        let mut policy = RetryPolicy::new(&self.creds.borrow(), self.opts.rate_limit_wait_ms);
        loop {
            let req = {
                let c = self.creds.borrow();
                let token = if call.token_call {
                    None
                } else {
                    c.token.as_ref()
                };
                (call.build)(
                    &self.opts.api,
                    Auth {
                        token,
                        client_id: c.client_id.as_deref(),
                    },
                    call.session.or(c.session_id.as_deref()),
                )?
            };
            let err = match T::attempt(self, &req, &call, cancel).await {
                Ok(answer) => return Ok(answer),
                Err(e) => e,
            };
            if call.once {
                return Err(err);
            }
            let decision = policy.decide(err.clone(), &self.creds.borrow());
            if decision == Decision::NewSession && call.session.is_some() {
                return Err(err);
            }
            self.recover(decision, call.token_call, cancel).await?;
            policy.retrying(&self.creds.borrow());
        }
    }

    /// Does what the retry policy decided before a retry: a new token, a new session, a
    /// client id, the wait; `Err` when it decided to give up (or the recovery failed).
    pub(crate) async fn recover(
        self: &Rc<Self>,
        decision: Decision,
        token_call: bool,
        cancel: &Cancel,
    ) -> Result<(), NemoError> {
        match decision {
            Decision::Fail(e) => Err(e),
            Decision::Retry => Ok(()),
            Decision::RefreshToken if token_call => Err(NemoError::protocol(
                "TOKEN_REFUSED",
                "the anonymous-token call was refused as unauthorised",
            )),
            Decision::RefreshToken => Box::pin(self.refresh_token(cancel)).await,
            Decision::NewSession => Box::pin(self.new_session(cancel)).await,
            Decision::EnsureClientId => {
                self.ensure_client_id();
                Ok(())
            }
            Decision::Wait(ms) => cancel.sleep(ms).await,
        }
    }

    /// A call answered by a JSON envelope: its decoded envelope.
    pub(crate) async fn call_json(
        self: &Rc<Self>,
        call: Call<'_>,
        cancel: &Cancel,
    ) -> Result<Decoded, NemoError> {
        self.call(call, cancel).await
    }

    /// The chat call: the open event stream.
    pub(crate) async fn call_stream(
        self: &Rc<Self>,
        call: Call<'_>,
        cancel: &Cancel,
    ) -> Result<InFlight, NemoError> {
        self.call(call, cancel).await
    }

    /// A download: the file.
    pub(crate) async fn call_bytes(
        self: &Rc<Self>,
        call: Call<'_>,
        cancel: &Cancel,
    ) -> Result<Blob, NemoError> {
        self.call(call, cancel).await
    }
}
