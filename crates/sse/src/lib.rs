//! Incremental parser for the WHATWG HTML "server-sent events" format: bytes in, events out.
//!
//! Owns: line splitting (LF, CR, CRLF, including a CR at the end of one chunk whose LF starts
//! the next), the UTF-8 BOM at the very start of the stream, comments, the `event`, `data`,
//! `id` and `retry` fields, dispatch on a blank line, and the memory bound. UTF-8 is decoded
//! per field with replacement (U+FFFD), which gives exactly what decoding the whole stream
//! first would, because CR, LF and `:` are ASCII and never occur inside a multi-byte sequence;
//! a sequence split across chunks is whole by the time its line ends.
//!
//! Does not own: what a `data` payload means (nemo-video's `core::stream`), reconnection (the API has none: a
//! chat is never re-sent), or I/O. The caller feeds chunks with [`SseParser::push`] and calls
//! [`SseParser::finish`] at the end of the body.
//!
//! Memory bound: the parser holds at most the current line plus the current event's fields.
//! When they would exceed `max_event_bytes`, it reports [`SseError::EventTooLarge`], drops that
//! event, skips input up to the next blank line and goes on: events before and after it are
//! still delivered.

use memchr::memchr2;

mod batch;
mod utf16;

pub use batch::Batch;

/// Default bound on one event (or line): 16 MiB.
pub const DEFAULT_MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];

/// One dispatched event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SseEvent {
    /// The event type: the last `event:` field of the block, or `"message"`.
    pub event: String,
    /// The `data:` lines joined with LF.
    pub data: String,
    /// The last event id seen so far in the stream (ids persist across events).
    pub id: String,
    /// The reconnection time a `retry:` field set since the previous event: in this event's
    /// block, or in a block of its own that dispatched nothing (the reconnection time is the
    /// stream's, so it is not lost with that block). The last value wins.
    pub retry: Option<u64>,
}

/// Something the parser found in the stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseItem {
    /// A complete event.
    Event(SseEvent),
    /// A `:` comment line (its text without the colon and one leading space). The spec ignores
    /// comments; servers and proxies send them as keep-alives, so the next layer counts them as
    /// proof of life.
    Comment(String),
    /// Input the parser refused; parsing went on after it.
    Error(SseError),
}

/// A typed parse failure. Parsing continues after each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SseError {
    /// An event or line was longer than the bound; it was dropped.
    EventTooLarge {
        /// The configured bound.
        limit: usize,
    },
}

impl std::fmt::Display for SseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SseError::EventTooLarge { limit } => {
                write!(
                    f,
                    "an SSE event or line exceeded {limit} bytes and was dropped"
                )
            }
        }
    }
}

/// Receives what the parser finds as it finds it, borrowed: the parser's fast path, with no
/// copy per event (the JS parser appends every field to one text and hands JS offsets). A
/// `Vec<SseItem>` is a sink that keeps owned items.
pub trait SseSink {
    /// An event: its type (empty: `"message"`), data and the stream's last id, as raw bytes
    /// and text; `retry` as [`SseEvent::retry`].
    fn event(&mut self, event_type: &[u8], data: &[u8], id: &str, retry: Option<u64>);
    /// A comment line's text.
    fn comment(&mut self, text: &[u8]);
    /// Input refused; parsing goes on.
    fn error(&mut self, err: SseError);
}

impl SseSink for Vec<SseItem> {
    fn event(&mut self, event_type: &[u8], data: &[u8], id: &str, retry: Option<u64>) {
        let event = if event_type.is_empty() {
            "message".to_owned()
        } else {
            String::from_utf8_lossy(event_type).into_owned()
        };
        self.push(SseItem::Event(SseEvent {
            event,
            data: String::from_utf8_lossy(data).into_owned(),
            id: id.to_owned(),
            retry,
        }));
    }

    fn comment(&mut self, text: &[u8]) {
        self.push(SseItem::Comment(String::from_utf8_lossy(text).into_owned()));
    }

    fn error(&mut self, err: SseError) {
        self.push(SseItem::Error(err));
    }
}

