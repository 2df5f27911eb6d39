//! UTF-8 to UTF-16 for the JS batch, in one pass that validates as it goes.
//!
//! Owns: checking that a field is valid UTF-8 while counting its UTF-16 units ([`count`]) or
//! writing them ([`widen`]), with ASCII runs taken a word at a time (sixteen bytes with wasm
//! SIMD when widening), so only the other characters go one by one. One pass instead of `str::from_utf8` followed by a second walk: the JS
//! parser spends most of its wasm time here.
//!
//! Does not own: what to do with invalid input. Both functions say "invalid" (`None`, `false`)
//! and leave the caller's buffer as it was; the caller ([`crate::Batch`]) then replaces the bad
//! sequences as `String::from_utf8_lossy` (and JS's decoders) do.

/// The UTF-16 length of `b` (one unit per character, two outside the BMP), or `None` if `b` is
/// not valid UTF-8.
pub fn count(b: &[u8]) -> Option<usize> {
    let (mut i, mut n) = (0, 0);
    loop {
        let k = ascii_prefix(&b[i..]);
        i += k;
        n += k;
        if i == b.len() {
            return Some(n);
        }
        let (cp, len) = decode(b, i)?;
        i += len;
        n += if cp >= 0x1_0000 { 2 } else { 1 };
    }
}

/// Appends `b` to `out` as UTF-16 and returns true, or returns false and leaves `out` as it was
/// if `b` is not valid UTF-8. `out` grows once (UTF-16 never needs more units than UTF-8 has
/// bytes) and is cut to length at the end.
pub fn widen(out: &mut Vec<u16>, b: &[u8]) -> bool {
    let start = out.len();
    out.resize(start + b.len(), 0);
    let dst = &mut out[start..];
    let (mut i, mut j) = (0, 0);
    loop {
        let k = widen_ascii(&b[i..], &mut dst[j..]);
        i += k;
        j += k;
        if i == b.len() {
            break;
        }
        let Some((cp, len)) = decode(b, i) else {
            out.truncate(start);
            return false;
        };
        i += len;
        if cp >= 0x1_0000 {
            let v = cp - 0x1_0000;
            dst[j] = 0xD800 | (v >> 10) as u16;
            dst[j + 1] = 0xDC00 | (v & 0x3FF) as u16;
            j += 2;
        } else {
            dst[j] = cp as u16;
            j += 1;
        }
    }
    out.truncate(start + j);
    true
}

/// The character whose lead byte (0x80 or above) is at `b[i]`, and its length in bytes; `None`
/// if the sequence there is not well-formed (Unicode's table 3-7: no overlong forms, no
/// surrogates, nothing above U+10FFFF, no sequence cut short).
fn decode(b: &[u8], i: usize) -> Option<(u32, usize)> {
    let c = b[i];
    // The length, and the range of the second byte, which is where the table's exceptions are.
    let (len, lo, hi) = match c {
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return None,
    };
    let seq = b.get(i..i + len)?;
    if !(lo..=hi).contains(&seq[1]) || seq[2..].iter().any(|&x| x & 0xC0 != 0x80) {
        return None;
    }
    let lead = u32::from(c) & (0x7F >> len);
    let cp = seq[1..]
        .iter()
        .fold(lead, |cp, &x| (cp << 6) | u32::from(x & 0x3F));
    Some((cp, len))
}

/// How many bytes at the start of `src` are ASCII: eight at a time (a word's high bits, and
/// where the first one set is), then byte by byte for the last few.
fn ascii_prefix(src: &[u8]) -> usize {
    let mut words = src.chunks_exact(8);
    let mut k = 0;
    for w in &mut words {
        let high = u64::from_le_bytes(w.try_into().unwrap_or([0x80; 8])) & 0x8080_8080_8080_8080;
        if high != 0 {
            return k + (high.trailing_zeros() / 8) as usize;
        }
        k += 8;
    }
    k + words
        .remainder()
        .iter()
        .take_while(|c| c.is_ascii())
        .count()
}

