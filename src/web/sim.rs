//! The simulator over the wire: a `fetch(input, init)` call read into a [`SimRequest`], and a
//! [`SimResponse`] played back as a streaming `Response` with real timers (chunk by chunk,
//! waits, a dropped connection, a stream that never ends). The request's `signal`, or the
//! reader hanging up, stops the stream at once and marks the log entry `aborted`, as a real
//! server sees the connection close.
//!
//! Moves bytes only: what to answer is `sim`'s. Used by `createSimulator` (`js/sim.rs`) and
//! the worker's simulator mode (`web/worker`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, spawn_local};
use web_sys::{
    AbortSignal, File, FormData, ReadableStream, ReadableStreamDefaultController, Request,
    Response, ResponseInit,
};

use super::cancel::Cancel;
use super::host;
use crate::core::error::{ErrorKind, NemoError};
use crate::sim::plan::Step;
use crate::sim::{SimBody, SimOptions, SimRequest, SimResponse, Simulator};

async fn await_promise(p: Result<Promise, JsValue>) -> Result<JsValue, NemoError> {
    let p = p.map_err(|_| NemoError::protocol("SIM_BAD_REQUEST", "unreadable request"))?;
    JsFuture::from(p)
        .await
        .map_err(|_| NemoError::protocol("SIM_BAD_REQUEST", "unreadable request body"))
}

/// Reads a `fetch(input, init)` call into a simulator request.
async fn read_request(
    input: &JsValue,
    init: &JsValue,
) -> Result<(SimRequest, Option<AbortSignal>), NemoError> {
    let request = match input.dyn_ref::<Request>() {
        Some(r) => Clone::clone(r),
        None => {
            let url = input.as_string().ok_or_else(|| {
                NemoError::refused("BAD_INPUT", "fetch input must be a URL string or a Request")
            })?;
            let init = if init.is_object() {
                init.clone()
            } else {
                Object::new().into()
            };
            Request::new_with_str_and_init(&url, init.unchecked_ref()).map_err(|_| {
                NemoError::refused(
                    "BAD_INPUT",
                    "the simulator needs an absolute URL (set baseUrl)",
                )
            })?
        }
    };
    let url = web_sys::Url::new(&request.url())
        .map_err(|_| NemoError::refused("BAD_INPUT", "bad URL"))?;
    let mut headers = Vec::new();
    if let Ok(Some(iter)) = js_sys::try_iter(&request.headers()) {
        for pair in iter.flatten() {
            let pair: Array = pair.unchecked_into();
            headers.push((
                pair.get(0).as_string().unwrap_or_default().to_lowercase(),
                pair.get(1).as_string().unwrap_or_default(),
            ));
        }
    }
    let content_type = headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let method = request.method().to_uppercase();
    let body = if method == "GET" || method == "HEAD" {
        SimBody::None
    } else if content_type.starts_with("multipart/form-data") {
        let form: FormData = await_promise(request.form_data()).await?.unchecked_into();
        let mut files = Vec::new();
        if let Ok(Some(iter)) = js_sys::try_iter(&form) {
            for pair in iter.flatten() {
                let pair: Array = pair.unchecked_into();
                if let Some(f) = pair.get(1).dyn_ref::<File>() {
                    files.push((f.name(), f.size() as u64, f.type_()));
                }
            }
        }
        SimBody::Files(files)
    } else {
        let text = await_promise(request.text())
            .await?
            .as_string()
            .unwrap_or_default();
        if text.is_empty() {
            SimBody::None
        } else {
            SimBody::Text(text)
        }
    };
    let signal = Some(request.signal());
    Ok((
        SimRequest {
            method,
            origin: url.origin(),
            path: url.pathname(),
            headers,
            body,
        },
        signal,
    ))
}

