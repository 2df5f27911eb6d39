//! `Retry-After` (`api::retry_after_ms`): the first line is the clock (ms), the rest the header.
//!
//! Properties: never panics; delay-seconds give exactly seconds × 1000 (saturating, a number
//! too long for u64 read as the longest wait); a date gives the time left until it, so the
//! wait shrinks exactly as the clock moves on and never goes below zero; every date the
//! `httpdate` crate reads (an oracle written apart from ours) is read, as the same instant;
//! what ours reads and it does not is a date in shape (a month name and an `hh:mm:ss`; ours is
//! the more tolerant reader: it does not check the weekday or the month's length).
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
    let oracle = httpdate::parse_http_date(v)
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() * 1000);
    if let Some(at) = oracle {
        assert_eq!(
            retry_after_ms(&value, 0),
            Some(at),
            "{v:?}: httpdate reads it"
        );
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
