//! The SSE parser: the WHATWG "server-sent events" format, bytes in, events out, bounded
//! memory. It lives in its own crate (`crates/sse`, `nemo-sse`) so that it can be built for
//! speed while the rest of the client is built for size; this module is its place in the
//! core's layers (`stream/` reads what it gives).

pub use nemo_sse::*;
