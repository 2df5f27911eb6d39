//! The JS host: the global object, the clock, timers, UUIDs and small reflection helpers.

use js_sys::{Function, Reflect};
use wasm_bindgen::{JsCast, JsValue};

/// `globalThis`, whatever the runtime.
pub fn global() -> JsValue {
    js_sys::global().into()
}

/// Unix time in ms from the host's clock.
pub fn now_ms() -> u64 {
    js_sys::Date::now().max(0.0) as u64
}

/// `obj[key]`, or `undefined` when it cannot be read.
pub fn get(obj: &JsValue, key: &str) -> JsValue {
    // `undefined.x` throws; a caught exception costs a slot of the module's table of JS values
    // that is never given back (the soak found two per request where a binding was absent).
    if obj.is_undefined() || obj.is_null() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `obj[key] = value` (failures ignored: only used on objects we made).
pub fn set(obj: &JsValue, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// A global function by name (`setTimeout`, `fetch`, ...), if the host has it.
pub fn global_fn(name: &str) -> Option<Function> {
    get(&global(), name).dyn_into::<Function>().ok()
}

/// `setTimeout(f, ms, arg)`: `f` is called with `arg`.
pub fn set_timeout_with(f: &JsValue, ms: u64, arg: &JsValue) -> JsValue {
    match global_fn("setTimeout") {
        Some(st) => st
            .call3(&JsValue::UNDEFINED, f, &JsValue::from_f64(ms as f64), arg)
            .unwrap_or(JsValue::UNDEFINED),
        None => JsValue::UNDEFINED,
    }
}

/// `clearTimeout(handle)`.
pub fn clear_timeout(handle: &JsValue) {
    if let Some(ct) = global_fn("clearTimeout") {
        let _ = ct.call1(&JsValue::UNDEFINED, handle);
    }
}

/// 16 random bytes from the host's `crypto.getRandomValues` (a UUID v4: 122 of them random).
#[cfg(any(feature = "worker", feature = "simulator"))]
pub fn random_16() -> [u8; 16] {
    uuid::Uuid::new_v4().into_bytes()
}

/// A new UUID v4 from the host's `crypto.getRandomValues`.
pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A plain object from key/value pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o: JsValue = js_sys::Object::new().into();
    for (k, v) in pairs {
        set(&o, k, v);
    }
    o
}

/// Calls a user callback, swallowing what it throws: user code never breaks a paid turn.
pub fn notify(callback: Option<&Function>, value: &JsValue) {
    if let Some(f) = callback {
        let _ = f.call1(&JsValue::UNDEFINED, value);
    }
}

thread_local! {
    /// `() => {}`, made once. Never `new Function("")`: workerd (like a page with a strict CSP)
    /// forbids code from strings, and that throw would silently kill the task that made it.
    static NOOP: wasm_bindgen::closure::Closure<dyn Fn(JsValue)> =
        wasm_bindgen::closure::Closure::new(|_: JsValue| {});
}

/// Marks a promise's rejection as handled (`p.catch(() => {})`), so an expected rejection is
/// not reported as unhandled.
pub fn swallow(p: &js_sys::Promise) {
    if let Ok(catch) = get(p, "catch").dyn_into::<Function>() {
        NOOP.with(|noop| {
            let _ = catch.call1(p, noop.as_ref());
        });
    }
}
