//! The SSE parser (`core::sse`) under random chunkings of one input.
//!
//! Properties: with a bound the input cannot reach, every chunking gives exactly the items of
//! the reference reading (tests/support/sse_reference.rs: the whole stream decoded at once, as
//! the spec's steps say). With a small bound (1-64 bytes, drawn from the input), every chunking
//! gives the same items as the whole input, the parser never holds more than the bound, no
//! event carries more than it, and when nothing was dropped the items are the reference's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nemo_video::core::sse::{SseItem, SseParser};
use nemo_video_fuzz::{Rng, chunkings};

#[path = "../../tests/support/sse_reference.rs"]
mod sse_reference;

fn parse(chunks: &[&[u8]], max: usize) -> (Vec<SseItem>, usize) {
    let mut p = SseParser::new(max);
    let mut out = Vec::new();
    for c in chunks {
        p.push_into(c, &mut out);
        assert!(
            p.buffered_bytes() <= max,
            "holds {} > {max}",
            p.buffered_bytes()
        );
    }
    (out, p.finish())
}

fuzz_target!(|data: &[u8]| {
    let reference = sse_reference::reference_items(data);
    let cuts = chunkings(data, 4);
    let unbounded = 1 << 24;
    for c in &cuts {
        assert_eq!(
            parse(c, unbounded).0,
            reference,
            "chunking {:?}",
            c.iter().map(|x| x.len()).collect::<Vec<_>>()
        );
    }
    let small = 1 + Rng::from_bytes(data).below(64);
    let whole = parse(&[data], small);
    for c in &cuts[1..] {
        assert_eq!(
            parse(c, small),
            whole,
            "bound {small}, chunking {:?}",
            c.iter().map(|x| x.len()).collect::<Vec<_>>()
        );
    }
    let mut dropped = false;
    for item in &whole.0 {
        match item {
            SseItem::Event(e) => {
                // Each invalid byte became U+FFFD (3 bytes): count it back as one.
                let replaced = e.data.matches('\u{FFFD}').count();
                assert!(
                    e.data.len() - 2 * replaced <= small,
                    "event of {} bytes, bound {small}",
                    e.data.len()
                );
            }
            SseItem::Error(_) => dropped = true,
            SseItem::Comment(_) => {}
        }
    }
    if !dropped {
        assert_eq!(whole.0, reference, "bound {small} dropped nothing");
    }
});
