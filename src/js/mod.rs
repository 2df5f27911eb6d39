//! The `#[wasm_bindgen]` surface: JS values in, core calls, JS values out. No decisions.
//!
//! Owns: converting at the boundary (bytes, strings, plain objects: `values.rs` for the
//! client's results and events, `options.rs` for what comes in) and turning a
//! [`NemoError`](crate::core::error::NemoError) into a JS `Error` in exactly one place
//! (`error.rs`). Every export returns `Result<_, JsValue>` where input can be wrong, so bad
//! input is a thrown `NemoError`, never a panic. The exports: `NemoClient` (`client.rs`),
//! `SseParser` (`sse.rs`), the timeline helpers (`timeline.rs`), `classifyIntent` and
//! `version` (`intent.rs`), `createSimulator` (`sim.rs`, feature `simulator`) and
//! `handleWorkerRequest` (`worker.rs`, feature `worker`).

pub mod client;
pub(crate) mod error;
pub mod intent;
pub(crate) mod options;
#[cfg(feature = "simulator")]
pub mod sim;
pub mod sse;
pub mod timeline;
pub(crate) mod values;
#[cfg(feature = "worker")]
pub mod worker;
