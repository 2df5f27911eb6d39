//! The simulator's scripted agent: a message and a draft in, an edit and an ADK-shaped reply
//! out, exactly as API.md describes the stream.
//!
//! Owns: reading the message for an edit (add a video, background music or a title; retime;
//! change the volume; English and Chinese keywords), applying it to the draft, and the event
//! sequence: partial text deltas then the whole text under the same event id; a tool call
//! sent partial and again final with the same call id; the `functionResponse` (role `user`)
//! carrying `stateDelta.draft`; the closing text, or, for a silent edit, one of the three
//! real endings (an empty partial, `MODEL_RETURNED_NO_CONTENT`, the stream ending on the
//! `functionResponse`). Does not own: chunking and timing (`plan.rs`).

use serde_json::{Value, json};

/// The edit a message asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Edit {
    /// Add a video track.
    AddVideo {
        /// Its label.
        title: String,
        /// Its length.
        seconds: u32,
    },
    /// Add background music.
    AddMusic {
        /// Its label.
        title: String,
        /// 0–1.
        volume: f64,
    },
    /// Add a title overlay.
    AddTitle {
        /// The title text.
        text: String,
    },
    /// Make the video N seconds long.
    Retime {
        /// The new length.
        seconds: u32,
    },
    /// Set the music volume.
    Volume {
        /// 0–1.
        volume: f64,
    },
}

fn has(text: &str, words: &[&str]) -> bool {
    words.iter().any(|w| text.contains(w))
}

fn number_before(text: &str, unit_words: &[&str]) -> Option<u32> {
    for unit in unit_words {
        if let Some(pos) = text.find(unit) {
            let digits: String = text[..pos]
                .trim_end_matches([' ', '-'])
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if let Ok(n) = digits.parse::<u32>()
                && (1..=600).contains(&n)
            {
                return Some(n);
            }
        }
    }
    None
}

fn quoted(text: &str) -> Option<String> {
    for (open, close) in [('"', '"'), ('“', '”'), ('「', '」'), ('\'', '\'')] {
        if let Some(a) = text.find(open) {
            let rest = &text[a + open.len_utf8()..];
            if let Some(b) = rest.find(close) {
                let q = rest[..b].trim();
                if !q.is_empty() {
                    return Some(q.to_owned());
                }
            }
        }
    }
    None
}

/// Reads the edit out of a message (`None`: a question or chat, no tool runs).
pub fn edit_for(message: &str, draft: &Value) -> Option<Edit> {
    let t = message.to_lowercase();
    let tracks = draft
        .get("t")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let has_track = |tt: i64| {
        tracks
            .iter()
            .any(|x| x.get("tt").and_then(Value::as_i64) == Some(tt))
    };
    let seconds = number_before(&t, &["-second", " second", "second", "s ", "秒"]);
    if has(&t, &["louder", "quieter", "volume", "音量"]) && has_track(1) {
        let pct = number_before(&t, &["%", " percent"]).map(f64::from);
        let volume = pct
            .map(|p| p / 100.0)
            .unwrap_or(if t.contains("louder") { 0.6 } else { 0.2 });
        return Some(Edit::Volume {
            volume: volume.clamp(0.0, 1.0),
        });
    }
    if has(&t, &["title", "caption", "text overlay", "标题", "字幕"]) {
        return Some(Edit::AddTitle {
            text: quoted(message).unwrap_or_else(|| "Title".to_owned()),
        });
    }
    if has(
        &t,
        &["longer", "shorter", "extend", "trim", "retime", "时长"],
    ) && has_track(0)
    {
        return Some(Edit::Retime {
            seconds: seconds.unwrap_or(if t.contains("shorter") { 5 } else { 15 }),
        });
    }
    let music = has(
        &t,
        &[
            "music",
            "bgm",
            "lo-fi",
            "lofi",
            "song",
            "soundtrack",
            "音乐",
            "配乐",
        ],
    );
    if has(
        &t,
        &[
            "video",
            "timelapse",
            "make",
            "generate",
            "create",
            "clip",
            "视频",
            "生成",
            "制作",
        ],
    ) && !has_track(0)
    {
        let title = if t.contains("timelapse") {
            "city timelapse".to_owned()
        } else {
            // "make a video of the sea" → "the sea"; else the first words.
            let subject = t.find(" of ").map_or(t.as_str(), |i| &t[i + 4..]);
            subject
                .split_whitespace()
                .take(4)
                .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()))
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        };
        return Some(Edit::AddVideo {
            title,
            seconds: seconds.unwrap_or(10),
        });
    }
    if music && !has_track(1) {
        let title = if has(&t, &["lo-fi", "lofi"]) {
            "Lo-fi"
        } else {
            "Background music"
        };
        return Some(Edit::AddMusic {
            title: title.to_owned(),
            volume: 0.35,
        });
    }
    None
}

