//! The JS surface inside a real JS engine (Node, and Chromium with WASM_BINDGEN_USE_BROWSER=1):
//! the parser fixtures through `SseParser` with JS chunks at every split, the error objects
//! JS sees, and the helper exports.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::wasm_bindgen_test;

use nemo_video::js::intent::classify_intent;
use nemo_video::js::sse::JsSseParser;
use nemo_video::js::timeline::{diff_timelines, is_ready_to_export, summarize_timeline};

const FIXTURES: &[(&str, &[u8])] = &[
    ("adk_stream", include_bytes!("fixtures/adk_stream.sse")),
    ("legacy", include_bytes!("fixtures/legacy.sse")),
    ("crlf", include_bytes!("fixtures/crlf.sse")),
    ("heartbeats", include_bytes!("fixtures/heartbeats.sse")),
    (
        "error_payload",
        include_bytes!("fixtures/error_payload.sse"),
    ),
    ("bom_cr", include_bytes!("fixtures/bom_cr.sse")),
];

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &JsValue::from_str(k)).unwrap()
}

/// Events as `(event, data, id, retry)` read back from the JS objects.
fn run(chunks: &[&[u8]]) -> Vec<(String, String, String, Option<f64>)> {
    let mut p = JsSseParser::new(None).unwrap();
    let mut out = Vec::new();
    let mut take = |arr: Array| {
        for e in arr.iter() {
            let retry = get(&e, "retry").as_f64();
            out.push((
                get(&e, "event").as_string().unwrap(),
                get(&e, "data").as_string().unwrap(),
                get(&e, "id").as_string().unwrap(),
                retry,
            ));
        }
    };
    for c in chunks {
        take(p.push(Uint8Array::from(*c).into()).unwrap());
    }
    take(p.finish());
    out
}

#[wasm_bindgen_test]
fn fixtures_identical_for_every_js_chunking() {
    for (name, bytes) in FIXTURES {
        let whole = run(&[bytes]);
        for i in 1..bytes.len() {
            assert_eq!(
                run(&[&bytes[..i], &bytes[i..]]),
                whole,
                "{name} split at {i}"
            );
        }
        let ones: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(run(&ones), whole, "{name} byte by byte");
    }
}

#[wasm_bindgen_test]
fn crlf_fixture_events_in_js() {
    let got = run(&[FIXTURES[2].1]);
    let e = |ev: &str, data: &str, id: &str, retry| {
        (ev.to_owned(), data.to_owned(), id.to_owned(), retry)
    };
    assert_eq!(
        got,
        vec![
            e("status", "{\"type\":\"heartbeat\"}", "41", Some(3000.0)),
            e("message", "line one\nline two", "41", None),
            e("message", "no-space", "42", None),
            e("message", "", "42", None),
            e(
                "message",
                "{\"type\":\"text\",\"content\":\"CRLF ok\"}",
                "42",
                None
            ),
        ]
    );
    assert_eq!(run(&[FIXTURES[0].1]).len(), 9);
    assert_eq!(
        run(&[FIXTURES[5].1])
            .iter()
            .map(|e| e.1.as_str())
            .collect::<Vec<_>>(),
        vec!["first", "sec\nond"]
    );
}

/// The JS side slices one decoded text at offsets counted in Rust: a field that begins with
/// U+FEFF (a decoder must not eat it as a BOM), characters outside the BMP (two UTF-16 units),
/// and invalid UTF-8 (replaced by one unit) must all leave the later fields where they are.
#[wasm_bindgen_test]
fn fields_sliced_right_after_bom_astral_and_invalid_text() {
    let mut input = "data: \u{FEFF}lead\n\nevent: 😀\nid: \u{FEFF}\ndata: 导😀x\n\n"
        .as_bytes()
        .to_vec();
    input.extend_from_slice(b"data: a\xFF\xFEb\nid: 7\n\ndata: tail\n\n");
    let want = vec![
        ("message", "\u{FEFF}lead", "", None),
        ("😀", "导😀x", "\u{FEFF}", None),
        ("message", "a\u{FFFD}\u{FFFD}b", "7", None),
        ("message", "tail", "7", None),
    ];
    let want: Vec<_> = want
        .into_iter()
        .map(|(e, d, i, r)| (e.to_owned(), d.to_owned(), i.to_owned(), r))
        .collect();
    assert_eq!(run(&[&input]), want);
    // The same over two pushes (each decodes its own text), and with the first event split
    // inside its U+FEFF.
    let (first, rest) = input.split_at(15);
    assert_eq!(run(&[first, rest]), want);
    let (first, rest) = input.split_at(7);
    assert_eq!(run(&[first, rest]), want);
}

