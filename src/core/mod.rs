//! The pure core: every decision of the client, with no I/O, no clock and no JS types.
//!
//! Time comes in as `now` (unix ms) from the caller, randomness (UUIDs) from the host, bytes
//! from whoever reads the network. Everything here compiles and is tested natively; the
//! wasm-only dependencies are not even visible to it (Cargo.toml declares them for wasm32
//! only), so a core module that reached for `web_sys` would not build.
//!
//! Layers, bottom up: `sse` (bytes → events) → `stream` (events → what the turn said) →
//! `chat` (one turn with its timers); `api` (requests and envelopes), `error` (the one error
//! type and the API's error table), `session` (credentials and the retry policy), `render`
//! (the export job), `draft` (the timeline), `intent` and `gui` (words → actions), `upload`
//! (what may be sent), `options` (the client's checked options), `reply` (what `handle()`
//! says).

pub mod api;
pub mod chat;
pub mod draft;
pub mod error;
pub mod gui;
pub mod intent;
pub mod number;
pub mod options;
pub mod proxy;
pub mod render;
pub mod reply;
pub mod session;
pub mod sse;
pub mod stream;
pub mod upload;
