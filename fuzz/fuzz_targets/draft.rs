//! Draft decoding and the diff (`api::parse_state_draft`, `api::raw_state_draft`, `draft::*`):
//! the input is a state answer's body, optionally followed by a line `---` and a second draft.
//!
//! Properties: never panics; the raw draft the client sends back on export is the draft it
//! read (found where the parsed one is, the same value); `same` is reflexive and symmetric,
//! holds across a round trip through text (key order and number spelling aside), and agrees
//! with `changes`; a change is always described.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nemo_video::core::api::{self, HttpResponse, decode};
use nemo_video::core::draft;
use nemo_video::core::error::Caller;
use serde_json::Value;

fn properties(a: &Value, b: &Value) {
    assert!(draft::same(a, a), "{a}");
    assert_eq!(draft::same(a, b), draft::same(b, a), "{a} / {b}");
    assert_eq!(
        draft::changes(a, b).is_none(),
        draft::same(a, b),
        "{a} / {b}"
    );
    if let Some(c) = draft::changes(a, b) {
        assert!(!c.is_empty());
    }
    if let Ok(again) = serde_json::from_str::<Value>(&a.to_string()) {
        assert!(draft::same(a, &again), "{a} round trip");
    }
    let _ = draft::summarize(a);
    let _ = draft::is_ready(a);
    let _ = draft::diff(a, b);
    let _ = draft::diff_timelines(&draft::timeline(a), &draft::timeline(b));
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (body, second) = match text.split_once("\n---\n") {
        Some((a, b)) => (a, Some(b)),
        None => (&*text, None),
    };
    let resp = HttpResponse {
        status: 200,
        body,
        retry_after: None,
    };
    let parsed = decode(resp, &Caller::default(), 0)
        .ok()
        .and_then(|d| api::parse_state_draft(&d.data));
    let raw = api::raw_state_draft(body, &serde_json::from_str(body).unwrap_or(Value::Null));
    if let Some(d) = &parsed {
        let r = raw
            .as_ref()
            .unwrap_or_else(|| panic!("parsed {d} but no raw draft in {body}"));
        let mut sent: Value = serde_json::from_str(r.get()).expect("the raw draft is JSON");
        if let Value::String(s) = &sent {
            sent = serde_json::from_str(s).expect("a draft sent as text holds JSON");
        }
        assert!(draft::same(d, &sent), "parsed {d}, would send {sent}");
    }
    let a = parsed.unwrap_or(Value::Null);
    let b = second
        .and_then(|s| serde_json::from_str::<Value>(s).ok())
        .unwrap_or(Value::Null);
    properties(&a, &b);
    properties(&b, &a);
});