fn video_ms(draft: &Value) -> u64 {
    draft
        .get("t")
        .and_then(Value::as_array)
        .and_then(|ts| {
            ts.iter()
                .find(|t| t.get("tt").and_then(Value::as_i64) == Some(0))
                .and_then(|t| t["sg"][0]["d"].as_u64())
        })
        .unwrap_or(10_000)
}

/// The `hiddenEdits` mode's edit: a new revision in the draft's metadata, which no summary
/// shows. Returns the tool's name and what the agent says it did.
pub fn apply_hidden(draft: &mut Value) -> (&'static str, String) {
    if !draft.is_object() {
        *draft = json!({});
    }
    let m = &mut draft["m"];
    if !m.is_object() {
        *m = json!({});
    }
    let rev = m["revision"].as_u64().unwrap_or(0) + 1;
    m["revision"] = json!(rev);
    m["grade"] = json!("warm");
    ("adjust_settings", "I adjusted the colour grade".to_owned())
}

/// Applies an edit to a draft; returns the tool's name and what the agent says it did.
pub fn apply(edit: &Edit, draft: &mut Value) -> (&'static str, String) {
    if !draft.get("t").is_some_and(Value::is_array) {
        *draft = json!({"t": [], "d": 0});
    }
    let len = video_ms(draft);
    let Some(Value::Array(tracks)) = draft.get_mut("t") else {
        return ("noop", String::new()); // not reached: `t` was made an array above
    };
    let (tool, said) = match edit {
        Edit::AddVideo { title, seconds } => {
            let d = u64::from(*seconds) * 1000;
            tracks.push(json!({"tt": 0, "sg": [{"s": 0, "d": d, "m": {"title": title}}], "m": {"width": 1920, "height": 1080}}));
            (
                "generate_video",
                format!("I generated a {seconds}-second {title} clip"),
            )
        }
        Edit::AddMusic { title, volume } => {
            tracks.push(json!({"tt": 1, "m": {"title": title, "volume": volume}, "sg": [{"s": 0, "d": len}]}));
            (
                "add_bgm",
                format!(
                    "I added {title} background music at {}%",
                    (volume * 100.0).round()
                ),
            )
        }
        Edit::AddTitle { text } => {
            tracks.push(json!({"tt": 7, "sg": [{"s": 0, "d": 3000, "m": {"text": text}}]}));
            ("add_title", format!("I added the title \"{text}\""))
        }
        Edit::Retime { seconds } => {
            let d = u64::from(*seconds) * 1000;
            for t in tracks.iter_mut() {
                if matches!(t.get("tt").and_then(Value::as_i64), Some(0 | 1))
                    && let Some(sg) = t.get_mut("sg").and_then(Value::as_array_mut)
                    && let Some(first) = sg.first_mut()
                {
                    first["d"] = json!(d);
                }
            }
            (
                "retime_clip",
                format!("I made the video {seconds} seconds long"),
            )
        }
        Edit::Volume { volume } => {
            for t in tracks
                .iter_mut()
                .filter(|t| t.get("tt").and_then(Value::as_i64) == Some(1))
            {
                t["m"]["volume"] = json!(volume);
            }
            (
                "set_volume",
                format!("I set the music volume to {}%", (volume * 100.0).round()),
            )
        }
    };
    let total = tracks
        .iter()
        .filter_map(|t| t["sg"][0]["d"].as_u64())
        .max()
        .unwrap_or(0);
    draft["d"] = json!(total);
    (tool, said)
}

