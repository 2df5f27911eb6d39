//! HTTP through `fetch`: a core [`HttpRequest`] out, a `Response` back, the body read as text
//! or chunk by chunk. Decides nothing about what the response means.
//!
//! Each request gets its own `AbortController`: the caller's abort, a deadline, or the driver
//! (closing a finished stream) abort it. Nothing buffers a stream: [`BodyReader`] hands each
//! chunk on as it arrives.

use js_sys::{Function, Promise, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{AbortController, ReadableStreamDefaultReader, Response};

use super::cancel::{Cancel, Raced};
use super::host;
use crate::core::api::{Body, HttpRequest};
use crate::core::error::NemoError;

/// Calls the configured `fetch` (or the global one, unbound).
#[derive(Clone)]
pub(crate) struct Fetcher {
    custom: Option<Function>,
}

fn error_text(e: &JsValue) -> String {
    let msg = host::get(e, "message")
        .as_string()
        .or_else(|| e.as_string())
        .unwrap_or_default();
    let cause = host::get(&host::get(e, "cause"), "message").as_string();
    match cause {
        Some(c) if !c.is_empty() => format!("{msg} ({c})"),
        _ => msg,
    }
}

/// A request under way: aborts itself when dropped (the response is no longer wanted),
/// unless its response is handed on whole ([`InFlight::into_response`]).
pub(crate) struct InFlight {
    controller: Option<AbortController>,
    /// The response.
    pub response: Response,
}

impl InFlight {
    /// Aborts the request and its body.
    pub fn abort(&self) {
        if let Some(c) = &self.controller {
            c.abort();
        }
    }

    /// The response, to be passed on with its body still streaming: dropping it no longer
    /// aborts the request (the edge handler's pass-through).
    #[cfg(feature = "worker")]
    pub fn into_response(mut self) -> Response {
        self.controller = None;
        Clone::clone(&self.response)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.abort();
    }
}

/// One request as `fetch` takes it.
pub(crate) struct Outgoing<'a> {
    /// Method.
    pub method: &'a str,
    /// URL (or same-origin path).
    pub url: &'a str,
    /// Headers.
    pub headers: Vec<(&'a str, &'a str)>,
    /// Body: a string, `FormData` or a `ReadableStream`.
    pub body: Option<JsValue>,
    /// Answer a redirect as it is instead of following it (`redirect: "manual"`).
    pub manual_redirect: bool,
}

impl Fetcher {
    /// The `fetch` option, or the host's global `fetch`.
    pub fn new(custom: Option<Function>) -> Result<Self, NemoError> {
        if custom.is_none() && host::global_fn("fetch").is_none() {
            return Err(NemoError::refused(
                "NO_FETCH",
                "this runtime has no global fetch; pass the fetch option",
            ));
        }
        Ok(Fetcher { custom })
    }

    fn function(&self) -> Option<Function> {
        self.custom.clone().or_else(|| host::global_fn("fetch"))
    }

    /// Sends `req` (with `body` for a multipart request). `ms`: a deadline for the response
    /// headers, after which the request is aborted with a timeout error.
    pub async fn send(
        &self,
        req: &HttpRequest,
        body: Option<&JsValue>,
        cancel: &Cancel,
        ms: Option<u64>,
    ) -> Result<InFlight, NemoError> {
        let body = match (&req.body, body) {
            (Body::Json(text), _) => Some(JsValue::from_str(text)),
            (Body::Multipart, Some(form)) => Some(form.clone()),
            _ => None,
        };
        let out = Outgoing {
            method: req.method.as_str(),
            url: &req.url,
            headers: req.headers.iter().map(|(k, v)| (*k, v.as_str())).collect(),
            body,
            manual_redirect: false,
        };
        self.fetch(&out, cancel, ms).await
    }

