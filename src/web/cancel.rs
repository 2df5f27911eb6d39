//! Cancellation and waiting: the caller's `AbortSignal`, abortable sleeps, timed races.
//!
//! One [`Cancel`] per public call holds a promise that rejects when the caller's signal
//! aborts; every wait of that call races against it, so an abort stops a request, a stream
//! read, a poll wait or a rate-limit wait at once. Timers are always cleared when they lose a
//! race (a forgotten 30 s timer would keep a Node process alive).

use js_sys::{Array, Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::AbortSignal;

use super::host;
use crate::core::error::NemoError;

/// How a race ended.
pub enum Raced {
    /// The promise settled with this value.
    Value(JsValue),
    /// The promise rejected with this value.
    Rejected(JsValue),
    /// The timer ran out first.
    TimedOut,
    /// The caller aborted first.
    Aborted,
}

/// The caller's signal for one public call.
pub struct Cancel {
    signal: Option<AbortSignal>,
    aborted: Promise,
    /// What `aborted` rejects with: a fresh object, so no other rejection can look like it.
    marker: JsValue,
}

impl Cancel {
    /// Wraps an optional `AbortSignal`.
    pub fn new(signal: Option<AbortSignal>) -> Self {
        let marker: JsValue = Object::new().into();
        let aborted = match &signal {
            Some(sig) => {
                let sig = sig.clone();
                let m = marker.clone();
                Promise::new(&mut |_resolve, reject: Function| {
                    if sig.aborted() {
                        let _ = reject.call1(&JsValue::UNDEFINED, &m);
                        return;
                    }
                    // `reject.bind(null, marker)`: no Rust closure to keep alive.
                    let on_abort = reject.bind1(&JsValue::NULL, &m);
                    let opts = host::object(&[("once", JsValue::TRUE)]);
                    let add: Option<Function> = host::get(&sig, "addEventListener").dyn_into().ok();
                    if let Some(add) = add {
                        let _ = add.call3(&sig, &JsValue::from_str("abort"), &on_abort, &opts);
                    }
                })
            }
            None => Promise::new(&mut |_, _| {}),
        };
        // An unhandled rejection would be reported by Node; this one is expected.
        host::swallow(&aborted);
        Cancel {
            signal,
            aborted,
            marker,
        }
    }

    /// Whether the caller aborted.
    pub fn is_aborted(&self) -> bool {
        self.signal.as_ref().is_some_and(AbortSignal::aborted)
    }

    /// `Err(aborted)` once the caller aborted.
    pub fn check(&self) -> Result<(), NemoError> {
        if self.is_aborted() {
            Err(NemoError::aborted())
        } else {
            Ok(())
        }
    }

    /// Races `p` against the abort and, when given, a timer of `ms`.
    pub async fn race(&self, p: &Promise, ms: Option<u64>) -> Raced {
        if self.is_aborted() {
            return Raced::Aborted;
        }
        // The timer resolves with a fresh object, so no value of `p` can look like it.
        let timer_marker: JsValue = Object::new().into();
        let mut handle = JsValue::UNDEFINED;
        let all = Array::of2(p, &self.aborted);
        if let Some(ms) = ms {
            all.push(&Promise::new(&mut |resolve: Function, _| {
                handle = host::set_timeout_with(&resolve, ms, &timer_marker);
            }));
        }
        let out = JsFuture::from(Promise::race(&all)).await;
        host::clear_timeout(&handle);
        match out {
            Ok(v) if Object::is(&v, &timer_marker) => Raced::TimedOut,
            Ok(v) => Raced::Value(v),
            Err(e) if Object::is(&e, &self.marker) => Raced::Aborted,
            Err(e) => Raced::Rejected(e),
        }
    }

    /// Sleeps `ms`, or fails at once when the caller aborts.
    pub async fn sleep(&self, ms: u64) -> Result<(), NemoError> {
        let never = Promise::new(&mut |_, _| {});
        match self.race(&never, Some(ms)).await {
            Raced::Aborted => Err(NemoError::aborted()),
            _ => Ok(()),
        }
    }
}

/// A timer as a future. Dropped unfinished, its timeout is cleared (a forgotten timer would
/// keep a Node process alive) and its promise settled: a `JsFuture` whose promise never
/// settles keeps its two callbacks, and their slots in the module's table of JS values,
/// forever (found by the soak: two per chat turn).
pub struct Timer {
    fut: JsFuture,
    handle: JsValue,
    resolve: Option<Function>,
}

impl Timer {
    /// Fires after `ms`.
    pub fn new(ms: u64) -> Self {
        let mut handle = JsValue::UNDEFINED;
        let mut settle = None;
        let p = Promise::new(&mut |resolve: Function, _| {
            handle = host::set_timeout_with(&resolve, ms, &JsValue::UNDEFINED);
            settle = Some(resolve);
        });
        Timer {
            fut: JsFuture::from(p),
            handle,
            resolve: settle,
        }
    }
}

impl std::future::Future for Timer {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        std::pin::Pin::new(&mut self.fut).poll(cx).map(|_| ())
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        host::clear_timeout(&self.handle);
        if let Some(resolve) = self.resolve.take() {
            // (A timer that fired was resolved already: a second call does nothing.)
            let _ = resolve.call0(&JsValue::UNDEFINED);
        }
    }
}

/// Which of two futures finished first.
pub enum First<A, B> {
    /// The first one, with its output.
    A(A),
    /// The second one, with its output.
    B(B),
}

/// Waits for the first of two futures; the other is left as it is (the caller may poll it
/// again, or drop it).
pub async fn first<A, B>(a: &mut A, b: &mut B) -> First<A::Output, B::Output>
where
    A: std::future::Future + Unpin,
    B: std::future::Future + Unpin,
{
    use std::pin::Pin;
    use std::task::Poll;
    std::future::poll_fn(|cx| {
        if let Poll::Ready(x) = Pin::new(&mut *a).poll(cx) {
            return Poll::Ready(First::A(x));
        }
        if let Poll::Ready(y) = Pin::new(&mut *b).poll(cx) {
            return Poll::Ready(First::B(y));
        }
        Poll::Pending
    })
    .await
}
