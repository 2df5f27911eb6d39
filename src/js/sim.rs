//! `createSimulator(options)` for JS: the simulator as a `fetch`-compatible function.
//!
//! Moves bytes only: turns a `fetch(input, init)` call into a [`SimRequest`], hands it to the
//! core simulator, and plays the response plan with real timers as a streaming `Response`
//! (chunk by chunk, waits, a dropped connection, a stream that never ends). The request's
//! `signal` stops the stream at once and marks the log entry `aborted`, as a real server sees
//! the connection close.
//!
//! The returned function also has `requests()` (the log), `setFaults(faults)`,
//! `expireTokens()`, `draft(sessionId)` and `dropSession(sessionId)`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Array, Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{JsFuture, future_to_promise, spawn_local};
use web_sys::{
    AbortSignal, File, FormData, ReadableStream, ReadableStreamDefaultController, Request,
    Response, ResponseInit,
};

use super::error::to_js;
use super::options as opt;
use crate::core::error::NemoError;
use crate::sim::plan::Step;
use crate::sim::{
    Faults, LogEntry, RenderForm, SimBody, SimOptions, SimRequest, SimResponse, Simulator,
};
use crate::web::cancel::Cancel;
use crate::web::host;

#[wasm_bindgen(typescript_custom_section)]
const TS_SIM: &str = r#"
/** Faults to inject; each counter fires that many times. */
export interface SimulatorFaults {
  dropStream?: number; heartbeatsOnly?: number; silenceOnly?: number; errorPayload?: number;
  expireTokenAfter?: number; sessionNotFound?: number; missingClientId?: number;
  rateLimit?: number; retryAfterS?: number; outOfCredits?: number; exportPlan?: number;
  renderFailure?: number; pollErrors?: number; submitErrors?: number;
}
export interface SimulatorOptions {
  seed?: number;
  /** Typical wait between chunks, default 15. */
  chunkDelayMs?: number;
  /** How long a tool "works", default 1200. */
  workMs?: number;
  /** Heartbeat period while working, default 400; null: silence, as a plain ADK server. */
  heartbeatMs?: number | null;
  /** Every Nth edit ends without text, default 3; 0: never. */
  silentEvery?: number;
  /** Polls before a render completes, default 3. */
  renderPolls?: number;
  /** The finished video's URL; "{origin}" is the request's origin. */
  videoUrl?: string;
  credits?: number;
  chatCost?: number;
  /** Serve the legacy {type} stream form. */
  legacy?: boolean;
  renderForm?: "output.url" | "outputUrl" | "success" | "bare" | "none";
  /** Tokens accepted as configured ones (NEMO_TOKEN) of a registered user. */
  knownTokens?: string[];
  faults?: SimulatorFaults;
}
export interface SimulatorLogEntry {
  method: string; path: string; status: number;
  auth: "none" | "valid" | "expired" | "unknown";
  clientId: string | null; attribution: boolean; message: string | null;
  problems: string[]; aborted: boolean;
}
export interface Simulator {
  (input: string | Request, init?: RequestInit): Promise<Response>;
  requests(): SimulatorLogEntry[];
  setFaults(faults: SimulatorFaults): void;
  expireTokens(): void;
  draft(sessionId: string): object | null;
  dropSession(sessionId: string): void;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// TS: `SimulatorOptions`.
    #[wasm_bindgen(typescript_type = "SimulatorOptions")]
    pub type SimulatorOptionsJs;
}

fn count(o: &JsValue, name: &str) -> Result<u32, NemoError> {
    Ok(opt::number(o, name)?.map_or(0, |n| n.clamp(0.0, u32::MAX as f64) as u32))
}

fn read_faults(o: &JsValue) -> Result<Faults, NemoError> {
    let o = opt::object(o, "faults")?;
    Ok(Faults {
        drop_stream: count(&o, "dropStream")?,
        heartbeats_only: count(&o, "heartbeatsOnly")?,
        silence_only: count(&o, "silenceOnly")?,
        error_payload: count(&o, "errorPayload")?,
        expire_token_after: opt::number(&o, "expireTokenAfter")?.map(|n| n.max(0.0) as u32),
        session_not_found: count(&o, "sessionNotFound")?,
        missing_client_id: count(&o, "missingClientId")?,
        rate_limit: count(&o, "rateLimit")?,
        retry_after_s: opt::number(&o, "retryAfterS")?.map(|n| n.max(0.0) as u64),
        out_of_credits: count(&o, "outOfCredits")?,
        export_plan: count(&o, "exportPlan")?,
        render_failure: count(&o, "renderFailure")?,
        poll_errors: count(&o, "pollErrors")?,
        submit_errors: count(&o, "submitErrors")?,
    })
}