/// The parser. Plain data: feed it bytes, take events.
#[derive(Debug)]
pub struct SseParser {
    max_event_bytes: usize,
    /// Bytes of the current, unterminated line.
    line: Vec<u8>,
    /// `data` of the current event, each line followed by LF.
    data: Vec<u8>,
    /// `event` of the current event (empty: none given).
    event_type: Vec<u8>,
    /// Whether a `data` field was seen in the current block (a block of only `data:` with an
    /// empty value still dispatches an event with empty data).
    has_data: bool,
    /// The last event id buffer.
    last_id: String,
    /// `retry` set since the last dispatched event.
    retry: Option<u64>,
    /// The last reconnection time set by any `retry` field.
    reconnection_ms: Option<u64>,
    /// How many of the BOM's bytes have been seen at the start; `None` once decided.
    bom_seen: Option<usize>,
    /// The previous chunk ended with CR: an LF starting the next chunk belongs to it.
    after_cr: bool,
    /// Dropping an oversize event until the next blank line.
    skipping: bool,
    /// While skipping: the current line has at least one byte (so is not blank).
    skip_line_nonempty: bool,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseParser {
    /// A parser that holds at most `max_event_bytes` (at least 1) for one event or line.
    pub fn new(max_event_bytes: usize) -> Self {
        SseParser {
            max_event_bytes: max_event_bytes.max(1),
            line: Vec::new(),
            data: Vec::new(),
            event_type: Vec::new(),
            has_data: false,
            last_id: String::new(),
            retry: None,
            reconnection_ms: None,
            bom_seen: Some(0),
            after_cr: false,
            skipping: false,
            skip_line_nonempty: false,
        }
    }

    /// The bound this parser was built with.
    pub fn max_event_bytes(&self) -> usize {
        self.max_event_bytes
    }

    /// The last reconnection time any `retry:` field set.
    pub fn reconnection_ms(&self) -> Option<u64> {
        self.reconnection_ms
    }

    /// The last event id buffer.
    pub fn last_event_id(&self) -> &str {
        &self.last_id
    }

    /// Bytes held for the event being read (never more than `max_event_bytes`). Not counted:
    /// the last event id, which the stream keeps across events: it comes from one line of at
    /// most `max_event_bytes`, kept as text (an invalid byte becomes U+FFFD, three bytes).
    pub fn buffered_bytes(&self) -> usize {
        self.held()
    }

    /// Feeds one chunk; returns what it completed.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<SseItem> {
        let mut out = Vec::new();
        self.push_into(chunk, &mut out);
        out
    }

    /// Feeds one chunk, appending what it completed to `out`.
    pub fn push_into(&mut self, chunk: &[u8], out: &mut Vec<SseItem>) {
        self.push_to(chunk, out);
    }

    /// Feeds one chunk, handing what it completed to `sink` as it completes.
    pub fn push_to(&mut self, mut chunk: &[u8], out: &mut dyn SseSink) {
        if let Some(seen) = self.bom_seen {
            // Match the BOM byte by byte: it may be split across chunks.
            let mut seen = seen;
            while seen < BOM.len() {
                match chunk.first() {
                    None => {
                        self.bom_seen = Some(seen);
                        return;
                    }
                    Some(&b) if b == BOM[seen] => {
                        seen += 1;
                        chunk = &chunk[1..];
                    }
                    Some(_) => break,
                }
            }
            self.bom_seen = None;
            if seen < BOM.len() {
                // Not a BOM after all: its bytes are ordinary input.
                self.feed(&BOM[..seen], out);
            }
        }
        self.feed(chunk, out);
    }

