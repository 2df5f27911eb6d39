//! The wasm32 shell: moves bytes between the JS host and the core, decides nothing.
//!
//! Owns: `fetch` (the `fetch` option, or the global one from `globalThis`, called unbound:
//! never `window`, so it works in pages, workers, workerd and Node) as the one path every
//! request takes (`http`), reading a streaming body chunk by chunk, `AbortSignal`s, timers and
//! the clock, storage, UUIDs from the host's crypto, and the drivers that run the core's state
//! machines over those: the client's (`client`), the edge handler's (`worker`, feature
//! `worker`) and the simulator's wire (`sim`, feature `simulator`).
//!
//! Why not gloo-net: gloo-net always calls the global `fetch`, but every request of ours must
//! go through the `fetch` option when one is given (the simulator, a proxy, instrumentation
//! in tests). So requests are made with js-sys/web-sys directly, one small module (`http`).

pub(crate) mod cancel;
pub(crate) mod client;
pub(crate) mod host;
pub(crate) mod http;
#[cfg(feature = "simulator")]
pub(crate) mod sim;
pub(crate) mod storage;
#[cfg(feature = "worker")]
pub(crate) mod worker;
