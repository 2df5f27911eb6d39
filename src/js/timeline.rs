//! The timeline exports: summaries, diffs, the ready rule and the tracks for drawing, each
//! from a draft given as an object or as JSON text.

use wasm_bindgen::prelude::*;

use super::error::to_js;
use crate::core::draft;
use crate::core::error::NemoError;

/// Reads a draft given as an object or as JSON text.
pub(crate) fn draft_value(draft: &JsValue) -> Result<serde_json::Value, JsValue> {
    if let Some(s) = draft.as_string() {
        return serde_json::from_str(&s).map_err(|_| {
            to_js(&NemoError::refused(
                "BAD_DRAFT",
                "the draft text is not JSON",
            ))
        });
    }
    if draft.is_undefined() || draft.is_null() {
        return Ok(serde_json::Value::Null);
    }
    let bad = || {
        to_js(&NemoError::refused(
            "BAD_DRAFT",
            "the draft is not a plain JSON object",
        ))
    };
    let text = js_sys::JSON::stringify(draft)
        .ok()
        .and_then(|t| t.as_string())
        .ok_or_else(bad)?;
    serde_json::from_str(&text).map_err(|_| bad())
}

/// A draft given as an object (its `JSON.stringify` text) or as JSON text, as text.
pub(crate) fn draft_text(draft: &JsValue) -> Result<String, JsValue> {
    if let Some(s) = draft.as_string() {
        return Ok(s);
    }
    js_sys::JSON::stringify(draft)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            to_js(&NemoError::refused(
                "BAD_DRAFT",
                "the draft is not a plain JSON object",
            ))
        })
}

/// The seed's one-line timeline summary of a draft (object or JSON text).
#[wasm_bindgen(js_name = summarizeTimeline)]
pub fn summarize_timeline(
    #[wasm_bindgen(unchecked_param_type = "object | string")] draft: JsValue,
) -> Result<String, JsValue> {
    Ok(draft::summarize(&draft_value(&draft)?))
}

/// What changed between two drafts, one line per change (empty when nothing did).
#[wasm_bindgen(js_name = diffTimelines)]
pub fn diff_timelines(
    #[wasm_bindgen(unchecked_param_type = "object | string | null")] before: JsValue,
    #[wasm_bindgen(unchecked_param_type = "object | string | null")] after: JsValue,
) -> Result<Vec<String>, JsValue> {
    Ok(draft::diff(&draft_value(&before)?, &draft_value(&after)?))
}

/// Whether a draft is ready to export (a track with at least one segment).
#[wasm_bindgen(js_name = isReadyToExport)]
pub fn is_ready_to_export(
    #[wasm_bindgen(unchecked_param_type = "object | string")] draft: JsValue,
) -> Result<bool, JsValue> {
    Ok(draft::is_ready(&draft_value(&draft)?))
}

/// The decoded timeline for drawing: `{ durationMs, tracks: [{ kind, label, startMs, endMs,
/// volume? }] }` (kind `video`, `audio`, `text` or `other`), read as tolerantly as the summary.
#[wasm_bindgen(
    js_name = describeTimeline,
    unchecked_return_type = "{ durationMs: number; tracks: { kind: \"video\" | \"audio\" | \"text\" | \"other\"; label: string | null; startMs: number; endMs: number; volume?: number; segments: number }[] }"
)]
pub fn describe_timeline(
    #[wasm_bindgen(unchecked_param_type = "object | string | null")] draft: JsValue,
) -> Result<JsValue, JsValue> {
    use crate::core::draft::TrackKind;
    use crate::web::host;
    let tl = draft::timeline(&draft_value(&draft)?);
    let tracks = js_sys::Array::new();
    let mut end_all: f64 = 0.0;
    for t in &tl.tracks {
        let (start, end) = t.span().unwrap_or((0.0, 0.0));
        end_all = end_all.max(end);
        let kind = match t.kind {
            TrackKind::Video => "video",
            TrackKind::Audio => "audio",
            TrackKind::Text => "text",
            TrackKind::Other(_) => "other",
        };
        let o = host::object(&[
            ("kind", JsValue::from_str(kind)),
            (
                "label",
                t.display_label().map_or(JsValue::NULL, JsValue::from_str),
            ),
            ("startMs", JsValue::from_f64(start)),
            ("endMs", JsValue::from_f64(end)),
            ("segments", JsValue::from_f64(t.segments.len() as f64)),
        ]);
        if let Some(v) = t.display_volume() {
            host::set(&o, "volume", &JsValue::from_f64(v));
        }
        tracks.push(&o);
    }
    let duration = tl.duration_ms.unwrap_or(0.0).max(end_all);
    Ok(host::object(&[
        ("durationMs", JsValue::from_f64(duration)),
        ("tracks", tracks.into()),
    ]))
}
