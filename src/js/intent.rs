//! The routing and wording exports: what a user's text asks for, and the package's version.

use wasm_bindgen::prelude::*;

use crate::core::intent;

/// Routes user text: `"export" | "credits" | "state" | "upload" | "chat"`.
#[wasm_bindgen(js_name = classifyIntent, unchecked_return_type = "\"export\" | \"credits\" | \"state\" | \"upload\" | \"chat\"")]
pub fn classify_intent(text: &str) -> String {
    intent::classify(text).as_str().to_owned()
}

/// The package version.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
