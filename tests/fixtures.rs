//! Recorded-style streams through the parser and the turn reader, each fed whole, split at
//! every byte offset, and one byte at a time: every chunking must give the same result, and
//! that result must be the one written down here by hand from the WHATWG rules and API.md.
#![cfg(not(target_arch = "wasm32"))]

use nemo_video::core::error::{Caller, ErrorCode, ErrorKind};
use nemo_video::core::sse::{SseEvent, SseItem, SseParser};
use nemo_video::core::stream::{StreamEvent, TurnReader, TurnSummary};

#[path = "support/sse_reference.rs"]
mod sse_reference;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Every way of cutting `input` we test: whole, each two-piece split, byte by byte.
fn chunkings(input: &[u8]) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![input]];
    for i in 1..input.len() {
        all.push(vec![&input[..i], &input[i..]]);
    }
    all.push(input.chunks(1).collect());
    all
}

fn parse_all(chunks: &[&[u8]]) -> (Vec<SseItem>, usize) {
    let mut p = SseParser::default();
    let mut out = Vec::new();
    for c in chunks {
        out.extend(p.push(c));
    }
    (out, p.finish())
}

fn read_all(chunks: &[&[u8]]) -> (Vec<StreamEvent>, TurnSummary) {
    let mut r = TurnReader::new(Caller::default(), 1 << 20);
    let mut out = Vec::new();
    for c in chunks {
        out.extend(r.push(c));
    }
    let (rest, summary) = r.finish();
    out.extend(rest);
    (out, summary)
}

/// Parses every chunking and checks they agree; returns the one result.
fn parse_fixture(name: &str) -> (Vec<SseItem>, usize) {
    let input = fixture(name);
    let cuts = chunkings(&input);
    let first = parse_all(&cuts[0]);
    for (i, c) in cuts.iter().enumerate() {
        assert_eq!(parse_all(c), first, "{name}: chunking #{i} differs");
    }
    first
}

fn read_fixture(name: &str) -> (Vec<StreamEvent>, TurnSummary) {
    let input = fixture(name);
    let cuts = chunkings(&input);
    let first = read_all(&cuts[0]);
    for (i, c) in cuts.iter().enumerate() {
        assert_eq!(read_all(c), first, "{name}: chunking #{i} differs");
    }
    first
}

fn events(items: &[SseItem]) -> Vec<&SseEvent> {
    items
        .iter()
        .filter_map(|i| match i {
            SseItem::Event(e) => Some(e),
            _ => None,
        })
        .collect()
}

fn text(t: &str, partial: bool) -> StreamEvent {
    StreamEvent::Text {
        text: t.into(),
        partial,
    }
}

#[test]
fn adk_stream_with_partials_and_tool_calls() {
    let (items, dropped) = parse_fixture("adk_stream.sse");
    assert_eq!(dropped, 0);
    let evs = events(&items);
    assert_eq!(evs.len(), 9);
    assert!(
        evs.iter()
            .all(|e| e.event == "message" && e.id.is_empty() && e.retry.is_none())
    );
    assert!(evs[0].data.contains("好的，"));

    let (out, summary) = read_fixture("adk_stream.sse");
    let visible: Vec<_> = out
        .iter()
        .filter(|e| !matches!(e, StreamEvent::Quiet))
        .cloned()
        .collect();
    assert_eq!(
        visible,
        vec![
            text("好的，", true),
            text("adding lo-fi music ✓", true),
            text("好的，adding lo-fi music ✓", false),
            StreamEvent::ToolCall {
                name: "add_bgm".into()
            },
            StreamEvent::ToolResult {
                name: "add_bgm".into()
            },
            text("Done! Added ", true),
            text("Lo-fi at 35%. Click Export when you're ready.", true),
            text(
                "Done! Added Lo-fi at 35%. Click Export when you're ready.",
                false
            ),
        ]
    );
    assert_eq!(summary.messages.len(), 2);
    assert!(summary.ran_tool && !summary.ended_without_text);
    let draft = summary.draft_delta.expect("stateDelta.draft");
    assert_eq!(draft["t"][1]["m"]["title"], "Lo-fi");
}

#[test]
fn legacy_stream() {
    let (items, _) = parse_fixture("legacy.sse");
    assert_eq!(events(&items).len(), 4);
    assert_eq!(
        items
            .iter()
            .filter(|i| matches!(i, SseItem::Comment(_)))
            .count(),
        1
    );
    let (out, summary) = read_fixture("legacy.sse");
    assert_eq!(
        out,
        vec![
            text("Generating your video…", false),
            StreamEvent::ToolCall {
                name: "generate_video".into()
            },
            StreamEvent::Heartbeat,
            StreamEvent::ToolResult {
                name: "generate_video".into()
            },
            text("Your 30-second video is on the timeline.", false),
        ]
    );
    assert_eq!(
        summary.messages,
        vec![
            "Generating your video…",
            "Your 30-second video is on the timeline."
        ]
    );
    assert!(!summary.ended_without_text);
}

