//! The chat stream's payloads: SSE `data` → what happened in the turn.
//!
//! Owns two layers above `sse.rs`, one file each:
//!
//! 1. `payload.rs`, [`classify`]: one payload → [`Payload`], in API.md's order: error payload, heartbeat, ADK
//!    event, legacy `{type}` event, unknown. Tolerant: unknown fields are ignored, wrong types
//!    read as absent, non-JSON is [`Payload::Unknown`]; nothing here fails.
//! 2. `reader.rs`, [`TurnReader`]: the payloads of one turn → [`StreamEvent`]s with the turn's rules applied:
//!    tool calls reported once per call id and only from non-partial events (ADK repeats a
//!    streamed call in the final event), `thought` parts hidden, `partial` deltas followed by a
//!    whole text that replaces them, one error per turn (ADK sends an `errorCode` event and then
//!    an `{"error"}` line for the same failure), a trailing "I encountered a temporary issue"
//!    after normal text dropped (its deltas held back while they could still be that phrase),
//!    and at the end, whether the turn ended with no text (the three real forms of API.md).
//!
//! Does not own: time (still-working notices, timeouts: `chat.rs`), what to do about a silent
//! edit (`chat.rs` asks for the state), GUI phrases (`gui.rs`).

mod payload;
mod reader;

pub use payload::{AdkEvent, LegacyEvent, Part, Payload, classify};
pub use reader::{NO_CONTENT, StreamEvent, TEMPORARY_ISSUE, TurnReader, TurnSummary};
