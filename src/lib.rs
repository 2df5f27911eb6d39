//! # nemo-video
//!
//! A client for the NemoVideo text-to-video API, written in Rust and compiled to one
//! WebAssembly module for browsers, Node and Cloudflare-Worker-style runtimes.
//!
//! **In scope:** the wire contract (tokens, sessions, the chat stream over Server-Sent Events,
//! state, credits, upload, export), every behaviour the API's documents require of a client
//! (never re-sending a paid chat, still-working notices, silent-edit summaries, the error
//! table with its single retries, resumable exports), and the JS surface over it.
//!
//! **Out of scope:** rendering video, talking to anything but the NemoVideo API, and (in
//! `core`) any I/O at all.
//!
//! Layout: [`core`] decides everything and is plain Rust, tested natively; `js` (wasm32 only)
//! is the `#[wasm_bindgen]` surface that converts values at the boundary and decides nothing.

pub mod core;
#[cfg(feature = "simulator")]
pub mod sim;

#[cfg(target_arch = "wasm32")]
pub mod js;
#[cfg(target_arch = "wasm32")]
pub(crate) mod web;
