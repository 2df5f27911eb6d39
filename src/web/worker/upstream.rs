//! The forwarding I/O: a request's body read against its cap as it streams, the upstream
//! asked through the module's one `fetch` path (a redirect answered, never followed), and the
//! answer passed back: streamed (scrubbed where it is text) or read whole and scrubbed.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Object;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ReadableStream, Request, Response, ResponseInit};

use super::streams::{Cap, pipe_through};
use super::{header_of, settle};
use crate::core::api::CallKind;
use crate::core::proxy::{self, PassBack, RETURNED_HEADERS, Refusal, Scrubber};
use crate::web::cancel::Cancel;
use crate::web::host;
use crate::web::http::{BodyReader, Fetcher, Outgoing, Read};

/// A request body as the worker holds it before forwarding.
pub(super) enum Body {
    /// None (GET).
    None,
    /// JSON text, read whole within its cap.
    Text(String),
    /// An upload, streamed through a counter that stops it past its cap.
    Counted(ReadableStream, Rc<Cell<bool>>),
}

/// Reads (or wraps) a request's body; a body over `max` (counted as it arrives, whatever its
/// `Content-Length` said, or without one) is refused with 413 before anything is forwarded.
pub(super) async fn body(
    req: &Request,
    kind: CallKind,
    max: u64,
) -> Result<Result<Body, Refusal>, JsValue> {
    if req.method() != "POST" {
        return Ok(Ok(Body::None));
    }
    if kind == CallKind::Upload {
        let Some(stream) = req.body() else {
            return Ok(Ok(Body::None));
        };
        let over = Rc::new(Cell::new(false));
        let cap = Cap {
            seen: 0,
            max,
            over: over.clone(),
        };
        return Ok(Ok(Body::Counted(pipe_through(&stream, cap)?, over)));
    }
    let mut reader = BodyReader::of(req.body());
    let never = Cancel::new(None);
    let mut bytes = Vec::new();
    loop {
        match reader.read(&never, None).await {
            Read::Chunk(c) => {
                bytes.extend_from_slice(&c);
                if bytes.len() as u64 > max {
                    drain(&mut reader).await;
                    return Ok(Err(Refusal::too_large(max)));
                }
            }
            Read::End => break,
            Read::Failed | Read::TimedOut | Read::Aborted => {
                return Ok(Err(Refusal::new(
                    400,
                    "BAD_BODY",
                    "the body could not be read",
                )));
            }
        }
    }
    Ok(Ok(Body::Text(String::from_utf8_lossy(&bytes).into_owned())))
}

/// Reads and drops the rest of a refused body, up to [`proxy::DRAIN_REFUSED_BYTES`], then stops
/// reading (see there why).
pub(super) async fn drain(reader: &mut BodyReader) {
    let never = Cancel::new(None);
    let mut dropped = 0u64;
    while dropped <= proxy::DRAIN_REFUSED_BYTES {
        match reader.read(&never, None).await {
            Read::Chunk(c) => dropped += c.len() as u64,
            _ => return,
        }
    }
    reader.cancel();
}

/// The upstream's answer, or the refusal that replaces it.
pub(super) async fn ask(
    url: &str,
    method: &str,
    headers: &[(String, String)],
    body: Body,
) -> Result<Result<Response, Refusal>, JsValue> {
    let (body, over) = match body {
        Body::None => (None, None),
        Body::Text(t) => (Some(JsValue::from_str(&t)), None),
        Body::Counted(stream, over) => (Some(stream.into()), Some(over)),
    };
    let out = Outgoing {
        method,
        url,
        headers: headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect(),
        body,
        manual_redirect: true,
    };
    let fetcher = Fetcher::new(None).map_err(|e| JsValue::from_str(&e.message))?;
    let answer = fetcher.fetch(&out, &Cancel::new(None), None).await;
    if over.is_some_and(|o| o.get()) {
        return Ok(Err(Refusal::new(
            413,
            "BODY_TOO_LARGE",
            "the upload is over its cap",
        )));
    }
    Ok(match answer {
        Ok(inflight) => Ok(inflight.into_response()),
        Err(_) => Err(Refusal::upstream_unreachable()),
    })
}

/// The upstream's status and chosen headers around a new body.
fn respond(
    from: &Response,
    body: Option<&JsValue>,
    text: Option<&str>,
    extra: &[(&'static str, String)],
) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(from.status());
    let h = Object::new();
    for name in RETURNED_HEADERS {
        if let Some(v) = header_of(from, name)
            && !(*name == "content-length" && (text.is_some() || body.is_some()))
        {
            host::set(&h, name, &JsValue::from_str(&v));
        }
    }
    for (k, v) in extra {
        host::set(&h, k, &JsValue::from_str(v));
    }
    init.set_headers(&h);
    match (text, body) {
        (Some(t), _) => Response::new_with_opt_str_and_init(Some(t), &init),
        (None, Some(stream)) => {
            Response::new_with_opt_readable_stream_and_init(Some(stream.unchecked_ref()), &init)
        }
        (None, None) => Response::new_with_opt_str_and_init(None, &init),
    }
}

/// An upstream answer as the page gets it.
pub(super) struct PassedBack {
    /// The answer to send.
    pub response: Response,
    /// The upstream's body, when it was read whole (before the scrub).
    pub text: Option<String>,
}

/// The page's answer from the upstream's: streamed through (scrubbed where it is text) or
/// read whole and scrubbed, or the refusal that replaces it (a redirect).
pub(super) async fn pass_back(
    upstream: &Response,
    kind: CallKind,
    token: Option<&str>,
    extra: &[(&'static str, String)],
) -> Result<Result<PassedBack, Refusal>, JsValue> {
    let content_type = header_of(upstream, "content-type").unwrap_or_default();
    let how = match proxy::pass_back(kind, upstream.status(), &content_type) {
        Ok(h) => h,
        Err(r) => return Ok(Err(r)),
    };
    let streamed = |body: JsValue| {
        respond(upstream, Some(&body), None, extra).map(|response| PassedBack {
            response,
            text: None,
        })
    };
    Ok(Ok(match (how, upstream.body()) {
        (PassBack::Stream, Some(s)) => streamed(s.into())?,
        (PassBack::ScrubbedStream, Some(s)) => {
            streamed(pipe_through(&s, Scrubber::new(token.unwrap_or("")))?.into())?
        }
        _ => {
            let text = read_text(upstream).await?;
            let response = respond(upstream, None, Some(&proxy::scrub(&text, token)), extra)?;
            PassedBack {
                response,
                text: Some(text),
            }
        }
    }))
}

/// An answer's whole body as text.
pub(super) async fn read_text(resp: &Response) -> Result<String, JsValue> {
    Ok(settle(resp.text().map(Into::into))
        .await?
        .as_string()
        .unwrap_or_default())
}
