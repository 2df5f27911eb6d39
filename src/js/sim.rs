//! `createSimulator(options)` for JS: the simulator as a `fetch`-compatible function.
//!
//! Converts only: options in (through their JSON form), the request log out; each call is
//! answered by `web::sim`, which moves the bytes. The returned function also has `requests()` (the log), `setFaults(faults)`,
//! `expireTokens()`, `draft(sessionId)` and `dropSession(sessionId)`.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use super::error::to_js;
use crate::core::error::NemoError;
use crate::sim::{Faults, LogEntry, Simulator};
use crate::web::host;

#[wasm_bindgen(typescript_custom_section)]
const TS_SIM: &str = r#"
/** Faults to inject; each counter fires that many times. */
export interface SimulatorFaults {
  dropStream?: number; heartbeatsOnly?: number; silenceOnly?: number; errorPayload?: number;
  expireTokenAfter?: number; sessionNotFound?: number; missingClientId?: number;
  rateLimit?: number; retryAfterS?: number; outOfCredits?: number; exportPlan?: number;
  renderFailure?: number; pollErrors?: number; submitErrors?: number;
  /** Submits accepted whose answer is lost (a 504). */
  submitLost?: number;
  /** Faults aimed at one endpoint's calls, each firing `times` (default 1) times. */
  calls?: SimulatorCallFault[];
  /** The wait between the events of a "slow" chat stream, ms (default 500). */
  slowMs?: number;
}
/** The endpoints a call fault can aim at. */
export type SimulatorCall = "anonymousToken" | "createSession" | "chat" | "upload" | "credits" |
  "state" | "export" | "exportStatus" | "download" | "cancelExport";
/** A fault aimed at one endpoint's calls. A number is the API's answer for that code (1001,
 *  1002, 400, 402, 429 with `retryAfterS`, 2001, 4001, 4002, or an HTTP status such as 503),
 *  given without doing the work. "lostRequest": the fetch rejects, nothing done;
 *  "lostAnswer": the work done, then the fetch rejects; "malformedJson" / "truncated": the
 *  work done, its answer unreadable or cut short (a chat's events cut in half, its stream
 *  ending inside its second event); "wrongContentType": a gateway's 200 text/html page; the
 *  chat's stream faults: "dropAtStart", "dropAfterText", "dropAfterTool", "dropAtEnd",
 *  "slow", "heartbeatsOnly"; "echoToken": a 503 whose error text quotes the bearer token
 *  the request carried (a server echoing what it was sent), nothing done. */
export interface SimulatorCallFault {
  call: SimulatorCall;
  fault: number | "lostRequest" | "lostAnswer" | "malformedJson" | "truncated" | "wrongContentType" |
    "dropAtStart" | "dropAfterText" | "dropAfterTool" | "dropAtEnd" | "slow" | "heartbeatsOnly" | "echoToken";
  times?: number;
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
  /** The agent's edits touch only what the timeline summary does not show. */
  hiddenEdits?: boolean;
  /** Sessions start with no draft at all. */
  noDraft?: boolean;
  /** The state gives the draft as a JSON string, which an export must send back as it is. */
  draftAsText?: boolean;
  /** The anonymous-token answer carries user_id, default true (else only the session answer). */
  tokenUserId?: boolean;
  /** A tool's result carries stateDelta.draft always (true), never (false), or, unset, about
   *  every other turn. */
  stateDelta?: boolean;
  faults?: SimulatorFaults;
}
export interface SimulatorLogEntry {
  method: string; path: string; status: number;
  auth: "none" | "valid" | "expired" | "unknown";
  clientId: string | null; attribution: boolean; message: string | null;
  problems: string[]; aborted: boolean;
  /** The fault of `faults.calls` that hit this request, by its name (a code as its decimal
   *  text, such as "429"). */
  fault: string | null;
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

/// Reads a JS options object through its JSON text, as `JSON.stringify` writes it: a key set
/// to `undefined` or to a function is left out (so it takes its default), `null` stays `null`.
/// The simulator's own reader (`sim::SimOptions::from_value`) then gives every field its
/// default and type check.
fn json_of(v: &JsValue) -> Result<Option<serde_json::Value>, NemoError> {
    if v.is_undefined() || v.is_null() {
        return Ok(None);
    }
    let bad = || NemoError::refused("BAD_OPTION", "simulator options must be JSON-like");
    let text = js_sys::JSON::stringify(v)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(bad)?;
    serde_json::from_str(&text).map(Some).map_err(|_| bad())
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
        ("fault", opt_str(&e.fault)),
    ])
}

/// Creates a simulator: a `fetch`-compatible function answering the API from memory.
#[wasm_bindgen(js_name = createSimulator, unchecked_return_type = "Simulator")]
pub fn create_simulator(options: Option<SimulatorOptionsJs>) -> Result<JsValue, JsValue> {
    let options = options.map_or(JsValue::UNDEFINED, Into::into);
    let opts = json_of(&options)
        .and_then(|v| crate::web::sim::options(v.as_ref()))
        .map_err(|e| to_js(&e))?;
    let sim = Rc::new(RefCell::new(Simulator::new(opts)));
    let s = sim.clone();
    let handler = Closure::<dyn FnMut(JsValue, JsValue) -> Promise>::new(
        move |input: JsValue, init: JsValue| {
            let sim = s.clone();
            future_to_promise(async move {
                crate::web::sim::answer(&sim, &input, &init)
                    .await
                    .map(Into::into)
                    .map_err(|e| to_js(&e))
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
            let faults = json_of(&faults)
                .and_then(|v| Faults::from_value(v.as_ref()))
                .map_err(|e| to_js(&e))?;
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
            s.borrow()
                .draft(&sid)
                .map_or(JsValue::NULL, super::values::json)
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