/// How a silent edit ends (the three real forms, in rotation).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SilentEnding {
    /// A last partial event with `parts: []`.
    EmptyPartial,
    /// `errorCode: "MODEL_RETURNED_NO_CONTENT"`.
    NoContent,
    /// The stream ends on the `functionResponse`.
    FunctionResponse,
}

/// The reply's payloads (each one SSE `data`), newest vendor form or the legacy `{type}` form.
pub struct Reply {
    /// Each payload, in order, with `true` where the agent "works" (a pause) before it.
    pub payloads: Vec<(bool, String)>,
}

fn adk(
    invocation: &str,
    id: &str,
    partial: bool,
    role: &str,
    parts: Value,
    extra: Value,
) -> String {
    let mut e = json!({
        "content": {"parts": parts, "role": role},
        "invocationId": invocation,
        "author": "nemo_agent",
        "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}, "requestedToolConfirmations": {}},
        "id": id,
        "timestamp": 1_764_000_000.0,
    });
    if partial {
        e["partial"] = json!(true);
    }
    if let (Some(o), Some(x)) = (e.as_object_mut(), extra.as_object()) {
        for (k, v) in x {
            o.insert(k.clone(), v.clone());
        }
    }
    e.to_string()
}

/// Splits text into up to three deltas at char boundaries.
fn deltas(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    if n < 6 {
        return vec![text.to_owned()];
    }
    let cuts = [0, n / 3, 2 * n / 3, n];
    cuts.windows(2)
        .map(|w| chars[w[0]..w[1]].iter().collect())
        .collect()
}

fn text_events(out: &mut Vec<(bool, String)>, inv: &str, id: &str, text: &str) {
    for d in deltas(text) {
        out.push((
            false,
            adk(inv, id, true, "model", json!([{"text": d}]), json!({})),
        ));
    }
    out.push((
        false,
        adk(
            inv,
            id,
            false,
            "model",
            json!([{"text": text}]),
            json!({"finishReason": "STOP"}),
        ),
    ));
}

