//! How a simulated body is delivered: bytes cut into small irregular chunks with waits, the
//! agent's "work" filled with heartbeats or silence, a dropped connection, a stream that never
//! ends. Plain data; the JS adapter plays it with real timers.

use super::Rng;

/// One step of a streamed body.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Send these bytes.
    Bytes(Vec<u8>),
    /// Wait this long.
    Wait(u64),
    /// Fail the connection (a dropped stream).
    Fail,
    /// Keep the stream open forever: send `bytes` (if any) every `every_ms` until the client
    /// hangs up.
    Forever {
        /// Sent each period (a heartbeat); `None`: silence.
        bytes: Option<Vec<u8>>,
        /// The period.
        every_ms: u64,
    },
}

/// Timing of a plan.
#[derive(Clone, Copy, Debug)]
pub struct Timing {
    /// Typical wait between chunks.
    pub chunk_delay_ms: u64,
    /// How long the agent "works" on a tool.
    pub work_ms: u64,
    /// Heartbeat period during work (`None`: plain ADK, silent while it works).
    pub heartbeat_ms: Option<u64>,
}

/// SSE framing of one payload.
pub fn frame(data: &str) -> Vec<u8> {
    format!("data: {data}\n\n").into_bytes()
}

/// A heartbeat, alternating the two proof-of-life forms servers use.
pub fn heartbeat(i: u64) -> Vec<u8> {
    if i.is_multiple_of(2) {
        b": ping\n\n".to_vec()
    } else {
        frame("{\"type\":\"heartbeat\"}")
    }
}

/// Cuts `bytes` into chunks of 1–48 bytes with small irregular waits.
pub fn chunked(bytes: &[u8], t: Timing, rng: &mut Rng, out: &mut Vec<Step>) {
    let mut i = 0;
    while i < bytes.len() {
        let n = 1 + rng.below(48) as usize;
        let end = (i + n).min(bytes.len());
        out.push(Step::Bytes(bytes[i..end].to_vec()));
        if t.chunk_delay_ms > 0 {
            out.push(Step::Wait(rng.below(2 * t.chunk_delay_ms + 1)));
        }
        i = end;
    }
}

/// The agent working for `t.work_ms`: heartbeats every `heartbeat_ms`, or silence.
pub fn work(t: Timing, out: &mut Vec<Step>) {
    match t.heartbeat_ms.filter(|h| *h > 0) {
        Some(every) => {
            let mut left = t.work_ms;
            let mut i = 0;
            while left > 0 {
                let w = every.min(left);
                out.push(Step::Wait(w));
                left -= w;
                out.push(Step::Bytes(heartbeat(i)));
                i += 1;
            }
        }
        None => out.push(Step::Wait(t.work_ms)),
    }
}
