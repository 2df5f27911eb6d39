//! `SseParser` for JS: the core parser over `Uint8Array` chunks.
//!
//! `push(chunk)` returns the events the chunk completed as `{event, data, id, retry?}`
//! objects. Fast path: the parser hands each event's fields to a `Batch` (`nemo-sse`) that
//! appends them to one text and records where each field ends (in UTF-16 units, JS's string
//! indices); JS decodes the text once, takes the offsets as a view of wasm memory, and slices
//! and builds the objects itself (`sseEvents*`, a few lines of JS). The text is UTF-16 where
//! Node's `Buffer` decodes it at memory speed, UTF-8 elsewhere. Building each object field by
//! field from Rust (a call across the boundary per field) measured 0.2× eventsource-parser.
//!
//! An oversize event throws a `NemoError` (`kind: "protocol"`, code `"SSE_EVENT_TOO_LARGE"`)
//! whose `events` property holds every event the chunk still gave, before and after the
//! dropped one, so nothing else is lost. `finish()` ends the stream: per the spec an
//! unterminated last event is discarded, so it returns no events; how many bytes were
//! discarded is then in `discardedBytes`.

use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;

use super::error::{to_js, with_property};
use crate::core::error::NemoError;
use crate::core::sse::{Batch, DEFAULT_MAX_EVENT_BYTES, SseParser};
use crate::web::host;

#[wasm_bindgen(inline_js = r#"
// The text of a push becomes one string, decoded the fastest way the runtime has (the parser
// chose which when it was made). Node's Buffer turns UTF-16 into a string at memory speed (and
// UTF-8 several times slower); elsewhere (browsers, workerd) TextDecoder is faster on UTF-8.
export function sseEventsUtf16(units, ends, retries) {
  return events(globalThis.Buffer.from(units.buffer, units.byteOffset, units.byteLength).toString("utf16le"), ends, retries);
}
// ignoreBOM: a field may begin with U+FEFF, which must stay (the offsets count it).
let utf8 = null;
export function sseEventsUtf8(bytes, ends, retries) {
  return events((utf8 ??= new TextDecoder("utf-8", { ignoreBOM: true })).decode(bytes), ends, retries);
}
function events(t, ends, retries) {
  const out = new Array(retries.length);
  let at = 0;
  for (let i = 0, k = 0; i < retries.length; i++, k += 3) {
    const e = ends[k], d = ends[k + 1], n = ends[k + 2];
    const ev = { event: e > at ? t.slice(at, e) : "message", data: t.slice(e, d), id: t.slice(d, n) };
    if (retries[i] >= 0) ev.retry = retries[i];
    out[i] = ev;
    at = n;
  }
  return out;
}
"#)]
extern "C" {
    /// The events of a wide batch as objects: `units` holds each event's type, data and id one
    /// after another (UTF-16); `ends` where each of them ends; `retries` each event's `retry`
    /// (negative: none).
    #[wasm_bindgen(js_name = sseEventsUtf16)]
    fn sse_events_utf16(units: &[u16], ends: &[u32], retries: &[f64]) -> Array;

    /// The same for a batch whose text is UTF-8 (`ends` still count UTF-16 units).
    #[wasm_bindgen(js_name = sseEventsUtf8)]
    fn sse_events_utf8(text: &[u8], ends: &[u32], retries: &[f64]) -> Array;
}

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
/** One dispatched server-sent event. */
export interface SseEvent {
  /** The event type: the block's last `event:` field, or "message". */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  /** The last event id seen in the stream (ids persist across events). */
  id: string;
  /** The reconnection time, in ms, a `retry:` field set since the previous event (in this
   *  event's block, or in a block of its own); `reconnectionTime` holds the latest. */
  retry?: number;
}

/** Options of `new SseParser()`. */
export interface SseParserOptions {
  /** Largest event (or line) held, in bytes; default 16 MiB. Larger ones are dropped with a NemoError. */
  maxEventBytes?: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// `SseParserOptions` as JS passes it.
    #[wasm_bindgen(typescript_type = "SseParserOptions")]
    pub type SseParserOptions;
}

/// The WHATWG server-sent events parser, usable on its own.
#[wasm_bindgen(js_name = SseParser)]
pub struct JsSseParser {
    inner: SseParser,
    discarded: usize,
    batch: Batch,
}

