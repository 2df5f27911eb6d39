//! Reading JS option objects: typed getters that turn a wrong type into a `NemoError`.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::AbortSignal;

use crate::core::error::NemoError;
use crate::web::host;

fn bad(name: &str, what: &str) -> NemoError {
    NemoError::refused("BAD_OPTION", format!("option {name} must be {what}"))
}

/// An options argument: `undefined`/`null` or an object.
pub fn object(opts: &JsValue, what: &str) -> Result<JsValue, NemoError> {
    if opts.is_undefined() || opts.is_null() {
        Ok(js_sys::Object::new().into())
    } else if opts.is_object() {
        Ok(opts.clone())
    } else {
        Err(NemoError::refused(
            "BAD_OPTION",
            format!("{what} must be an object"),
        ))
    }
}

fn field(opts: &JsValue, name: &str) -> Option<JsValue> {
    let v = host::get(opts, name);
    (!v.is_undefined() && !v.is_null()).then_some(v)
}

/// A string option.
pub fn string(opts: &JsValue, name: &str) -> Result<Option<String>, NemoError> {
    field(opts, name)
        .map(|v| v.as_string().ok_or_else(|| bad(name, "a string")))
        .transpose()
}

/// A boolean option.
pub fn boolean(opts: &JsValue, name: &str) -> Result<Option<bool>, NemoError> {
    field(opts, name)
        .map(|v| v.as_bool().ok_or_else(|| bad(name, "true or false")))
        .transpose()
}

/// A number option.
pub fn number(opts: &JsValue, name: &str) -> Result<Option<f64>, NemoError> {
    field(opts, name)
        .map(|v| v.as_f64().ok_or_else(|| bad(name, "a number")))
        .transpose()
}

/// A function option.
pub fn function(opts: &JsValue, name: &str) -> Result<Option<Function>, NemoError> {
    field(opts, name)
        .map(|v| {
            v.dyn_into::<Function>()
                .map_err(|_| bad(name, "a function"))
        })
        .transpose()
}

/// The `signal` option.
pub fn signal(opts: &JsValue) -> Result<Option<AbortSignal>, NemoError> {
    field(opts, "signal")
        .map(|v| {
            // Duck-typed: AbortSignal from another realm (or a polyfill) still works.
            if host::get(&v, "aborted").as_bool().is_some()
                && host::get(&v, "addEventListener").is_function()
            {
                Ok(v.unchecked_into::<AbortSignal>())
            } else {
                Err(bad("signal", "an AbortSignal"))
            }
        })
        .transpose()
}