/// Plays a response plan as a streaming body.
fn body_stream(
    steps: Vec<Step>,
    signal: Option<AbortSignal>,
    on_abort: Rc<dyn Fn()>,
) -> Result<ReadableStream, JsValue> {
    let cancelled = Rc::new(Cell::new(false));
    let source = Object::new();
    let c2 = cancelled.clone();
    let abort_on_cancel = on_abort.clone();
    let start = Closure::once_into_js(move |controller: ReadableStreamDefaultController| {
        spawn_local(async move {
            let cancel = Cancel::new(signal);
            let stopped = |c: &Cancel| c.is_aborted() || c2.get();
            let hang_up = |controller: &ReadableStreamDefaultController, why: &str| {
                controller.error_with_e(&js_sys::Error::new(why));
            };
            for step in steps {
                if stopped(&cancel) {
                    break;
                }
                match step {
                    Step::Bytes(b) => {
                        let _ = controller.enqueue_with_chunk(&Uint8Array::from(&b[..]));
                    }
                    Step::Wait(ms) => {
                        let _ = cancel.sleep(ms).await;
                    }
                    Step::Fail => {
                        // The bytes before the drop arrive first, as on a network: erroring the
                        // stream would discard the chunks still queued for the reader.
                        while controller.desired_size().is_some_and(|d| d < 1.0)
                            && !stopped(&cancel)
                        {
                            let _ = cancel.sleep(1).await;
                        }
                        hang_up(&controller, "connection reset (simulated dropped stream)");
                        return;
                    }
                    Step::Forever { bytes, every_ms } => {
                        while cancel.sleep(every_ms.max(1)).await.is_ok() && !c2.get() {
                            if let Some(b) = &bytes {
                                let _ = controller.enqueue_with_chunk(&Uint8Array::from(&b[..]));
                            }
                        }
                    }
                }
            }
            if cancel.is_aborted() || c2.get() {
                on_abort();
                hang_up(&controller, "aborted");
            } else {
                let _ = controller.close();
            }
        });
    });
    host::set(&source, "start", &start);
    // The reader hung up: record it now (the play loop only notices at its next step).
    let on_cancel = Closure::once_into_js(move || {
        cancelled.set(true);
        abort_on_cancel();
    });
    host::set(&source, "cancel", &on_cancel);
    ReadableStream::new_with_underlying_source(&source)
}

fn response(
    resp: SimResponse,
    signal: Option<AbortSignal>,
    on_abort: Rc<dyn Fn()>,
) -> Result<Response, JsValue> {
    let init = ResponseInit::new();
    init.set_status(resp.status);
    let headers = Object::new();
    for (k, v) in &resp.headers {
        host::set(&headers, k, &JsValue::from_str(v));
    }
    init.set_headers(&headers);
    let streaming = resp.body.iter().any(|s| !matches!(s, Step::Bytes(_)));
    if streaming {
        let stream = body_stream(resp.body, signal, on_abort)?;
        Response::new_with_opt_readable_stream_and_init(Some(&stream), &init)
    } else {
        let mut bytes: Vec<u8> = resp
            .body
            .into_iter()
            .flat_map(|s| {
                if let Step::Bytes(b) = s {
                    b
                } else {
                    Vec::new()
                }
            })
            .collect();
        Response::new_with_opt_u8_array_and_init(Some(&mut bytes), &init)
    }
}

/// The simulator's options with its ids and tokens seeded from the host's crypto, unless the
/// options name a `seed` (a test that wants a run to repeat).
pub(crate) fn options(json: Option<&serde_json::Value>) -> Result<SimOptions, NemoError> {
    let mut opts = SimOptions::from_value(json)?;
    if json.and_then(|v| v.get("seed")).is_none() {
        let r = host::random_16();
        let mut seed = [0u8; 8];
        seed.copy_from_slice(&r[..8]);
        opts.id_seed = Some(u64::from_le_bytes(seed));
    }
    Ok(opts)
}

/// Answers one `fetch(input, init)` call from `sim`: the request read, answered, and its
/// response played.
pub(crate) async fn answer(
    sim: &Rc<RefCell<Simulator>>,
    input: &JsValue,
    init: &JsValue,
) -> Result<Response, NemoError> {
    let (req, signal) = read_request(input, init).await?;
    let resp = sim.borrow_mut().handle(&req);
    if resp.status == 0 {
        // A lost request or answer: the connection failed, so the `fetch` rejects.
        return Err(NemoError::network(
            "connection reset (simulated lost request or answer)",
        ));
    }
    let index = sim.borrow().last_request();
    let s = sim.clone();
    let on_abort: Rc<dyn Fn()> = Rc::new(move || s.borrow_mut().mark_aborted(index));
    response(resp, signal, on_abort).map_err(|_| {
        let msg = "the simulated response could not be made";
        NemoError::new(ErrorKind::Server, "SIM_RESPONSE", false, msg)
    })
}
