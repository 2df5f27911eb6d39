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

/// The transformer's callbacks, kept on the Rust side until the stream is over.
struct Callbacks {
    _transform: Closure<dyn FnMut(JsValue, TransformStreamDefaultController)>,
    _flush: Closure<dyn FnMut(TransformStreamDefaultController)>,
    _cancel: Closure<dyn FnMut(JsValue)>,
}

/// `source.pipeThrough(new TransformStream(...))` with `t` applied to every chunk.
///
/// The callbacks are released when the stream ends, fails or is cancelled (dropping a
/// `Closure` while it runs defers its release to its return). Handed to JS for good instead,
/// they would wait for a `FinalizationRegistry` that workerd does not run in time: the soak
/// found the worker's wasm memory growing by every streamed answer's transform.
pub(super) fn pipe_through(
    source: &ReadableStream,
    t: impl Transform + 'static,
) -> Result<ReadableStream, JsValue> {
    let t = Rc::new(RefCell::new(t));
    let held: Rc<RefCell<Option<Callbacks>>> = Rc::new(RefCell::new(None));
    let release = {
        let held = held.clone();
        move || drop(held.borrow_mut().take())
    };
    let (on_chunk, release_on_error) = (t.clone(), release.clone());
    let transform = Closure::<dyn FnMut(JsValue, TransformStreamDefaultController)>::new(
        move |chunk: JsValue, ctl: TransformStreamDefaultController| {
            let bytes = match chunk.dyn_into::<Uint8Array>() {
                Ok(a) => a.to_vec(),
                Err(other) => other.as_string().unwrap_or_default().into_bytes(),
            };
            let out = on_chunk.borrow_mut().chunk(&bytes);
            match out {
                Ok(out) => enqueue(&ctl, &out),
                Err(why) => {
                    ctl.error_with_reason(&js_sys::Error::new(why));
                    release_on_error();
                }
            }
        },
    );
    let release_on_end = release.clone();
    let flush = Closure::<dyn FnMut(TransformStreamDefaultController)>::new(
        move |ctl: TransformStreamDefaultController| {
            let rest = t.borrow_mut().end();
            enqueue(&ctl, &rest);
            release_on_end();
        },
    );
    let cancel = Closure::<dyn FnMut(JsValue)>::new(move |_reason: JsValue| release());
    let transformer = Object::new();
    host::set(&transformer, "transform", transform.as_ref());
    host::set(&transformer, "flush", flush.as_ref());
    host::set(&transformer, "cancel", cancel.as_ref());
    *held.borrow_mut() = Some(Callbacks {
        _transform: transform,
        _flush: flush,
        _cancel: cancel,
    });
    let ts = TransformStream::new_with_transformer(&transformer)?;
    let pipe: Function = host::get(source, "pipeThrough").dyn_into()?;
    Ok(pipe.call1(source, &ts)?.unchecked_into())
}
