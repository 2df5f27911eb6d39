//! The draft: the session's timeline, read tolerantly and never rewritten.
//!
//! Owns: decoding the short-key draft (`t` tracks, `tt` track type, `sg` segments, `d` duration
//! in ms, `m` metadata) into a [`Timeline`] view, the seed's one-line timeline summary and the
//! ready-to-export rule (a track with a non-empty `sg`). `diff.rs`: whether two drafts are the
//! same (on everything the server returned, not only what the summary shows) and their diff
//! rendered for a person.
//!
//! Does not own: the draft itself. The JSON stays as the backend sent it and goes back
//! unchanged on export; the view reads only what a summary needs, and every field it reads is
//! optional (segment start may be `s`, `st`, `start`, `b` or `begin`; end `e` or `end`;
//! duration `d`, `dur` or `duration`; labels `title`, `name`, `label`, `text`, `content`;
//! volume a fraction 0–1 or a percentage, in `m` or on the item itself).

use serde_json::Value;

mod diff;

pub use diff::{HIDDEN_CHANGE, changes, describe_changes, diff, diff_timelines, same};

/// Track kinds by `tt`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackKind {
    /// `tt` 0.
    Video,
    /// `tt` 1: audio, background music.
    Audio,
    /// `tt` 7: text, titles.
    Text,
    /// Any other `tt`.
    Other(i64),
}

impl TrackKind {
    fn from_tt(tt: i64) -> Self {
        match tt {
            0 => TrackKind::Video,
            1 => TrackKind::Audio,
            7 => TrackKind::Text,
            n => TrackKind::Other(n),
        }
    }

    /// The name the summary uses.
    pub fn label(self) -> &'static str {
        match self {
            TrackKind::Video => "Video",
            TrackKind::Audio => "BGM",
            TrackKind::Text => "Title",
            TrackKind::Other(_) => "Track",
        }
    }
}

/// One segment, as far as a summary needs it.
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
    /// An id, when the segment has one.
    pub id: Option<String>,
    /// Start, ms.
    pub start_ms: f64,
    /// End, ms.
    pub end_ms: f64,
    /// A label.
    pub label: Option<String>,
    /// Volume in percent.
    pub volume: Option<f64>,
}

/// One track.
#[derive(Clone, Debug, PartialEq)]
pub struct Track {
    /// An id, when the track has one.
    pub id: Option<String>,
    /// Its kind.
    pub kind: TrackKind,
    /// A label from the track's metadata.
    pub label: Option<String>,
    /// Volume in percent, from the track's metadata.
    pub volume: Option<f64>,
    /// Its segments.
    pub segments: Vec<Segment>,
}

impl Track {
    /// The label to show: the track's, else the first segment's.
    pub fn display_label(&self) -> Option<&str> {
        self.label
            .as_deref()
            .or_else(|| self.segments.iter().find_map(|s| s.label.as_deref()))
    }

    /// The volume to show: the track's, else the first segment's.
    pub fn display_volume(&self) -> Option<f64> {
        self.volume
            .or_else(|| self.segments.iter().find_map(|s| s.volume))
    }

    /// The span its segments cover, ms.
    pub fn span(&self) -> Option<(f64, f64)> {
        let start = self.segments.iter().map(|s| s.start_ms).reduce(f64::min)?;
        let end = self.segments.iter().map(|s| s.end_ms).reduce(f64::max)?;
        Some((start, end))
    }
}

/// The read-only view of a draft.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Timeline {
    /// The tracks, in draft order.
    pub tracks: Vec<Track>,
    /// The draft's total duration (`d`), ms.
    pub duration_ms: Option<f64>,
}

fn num(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => crate::core::number::parse(s),
        _ => None,
    }
    .filter(|f: &f64| f.is_finite())
}

fn first_num(obj: &Value, keys: &[&str]) -> Option<f64> {
    keys.iter().find_map(|k| obj.get(*k).and_then(num))
}