/// Whether this is Node (or a runtime that says it is, as Bun does) with its `Buffer`, which
/// turns UTF-16 into a string faster than anything decodes UTF-8, so batches should be wide.
/// `process.versions.node` as well: a browser app may carry a `Buffer` polyfill, whose UTF-16
/// decoding is plain JS. Asked here rather than by a snippet function: wasm-bindgen imports a
/// function that takes and returns only numbers straight from the snippet, around the glue,
/// which the build's imports check refuses.
fn node_buffer() -> bool {
    // `host::get` reads nothing from `undefined` (where there is no `process`: browsers,
    // workerd) instead of catching the throw, which costs a slot of the table of JS values.
    let global = host::global();
    let node = host::get(
        &host::get(&host::get(&global, "process"), "versions"),
        "node",
    );
    let buffer = host::get(&global, "Buffer");
    node.is_string() && buffer.is_function() && host::get(&buffer, "from").is_function()
}

/// Reads `maxEventBytes` from the options object.
fn max_event_bytes(opts: &JsValue) -> Result<usize, JsValue> {
    if opts.is_undefined() || opts.is_null() {
        return Ok(DEFAULT_MAX_EVENT_BYTES);
    }
    let v = host::get(opts, "maxEventBytes");
    if v.is_undefined() {
        return Ok(DEFAULT_MAX_EVENT_BYTES);
    }
    match v.as_f64() {
        Some(n) if n.is_finite() && n >= 1.0 && n <= (u32::MAX as f64) => Ok(n as usize),
        _ => Err(to_js(&NemoError::refused(
            "BAD_OPTION",
            "maxEventBytes must be a whole number of bytes between 1 and 4294967295",
        ))),
    }
}

/// Copies a chunk given as `Uint8Array`, `ArrayBuffer` or string (UTF-8) into Rust.
pub fn chunk_bytes(chunk: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(a) = chunk.dyn_ref::<Uint8Array>() {
        return Ok(a.to_vec());
    }
    if let Some(b) = chunk.dyn_ref::<ArrayBuffer>() {
        return Ok(Uint8Array::new(b).to_vec());
    }
    if let Some(s) = chunk.as_string() {
        return Ok(s.into_bytes());
    }
    Err(to_js(&NemoError::refused(
        "BAD_INPUT",
        "push() takes a Uint8Array, an ArrayBuffer or a string",
    )))
}

#[wasm_bindgen(js_class = SseParser)]
impl JsSseParser {
    /// `new SseParser({ maxEventBytes? })`.
    #[wasm_bindgen(constructor)]
    pub fn new(opts: Option<SseParserOptions>) -> Result<JsSseParser, JsValue> {
        let opts: JsValue = opts.map_or(JsValue::UNDEFINED, Into::into);
        Ok(JsSseParser {
            inner: SseParser::new(max_event_bytes(&opts)?),
            discarded: 0,
            batch: if node_buffer() {
                Batch::wide()
            } else {
                Batch::default()
            },
        })
    }

    /// Feeds one chunk; returns the events it completed.
    #[wasm_bindgen(unchecked_return_type = "SseEvent[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] chunk: JsValue,
    ) -> Result<Array, JsValue> {
        let bytes = chunk_bytes(&chunk)?;
        self.batch.clear();
        self.inner.push_to(&bytes, &mut self.batch);
        let b = &self.batch;
        let events = if b.is_wide() {
            sse_events_utf16(b.units(), b.ends(), b.retries())
        } else {
            sse_events_utf8(b.text(), b.ends(), b.retries())
        };
        match b.error() {
            None => Ok(events),
            Some(e) => {
                let err = NemoError::protocol("SSE_EVENT_TOO_LARGE", e.to_string());
                Err(with_property(to_js(&err), "events", events.into()))
            }
        }
    }

    /// Ends the stream; the parser can then read a new one.
    #[wasm_bindgen(unchecked_return_type = "SseEvent[]")]
    pub fn finish(&mut self) -> Array {
        self.discarded = self.inner.finish();
        Array::new()
    }

    /// Bytes of an unterminated final event that the last `finish()` discarded.
    #[wasm_bindgen(getter, js_name = discardedBytes)]
    pub fn discarded_bytes(&self) -> f64 {
        self.discarded as f64
    }

    /// The last event id seen.
    #[wasm_bindgen(getter, js_name = lastEventId)]
    pub fn last_event_id(&self) -> String {
        self.inner.last_event_id().to_owned()
    }

    /// The last reconnection time a `retry:` field set, or `undefined`.
    #[wasm_bindgen(getter, js_name = reconnectionTime)]
    pub fn reconnection_time(&self) -> Option<f64> {
        self.inner.reconnection_ms().map(|ms| ms as f64)
    }
}