    /// Ends the stream. An event not closed by a blank line is discarded (as the spec says);
    /// the return value says how many bytes of it were dropped, so a caller can tell a cut-off
    /// body from a clean end. The parser is then ready for a new stream (the id persists).
    pub fn finish(&mut self) -> usize {
        let mut out = Vec::new();
        if let Some(seen) = self.bom_seen.take() {
            self.feed(&BOM[..seen], &mut out);
        }
        let dropped = self.line.len()
            + self.data.len()
            + self.event_type.len()
            + usize::from(self.has_data && self.data.is_empty());
        self.line.clear();
        self.reset_event();
        self.bom_seen = Some(0);
        self.after_cr = false;
        self.skipping = false;
        self.skip_line_nonempty = false;
        dropped
    }

    fn reset_event(&mut self) {
        self.data.clear();
        self.event_type.clear();
        self.has_data = false;
        self.retry = None;
    }

    /// Bytes held for the current event, the measure of the memory bound.
    fn held(&self) -> usize {
        self.line.len() + self.data.len() + self.event_type.len()
    }

    fn feed(&mut self, mut chunk: &[u8], out: &mut dyn SseSink) {
        while !chunk.is_empty() {
            if self.after_cr {
                self.after_cr = false;
                if chunk[0] == b'\n' {
                    chunk = &chunk[1..];
                    continue;
                }
            }
            match memchr2(b'\n', b'\r', chunk) {
                Some(end) => {
                    let (part, rest) = chunk.split_at(end);
                    self.after_cr = rest[0] == b'\r';
                    chunk = &rest[1..];
                    if self.skipping {
                        self.skip_line(part);
                    } else if self.held() + part.len() > self.max_event_bytes {
                        self.start_skipping(out);
                        self.skip_line(part);
                    } else if self.line.is_empty() {
                        self.process_line(part, out);
                    } else {
                        let mut line = std::mem::take(&mut self.line);
                        line.extend_from_slice(part);
                        self.process_line(&line, out);
                        line.clear();
                        self.line = line;
                    }
                }
                None => {
                    if self.skipping {
                        self.skip_line_nonempty = true;
                    } else if self.held() + chunk.len() > self.max_event_bytes {
                        self.start_skipping(out);
                        self.skip_line_nonempty = true;
                    } else {
                        self.line.extend_from_slice(chunk);
                    }
                    return;
                }
            }
        }
    }

    fn start_skipping(&mut self, out: &mut dyn SseSink) {
        out.error(SseError::EventTooLarge {
            limit: self.max_event_bytes,
        });
        self.skipping = true;
        self.skip_line_nonempty = !self.line.is_empty();
        self.line = Vec::new();
        self.data = Vec::new();
        self.event_type.clear();
        self.has_data = false;
        self.retry = None;
    }

    /// A line ended while skipping an oversize event: a blank one ends the event.
    fn skip_line(&mut self, part: &[u8]) {
        let blank = part.is_empty() && !self.skip_line_nonempty;
        self.skip_line_nonempty = false;
        if blank {
            self.skipping = false;
            self.reset_event();
        }
    }

    fn process_line(&mut self, line: &[u8], out: &mut dyn SseSink) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            out.comment(strip_one_space(&line[1..]));
            return;
        }
        let (name, value) = match memchr::memchr(b':', line) {
            Some(i) => (&line[..i], strip_one_space(&line[i + 1..])),
            None => (line, &[][..]),
        };
        match name {
            b"event" => {
                self.event_type.clear();
                self.event_type.extend_from_slice(value);
            }
            b"data" => {
                self.data.extend_from_slice(value);
                self.data.push(b'\n');
                self.has_data = true;
            }
            // An id with NUL is ignored (the spec's rule).
            b"id" if !value.contains(&0) => {
                self.last_id = String::from_utf8_lossy(value).into_owned();
            }
            // Only ASCII digits; a value too long to fit is ignored too.
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                if let Some(ms) = std::str::from_utf8(value).ok().and_then(|s| s.parse().ok()) {
                    self.retry = Some(ms);
                    self.reconnection_ms = Some(ms);
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut dyn SseSink) {
        if !self.has_data {
            // No event; a `retry:` of this block is still the stream's: the next event says it.
            let retry = self.retry;
            self.reset_event();
            self.retry = retry;
            return;
        }
        self.data.pop(); // the LF after the last data line
        out.event(&self.event_type, &self.data, &self.last_id, self.retry);
        self.reset_event();
    }
}

