//! What the fuzz targets share: the chunkings of one input, and the split of an input into a
//! few header lines and a body (the text form each target reads, so seeds are plain files).

/// A small deterministic generator (splitmix64), seeded from the input: the same input always
/// gets the same chunkings, so a crash reproduces from its file alone.
pub struct Rng(u64);

impl Rng {
    /// Seeded from the bytes (FNV-1a).
    pub fn from_bytes(data: &[u8]) -> Self {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in data {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h)
    }

    /// The next value.
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// The ways one input is cut into chunks: whole, one byte at a time, and `random` random
/// cuttings (each with up to 16 cuts, anywhere, UTF-8 sequences and CRLF pairs included).
pub fn chunkings(data: &[u8], random: usize) -> Vec<Vec<&[u8]>> {
    let mut all = vec![vec![data], data.chunks(1).collect()];
    let mut rng = Rng::from_bytes(data);
    for _ in 0..random {
        let mut cuts: Vec<usize> = (0..rng.below(17))
            .map(|_| rng.below(data.len() + 1))
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let mut chunks = Vec::new();
        let mut start = 0;
        for c in cuts {
            chunks.push(&data[start..c]);
            start = c;
        }
        chunks.push(&data[start..]);
        all.push(chunks);
    }
    all
}

/// The first `n` lines of the input (lossy UTF-8, without their LF; missing lines are empty)
/// and the rest, the body.
pub fn header_lines(data: &[u8], n: usize) -> (Vec<String>, String) {
    let mut rest = data;
    let mut lines = Vec::with_capacity(n);
    for _ in 0..n {
        let (line, after) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, &[][..]),
        };
        lines.push(String::from_utf8_lossy(line).into_owned());
        rest = after;
    }
    (lines, String::from_utf8_lossy(rest).into_owned())
}
