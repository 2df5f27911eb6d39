//! The server token scrubbed from what goes back to the page, whole or as it streams.
//!
//! An upstream that echoes its request (a debug endpoint, an error that quotes the header)
//! must not hand the operator's token to the page. A body read whole is scrubbed with
//! [`scrub`]; a text body that streams through (the chat's event stream) goes through a
//! [`Scrubber`], which holds back only the bytes that could still be the start of the token,
//! so every occurrence is replaced wherever the chunks split it and the stream is not delayed.

/// What the token is replaced with.
pub const MASK: &[u8] = b"***";

/// Replaces every occurrence of the server token in a body with `***`.
pub fn scrub(body: &str, server_token: Option<&str>) -> String {
    match server_token {
        Some(t) if !t.is_empty() => body.replace(t, "***"),
        _ => body.to_owned(),
    }
}

/// Scrubs a stream chunk by chunk.
#[derive(Debug)]
pub struct Scrubber {
    needle: Vec<u8>,
    held: Vec<u8>,
}

impl Scrubber {
    /// A scrubber for `token` (an empty token scrubs nothing).
    pub fn new(token: &str) -> Self {
        Scrubber {
            needle: token.as_bytes().to_vec(),
            held: Vec::new(),
        }
    }

    /// The bytes of `chunk` (and of earlier chunks held back) that are safe to pass on.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        if self.needle.is_empty() {
            return chunk.to_vec();
        }
        self.held.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(self.held.len());
        let mut i = 0;
        while i < self.held.len() {
            let rest = &self.held[i..];
            if rest.starts_with(&self.needle) {
                out.extend_from_slice(MASK);
                i += self.needle.len();
            } else if self.needle.starts_with(rest) {
                // The tail could still become the token: hold it for the next chunk.
                break;
            } else {
                out.push(self.held[i]);
                i += 1;
            }
        }
        self.held.drain(..i);
        out
    }

    /// The end of the stream: what was held back (it did not become the token).
    pub fn finish(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn streamed(input: &[u8], token: &str, cuts: &[usize]) -> Vec<u8> {
        let mut s = Scrubber::new(token);
        let mut out = Vec::new();
        let mut at = 0;
        for &c in cuts.iter().chain(std::iter::once(&input.len())) {
            let c = c.clamp(at, input.len());
            out.extend(s.push(&input[at..c]));
            at = c;
        }
        out.extend(s.finish());
        out
    }

    #[test]
    fn whole_bodies() {
        assert_eq!(
            scrub("echo Bearer server-secret!", Some("server-secret")),
            "echo Bearer ***!"
        );
        assert_eq!(scrub("x", None), "x");
    }

    #[test]
    fn every_split_gives_the_whole_answer() {
        let token = "nemo-srv-secret";
        let input = b"data: {\"echo\":\"Bearer nemo-srv-secret\"}\n\nnemo-srv-secrenemo-srv-secret nemo-srv\n";
        let want = String::from_utf8_lossy(input)
            .replace(token, "***")
            .into_bytes();
        for a in 0..=input.len() {
            for b in a..=input.len() {
                assert_eq!(streamed(input, token, &[a, b]), want, "cuts {a} {b}");
            }
        }
        let bytes: Vec<usize> = (0..input.len()).collect();
        assert_eq!(streamed(input, token, &bytes), want, "byte by byte");
    }

    #[test]
    fn holds_back_only_a_possible_start() {
        let mut s = Scrubber::new("secret");
        assert_eq!(s.push(b"data: sec"), b"data: ".to_vec());
        assert_eq!(s.push(b"ond"), b"second".to_vec());
        assert_eq!(s.push(b"secr"), Vec::<u8>::new());
        assert_eq!(s.finish(), b"secr".to_vec());
        assert_eq!(Scrubber::new("").push(b"abc"), b"abc".to_vec());
    }
}