pub(crate) fn read_options(o: &JsValue) -> Result<SimOptions, NemoError> {
    let o = opt::object(o, "simulator options")?;
    let d = SimOptions::default();
    let ms = |name: &str, default: u64| -> Result<u64, NemoError> {
        Ok(opt::number(&o, name)?.map_or(default, |n| n.max(0.0) as u64))
    };
    let heartbeat = host::get(&o, "heartbeatMs");
    let heartbeat_ms = if heartbeat.is_null() {
        None
    } else {
        Some(ms("heartbeatMs", d.timing.heartbeat_ms.unwrap_or(400))?)
    };
    let render_form = match opt::string(&o, "renderForm")?.as_deref() {
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
    Ok(SimOptions {
        seed: ms("seed", d.seed)?,
        timing: crate::sim::plan::Timing {
            chunk_delay_ms: ms("chunkDelayMs", d.timing.chunk_delay_ms)?,
            work_ms: ms("workMs", d.timing.work_ms)?,
            heartbeat_ms,
        },
        silent_every: count(&o, "silentEvery").map(|n| {
            if opt::number(&o, "silentEvery").ok().flatten().is_none() {
                d.silent_every
            } else {
                n
            }
        })?,
        render_polls: opt::number(&o, "renderPolls")?.map_or(d.render_polls, |n| n.max(1.0) as u32),
        video_url: opt::string(&o, "videoUrl")?.unwrap_or(d.video_url),
        credits: opt::number(&o, "credits")?.unwrap_or(d.credits),
        chat_cost: opt::number(&o, "chatCost")?.unwrap_or(d.chat_cost),
        legacy: host::get(&o, "legacy").as_bool().unwrap_or(false),
        render_form,
        known_tokens: {
            let v = host::get(&o, "knownTokens");
            if Array::is_array(&v) {
                Array::from(&v)
                    .iter()
                    .filter_map(|t| t.as_string())
                    .collect()
            } else {
                Vec::new()
            }
        },
        faults: read_faults(&host::get(&o, "faults"))?,
    })
}

fn log_to_js(e: &LogEntry) -> JsValue {
    let opt_str = |v: &Option<String>| v.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    host::object(&[
        ("method", JsValue::from_str(&e.method)),
        ("path", JsValue::from_str(&e.path)),
        ("status", JsValue::from_f64(f64::from(e.status))),
        ("auth", JsValue::from_str(e.auth)),
        ("clientId", opt_str(&e.client_id)),
        ("attribution", JsValue::from_bool(e.attribution)),
        ("message", opt_str(&e.message)),
        (
            "problems",
            e.problems
                .iter()
                .map(|p| JsValue::from_str(p))
                .collect::<Array>()
                .into(),
        ),
        ("aborted", JsValue::from_bool(e.aborted)),
    ])
}

async fn await_promise(p: Result<Promise, JsValue>) -> Result<JsValue, NemoError> {
    let p = p.map_err(|_| NemoError::protocol("SIM_BAD_REQUEST", "unreadable request"))?;
    JsFuture::from(p)
        .await
        .map_err(|_| NemoError::protocol("SIM_BAD_REQUEST", "unreadable request body"))
}

/// Reads a `fetch(input, init)` call into a simulator request.
pub(crate) async fn read_request(
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

pub(crate) fn response(
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

/// Creates a simulator: a `fetch`-compatible function answering the API from memory.
#[wasm_bindgen(js_name = createSimulator, unchecked_return_type = "Simulator")]
pub fn create_simulator(options: Option<SimulatorOptionsJs>) -> Result<JsValue, JsValue> {
    let opts =
        read_options(&options.map_or(JsValue::UNDEFINED, Into::into)).map_err(|e| to_js(&e))?;
    let sim = Rc::new(RefCell::new(Simulator::new(opts)));
    let s = sim.clone();
    let handler = Closure::<dyn FnMut(JsValue, JsValue) -> Promise>::new(
        move |input: JsValue, init: JsValue| {
            let sim = s.clone();
            future_to_promise(async move {
                let (req, signal) = read_request(&input, &init).await.map_err(|e| to_js(&e))?;
                let resp = sim.borrow_mut().handle(&req);
                let index = sim.borrow().log().len() - 1;
                let s2 = sim.clone();
                let on_abort: Rc<dyn Fn()> = Rc::new(move || s2.borrow_mut().mark_aborted(index));
                response(resp, signal, on_abort).map(Into::into)
            })
        },
    );
    let f: Function = handler.into_js_value().unchecked_into();
    let method = |name: &str, value: JsValue| host::set(&f, name, &value);
    let s = sim.clone();
    method(
        "requests",
        Closure::<dyn Fn() -> JsValue>::new(move || {
            s.borrow()
                .log()
                .iter()
                .map(log_to_js)
                .collect::<Array>()
                .into()
        })
        .into_js_value(),
    );
    let s = sim.clone();
    method(
        "setFaults",
        Closure::<dyn Fn(JsValue) -> Result<(), JsValue>>::new(move |faults: JsValue| {
            let faults = read_faults(&faults).map_err(|e| to_js(&e))?;
            s.borrow_mut().set_faults(faults);
            Ok(())
        })
        .into_js_value(),
    );
    let s = sim.clone();
    method(
        "expireTokens",
        Closure::<dyn Fn()>::new(move || s.borrow_mut().expire_tokens()).into_js_value(),
    );
    let s = sim.clone();
    method(
        "draft",
        Closure::<dyn Fn(String) -> JsValue>::new(move |sid: String| {
            use serde::Serialize;
            s.borrow()
                .draft(&sid)
                .and_then(|d| {
                    d.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
                        .ok()
                })
                .unwrap_or(JsValue::NULL)
        })
        .into_js_value(),
    );
    let s = sim;
    method(
        "dropSession",
        Closure::<dyn Fn(String)>::new(move |sid: String| s.borrow_mut().drop_session(&sid))
            .into_js_value(),
    );
    Ok(f.into())
}