    /// Calls `fetch` once: the one path every request of the module takes (the client's and
    /// the worker's). `ms` bounds the wait for the response headers.
    pub async fn fetch(
        &self,
        out: &Outgoing<'_>,
        cancel: &Cancel,
        ms: Option<u64>,
    ) -> Result<InFlight, NemoError> {
        cancel.check()?;
        let controller = AbortController::new()
            .map_err(|_| NemoError::refused("NO_ABORT", "AbortController is missing"))?;
        let headers = js_sys::Object::new();
        for (k, v) in &out.headers {
            host::set(&headers, k, &JsValue::from_str(v));
        }
        let init = host::object(&[
            ("method", JsValue::from_str(out.method)),
            ("headers", headers.into()),
            ("signal", controller.signal().into()),
        ]);
        if let Some(body) = &out.body {
            host::set(&init, "body", body);
        }
        if out.manual_redirect {
            host::set(&init, "redirect", &JsValue::from_str("manual"));
        }
        let fetch = self
            .function()
            .ok_or_else(|| NemoError::refused("NO_FETCH", "no fetch"))?;
        // Unbound call: `this` is undefined, as for a bare `fetch()` (a `fetch` bound to the
        // wrong object throws "Illegal invocation" in browsers and workerd).
        let promise: Promise =
            match fetch.call2(&JsValue::UNDEFINED, &JsValue::from_str(out.url), &init) {
                Ok(p) => Promise::resolve(&p),
                Err(e) => {
                    return Err(NemoError::network(format!(
                        "fetch threw: {}",
                        error_text(&e)
                    )));
                }
            };
        match cancel.race(&promise, ms).await {
            Raced::Value(v) => match v.dyn_into::<Response>() {
                Ok(response) => Ok(InFlight {
                    controller: Some(controller),
                    response,
                }),
                Err(_) => Err(NemoError::protocol(
                    "NOT_A_RESPONSE",
                    "fetch resolved with something that is not a Response",
                )),
            },
            Raced::Rejected(e) => Err(NemoError::network(format!(
                "request failed: {}",
                error_text(&e)
            ))),
            Raced::TimedOut => {
                controller.abort();
                Err(NemoError::timeout("REQUEST_TIMEOUT", "The request"))
            }
            Raced::Aborted => {
                controller.abort();
                Err(NemoError::aborted())
            }
        }
    }
}

/// A response header.
pub fn header(resp: &Response, name: &str) -> Option<String> {
    resp.headers().get(name).ok().flatten()
}

/// Reads the whole body as text.
pub async fn text(
    inflight: &InFlight,
    cancel: &Cancel,
    ms: Option<u64>,
) -> Result<String, NemoError> {
    let p = inflight
        .response
        .text()
        .map_err(|_| NemoError::protocol("BODY_USED", "the body was already read"))?;
    match cancel.race(&p, ms).await {
        Raced::Value(v) => Ok(v.as_string().unwrap_or_default()),
        Raced::Rejected(e) => Err(NemoError::network(format!(
            "reading the response failed: {}",
            error_text(&e)
        ))),
        Raced::TimedOut => Err(NemoError::timeout("REQUEST_TIMEOUT", "The request")),
        Raced::Aborted => Err(NemoError::aborted()),
    }
}

/// Reads the whole body as a `Blob`.
pub async fn blob(
    inflight: &InFlight,
    cancel: &Cancel,
    ms: Option<u64>,
) -> Result<web_sys::Blob, NemoError> {
    let p = inflight
        .response
        .blob()
        .map_err(|_| NemoError::protocol("BODY_USED", "the body was already read"))?;
    match cancel.race(&p, ms).await {
        Raced::Value(v) => v
            .dyn_into()
            .map_err(|_| NemoError::protocol("NOT_A_BLOB", "the body is not a Blob")),
        Raced::Rejected(e) => Err(NemoError::network(format!(
            "download failed: {}",
            error_text(&e)
        ))),
        Raced::TimedOut => Err(NemoError::timeout("DOWNLOAD_TIMEOUT", "The download")),
        Raced::Aborted => Err(NemoError::aborted()),
    }
}

/// One step of reading a stream.
pub(crate) enum Read {
    /// Bytes arrived.
    Chunk(Vec<u8>),
    /// The body ended.
    End,
    /// The body failed (connection dropped).
    Failed,
    /// The timer ran out first; the read is still pending and is reused next time.
    TimedOut,
    /// The caller aborted.
    Aborted,
}

/// Reads a streaming body chunk by chunk.
pub(crate) struct BodyReader {
    reader: Option<ReadableStreamDefaultReader>,
    pending: Option<Promise>,
}

impl BodyReader {
    /// A reader over the response body (an absent body reads as ended).
    pub fn new(resp: &Response) -> Self {
        Self::of(resp.body())
    }

    /// A reader over a stream (a request's body, say; `None` reads as ended).
    pub fn of(stream: Option<web_sys::ReadableStream>) -> Self {
        let reader = stream.and_then(|b| {
            b.get_reader()
                .dyn_into::<ReadableStreamDefaultReader>()
                .ok()
        });
        BodyReader {
            reader,
            pending: None,
        }
    }