fn strip_one_space(v: &[u8]) -> &[u8] {
    v.strip_prefix(b" ").unwrap_or(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(input: &[u8]) -> Vec<SseItem> {
        let mut p = SseParser::default();
        let mut out = p.push(input);
        p.finish();
        out.retain(|i| !matches!(i, SseItem::Comment(_)));
        out
    }

    fn ev(event: &str, data: &str, id: &str) -> SseItem {
        SseItem::Event(SseEvent {
            event: event.into(),
            data: data.into(),
            id: id.into(),
            retry: None,
        })
    }

    #[test]
    fn line_endings_lf_cr_crlf() {
        for input in [
            &b"data: a\n\ndata: b\n\n"[..],
            b"data: a\r\rdata: b\r\r",
            b"data: a\r\n\r\ndata: b\r\n\r\n",
        ] {
            assert_eq!(
                parse(input),
                vec![ev("message", "a", ""), ev("message", "b", "")]
            );
        }
    }

    #[test]
    fn cr_at_chunk_end_then_lf_is_one_line_end() {
        let mut p = SseParser::default();
        let mut out = p.push(b"data: a\r");
        out.extend(p.push(b"\ndata: b\r"));
        out.extend(p.push(b"\n\r"));
        out.extend(p.push(b"\n"));
        assert_eq!(out, vec![ev("message", "a\nb", "")]);
    }

    #[test]
    fn bom_only_at_start_even_split() {
        let mut p = SseParser::default();
        let mut out = p.push(&[0xEF]);
        out.extend(p.push(&[0xBB, 0xBF]));
        out.extend(p.push(b"data: x\n\n\xEF\xBB\xBFdata: y\n\n"));
        // The second BOM is part of a field name, so that line is an unknown field.
        assert_eq!(out, vec![ev("message", "x", "")]);
    }

    #[test]
    fn partial_bom_is_data() {
        // EF BB then 'd': not a BOM; the bytes become U+FFFD in the field name (ignored).
        assert_eq!(
            parse(b"\xEF\xBBdata: x\n\ndata: y\n\n"),
            vec![ev("message", "y", "")]
        );
    }

    #[test]
    fn comments_reported_not_dispatched() {
        let mut p = SseParser::default();
        let out = p.push(b": keep-alive\n:\n\n");
        assert_eq!(
            out,
            vec![
                SseItem::Comment("keep-alive".into()),
                SseItem::Comment(String::new())
            ]
        );
    }

    #[test]
    fn field_without_colon_and_one_space_stripped() {
        assert_eq!(parse(b"data\n\n"), vec![ev("message", "", "")]);
        assert_eq!(parse(b"data:  two\n\n"), vec![ev("message", " two", "")]);
        assert_eq!(parse(b"data:x:y\n\n"), vec![ev("message", "x:y", "")]);
    }

    #[test]
    fn data_lines_joined_with_lf() {
        assert_eq!(
            parse(b"data: a\ndata:\ndata: c\n\n"),
            vec![ev("message", "a\n\nc", "")]
        );
    }

    #[test]
    fn event_type_resets_after_dispatch() {
        assert_eq!(
            parse(b"event: tick\ndata: 1\n\ndata: 2\n\n"),
            vec![ev("tick", "1", ""), ev("message", "2", "")]
        );
    }

    #[test]
    fn block_without_data_not_dispatched() {
        assert_eq!(
            parse(b"event: x\n\nid: 5\n\ndata: d\n\n"),
            vec![ev("message", "d", "5")]
        );
    }

    #[test]
    fn id_persists_and_nul_ignored() {
        assert_eq!(
            parse(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\0x\ndata: c\n\nid\ndata: d\n\n"),
            vec![
                ev("message", "a", "1"),
                ev("message", "b", "1"),
                ev("message", "c", "1"),
                ev("message", "d", "")
            ]
        );
    }

    fn retries_of(items: &[SseItem]) -> Vec<Option<u64>> {
        items
            .iter()
            .map(|i| match i {
                SseItem::Event(e) => e.retry,
                _ => unreachable!(),
            })
            .collect()
    }

    #[test]
    fn retry_only_digits() {
        let mut p = SseParser::default();
        let out = p.push(b"retry: 1500\ndata: a\n\nretry: 15x\ndata: b\n\nretry:\ndata: c\n\n");
        let retries = retries_of(&out);
        assert_eq!(retries, vec![Some(1500), None, None]);
        assert_eq!(p.reconnection_ms(), Some(1500));
        assert_eq!(
            parse(b"retry: 99999999999999999999999\ndata: a\n\n").len(),
            1
        );
    }

    #[test]
    fn retry_in_a_block_of_its_own_is_not_lost() {
        let mut p = SseParser::default();
        // The block dispatches nothing, but sets the stream's reconnection time.
        assert!(p.push(b"retry: 3000\n\n").is_empty());
        assert_eq!(p.reconnection_ms(), Some(3000));
        let out = p.push(b"data: a\n\ndata: b\n\n");
        let retries = retries_of(&out);
        assert_eq!(
            retries,
            vec![Some(3000), None],
            "told once, on the next event"
        );
    }

    #[test]
    fn utf8_split_and_invalid() {
        let text = "data: 导出 ✓\n\n".as_bytes();
        let mut p = SseParser::default();
        let mut out = Vec::new();
        for b in text {
            out.extend(p.push(std::slice::from_ref(b)));
        }
        assert_eq!(out, vec![ev("message", "导出 ✓", "")]);
        assert_eq!(
            parse(b"data: a\xFFb\xE2\x82\n\n"),
            vec![ev("message", "a\u{FFFD}b\u{FFFD}", "")]
        );
    }

    #[test]
    fn unterminated_final_event_discarded() {
        let mut p = SseParser::default();
        assert_eq!(
            p.push(b"data: whole\n\ndata: cut"),
            vec![ev("message", "whole", "")]
        );
        assert_eq!(p.finish(), "data: cut".len()); // held as an unterminated line
        let mut p = SseParser::default();
        p.push(b"data: x\n");
        assert_eq!(p.finish(), 2);
        let mut p = SseParser::default();
        p.push(b"data: x\n\n");
        assert_eq!(p.finish(), 0);
    }

    #[test]
    fn oversize_event_is_an_error_and_the_rest_survives() {
        let mut p = SseParser::new(16);
        let out =
            p.push(b"data: ok\n\ndata: this line is far too long\ndata: more\n\ndata: after\n\n");
        assert_eq!(
            out,
            vec![
                ev("message", "ok", ""),
                SseItem::Error(SseError::EventTooLarge { limit: 16 }),
                ev("message", "after", ""),
            ]
        );
    }

    #[test]
    fn oversize_across_lines_and_chunks_is_bounded() {
        let mut p = SseParser::new(32);
        let mut out = Vec::new();
        for _ in 0..100 {
            out.extend(p.push(b"data: 0123456789\n"));
            assert!(p.held() <= 32);
        }
        out.extend(p.push(b"\ndata: fine\n\n"));
        assert_eq!(
            out,
            vec![
                SseItem::Error(SseError::EventTooLarge { limit: 32 }),
                ev("message", "fine", "")
            ]
        );
        // An endless line with no line end at all.
        let mut p = SseParser::new(8);
        let mut errors = 0;
        for _ in 0..50 {
            errors += p.push(b"xxxxxxxx").len();
            assert!(p.held() <= 8);
        }
        assert_eq!(errors, 1);
    }

    #[test]
    fn skipped_event_ends_only_at_a_blank_line() {
        let mut p = SseParser::new(10);
        let mut out = p.push(b"data: 123456789012\r");
        out.extend(p.push(b"\ndata: x\r\n\r\ndata: y\n\n"));
        assert_eq!(
            out,
            vec![
                SseItem::Error(SseError::EventTooLarge { limit: 10 }),
                ev("message", "y", "")
            ]
        );
    }
}
