//! `NemoError` → a JS `Error`, the one conversion used by every export.
//!
//! The thrown value is a real `Error` (stack, `message`) with `name = "NemoError"` and the
//! stable fields of DESIGN.md: `code` (number or string), `kind`, `retryable`, `userMessage`,
//! `bindUrl` (or `undefined`), `retryAfterMs` (or `undefined`).

use js_sys::{Error, Reflect};
use wasm_bindgen::JsValue;

use crate::core::error::{ErrorCode, NemoError};

fn set(target: &JsValue, key: &str, value: JsValue) {
    // Setting a property on a fresh Error cannot fail; ignore the impossible case.
    let _ = Reflect::set(target, &JsValue::from_str(key), &value);
}

/// Converts a core error to the JS `NemoError`.
pub fn to_js(err: &NemoError) -> JsValue {
    let e = Error::new(&err.message);
    e.set_name("NemoError");
    let v: JsValue = e.into();
    let code = match &err.code {
        ErrorCode::Num(n) => JsValue::from_f64(*n as f64),
        ErrorCode::Text(s) => JsValue::from_str(s),
    };
    set(&v, "code", code);
    set(&v, "kind", JsValue::from_str(err.kind.as_str()));
    set(&v, "retryable", JsValue::from_bool(err.retryable));
    set(&v, "userMessage", JsValue::from_str(&err.user_message));
    set(
        &v,
        "bindUrl",
        err.bind_url
            .as_deref()
            .map_or(JsValue::UNDEFINED, JsValue::from_str),
    );
    set(
        &v,
        "retryAfterMs",
        err.retry_after_ms
            .map_or(JsValue::UNDEFINED, |ms| JsValue::from_f64(ms as f64)),
    );
    v
}

/// Sets an extra property on a converted error (e.g. the events a failed `push` still parsed).
pub fn with_property(err: JsValue, key: &str, value: JsValue) -> JsValue {
    set(&err, key, value);
    err
}