    /// The next chunk, waiting at most `ms`.
    pub async fn read(&mut self, cancel: &Cancel, ms: Option<u64>) -> Read {
        let Some(reader) = &self.reader else {
            return Read::End;
        };
        let p = self.pending.take().unwrap_or_else(|| reader.read());
        match cancel.race(&p, ms).await {
            Raced::TimedOut => {
                self.pending = Some(p);
                Read::TimedOut
            }
            Raced::Aborted => Read::Aborted,
            Raced::Rejected(_) => Read::Failed,
            Raced::Value(v) => {
                if host::get(&v, "done").as_bool() == Some(true) {
                    return Read::End;
                }
                let value = host::get(&v, "value");
                match value.dyn_into::<Uint8Array>() {
                    Ok(bytes) => Read::Chunk(bytes.to_vec()),
                    Err(other) => match other.as_string() {
                        Some(s) => Read::Chunk(s.into_bytes()),
                        // A chunk that is not bytes: the stream is broken.
                        None => Read::Failed,
                    },
                }
            }
        }
    }

    /// Stops reading (the stream is cancelled; with the request aborted, the server sees the
    /// connection close).
    pub fn cancel(&mut self) {
        if let Some(r) = self.reader.take() {
            host::swallow(&r.cancel());
        }
        self.pending = None;
    }
}

/// A response read whole, from XHR.
pub(crate) struct XhrResponse {
    /// Status.
    pub status: u16,
    /// Body text.
    pub body: String,
    /// `Retry-After`.
    pub retry_after: Option<String>,
}

impl Fetcher {
    /// Whether uploads can report byte progress here: no `fetch` option (which must see every
    /// request) and a host with `XMLHttpRequest` (browsers; not Node, not workerd).
    pub fn has_upload_progress(&self) -> bool {
        self.custom.is_none() && host::global_fn("XMLHttpRequest").is_some()
    }

    /// Sends `req` with `form` through `XMLHttpRequest`, reporting `(loaded, total)` bytes sent.
    pub async fn send_xhr(
        &self,
        req: &HttpRequest,
        form: &JsValue,
        cancel: &Cancel,
        on_progress: &dyn Fn(f64, f64),
    ) -> Result<XhrResponse, NemoError> {
        use wasm_bindgen::closure::Closure;
        use web_sys::{ProgressEvent, XmlHttpRequest};
        cancel.check()?;
        let xhr = XmlHttpRequest::new()
            .map_err(|_| NemoError::refused("NO_XHR", "XMLHttpRequest is missing"))?;
        xhr.open(req.method.as_str(), &req.url)
            .map_err(|_| NemoError::refused("BAD_URL", "the upload URL was refused"))?;
        for (k, v) in &req.headers {
            let _ = xhr.set_request_header(k, v);
        }
        // Progress callbacks hold a Rust reference only for this call: they are dropped (and
        // detached) before it returns.
        // Events are queued here and handed to `on_progress` between waits.
        let queued = std::rc::Rc::new(std::cell::RefCell::new(Vec::<(f64, f64)>::new()));
        let sink = queued.clone();
        let progress = Closure::<dyn FnMut(ProgressEvent)>::new(move |e: ProgressEvent| {
            sink.borrow_mut().push((e.loaded(), e.total()));
        });
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(Some(progress.as_ref().unchecked_ref()));
        }
        let done = Promise::new(&mut |resolve, reject| {
            xhr.set_onload(Some(&resolve));
            xhr.set_onerror(Some(&reject));
            xhr.set_onabort(Some(&reject));
        });
        xhr.send_with_opt_form_data(Some(form.unchecked_ref()))
            .map_err(|_| NemoError::network("the upload could not start"))?;
        let mut outcome = cancel.race(&done, Some(250)).await;
        loop {
            let events: Vec<(f64, f64)> = queued.borrow_mut().drain(..).collect();
            for (loaded, total) in events {
                on_progress(loaded, total);
            }
            match outcome {
                Raced::TimedOut => outcome = cancel.race(&done, Some(250)).await,
                _ => break,
            }
        }
        if let Ok(upload) = xhr.upload() {
            upload.set_onprogress(None);
        }
        drop(progress);
        match outcome {
            Raced::Value(_) => Ok(XhrResponse {
                status: xhr.status().unwrap_or(0),
                body: xhr.response_text().ok().flatten().unwrap_or_default(),
                retry_after: xhr.get_response_header("retry-after").ok().flatten(),
            }),
            Raced::Aborted => {
                let _ = xhr.abort();
                Err(NemoError::aborted())
            }
            _ => Err(NemoError::network("the upload failed")),
        }
    }
}
