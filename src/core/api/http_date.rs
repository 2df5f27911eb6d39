//! The HTTP-date of a `Retry-After` (RFC 9110 §5.6.7), read into unix seconds: the preferred
//! IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) and the two obsolete forms a recipient must
//! still accept, RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
//! (`Sun Nov  6 08:49:37 1994`). A few lines of calendar arithmetic instead of a crate and the
//! standard library's `SystemTime` (whose error type alone brings `Duration`'s formatting).

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn num(s: &str) -> Option<i64> {
    (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn month(s: &str) -> Option<i64> {
    MONTHS.iter().position(|m| *m == s).map(|i| i as i64 + 1)
}

/// `hh:mm:ss` as seconds of the day.
fn clock(s: &str) -> Option<i64> {
    let mut parts = s.split(':');
    let (h, m, sec) = (
        num(parts.next()?)?,
        num(parts.next()?)?,
        num(parts.next()?)?,
    );
    // `then`, not `then_some`: the sum is taken only once the parts are known to be small.
    (parts.next().is_none() && h < 24 && m < 60 && sec <= 60).then(|| h * 3600 + m * 60 + sec)
}

fn seconds(y: i64, m: i64, d: i64, time: i64) -> Option<u64> {
    if !(1..=31).contains(&d) || !(1970..=9999).contains(&y) {
        return None;
    }
    u64::try_from(days_from_civil(y, m, d) * 86_400 + time).ok()
}

/// An HTTP-date as unix seconds; `None` for anything else.
pub fn parse(text: &str) -> Option<u64> {
    let t: Vec<&str> = text.split_ascii_whitespace().collect();
    match t.as_slice() {
        // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
        [_, d, m, y, time, "GMT"] if t[0].ends_with(',') && y.len() == 4 => {
            seconds(num(y)?, month(m)?, num(d)?, clock(time)?)
        }
        // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT (a two-digit year is 1970-2069; the year
        // has two digits, so adding the century cannot overflow)
        [_, dmy, time, "GMT"] if t[0].ends_with(',') => {
            let mut p = dmy.split('-');
            let (d, m, y) = (num(p.next()?)?, month(p.next()?)?, p.next()?);
            if y.len() != 2 || p.next().is_some() {
                return None;
            }
            let y = num(y)?;
            let y = if y < 70 { 2000 + y } else { 1900 + y };
            seconds(y, m, d, clock(time)?)
        }
        // asctime: Sun Nov  6 08:49:37 1994
        [_, m, d, time, y] => seconds(num(y)?, month(m)?, num(d)?, clock(time)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: u64 = 784_111_777; // Sun, 06 Nov 1994 08:49:37 GMT

    #[test]
    fn the_three_forms() {
        assert_eq!(parse("Sun, 06 Nov 1994 08:49:37 GMT"), Some(T));
        assert_eq!(parse("Sunday, 06-Nov-94 08:49:37 GMT"), Some(T));
        assert_eq!(parse("Sun Nov  6 08:49:37 1994"), Some(T));
        assert_eq!(parse("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse("Tue, 29 Feb 2028 12:00:00 GMT"), Some(1_835_438_400));
        assert_eq!(parse("Wed, 01 Dec 2066 00:00:00 GMT"), Some(3_058_387_200));
    }

    #[test]
    fn anything_else_is_none() {
        for bad in [
            "",
            "soon",
            "Sun, 06 Nov 1994 08:49:37 UTC",
            "Sun, 06 Foo 1994 08:49:37 GMT",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 25:49:37 GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49 GMT",
            "Sun, -6 Nov 1994 08:49:37 GMT",
            // Found by the `retry_after` fuzz target: a part too long for its place.
            "Sun, 06 Nov 1994 08:400000000000000009:37 GMT",
            "Sun, 06 Nov 1994 4000000000000000000:49:37 GMT",
            // RFC 850's year has two digits (a reader's review: a long one overflowed).
            "Sunday, 06-Nov-9223372036854775807 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sunday, 06-Nov-94-1 08:49:37 GMT",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
