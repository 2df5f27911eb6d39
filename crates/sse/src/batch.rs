//! The JS parser's sink: one push's events as one text and the offsets that cut it.
//!
//! Owns: gathering each event's type, data and id into one buffer, the UTF-16 offset where
//! each ends, each event's `retry`, and the first error. Does not own: parsing (the
//! [`SseParser`](crate::SseParser) calls it), UTF-8 checks and widening ([`crate::utf16`]),
//! or making JS objects (the JS side of nemo-video's `SseParser` does, from these slices).

use crate::{SseError, SseSink, utf16};

/// A sink that gathers the events of one push into one text, for a caller that crosses to
/// JavaScript once per push (the JS `SseParser`): each event's type, data and id appended one
/// after another, where each ends counted in UTF-16 units (JavaScript's string indices, so JS
/// slices the decoded text directly), each event's `retry` (negative: none), and the first
/// error. Comments are dropped.
///
/// The text is UTF-8 (a copy) or, for a [`Batch::wide`] batch, UTF-16 (widened here): which
/// one JS decodes faster depends on the runtime. Node's `Buffer` turns UTF-16 into a string
/// at memory speed but UTF-8 several times slower; browsers' `TextDecoder` is faster on UTF-8.
#[derive(Debug, Default)]
pub struct Batch {
    wide: bool,
    text: Vec<u8>,
    units: Vec<u16>,
    len16: u32,
    ends: Vec<u32>,
    retries: Vec<f64>,
    error: Option<SseError>,
}

impl Batch {
    /// A batch that holds its text as UTF-16 ([`Batch::units`]) rather than UTF-8.
    pub fn wide() -> Self {
        Self {
            wide: true,
            ..Self::default()
        }
    }

    fn field(&mut self, bytes: &[u8]) {
        if self.wide {
            if !utf16::widen(&mut self.units, bytes) {
                // Invalid UTF-8 (rare): replaced, as `String::from_utf8_lossy` and JS's
                // decoders do. The replaced text is valid, so it widens.
                utf16::widen(&mut self.units, String::from_utf8_lossy(bytes).as_bytes());
            }
            self.len16 = self.units.len() as u32;
        } else {
            let n = match utf16::count(bytes) {
                Some(n) => {
                    self.text.extend_from_slice(bytes);
                    n
                }
                None => {
                    let s = String::from_utf8_lossy(bytes);
                    self.text.extend_from_slice(s.as_bytes());
                    s.encode_utf16().count()
                }
            };
            self.len16 = self.len16.wrapping_add(n as u32);
        }
        self.ends.push(self.len16);
    }

    /// Empties it for the next push (its buffers are kept).
    pub fn clear(&mut self) {
        self.text.clear();
        self.units.clear();
        self.len16 = 0;
        self.ends.clear();
        self.retries.clear();
        self.error = None;
    }

    /// Whether the text is in [`Batch::units`] (UTF-16) rather than [`Batch::text`].
    pub fn is_wide(&self) -> bool {
        self.wide
    }

    /// Every field, one after another, as UTF-8 (always valid: invalid input was replaced);
    /// empty for a wide batch.
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// Every field, one after another, as UTF-16; empty unless the batch is wide.
    pub fn units(&self) -> &[u16] {
        &self.units
    }

    /// Where each field ends in the text as UTF-16 (a JS string): three per event (type,
    /// data, id); an empty type is `"message"`.
    pub fn ends(&self) -> &[u32] {
        &self.ends
    }

    /// Each event's `retry`, negative for none.
    pub fn retries(&self) -> &[f64] {
        &self.retries
    }

    /// The first input refused.
    pub fn error(&self) -> Option<&SseError> {
        self.error.as_ref()
    }
}

impl SseSink for Batch {
    fn event(&mut self, event_type: &[u8], data: &[u8], id: &str, retry: Option<u64>) {
        self.field(event_type);
        self.field(data);
        self.field(id.as_bytes());
        self.retries.push(retry.map_or(-1.0, |r| r as f64));
    }

    fn comment(&mut self, _: &[u8]) {}

    fn error(&mut self, err: SseError) {
        self.error.get_or_insert(err);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SseParser;

    #[test]
    fn a_batch_holds_utf16_offsets() {
        for mut b in [Batch::default(), Batch::wide()] {
            let mut p = SseParser::default();
            p.push_to("event: x\nretry: 7\ndata: 导出 😀\n\n".as_bytes(), &mut b);
            p.push_to(b"data: b\xFF\nid: 9\n\n", &mut b);
            p.push_to(b"data: c\xFF\n\n", &mut b);
            let t: Vec<u16> = if b.is_wide() {
                assert!(b.text().is_empty());
                b.units().to_vec()
            } else {
                assert!(b.units().is_empty());
                std::str::from_utf8(b.text())
                    .unwrap()
                    .encode_utf16()
                    .collect()
            };
            let field =
                |from: u32, to: u32| String::from_utf16(&t[from as usize..to as usize]).unwrap();
            let e = b.ends();
            assert_eq!(e.len(), 9);
            assert_eq!(field(0, e[0]), "x");
            assert_eq!(
                field(e[0], e[1]),
                "导出 😀",
                "a non-BMP character counts two units"
            );
            assert_eq!(field(e[1], e[2]), "");
            assert_eq!(field(e[2], e[3]), "", "no type: message");
            assert_eq!(
                field(e[3], e[4]),
                "b\u{FFFD}",
                "invalid UTF-8 replaced, offsets still right"
            );
            assert_eq!(field(e[4], e[5]), "9");
            assert_eq!(field(e[6], e[7]), "c\u{FFFD}");
            assert_eq!(b.retries(), &[7.0, -1.0, -1.0]);
            b.clear();
            assert!(b.text().is_empty() && b.units().is_empty());
            assert!(b.ends().is_empty() && b.error().is_none());
            let mut small = SseParser::new(4);
            small.push_to(b"data: too long\n\n", &mut b);
            assert!(b.error().is_some());
        }
    }
}
