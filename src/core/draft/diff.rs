//! The difference of two drafts: whether they are the same (on everything the server
//! returned, not only what the summary shows), and what changed, rendered for a person.
//!
//! Does not own: reading a draft (`mod.rs`: [`timeline`]), the summary line.

use serde_json::Value;

use super::{Timeline, Track, TrackKind, percent, secs, timeline, track_line};

/// Pairs items of two lists: by id where both have one, else (neither has one) by position.
fn pair<'a, T>(
    before: &'a [T],
    after: &'a [T],
    id: impl Fn(&T) -> Option<&str>,
    same_kind: impl Fn(&T, &T) -> bool,
) -> (Vec<(&'a T, &'a T)>, Vec<&'a T>, Vec<&'a T>) {
    let mut used = vec![false; after.len()];
    let mut pairs = Vec::new();
    let mut removed = Vec::new();
    let mut unmatched = Vec::new();
    for b in before {
        let found = id(b).and_then(|bid| {
            after
                .iter()
                .enumerate()
                .position(|(j, a)| !used[j] && id(a) == Some(bid))
        });
        match found {
            Some(j) => {
                used[j] = true;
                pairs.push((b, &after[j]));
            }
            None => unmatched.push(b),
        }
    }
    for b in unmatched {
        let found = after
            .iter()
            .enumerate()
            .position(|(j, a)| !used[j] && id(b).is_none() && id(a).is_none() && same_kind(b, a));
        match found {
            Some(j) => {
                used[j] = true;
                pairs.push((b, &after[j]));
            }
            None => removed.push(b),
        }
    }
    let added = after
        .iter()
        .enumerate()
        .filter(|(j, _)| !used[*j])
        .map(|(_, a)| a)
        .collect();
    (pairs, removed, added)
}

fn range(a: f64, b: f64) -> String {
    format!("{}-{}s", secs(a), secs(b))
}

fn name(t: &Track) -> String {
    match t.display_label() {
        Some(l) if t.kind == TrackKind::Text => format!("{} \"{l}\"", t.kind.label()),
        Some(l) => format!("{} \"{l}\"", t.kind.label()),
        None => format!("{} track", t.kind.label()),
    }
}

fn close(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (Some(x), Some(y)) => (x - y).abs() < 0.5,
        (None, None) => true,
        _ => false,
    }
}

/// The changes from one draft to another, one readable line each; empty when nothing that a
/// summary shows changed.
pub fn diff(before: &Value, after: &Value) -> Vec<String> {
    diff_timelines(&timeline(before), &timeline(after))
}

/// [`diff`] on decoded timelines.
pub fn diff_timelines(before: &Timeline, after: &Timeline) -> Vec<String> {
    let mut out = Vec::new();
    let (pairs, removed, added) = pair(
        &before.tracks,
        &after.tracks,
        |t| t.id.as_deref(),
        |a, b| a.kind == b.kind,
    );
    for t in added {
        out.push(format!("Added {}", track_line(t)));
    }
    for t in removed {
        out.push(format!("Removed {}", name(t)));
    }
    for (b, a) in pairs {
        let who = name(a);
        if b.display_label() != a.display_label()
            && let (Some(x), Some(y)) = (b.display_label(), a.display_label())
        {
            out.push(format!("{} retitled \"{x}\" → \"{y}\"", a.kind.label()));
        }
        if !close(b.display_volume(), a.display_volume())
            && let (Some(x), Some(y)) = (b.display_volume(), a.display_volume())
        {
            out.push(format!("{who} volume {} → {}", percent(x), percent(y)));
        }
        let (segs, gone, new) = pair(&b.segments, &a.segments, |s| s.id.as_deref(), |_, _| true);
        for s in new {
            out.push(format!(
                "{who}: added a clip ({})",
                range(s.start_ms, s.end_ms)
            ));
        }
        for s in gone {
            out.push(format!(
                "{who}: removed a clip ({})",
                range(s.start_ms, s.end_ms)
            ));
        }
        for (x, y) in segs {
            if !close(Some(x.start_ms), Some(y.start_ms)) || !close(Some(x.end_ms), Some(y.end_ms))
            {
                out.push(format!(
                    "{who}: clip retimed {} → {}",
                    range(x.start_ms, x.end_ms),
                    range(y.start_ms, y.end_ms)
                ));
            }
            if a.label.is_some() || b.label.is_some() {
                // The track's own label is what is shown; segment labels are detail.
            } else if x.label != y.label
                && let (Some(p), Some(q)) = (&x.label, &y.label)
                && b.segments.len() > 1
            {
                out.push(format!("{who}: clip retitled \"{p}\" → \"{q}\""));
            }
            if a.volume.is_none()
                && !close(x.volume, y.volume)
                && let (Some(p), Some(q)) = (x.volume, y.volume)
                && b.segments.len() > 1
            {
                out.push(format!(
                    "{who}: clip volume {} → {}",
                    percent(p),
                    percent(q)
                ));
            }
        }
    }
    out
}