#[test]
fn crlf_with_every_field() {
    let (items, dropped) = parse_fixture("crlf.sse");
    assert_eq!(dropped, 0);
    let ev = |event: &str, data: &str, id: &str, retry| SseEvent {
        event: event.into(),
        data: data.into(),
        id: id.into(),
        retry,
    };
    assert_eq!(
        events(&items),
        vec![
            &ev("status", "{\"type\":\"heartbeat\"}", "41", Some(3000)),
            &ev("message", "line one\nline two", "41", None),
            &ev("message", "no-space", "42", None),
            &ev("message", "", "42", None),
            &ev(
                "message",
                "{\"type\":\"text\",\"content\":\"CRLF ok\"}",
                "42",
                None
            ),
        ]
    );
    let (out, summary) = read_fixture("crlf.sse");
    assert_eq!(
        out.iter()
            .filter(|e| matches!(e, StreamEvent::Heartbeat))
            .count(),
        3
    );
    assert_eq!(summary.messages, vec!["CRLF ok"]);
}

#[test]
fn heartbeats_only() {
    let (out, summary) = read_fixture("heartbeats.sse");
    assert_eq!(out, vec![StreamEvent::Heartbeat; 6]);
    assert!(out.iter().all(|e| !e.is_real()));
    assert!(summary.messages.is_empty() && summary.ended_without_text && !summary.ran_tool);
}

#[test]
fn error_payload_reported_once() {
    let (out, summary) = read_fixture("error_payload.sse");
    let errors: Vec<_> = out
        .iter()
        .filter_map(|e| match e {
            StreamEvent::Error(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1, "{out:?}");
    assert_eq!(
        (errors[0].kind, &errors[0].code),
        (ErrorKind::Refused, &ErrorCode::Text("SAFETY".into()))
    );
    assert!(errors[0].message.contains("blocked"));
    assert!(summary.messages.is_empty());
}

#[test]
fn bom_cr_only_and_cut_off_last_event() {
    let (items, dropped) = parse_fixture("bom_cr.sse");
    let datas: Vec<_> = events(&items).iter().map(|e| e.data.clone()).collect();
    assert_eq!(datas, vec!["first", "sec\nond"]);
    assert_eq!(
        items
            .iter()
            .filter(|i| matches!(i, SseItem::Comment(c) if c == "note"))
            .count(),
        1
    );
    assert_eq!(dropped, "data: cut off".len());
}

#[test]
fn every_fixture_equals_the_reference_reading() {
    // The reference (tests/support/sse_reference.rs) reads the whole stream at once, as the
    // spec's steps say; the parser must agree for every chunking (parse_fixture checks those).
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".sse"))
        .collect();
    names.sort();
    assert!(names.len() >= 6, "{names:?}");
    for name in names {
        let (items, _) = parse_fixture(&name);
        assert_eq!(
            items,
            sse_reference::reference_items(&fixture(&name)),
            "{name}"
        );
    }
}

/// The recorded-style API answers of tests/fixtures/api (they also seed the fuzz corpora).
fn api_fixture(name: &str) -> String {
    String::from_utf8(fixture(&format!("api/{name}"))).unwrap()
}

#[test]
fn api_answers_decode_as_written() {
    use nemo_video::core::api::{self, HttpResponse, decode};
    use nemo_video::core::draft;
    let ok = |name: &str| {
        let body = api_fixture(name);
        let resp = HttpResponse {
            status: 200,
            body: &body,
            retry_after: None,
        };
        decode(resp, &Caller::default(), 0).unwrap_or_else(|e| panic!("{name}: {e:?}"))
    };
    let err = |name: &str, status: u16| {
        let body = api_fixture(name);
        let resp = HttpResponse {
            status,
            body: &body,
            retry_after: None,
        };
        decode(resp, &Caller::default(), 0).expect_err(name)
    };
    let grant = api::parse_token(&ok("token.json").data).unwrap();
    assert_eq!(grant.user_id.as_deref(), Some("anon_5c1e2a9b7d03"));
    assert_eq!(
        api::parse_session(&ok("session.json").data).unwrap(),
        "7351234567890123456"
    );
    assert_eq!(
        api::parse_credits(&ok("credits.json").data)
            .unwrap()
            .available,
        98.5
    );
    assert_eq!(
        api::parse_upload(&ok("upload.json").data).unwrap()[0].filename,
        "clip.mp4"
    );
    for (name, summary) in [
        (
            "state.json",
            "Timeline (2 tracks): 1. Video: city timelapse (0-30s) 2. BGM: Lo-fi (0-30s, 35%)",
        ),
        (
            "state_draft_text.json",
            "Timeline (1 track): 1. Title: \"Urban Dreams\" (0-3s)",
        ),
        (
            "state_bare.json",
            "Timeline (1 track): 1. Video: 1 clip (0-10s)",
        ),
    ] {
        let body = api_fixture(name);
        let decoded = ok(name);
        let parsed = api::parse_state_draft(&decoded.data).expect(name);
        assert_eq!(draft::summarize(&parsed), summary, "{name}");
        let raw = api::raw_state_draft(&body, &decoded.top).expect(name);
        assert!(
            body.contains(raw.get()),
            "{name}: the raw draft is the text as sent"
        );
    }
    assert_eq!(err("error_1001.json", 401).code, ErrorCode::Num(1001));
    assert_eq!(err("error_2001.json", 200).kind, ErrorKind::Credits);
    assert_eq!(
        err("error_success_false.json", 404).code,
        ErrorCode::Num(404)
    );
    assert_eq!(err("adk_404.json", 404).kind, ErrorKind::Session);
    assert_eq!(err("adk_422.json", 422).kind, ErrorKind::Protocol);
    for name in ["render_output_url.json", "render_success_top.json"] {
        let d = ok(name);
        let _ = nemo_video::core::render::parse_status(&d.top, &d.data);
    }
}
