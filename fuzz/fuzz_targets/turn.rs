//! The chat stream: the payload classifier and the turn reader (`core::stream`), and the turn
//! they feed (`core::chat::ChatTurn`), on any bytes a stream can carry.
//!
//! Properties: the reader's events and summary are the same for every chunking; a turn reports
//! at most one error, which never holds the caller's token; a turn driven by those bytes and
//! then the end of the body, or a drop, ends (every phase has a way out) with exactly one
//! `done`, its last event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nemo_video::core::api::Token;
use nemo_video::core::chat::{ChatConfig, ChatEvent, ChatTurn, Step};
use nemo_video::core::error::Caller;
use nemo_video::core::stream::{StreamEvent, TurnReader, TurnSummary, classify};
use nemo_video_fuzz::chunkings;

/// The caller's token, which a stream may echo.
const TOKEN: &str = "nmv_usr_fuzz_secret_7c1d";

fn caller() -> Caller {
    Caller {
        token: Some(Token::new(TOKEN).unwrap()),
        ..Caller::default()
    }
}

fn read(chunks: &[&[u8]]) -> (Vec<StreamEvent>, TurnSummary) {
    let mut r = TurnReader::new(caller(), 512);
    let mut out = Vec::new();
    for c in chunks {
        out.extend(r.push(c));
    }
    let (rest, summary) = r.finish();
    out.extend(rest);
    (out, summary)
}

/// Drives a turn through `chunks`, then the end (or a drop), to its end; its events.
fn drive(chunks: &[&[u8]], dropped: bool) -> Vec<ChatEvent> {
    let cfg = ChatConfig {
        still_working_ms: 50,
        idle_timeout_ms: 300,
        total_timeout_ms: 5000,
        drop_poll_ms: 20,
        drop_max_polls: 5,
        max_event_bytes: 512,
    };
    let mut t = ChatTurn::new(cfg, caller(), None, 0);
    let mut now = 0;
    let mut events = Vec::new();
    for c in chunks {
        now += 7;
        t.on_bytes(c, now);
        events.extend(std::iter::from_fn(|| t.poll_event()));
    }
    if dropped {
        t.on_dropped(now);
    } else {
        t.on_end(now);
    }
    for _ in 0..100 {
        events.extend(std::iter::from_fn(|| t.poll_event()));
        match t.step() {
            Step::Finished(_) => break,
            Step::Read => t.on_end(now),
            Step::FetchState => t.on_state(Ok(None), now),
            Step::Wait => {
                now = t.poll_timeout().expect("a waiting turn has a deadline");
                t.on_tick(now);
            }
        }
    }
    events.extend(std::iter::from_fn(|| t.poll_event()));
    assert!(
        matches!(t.step(), Step::Finished(_)),
        "the turn did not end"
    );
    events
}

fuzz_target!(|data: &[u8]| {
    // The classifier reads any payload, JSON or not.
    let _ = classify(&String::from_utf8_lossy(data));
    let cuts = chunkings(data, 3);
    let first = read(&cuts[0]);
    for c in &cuts[1..] {
        assert_eq!(read(c), first);
    }
    let errors = first
        .0
        .iter()
        .filter(|e| matches!(e, StreamEvent::Error(_)))
        .count();
    assert!(errors <= 1, "{errors} errors in one turn");
    for e in &first.0 {
        if let StreamEvent::Error(e) = e {
            // The fields and `Display` (not `Debug`: its escapes can spell the token, a `\n`
            // before "mv_usr...", without the input doing so; see the envelope target).
            for text in [&e.message, &e.user_message, &e.to_string()] {
                assert!(!text.contains(TOKEN), "{e:?}");
            }
        }
    }
    for dropped in [false, true] {
        let events = drive(&cuts[2], dropped);
        assert_eq!(
            events.iter().filter(|e| **e == ChatEvent::Done).count(),
            1,
            "{events:?}"
        );
        assert_eq!(events.last(), Some(&ChatEvent::Done));
    }
});
