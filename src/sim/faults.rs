//! The faults aimed at one endpoint's calls ([`CallFault`]): which call a fault hits, and what
//! it makes of the answer. Before the work: a lost request, an API code, a gateway's page.
//! After it: a lost answer, a body that is not JSON or is cut short. A chat's stream faults
//! (drops at each stage, slow or heartbeat-only streams, cut or unreadable events) are planned
//! by `chat.rs` with the helpers here.
//!
//! Does not own: the counters of [`Faults`](super::Faults) that predate these (each read where
//! its endpoint is answered).

use serde_json::json;

use super::plan::Step;
use super::wire::{api_error, json_response};
use super::{CallFault, CallFaultKind, SimResponse, Simulator};
use crate::core::api::RouteId;

impl Simulator {
    /// The fault aimed at this call, if one is left (the first in the list fires first).
    pub(super) fn take_call_fault(&mut self, route: RouteId) -> Option<CallFaultKind> {
        let f: &mut CallFault = self
            .opts
            .faults
            .calls
            .iter_mut()
            .find(|f| f.route == route && f.times > 0)?;
        f.times -= 1;
        Some(f.kind)
    }
}

/// No answer: the connection failed (the shell makes the `fetch` reject).
pub(super) fn lost() -> SimResponse {
    SimResponse {
        status: 0,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// A gateway's error page, answered 200 `text/html` in place of the API.
pub(super) fn gateway_page() -> SimResponse {
    SimResponse {
        status: 200,
        headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
        body: vec![Step::Bytes(
            b"<!doctype html><title>Gateway</title><p>The service is being updated.</p>".to_vec(),
        )],
    }
}

/// A 503 whose error text quotes the `Authorization` header the request carried, as a server
/// that echoes what it was sent: the client must mask the token wherever it quotes the text.
pub(super) fn echo(authorization: &str) -> SimResponse {
    json_response(
        503,
        json!({"success": false, "error": format!("upstream refused {authorization}")}),
    )
}

/// The API's answer for a code, as the service sends it.
pub(super) fn coded(code: i64, retry_after_s: Option<u64>) -> SimResponse {
    let status = u16::try_from(code).ok().filter(|s| (100..600).contains(s));
    match (code, status) {
        (429, _) => {
            let mut r = api_error(429, 429, "rate limited");
            if let Some(s) = retry_after_s {
                r.headers.push(("retry-after".into(), s.to_string()));
            }
            r
        }
        (1001, _) => api_error(401, 1001, "token expired"),
        (400, _) => api_error(400, 400, "missing X-Client-Id"),
        (402, _) => json_response(
            402,
            json!({"code": 402, "message": "free plan cannot export", "data": null}),
        ),
        (_, Some(s)) if s >= 500 => json_response(
            s,
            json!({"success": false, "error": "the service is unavailable"}),
        ),
        (_, Some(s)) => api_error(s, code, "simulated error"),
        _ => {
            let message = match code {
                1002 => "session not found",
                2001 => "insufficient credits",
                4001 => "unsupported file type",
                4002 => "file too large",
                _ => "simulated error",
            };
            api_error(200, code, message)
        }
    }
}

fn bytes_of(steps: &[Step]) -> Vec<u8> {
    steps
        .iter()
        .filter_map(|s| match s {
            Step::Bytes(b) => Some(&b[..]),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

/// The answer's body followed by a stray `}`: JSON no parser accepts, everything else intact.
pub(super) fn malformed(mut resp: SimResponse) -> SimResponse {
    let mut body = bytes_of(&resp.body);
    body.push(b'}');
    resp.body = vec![Step::Bytes(body)];
    resp
}

/// The answer's body without its last quarter (ending cleanly).
pub(super) fn truncated(mut resp: SimResponse) -> SimResponse {
    let mut body = bytes_of(&resp.body);
    body.truncate(body.len() - body.len() / 4);
    resp.body = vec![Step::Bytes(body)];
    resp
}

/// The byte offset just after the `n`th event (1-based) of a planned stream.
pub(super) fn after_event(steps: &[Step], n: usize) -> Option<usize> {
    let bytes = bytes_of(steps);
    bytes
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w == b"\n\n")
        .nth(n.checked_sub(1)?)
        .map(|(i, _)| i + 2)
}

/// The plan up to its first `keep` bytes (the waits before them kept), the rest dropped.
pub(super) fn cut(steps: Vec<Step>, mut keep: usize) -> Vec<Step> {
    let mut out = Vec::new();
    for step in steps {
        match step {
            Step::Bytes(mut b) => {
                if keep == 0 {
                    break;
                }
                b.truncate(keep);
                keep -= b.len();
                out.push(Step::Bytes(b));
            }
            other if keep > 0 => out.push(other),
            _ => break,
        }
    }
    out
}
