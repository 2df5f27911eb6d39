//! The jobs kept in storage so a reload (or another client on the same storage) can resume
//! them: their stored form, read tolerantly.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::core::api::is_valid_id;

/// A job worth resuming after a reload; stored as JSON by the shell.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRender {
    /// Render id.
    pub id: String,
    /// The session it belongs to.
    #[serde(rename = "sessionId")]
    pub session_id: String,
    /// When it was submitted, unix ms.
    #[serde(rename = "startedAt")]
    pub started_at: u64,
}

/// Reads the stored list; anything malformed is dropped, never fatal.
pub fn decode_pending(stored: &str) -> Vec<PendingRender> {
    let Ok(Value::Array(items)) = serde_json::from_str::<Value>(stored) else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|v| serde_json::from_value::<PendingRender>(v).ok())
        .filter(|p| is_valid_id(&p.id) && is_valid_id(&p.session_id))
        .collect()
}

/// Writes the list for storage.
pub fn encode_pending(list: &[PendingRender]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".to_owned())
}