/// Widens the ASCII bytes at the start of `src` into `dst` (at least as long); returns how
/// many. With wasm SIMD, sixteen at a time: one load, one sign-bit mask, two widening stores
/// (LLVM does not find that sequence on its own: it widens lane by lane); the block with the
/// first non-ASCII byte then byte by byte up to it.
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
#[allow(unsafe_code)]
fn widen_ascii(src: &[u8], dst: &mut [u16]) -> usize {
    use core::arch::wasm32::{
        u8x16_bitmask, u16x8_extend_high_u8x16, u16x8_extend_low_u8x16, v128, v128_load, v128_store,
    };
    let n = src.len().min(dst.len()) / 16 * 16;
    let mut k = 0;
    while k < n {
        // SAFETY: k + 16 <= n, so src[k..k + 16] is in bounds (16 bytes read) and
        // dst[k..k + 16] too (32 bytes written); v128_load and v128_store need no alignment.
        let mask = unsafe {
            let v = v128_load(src.as_ptr().add(k).cast::<v128>());
            let mask = u8x16_bitmask(v);
            if mask == 0 {
                let to = dst.as_mut_ptr().add(k).cast::<v128>();
                v128_store(to, u16x8_extend_low_u8x16(v));
                v128_store(to.add(1), u16x8_extend_high_u8x16(v));
            }
            mask
        };
        if mask != 0 {
            let run = mask.trailing_zeros() as usize;
            widen_bytes(&src[k..k + run], &mut dst[k..k + run]);
            return k + run;
        }
        k += 16;
    }
    let run = ascii_prefix(&src[k..]).min(dst.len() - k);
    widen_bytes(&src[k..k + run], &mut dst[k..k + run]);
    k + run
}

/// Widens the ASCII bytes at the start of `src` into `dst` (at least as long); returns how
/// many (the portable form of the SIMD one).
#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
fn widen_ascii(src: &[u8], dst: &mut [u16]) -> usize {
    let run = ascii_prefix(src).min(dst.len());
    widen_bytes(&src[..run], &mut dst[..run]);
    run
}

/// Copies bytes into UTF-16 units one to one (both slices the same length).
fn widen_bytes(src: &[u8], dst: &mut [u16]) {
    for (d, &c) in dst.iter_mut().zip(src) {
        *d = u16::from(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small xorshift generator: the tests stay deterministic without a dependency.
    fn rng(mut seed: u32) -> impl FnMut() -> usize {
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            seed as usize
        }
    }

    #[test]
    fn valid_text_as_the_standard_library_writes_it() {
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
        let long = "a".repeat(40) + "导" + &"b".repeat(33) + "😀" + &"c".repeat(16);
        let edges = [
            "",
            "é",
            "导出 ✓",
            "😀a😀",
            "\u{7ff}\u{800}\u{ffff}\u{10000}\u{10ffff}",
        ];
        for s in edges.into_iter().chain([long.as_str()]) {
            let mut out = vec![7];
            assert!(widen(&mut out, s.as_bytes()));
            assert_eq!(out[1..], s.encode_utf16().collect::<Vec<_>>(), "{s}");
            assert_eq!(count(s.as_bytes()), Some(s.encode_utf16().count()), "{s}");
        }
        let mut next = rng(0x2545_f491);
        let mut out = vec![7];
        let mut want = vec![7];
        // Random mixes of every width, with ASCII runs long enough for the 16-byte blocks at
        // every alignment, appended after what is already there.
        for _ in 0..500 {
            let s: String = (0..next() % 80)
                .map(|_| match next() % 40 {
                    k @ 0..9 => alphabet[k],
                    _ => 'x',
                })
                .collect();
            assert!(widen(&mut out, s.as_bytes()));
            want.extend(s.encode_utf16());
            assert_eq!(out, want, "{s:?}");
            assert_eq!(count(s.as_bytes()), Some(s.encode_utf16().count()), "{s:?}");
        }
    }

    #[test]
    fn invalid_text_refused_exactly_where_the_standard_library_refuses_it() {
        // Bytes drawn around the edges of table 3-7, so every lead and every second-byte range
        // is hit, valid and not.
        let edges = [
            0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
            0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xFF,
        ];
        let mut next = rng(0x1234_5678);
        let mut valid = 0;
        for _ in 0..20_000 {
            let mut b: Vec<u8> = (0..next() % 6)
                .map(|_| edges[next() % edges.len()])
                .collect();
            if next() & 1 == 0 {
                b.splice(0..0, std::iter::repeat_n(b'a', 16 + next() % 17));
            }
            let std = std::str::from_utf8(&b).ok();
            valid += usize::from(std.is_some());
            assert_eq!(count(&b), std.map(|s| s.encode_utf16().count()), "{b:x?}");
            let mut out = vec![1, 2];
            assert_eq!(widen(&mut out, &b), std.is_some(), "{b:x?}");
            match std {
                Some(s) => assert_eq!(out[2..], s.encode_utf16().collect::<Vec<_>>()),
                None => assert_eq!(out, [1, 2], "left as it was"),
            }
        }
        assert!(valid > 2_000, "both outcomes exercised ({valid} valid)");
    }
}