/// Random texts of every UTF-8 width, with ASCII runs long enough for the parser's 16-byte
/// widening blocks at every alignment, come back unchanged in Node (UTF-16 batches, SIMD
/// widening) and in browsers (UTF-8 batches).
#[wasm_bindgen_test]
fn random_texts_round_trip() {
    let alphabet = [
        'a',
        ' ',
        '~',
        'é',
        '\u{7ff}',
        '导',
        '\u{ffff}',
        '😀',
        '\u{10ffff}',
    ];
    let mut seed = 0x9e37_79b9_u32;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        seed as usize
    };
    let mut input = String::new();
    let mut want = Vec::new();
    for _ in 0..300 {
        let data: String = (0..next() % 120)
            .map(|_| match next() % 48 {
                k @ 0..9 => alphabet[k],
                _ => 'x',
            })
            .collect();
        input.push_str(&format!("data: {data}\n\n"));
        want.push((String::from("message"), data, String::new(), None));
    }
    let bytes = input.as_bytes();
    assert_eq!(run(&[bytes]), want);
    let chunks: Vec<&[u8]> = bytes.chunks(37).collect();
    assert_eq!(run(&chunks), want);
}

#[wasm_bindgen_test]
fn strings_and_array_buffers_are_chunks_too() {
    let mut p = JsSseParser::new(None).unwrap();
    assert_eq!(
        p.push(JsValue::from_str("data: 导出\n\n"))
            .unwrap()
            .length(),
        1
    );
    let buf = Uint8Array::from(&b"data: x\n\n"[..]).buffer();
    assert_eq!(p.push(buf.into()).unwrap().length(), 1);
}

#[wasm_bindgen_test]
fn bad_input_is_a_typed_error() {
    let mut p = JsSseParser::new(None).unwrap();
    let err = p.push(JsValue::from_f64(42.0)).unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(get(&err, "name").as_string().as_deref(), Some("NemoError"));
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("refused"));
    assert_eq!(get(&err, "retryable").as_bool(), Some(false));
    assert!(get(&err, "bindUrl").is_undefined());

    let opts = js_sys::Object::new();
    Reflect::set(&opts, &"maxEventBytes".into(), &JsValue::from_f64(-1.0)).unwrap();
    assert!(JsSseParser::new(Some(opts.unchecked_into())).is_err());
}

#[wasm_bindgen_test]
fn oversize_event_keeps_the_others() {
    let opts = js_sys::Object::new();
    Reflect::set(&opts, &"maxEventBytes".into(), &JsValue::from_f64(16.0)).unwrap();
    let mut p = JsSseParser::new(Some(opts.unchecked_into())).unwrap();
    let err = p
        .push(JsValue::from_str(
            "data: a\n\ndata: this is far too long\n\ndata: b\n\n",
        ))
        .unwrap_err();
    assert_eq!(
        get(&err, "code").as_string().as_deref(),
        Some("SSE_EVENT_TOO_LARGE")
    );
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("protocol"));
    let events: Array = get(&err, "events").dyn_into().unwrap();
    let datas: Vec<_> = events
        .iter()
        .map(|e| get(&e, "data").as_string().unwrap())
        .collect();
    assert_eq!(datas, vec!["a", "b"]);
    // And the parser goes on.
    assert_eq!(
        p.push(JsValue::from_str("data: c\n\n")).unwrap().length(),
        1
    );
}

#[wasm_bindgen_test]
fn finish_discards_the_unterminated_event() {
    let mut p = JsSseParser::new(None).unwrap();
    assert_eq!(
        p.push(JsValue::from_str("id: 9\nretry: 250\ndata: partial"))
            .unwrap()
            .length(),
        0
    );
    assert_eq!(p.finish().length(), 0);
    assert_eq!(p.discarded_bytes(), 13.0);
    assert_eq!(p.last_event_id(), "9");
    assert_eq!(p.reconnection_time(), Some(250.0));
}

#[wasm_bindgen_test]
fn helpers() {
    assert_eq!(classify_intent("帮我导出视频"), "export");
    assert_eq!(classify_intent("积分"), "credits");
    assert_eq!(classify_intent("add lo-fi music"), "chat");
    let draft = js_sys::JSON::parse(r#"{"t":[{"tt":0,"sg":[{"s":0,"d":10000,"m":{"title":"city timelapse"}}]},{"tt":1,"m":{"title":"Lo-fi","volume":0.35},"sg":[{"s":0,"d":10000}]},{"tt":7,"sg":[{"s":0,"d":3000,"m":{"text":"Urban Dreams"}}]}]}"#).unwrap();
    assert_eq!(
        summarize_timeline(draft.clone()).unwrap(),
        "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: \"Urban Dreams\" (0-3s)"
    );
    assert_eq!(
        summarize_timeline(JsValue::from_str(r#"{"t":[]}"#)).unwrap(),
        "Timeline is empty."
    );
    assert!(summarize_timeline(JsValue::from_str("{nope")).is_err());
    assert!(is_ready_to_export(draft.clone()).unwrap());
    assert_eq!(diff_timelines(JsValue::NULL, draft).unwrap().len(), 3);
}
