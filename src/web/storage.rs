//! Where the client keeps its client id, token, session and pending render ids.
//!
//! The `storage` option (anything with `getItem`/`setItem`/`removeItem`), or by default
//! `globalThis.localStorage` where the runtime has one and it works, else memory. Storage
//! failures (quota, private mode) are not errors: the client goes on without persisting.

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use super::host;
use crate::core::error::NemoError;

/// A key-value store.
pub enum Storage {
    /// A JS object with the Web Storage methods.
    Js(JsValue),
    /// In memory, for this client only.
    Memory(RefCell<HashMap<String, String>>),
}

fn method(obj: &JsValue, name: &str) -> Option<Function> {
    host::get(obj, name).dyn_into().ok()
}

fn is_storage(obj: &JsValue) -> bool {
    obj.is_object()
        && ["getItem", "setItem", "removeItem"]
            .iter()
            .all(|m| method(obj, m).is_some())
}

impl Storage {
    /// From the option: `undefined` → localStorage or memory; `null` → memory; an object with
    /// the three methods → that object; anything else → an error.
    pub fn from_option(opt: &JsValue) -> Result<Self, NemoError> {
        if opt.is_null() {
            return Ok(Self::memory());
        }
        if opt.is_undefined() {
            // Reading localStorage may throw (sandboxed frames); Node has none.
            let ls = js_sys::Reflect::get(&host::global(), &JsValue::from_str("localStorage"))
                .unwrap_or(JsValue::UNDEFINED);
            return Ok(if is_storage(&ls) {
                Storage::Js(ls)
            } else {
                Self::memory()
            });
        }
        if is_storage(opt) {
            Ok(Storage::Js(opt.clone()))
        } else {
            Err(NemoError::refused(
                "BAD_OPTION",
                "storage must have getItem, setItem and removeItem, or be null",
            ))
        }
    }

    fn memory() -> Self {
        Storage::Memory(RefCell::new(HashMap::new()))
    }

    /// The stored value.
    pub fn get(&self, key: &str) -> Option<String> {
        match self {
            Storage::Js(o) => method(o, "getItem")?
                .call1(o, &JsValue::from_str(key))
                .ok()?
                .as_string(),
            Storage::Memory(m) => m.borrow().get(key).cloned(),
        }
    }

    /// Stores a value (failures ignored).
    pub fn set(&self, key: &str, value: &str) {
        match self {
            Storage::Js(o) => {
                if let Some(f) = method(o, "setItem") {
                    let _ = f.call2(o, &JsValue::from_str(key), &JsValue::from_str(value));
                }
            }
            Storage::Memory(m) => {
                m.borrow_mut().insert(key.to_owned(), value.to_owned());
            }
        }
    }

    /// Removes a value (failures ignored).
    pub fn remove(&self, key: &str) {
        match self {
            Storage::Js(o) => {
                if let Some(f) = method(o, "removeItem") {
                    let _ = f.call1(o, &JsValue::from_str(key));
                }
            }
            Storage::Memory(m) => {
                m.borrow_mut().remove(key);
            }
        }
    }
}
