//! `Retry-After` (`api::retry_after_ms`): the first line is the clock (ms), the rest the header.
//!
//! Properties: never panics; delay-seconds give exactly seconds × 1000 (saturating, a number
//! too long for u64 read as the longest wait); a date gives the time left until it, so the
//! wait shrinks exactly as the clock moves on and never goes below zero; against the
//! `httpdate` crate (an oracle written apart from ours): a date both read is the same instant,
//! and a date in its canonical form (as `httpdate` writes it) ours reads too (each is lenient
//! elsewhere: `httpdate` reads fields by position, so `03-Nov-13"08:49:37` passes it, and ours
//! does not check the weekday or the month's length); what ours reads is a date in shape (a
//! month name and an `hh:mm:ss`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use nemo_video::core::api::retry_after_ms;
use nemo_video_fuzz::header_lines;

fuzz_target!(|data: &[u8]| {
    let (lines, value) = header_lines(data, 1);
    let now: u64 = lines[0].trim().parse().unwrap_or(0);
    let got = retry_after_ms(&value, now);
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        let secs = v.parse::<u64>().unwrap_or(u64::MAX / 1000);
        assert_eq!(got, Some(secs.saturating_mul(1000)), "{v:?}");
        return;
    }
    if let Ok(t) = httpdate::parse_http_date(v) {
        let at = t
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() * 1000);
        let ours = retry_after_ms(&value, 0);
        if let Some(ours) = ours {
            assert_eq!(ours, at, "{v:?}: the same instant as httpdate's");
        }
        if httpdate::fmt_http_date(t) == v {
            assert_eq!(ours, Some(at), "{v:?}: httpdate's own form");
        }
    }
    match got {
        None => {}
        Some(wait) => {
            let words: Vec<&str> = v.split_ascii_whitespace().collect();
            let month = |w: &str| {
                [
                    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
                    "Dec",
                ]
                .iter()
                .any(|m| w == *m || w.split('-').nth(1) == Some(*m))
            };
            let clock = |w: &str| {
                let p: Vec<&str> = w.split(':').collect();
                p.len() == 3
                    && p.iter()
                        .all(|x| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()))
            };
            assert!(
                words.iter().any(|w| month(w)) && words.iter().any(|w| clock(w)),
                "{v:?} read as a date"
            );
            // An HTTP date: the same date seen later is nearer by exactly that much.
            let at_zero = retry_after_ms(&value, 0).expect("a date at any clock");
            assert_eq!(wait, at_zero.saturating_sub(now), "{v:?} at {now}");
            let later = now.saturating_add(1500);
            assert_eq!(
                retry_after_ms(&value, later),
                Some(at_zero.saturating_sub(later))
            );
        }
    }
});
