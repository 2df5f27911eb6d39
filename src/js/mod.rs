//! The `#[wasm_bindgen]` surface: JS values in, core calls, JS values out. No decisions.
//!
//! Owns: converting at the boundary (bytes, strings, plain objects) and turning a
//! [`NemoError`](crate::core::error::NemoError) into a JS `Error` in exactly one place
//! (`error.rs`). Every export returns `Result<_, JsValue>` where input can be wrong, so bad
//! input is a thrown `NemoError`, never a panic.

pub mod client;
pub mod error;
pub mod helpers;
pub mod options;
#[cfg(feature = "simulator")]
pub mod sim;
pub mod sse;
#[cfg(feature = "worker")]
pub mod worker;
