//! `SseParser` for JS: the core parser over `Uint8Array` chunks.
//!
//! `push(chunk)` returns the events the chunk completed as `{event, data, id, retry?}`
//! objects. Fast path: the parser hands each event's fields to a [`Batch`] that appends them
//! to one text and records where each field ends (in UTF-16 units, JS's string indices); JS
//! gets the text decoded once and the offsets as a view, and slices and builds the objects
//! itself (`sseEvents`, a few lines of JS). Building each object field by field from Rust
//! (a call across the boundary per field) measured 0.2× eventsource-parser; this, above 1×. An oversize event throws a `NemoError` (`kind: "protocol"`, code
//! `"SSE_EVENT_TOO_LARGE"`) whose `events` property holds every event the chunk still gave,
//! before and after the dropped one, so nothing else is lost. `finish()` ends the stream: per
//! the spec an unterminated last event is discarded, so it returns no events; how many bytes
//! were discarded is then in `discardedBytes`.

use js_sys::{Array, ArrayBuffer, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::error::{to_js, with_property};
use crate::core::error::NemoError;
use crate::core::sse::{DEFAULT_MAX_EVENT_BYTES, SseError, SseParser, SseSink};

#[wasm_bindgen(inline_js = r#"
export function sseEvents(text, ends, retries) {
  const out = new Array(retries.length);
  let at = 0;
  for (let i = 0, k = 0; i < retries.length; i++, k += 3) {
    const e = ends[k], d = ends[k + 1], n = ends[k + 2];
    const ev = { event: e > at ? text.slice(at, e) : "message", data: text.slice(e, d), id: text.slice(d, n) };
    if (retries[i] >= 0) ev.retry = retries[i];
    out[i] = ev;
    at = n;
  }
  return out;
}
"#)]
extern "C" {
    /// The events of a batch as objects: `text` holds each event's type, data and id one
    /// after another; `ends` where each of them ends (UTF-16 units); `retries` each event's
    /// `retry` (negative: none).
    #[wasm_bindgen(js_name = sseEvents)]
    fn sse_events(text: &str, ends: &[u32], retries: &[f64]) -> Array;
}

/// UTF-16 units of a string: one per character, two for one outside the BMP (a 4-byte one).
fn utf16_len(s: &str) -> u32 {
    if s.is_ascii() {
        return s.len() as u32;
    }
    s.bytes()
        .map(|b| u32::from(b & 0xC0 != 0x80) + u32::from(b >= 0xF0))
        .sum()
}

/// The events of one push, as one text and the offsets of its fields.
#[derive(Default)]
struct Batch {
    text: String,
    ends: Vec<u32>,
    retries: Vec<f64>,
    at: u32,
    error: Option<SseError>,
}

impl Batch {
    fn field(&mut self, bytes: &[u8]) {
        let s = String::from_utf8_lossy(bytes);
        self.at += utf16_len(&s);
        self.text.push_str(&s);
        self.ends.push(self.at);
    }

    fn clear(&mut self) {
        self.text.clear();
        self.ends.clear();
        self.retries.clear();
        self.at = 0;
        self.error = None;
    }
}

impl SseSink for Batch {
    fn event(&mut self, event_type: &[u8], data: &[u8], id: &str, retry: Option<u64>) {
        self.field(event_type);
        self.field(data);
        self.field(id.as_bytes());
        self.retries.push(retry.map_or(-1.0, |r| r as f64));
    }

    fn comment(&mut self, _: &[u8]) {}

    fn error(&mut self, err: SseError) {
        self.error.get_or_insert(err);
    }
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

/// Reads `maxEventBytes` from the options object.
fn max_event_bytes(opts: &JsValue) -> Result<usize, JsValue> {
    if opts.is_undefined() || opts.is_null() {
        return Ok(DEFAULT_MAX_EVENT_BYTES);
    }
    let v = Reflect::get(opts, &JsValue::from_str("maxEventBytes")).unwrap_or(JsValue::UNDEFINED);
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
            batch: Batch::default(),
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
        let events = sse_events(&b.text, &b.ends, &b.retries);
        match &b.error {
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
