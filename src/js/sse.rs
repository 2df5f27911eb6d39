//! `SseParser` for JS: the core parser over `Uint8Array` chunks.
//!
//! `push(chunk)` returns the events the chunk completed as `{event, data, id, retry?}`
//! objects. An oversize event throws a `NemoError` (`kind: "protocol"`, code
//! `"SSE_EVENT_TOO_LARGE"`) whose `events` property holds every event the chunk still gave,
//! before and after the dropped one, so nothing else is lost. `finish()` ends the stream: per
//! the spec an unterminated last event is discarded, so it returns no events; how many bytes
//! were discarded is then in `discardedBytes`.

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use super::error::{to_js, with_property};
use crate::core::error::NemoError;
use crate::core::sse::{DEFAULT_MAX_EVENT_BYTES, SseEvent, SseItem, SseParser};

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
}

fn event_object(e: &SseEvent) -> JsValue {
    let o = Object::new();
    let set = |k: &str, v: JsValue| {
        let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
    };
    set("event", JsValue::from_str(&e.event));
    set("data", JsValue::from_str(&e.data));
    set("id", JsValue::from_str(&e.id));
    if let Some(r) = e.retry {
        set("retry", JsValue::from_f64(r as f64));
    }
    o.into()
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
        })
    }

    /// Feeds one chunk; returns the events it completed.
    #[wasm_bindgen(unchecked_return_type = "SseEvent[]")]
    pub fn push(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer | string")] chunk: JsValue,
    ) -> Result<Array, JsValue> {
        let bytes = chunk_bytes(&chunk)?;
        let events = Array::new();
        let mut error = None;
        for item in self.inner.push(&bytes) {
            match item {
                SseItem::Event(e) => {
                    events.push(&event_object(&e));
                }
                SseItem::Comment(_) => {}
                SseItem::Error(e) => {
                    error.get_or_insert_with(|| {
                        NemoError::protocol("SSE_EVENT_TOO_LARGE", e.to_string())
                    });
                }
            }
        }
        match error {
            None => Ok(events),
            Some(e) => Err(with_property(to_js(&e), "events", events.into())),
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
