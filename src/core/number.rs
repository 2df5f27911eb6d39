//! Numbers read from text and written as text, without the float parsing and printing of
//! `core::fmt` and `str::parse` (the largest pieces of the wasm after `serde_json`).
//!
//! Owns: [`parse`] (a number sent as text, read by the JSON reader the crate carries anyway)
//! and [`fixed`] (a number with a fixed count of decimals, from integers). Does not own: what
//! the numbers mean (drafts, credits, sizes).

use serde_json::Value;

/// A number given as text (`"10"`, `" 3.5 "`, `"1e3"`), as JSON reads it; `None` otherwise.
pub fn parse(text: &str) -> Option<f64> {
    match serde_json::from_str::<Value>(text.trim()).ok()? {
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

/// `v` rounded to `decimals` places (at most 6), written with exactly that many, or with none
/// when `decimals` is 0; a value too large for that falls back to the whole part.
pub fn fixed(v: f64, decimals: u32) -> String {
    let decimals = decimals.min(6);
    let scale = 10u64.pow(decimals);
    let scaled = (v.abs() * scale as f64).round();
    if !scaled.is_finite() || scaled >= 9.0e18 {
        return whole(v);
    }
    let scaled = scaled as u64;
    let sign = if v < 0.0 && scaled != 0 { "-" } else { "" };
    let (int, frac) = (scaled / scale, scaled % scale);
    if decimals == 0 {
        format!("{sign}{int}")
    } else {
        format!("{sign}{int}.{frac:0width$}", width = decimals as usize)
    }
}

/// `v` rounded to a whole number, written without decimals.
pub fn whole(v: f64) -> String {
    if v.is_finite() {
        (v.round() as i64).to_string()
    } else {
        "0".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_sent_as_text() {
        assert_eq!(parse("10"), Some(10.0));
        assert_eq!(parse(" 3.5 "), Some(3.5));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("-2"), Some(-2.0));
        for bad in ["", "x", "35%", "1,5", "\"1\"", "[1]", "NaN"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn writes_fixed_decimals() {
        assert_eq!(fixed(2.5, 1), "2.5");
        assert_eq!(fixed(2.0, 1), "2.0");
        assert_eq!(fixed(0.05, 1), "0.1");
        assert_eq!(fixed(12.345, 2), "12.35");
        assert_eq!(fixed(1.004, 2), "1.00");
        assert_eq!(fixed(-1.25, 1), "-1.3");
        assert_eq!(fixed(-0.01, 1), "0.0");
        assert_eq!(fixed(7.6, 0), "8");
        assert_eq!(fixed(f64::NAN, 1), "0");
        assert_eq!(fixed(1e300, 2), whole(1e300));
        assert_eq!(whole(3.5), "4");
        assert_eq!(whole(-2.4), "-2");
    }
}