/// The reply to one message. `n` numbers the turn (ids); `silent` ends an edit without text.
pub fn reply(
    n: u64,
    message: &str,
    edit: Option<(&'static str, &str, &Value)>,
    silent: Option<SilentEnding>,
    with_delta: bool,
    legacy: bool,
) -> Reply {
    let inv = format!("e-{n:04x}");
    let mut out = Vec::new();
    let Some((tool, said, draft)) = edit else {
        let text = if message.trim().ends_with('?') {
            "Good question! Describe the video you want (subject, length, music) and I will build it on the timeline.".to_owned()
        } else {
            "Tell me what to make: for example \"make a 30-second city timelapse with lo-fi music\".".to_owned()
        };
        if legacy {
            out.push((false, json!({"type": "text", "content": text}).to_string()));
        } else {
            text_events(&mut out, &inv, &format!("ev-{n}-1"), &text);
        }
        return Reply { payloads: out };
    };
    let intro = "On it: working on your timeline.";
    let call_id = format!("adk-{n:04x}");
    let ready = crate::core::draft::is_ready(draft);
    let closing = if ready {
        format!("Done! {said}. Preview it in the timeline, and click Export when you're ready.")
    } else {
        format!("Done! {said}.")
    };
    if legacy {
        out.push((false, json!({"type": "text", "content": intro}).to_string()));
        out.push((
            false,
            json!({"type": "tool_call", "name": tool, "args": {}}).to_string(),
        ));
        out.push((
            true,
            json!({"type": "tool_result", "name": tool, "result": {"ok": true}}).to_string(),
        ));
        if silent.is_none() {
            out.push((
                false,
                json!({"type": "text", "content": closing}).to_string(),
            ));
        }
        return Reply { payloads: out };
    }
    text_events(&mut out, &inv, &format!("ev-{n}-1"), intro);
    let call =
        json!([{"functionCall": {"id": call_id, "name": tool, "args": {"request": message}}}]);
    out.push((
        false,
        adk(
            &inv,
            &format!("ev-{n}-2"),
            true,
            "model",
            call.clone(),
            json!({}),
        ),
    ));
    out.push((
        false,
        adk(
            &inv,
            &format!("ev-{n}-2"),
            false,
            "model",
            call,
            json!({"longRunningToolIds": []}),
        ),
    ));
    let mut response = json!({});
    if with_delta {
        response = json!({"actions": {"stateDelta": {"draft": draft}, "artifactDelta": {}, "requestedAuthConfigs": {}, "requestedToolConfirmations": {}}});
    }
    let resp_parts =
        json!([{"functionResponse": {"id": call_id, "name": tool, "response": {"result": "ok"}}}]);
    out.push((
        true,
        adk(
            &inv,
            &format!("ev-{n}-3"),
            false,
            "user",
            resp_parts,
            response,
        ),
    ));
    match silent {
        None => text_events(&mut out, &inv, &format!("ev-{n}-4"), &closing),
        Some(SilentEnding::EmptyPartial) => out.push((false, adk(&inv, &format!("ev-{n}-4"), true, "model", json!([]), json!({})))),
        Some(SilentEnding::NoContent) => out.push((
            false,
            json!({"invocationId": inv, "author": "nemo_agent", "id": format!("ev-{n}-4"), "errorCode": "MODEL_RETURNED_NO_CONTENT", "errorMessage": "The model returned no content."}).to_string(),
        )),
        Some(SilentEnding::FunctionResponse) => {}
    }
    Reply { payloads: out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edits_from_messages() {
        let empty = json!({"t": []});
        assert_eq!(
            edit_for("make a 30-second city timelapse with lo-fi music", &empty),
            Some(Edit::AddVideo {
                title: "city timelapse".into(),
                seconds: 30
            })
        );
        let mut d = empty.clone();
        apply(
            &Edit::AddVideo {
                title: "x".into(),
                seconds: 10,
            },
            &mut d,
        );
        assert_eq!(
            edit_for("add lo-fi music", &d),
            Some(Edit::AddMusic {
                title: "Lo-fi".into(),
                volume: 0.35
            })
        );
        assert_eq!(
            edit_for("add the title \"Urban Dreams\"", &d),
            Some(Edit::AddTitle {
                text: "Urban Dreams".into()
            })
        );
        assert_eq!(
            edit_for("make it 20 seconds longer", &d),
            Some(Edit::Retime { seconds: 20 })
        );
        assert_eq!(
            edit_for("加上音乐", &d),
            Some(Edit::AddMusic {
                title: "Background music".into(),
                volume: 0.35
            })
        );
        apply(
            &Edit::AddMusic {
                title: "Lo-fi".into(),
                volume: 0.35,
            },
            &mut d,
        );
        assert_eq!(
            edit_for("music volume 50%", &d),
            Some(Edit::Volume { volume: 0.5 })
        );
        assert_eq!(edit_for("hello there", &d), None);
    }

    #[test]
    fn applied_edits_read_back_through_the_core() {
        let mut d = json!({"t": []});
        apply(
            &Edit::AddVideo {
                title: "city timelapse".into(),
                seconds: 10,
            },
            &mut d,
        );
        apply(
            &Edit::AddMusic {
                title: "Lo-fi".into(),
                volume: 0.35,
            },
            &mut d,
        );
        apply(
            &Edit::AddTitle {
                text: "Urban Dreams".into(),
            },
            &mut d,
        );
        assert_eq!(
            crate::core::draft::summarize(&d),
            "Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: \"Urban Dreams\" (0-3s)"
        );
        apply(&Edit::Retime { seconds: 12 }, &mut d);
        apply(&Edit::Volume { volume: 0.5 }, &mut d);
        assert!(crate::core::draft::summarize(&d).contains("BGM: Lo-fi (0-12s, 50%)"));
    }
}
