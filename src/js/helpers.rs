//! Small pure exports: intent routing and timeline summaries.

use wasm_bindgen::prelude::*;

use super::error::to_js;
use crate::core::error::NemoError;
use crate::core::{draft, intent};

/// Routes user text: `"export" | "credits" | "state" | "upload" | "chat"`.
#[wasm_bindgen(js_name = classifyIntent, unchecked_return_type = "\"export\" | \"credits\" | \"state\" | \"upload\" | \"chat\"")]
pub fn classify_intent(text: &str) -> String {
    intent::classify(text).as_str().to_owned()
}

/// Reads a draft given as an object or as JSON text.
pub fn draft_value(draft: &JsValue) -> Result<serde_json::Value, JsValue> {
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
    serde_wasm_bindgen::from_value(draft.clone()).map_err(|_| {
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

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