fn id_of(obj: &Value) -> Option<String> {
    match obj.get("id")? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

const LABEL_KEYS: [&str; 5] = ["title", "name", "label", "text", "content"];
const VOLUME_KEYS: [&str; 3] = ["volume", "vol", "v"];

fn label_in(o: &Value) -> Option<String> {
    LABEL_KEYS.iter().find_map(|k| {
        o.get(*k)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    })
}

/// A fraction (0.35) or a percentage (35), as a percentage.
fn percent_of(raw: f64) -> f64 {
    if raw <= 1.0 { raw * 100.0 } else { raw }
}

/// A segment's label: in its metadata, else on the segment itself.
fn label_of(obj: &Value) -> Option<String> {
    obj.get("m").and_then(label_in).or_else(|| label_in(obj))
}

/// A segment's volume: in its metadata, else on the segment itself (`v` only in metadata).
fn volume_of(obj: &Value) -> Option<f64> {
    obj.get("m")
        .and_then(|m| first_num(m, &VOLUME_KEYS))
        .or_else(|| first_num(obj, &VOLUME_KEYS[..2]))
        .map(percent_of)
}

fn segment(v: &Value, previous_end: f64) -> Segment {
    let start = first_num(v, &["s", "st", "start", "b", "begin"]).unwrap_or(previous_end);
    let dur = first_num(v, &["d", "dur", "duration"]);
    let end = first_num(v, &["e", "end"])
        .or(dur.map(|d| start + d))
        .unwrap_or(start);
    Segment {
        id: id_of(v),
        start_ms: start,
        end_ms: end.max(start),
        label: label_of(v),
        volume: volume_of(v),
    }
}

/// Reads a draft (the `t`/`tt`/`sg` object). Anything that is not a draft reads as an empty
/// timeline; a draft given as a JSON string is parsed first.
pub fn timeline(draft: &Value) -> Timeline {
    if let Value::String(s) = draft {
        return serde_json::from_str::<Value>(s)
            .map(|v| timeline(&v))
            .unwrap_or_default();
    }
    let tracks = draft
        .get("t")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .filter(|t| t.is_object())
                .map(|t| {
                    let mut end = 0.0;
                    let segments = t
                        .get("sg")
                        .and_then(Value::as_array)
                        .map(|sg| {
                            sg.iter()
                                .filter(|s| s.is_object())
                                .map(|s| {
                                    let seg = segment(s, end);
                                    end = seg.end_ms;
                                    seg
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    Track {
                        id: id_of(t),
                        kind: TrackKind::from_tt(t.get("tt").and_then(num).map_or(0, |n| n as i64)),
                        label: t.get("m").and_then(label_in),
                        volume: t
                            .get("m")
                            .and_then(|m| first_num(m, &VOLUME_KEYS))
                            .map(percent_of),
                        segments,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Timeline {
        tracks,
        duration_ms: draft.get("d").and_then(num),
    }
}

/// A draft is ready to export when a track has at least one segment.
pub fn is_ready(draft: &Value) -> bool {
    timeline(draft)
        .tracks
        .iter()
        .any(|t| !t.segments.is_empty())
}

/// Seconds as the summary writes them: `10`, `2.5`.
fn secs(ms: f64) -> String {
    let s = (ms / 100.0).round() / 10.0;
    if s.fract() == 0.0 {
        crate::core::number::whole(s)
    } else {
        crate::core::number::fixed(s, 1)
    }
}

fn percent(v: f64) -> String {
    format!("{}%", v.round() as i64)
}

fn track_line(t: &Track) -> String {
    let label = match (t.kind, t.display_label()) {
        (TrackKind::Text, Some(l)) => format!("\"{l}\""),
        (_, Some(l)) => l.to_owned(),
        (_, None) => match t.segments.len() {
            0 => "empty".to_owned(),
            1 => "1 clip".to_owned(),
            n => format!("{n} clips"),
        },
    };
    let mut extra = Vec::new();
    if let Some((a, b)) = t.span() {
        extra.push(format!("{}-{}s", secs(a), secs(b)));
    }
    if t.kind == TrackKind::Audio
        && let Some(v) = t.display_volume()
    {
        extra.push(percent(v));
    }
    if extra.is_empty() {
        format!("{}: {label}", t.kind.label())
    } else {
        format!("{}: {label} ({})", t.kind.label(), extra.join(", "))
    }
}

/// The seed's summary: `Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi
/// (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)`.
pub fn summarize(draft: &Value) -> String {
    summarize_timeline(&timeline(draft))
}

/// [`summarize`] for an already decoded timeline.
pub fn summarize_timeline(tl: &Timeline) -> String {
    if tl.tracks.is_empty() {
        return "Timeline is empty.".to_owned();
    }
    let n = tl.tracks.len();
    let mut out = format!("Timeline ({n} track{}):", if n == 1 { "" } else { "s" });
    for (i, t) in tl.tracks.iter().enumerate() {
        out.push_str(&format!(" {}. {}", i + 1, track_line(t)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn seed_draft() -> Value {
        json!({"d": 10000, "t": [
            {"tt": 0, "sg": [{"s": 0, "d": 10000, "m": {"title": "city timelapse"}}]},
            {"tt": 1, "m": {"title": "Lo-fi", "volume": 0.35}, "sg": [{"s": 0, "d": 10000}]},
            {"tt": 7, "sg": [{"s": 0, "d": 3000, "m": {"text": "Urban Dreams"}}]}
        ]})
    }

    #[test]
    fn seed_summary_format() {
        assert_eq!(
            summarize(&seed_draft()),
            "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: \"Urban Dreams\" (0-3s)"
        );
    }

    #[test]
    fn tolerant_forms() {
        let d = json!({"t": [
            {"tt": "1", "m": {"name": "Beat", "volume": 80}, "sg": [{"start": 1500, "end": 4000}]},
            {"tt": 9, "sg": [{"st": 0, "duration": 2000}, {"dur": 1000}]},
            "junk",
            {"tt": 0}
        ], "extra": {"unknown": true}});
        assert_eq!(
            summarize(&d),
            "Timeline (3 tracks): 1. BGM: Beat (1.5-4s, 80%) 2. Track: 2 clips (0-3s) 3. Video: empty"
        );
        assert_eq!(summarize(&json!(null)), "Timeline is empty.");
        assert_eq!(
            summarize(&json!("{\"t\":[{\"tt\":7,\"m\":{\"title\":\"Hi\"}}]}")),
            "Timeline (1 track): 1. Title: \"Hi\""
        );
    }

    #[test]
    fn ready_rule() {
        assert!(is_ready(&seed_draft()));
        assert!(!is_ready(&json!({"t": [{"tt": 0, "sg": []}]})));
        assert!(!is_ready(&json!({})));
    }

    #[test]
    fn diff_added_removed_retimed_retitled_volume() {
        let before = seed_draft();
        let mut after = seed_draft();
        after["t"][0]["sg"][0]["d"] = json!(12000);
        after["t"][1]["m"]["volume"] = json!(0.5);
        after["t"][2]["sg"][0]["m"]["text"] = json!("City Nights");
        after["t"]
            .as_array_mut()
            .unwrap()
            .push(json!({"tt": 1, "m": {"title": "Rain"}, "sg": [{"s": 0, "d": 5000}]}));
        let changes = diff(&before, &after);
        assert_eq!(
            changes,
            vec![
                "Added BGM: Rain (0-5s)",
                "Video \"city timelapse\": clip retimed 0-10s → 0-12s",
                "BGM \"Lo-fi\" volume 35% → 50%",
                "Title retitled \"Urban Dreams\" → \"City Nights\"",
            ]
        );
        let removed = diff(&after, &before);
        assert!(
            removed.contains(&"Removed BGM \"Rain\"".to_owned()),
            "{removed:?}"
        );
        assert!(diff(&before, &before).is_empty());
    }

    #[test]
    fn diff_segments_by_id() {
        let before = json!({"t": [{"id": "v", "tt": 0, "sg": [{"id": "a", "s": 0, "d": 1000}, {"id": "b", "s": 1000, "d": 1000}]}]});
        let after = json!({"t": [{"id": "v", "tt": 0, "sg": [{"id": "b", "s": 1000, "d": 1000}, {"id": "c", "s": 2000, "d": 500}]}]});
        assert_eq!(
            diff(&before, &after),
            vec![
                "Video track: added a clip (2-2.5s)",
                "Video track: removed a clip (0-1s)"
            ]
        );
    }

    #[test]
    fn any_difference_is_a_change_and_is_described() {
        let before = seed_draft();
        let mut meta = seed_draft();
        meta["m"] = json!({"fps": 30});
        assert!(diff(&before, &meta).is_empty(), "the summary shows no fps");
        assert_eq!(
            changes(&before, &meta).as_deref(),
            Some("Changed: the project was edited in details the timeline summary does not show.")
        );
        let mut longer = seed_draft();
        longer["d"] = json!(12000);
        assert_eq!(
            changes(&before, &longer).as_deref(),
            Some("Changed: total length 10s → 12s.")
        );
        // Key order, number spelling and a draft sent as a string are not changes.
        let reordered: Value = serde_json::from_str(
            r#"{"t":[{"sg":[{"m":{"title":"city timelapse"},"d":10000.0,"s":0}],"tt":0},
                {"sg":[{"d":10000,"s":0}],"m":{"volume":0.35,"title":"Lo-fi"},"tt":1},
                {"sg":[{"m":{"text":"Urban Dreams"},"d":3000,"s":0}],"tt":7}],"d":10000}"#,
        )
        .unwrap();
        assert!(same(&before, &reordered));
        assert!(same(&before, &Value::String(before.to_string())));
        assert_eq!(changes(&before, &before), None);
        // A number too long for an integer is read as a float on serde_json's fast path, and
        // written back and read again it can land one unit off (found by the `draft` fuzz
        // target): still the same number, and no change.
        let far: Value = serde_json::from_str(
            r#"{"d": 30000, "x": 333330000000000000000000000000000018088332603364649636}"#,
        )
        .unwrap();
        let again: Value = serde_json::from_str(&far.to_string()).unwrap();
        assert!(same(&far, &again), "{far} / {again}");
        let mut moved = far.clone();
        moved["x"] = json!(3.3334e53);
        assert!(!same(&far, &moved));
        // Five units apart is a different number.
        let x = far["x"].as_f64().unwrap();
        moved["x"] = json!(f64::from_bits(x.to_bits() + 5));
        assert!(!same(&far, &moved));
        // No draft and a blank one are the same; a first real draft is a change.
        assert!(same(&Value::Null, &json!({"t": [], "d": 0})));
        assert_eq!(
            changes(&Value::Null, &seed_draft())
                .unwrap()
                .lines()
                .count(),
            4
        );
    }

    #[test]
    fn describe() {
        assert_eq!(describe_changes(&[]), "No changes to the timeline.");
        assert_eq!(describe_changes(&["Added x".into()]), "Changed: Added x.");
        assert_eq!(
            describe_changes(&["a".into(), "b".into()]),
            "Changed:\n- a\n- b"
        );
    }
}
