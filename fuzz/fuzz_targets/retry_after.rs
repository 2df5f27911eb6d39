//! `Retry-After` (`api::retry_after_ms`): the first line is the clock (ms), the rest the header.
//!
//! Properties: never panics; delay-seconds give exactly seconds × 1000 (saturating, a number
//! too long for u64 read as the longest wait); a date gives the time left until it, so the
//! wait shrinks exactly as the clock moves on and never goes below zero; anything else is
//! `None`.
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
    match got {
        None => assert!(v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit())),
        Some(wait) => {
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
