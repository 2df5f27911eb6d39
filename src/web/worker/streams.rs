//! Bodies the worker passes through with a transform, chunk by chunk as they arrive: a
//! request body counted against its cap, an answer scrubbed of the server token. The
//! transform itself is the core's (or a counter); this moves the chunks.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use js_sys::{Function, Object, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{ReadableStream, TransformStream, TransformStreamDefaultController};

use crate::core::proxy::Scrubber;
use crate::web::host;

/// What happens to each chunk of a stream.
pub(super) trait Transform {
    /// The bytes to pass on for `chunk`, or why the stream must stop.
    fn chunk(&mut self, chunk: &[u8]) -> Result<Vec<u8>, &'static str>;
    /// The bytes to pass on at the end.
    fn end(&mut self) -> Vec<u8>;
}

impl Transform for Scrubber {
    fn chunk(&mut self, chunk: &[u8]) -> Result<Vec<u8>, &'static str> {
        Ok(self.push(chunk))
    }
    fn end(&mut self) -> Vec<u8> {
        self.finish()
    }
}

/// Counts a body's bytes and stops it past `max`; `over` tells the forwarder afterwards.
pub(super) struct Cap {
    pub seen: u64,
    pub max: u64,
    pub over: Rc<Cell<bool>>,
}

impl Transform for Cap {
    fn chunk(&mut self, chunk: &[u8]) -> Result<Vec<u8>, &'static str> {
        self.seen = self.seen.saturating_add(chunk.len() as u64);
        if self.seen > self.max {
            self.over.set(true);
            return Err("the body is over its cap");
        }
        Ok(chunk.to_vec())
    }
    fn end(&mut self) -> Vec<u8> {
        Vec::new()
    }
}

fn enqueue(ctl: &TransformStreamDefaultController, bytes: &[u8]) {
    if !bytes.is_empty() {
        let _ = ctl.enqueue_with_chunk(&Uint8Array::from(bytes));
    }
}

/// `source.pipeThrough(new TransformStream(...))` with `t` applied to every chunk.
pub(super) fn pipe_through(
    source: &ReadableStream,
    t: impl Transform + 'static,
) -> Result<ReadableStream, JsValue> {
    let t = Rc::new(RefCell::new(t));
    let on_chunk = t.clone();
    let transform = Closure::<dyn FnMut(JsValue, TransformStreamDefaultController)>::new(
        move |chunk: JsValue, ctl: TransformStreamDefaultController| {
            let bytes = match chunk.dyn_into::<Uint8Array>() {
                Ok(a) => a.to_vec(),
                Err(other) => other.as_string().unwrap_or_default().into_bytes(),
            };
            match on_chunk.borrow_mut().chunk(&bytes) {
                Ok(out) => enqueue(&ctl, &out),
                Err(why) => ctl.error_with_reason(&js_sys::Error::new(why)),
            }
        },
    );
    let flush = Closure::<dyn FnMut(TransformStreamDefaultController)>::new(
        move |ctl: TransformStreamDefaultController| enqueue(&ctl, &t.borrow_mut().end()),
    );
    let transformer = Object::new();
    host::set(&transformer, "transform", &transform.into_js_value());
    host::set(&transformer, "flush", &flush.into_js_value());
    let ts = TransformStream::new_with_transformer(&transformer)?;
    let pipe: Function = host::get(source, "pipeThrough").dyn_into()?;
    Ok(pipe.call1(source, &ts)?.unchecked_into())
}
