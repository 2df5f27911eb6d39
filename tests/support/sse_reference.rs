//! A deliberately simple reading of the WHATWG "server-sent events" rules, written apart from
//! `core::sse` and with none of its concerns (chunks, memory, speed): the whole stream decoded
//! at once, split into lines, each line interpreted as the spec's steps say. The parser must
//! give exactly these items for every way of cutting the same bytes into chunks (tests/fixtures.rs
//! and the `sse` fuzz target, which includes this file by path).
//!
//! The one rule that is this crate's and not the spec's: a `retry:` is reported on the next
//! event dispatched after it (also when it came in a block that dispatched nothing).

use nemo_video::core::sse::{SseEvent, SseItem};

/// The items of a whole stream: events and comments, in order; the unterminated last line and
/// the event it belongs to are discarded (the spec's end of stream).
pub fn reference_items(input: &[u8]) -> Vec<SseItem> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    let text = String::from_utf8_lossy(input);
    let mut out = Vec::new();
    let (mut data, mut event, mut last_id) = (String::new(), String::new(), String::new());
    let mut has_data = false;
    let mut retry: Option<u64> = None;
    for line in complete_lines(&text) {
        if line.is_empty() {
            if has_data {
                out.push(SseItem::Event(SseEvent {
                    event: if event.is_empty() {
                        "message".into()
                    } else {
                        event.clone()
                    },
                    data: data.strip_suffix('\n').unwrap_or(&data).to_owned(),
                    id: last_id.clone(),
                    retry: retry.take(),
                }));
            }
            data.clear();
            event.clear();
            has_data = false;
            continue;
        }
        if let Some(comment) = line.strip_prefix(':') {
            out.push(SseItem::Comment(one_space_off(comment).to_owned()));
            continue;
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, one_space_off(v)),
            None => (line, ""),
        };
        match name {
            "event" => event = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
                has_data = true;
            }
            "id" if !value.contains('\0') => last_id = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse() {
                    retry = Some(ms);
                }
            }
            _ => {}
        }
    }
    out
}

fn one_space_off(v: &str) -> &str {
    v.strip_prefix(' ').unwrap_or(v)
}

/// The lines that a line end closed (CRLF, LF or CR); the text after the last one is not a line.
fn complete_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\r' => {
                lines.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            b'\n' => {
                lines.push(&text[start..i]);
                i += 1;
                start = i;
            }
            _ => i += 1,
        }
    }
    lines
}