/// A draft as a value to compare: a draft sent as a JSON string is read as the JSON it holds.
fn as_compared(v: &Value) -> std::borrow::Cow<'_, Value> {
    match v {
        Value::String(s) => serde_json::from_str(s)
            .map(std::borrow::Cow::Owned)
            .unwrap_or(std::borrow::Cow::Borrowed(v)),
        _ => std::borrow::Cow::Borrowed(v),
    }
}

/// Nothing at all: `null`, an empty string, array or object, zero, `false`, or an object of
/// only such values (`{"t": [], "d": 0}`, what a fresh session's draft may look like).
fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.values().all(is_blank),
    }
}

/// Canonical equality: key order never matters (objects are maps), `1` equals `1.0`, and two
/// spellings of one real number are equal (see [`close_floats`]).
fn canonical_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(p), Some(q)) => p == q,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(p), Some(q)) => p == q,
                _ => match (x.as_f64(), y.as_f64()) {
                    (Some(p), Some(q)) => close_floats(p, q),
                    _ => false,
                },
            },
        },
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| canonical_eq(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, p)| y.get(k).is_some_and(|q| canonical_eq(p, q)))
        }
        _ => a == b,
    }
}

/// Two floats read from JSON are one number when at most a few units in the last place apart.
/// serde_json reads floats on its fast path (no `float_roundtrip`, which costs the client its
/// tables), which may land one unit off the nearest double, so two spellings of one number
/// (`3.3333e53` and the text written back from it) can read as neighbours; no edit of a draft
/// is a change in the sixteenth digit. Found by the `draft` fuzz target.
fn close_floats(a: f64, b: f64) -> bool {
    if a == b {
        return true;
    }
    if !a.is_finite() || !b.is_finite() || a.is_sign_negative() != b.is_sign_negative() {
        return false;
    }
    a.to_bits().abs_diff(b.to_bits()) <= 4
}

/// Whether two drafts are the same, judged on everything the server returned (not only what a
/// summary shows): key order and number spelling aside, any difference anywhere is a change.
/// `null` stands for "no draft", the same as a blank draft.
pub fn same(before: &Value, after: &Value) -> bool {
    let (a, b) = (as_compared(before), as_compared(after));
    if is_blank(&a) || is_blank(&b) {
        return is_blank(&a) && is_blank(&b);
    }
    canonical_eq(&a, &b)
}

/// What changed from one draft to another, for the user; `None` when [`same`] says nothing
/// did. The lines say what a summary can show (tracks, labels, volume, clip timing, the total
/// length); an edit to anything else still counts, and is said to be one.
pub fn changes(before: &Value, after: &Value) -> Option<String> {
    if same(before, after) {
        return None;
    }
    let mut lines = diff(before, after);
    // The total length is told when it is all the summary can show of the edit (with a track
    // changed, it follows from the track's own line).
    let (b, a) = (timeline(before), timeline(after));
    if lines.is_empty()
        && !close(b.duration_ms, a.duration_ms)
        && let (Some(x), Some(y)) = (b.duration_ms, a.duration_ms)
    {
        lines.push(format!("total length {}s → {}s", secs(x), secs(y)));
    }
    if lines.is_empty() {
        lines.push(HIDDEN_CHANGE.to_owned());
    }
    Some(describe_changes(&lines))
}

/// The line for an edit the summary cannot show (metadata, settings, fields the client does
/// not model).
pub const HIDDEN_CHANGE: &str =
    "the project was edited in details the timeline summary does not show";

/// The diff as one message for the user.
pub fn describe_changes(changes: &[String]) -> String {
    match changes {
        [] => "No changes to the timeline.".to_owned(),
        [one] => format!("Changed: {one}."),
        many => format!("Changed:\n- {}", many.join("\n- ")),
    }
}
