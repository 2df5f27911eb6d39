//! The client's results and events as JS values: the one place a Rust value of the client
//! becomes the plain object DESIGN.md (and the TypeScript declarations) describe.

use js_sys::Array;
use serde_json::Value;
use wasm_bindgen::JsValue;

use super::error::to_js;
use crate::core::api::Credits;
use crate::core::chat::{ChatEvent, ChatResult};
use crate::core::render::ExportProgress;
use crate::core::upload::UploadProgress;
use crate::web::client::{Connected, FinishedExport, Reply, StateInfo, Uploaded};
use crate::web::host::{object, set};

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

fn n(v: f64) -> JsValue {
    JsValue::from_f64(v)
}

/// JSON as a plain JS value (`null` when it cannot be).
pub(crate) fn json(v: &Value) -> JsValue {
    // Written once and parsed by the engine's own JSON.parse: smaller than a serializer to JS
    // values in the wasm, and as fast for the few values that cross (drafts, raw state).
    js_sys::JSON::parse(&v.to_string()).unwrap_or(JsValue::NULL)
}

/// A `ChatEvent`.
pub(crate) fn chat_event(e: &ChatEvent) -> JsValue {
    match e {
        ChatEvent::Status { text } => object(&[("type", s("status")), ("text", s(text))]),
        ChatEvent::Text { text, partial } => object(&[
            ("type", s("text")),
            ("text", s(text)),
            ("partial", JsValue::from_bool(*partial)),
        ]),
        ChatEvent::StillWorking { elapsed_ms } => object(&[
            ("type", s("still_working")),
            ("text", s("⏳ Still working...")),
            ("elapsedMs", n(*elapsed_ms as f64)),
        ]),
        ChatEvent::ToolCall { name } => object(&[("type", s("tool_call")), ("name", s(name))]),
        ChatEvent::ToolResult { name } => object(&[("type", s("tool_result")), ("name", s(name))]),
        ChatEvent::Changes { summary } => {
            object(&[("type", s("changes")), ("summary", s(summary))])
        }
        ChatEvent::Action { action } => {
            object(&[("type", s("action")), ("action", s(action.as_str()))])
        }
        ChatEvent::Done => object(&[("type", s("done"))]),
    }
}

/// An `ExportProgress`.
pub(crate) fn export_progress(p: &ExportProgress) -> JsValue {
    let o = object(&[("id", s(&p.id)), ("status", s(p.status))]);
    if let Some(pct) = p.percent {
        set(&o, "percent", &n(pct));
    }
    if let Some(e) = &p.error {
        set(&o, "error", &to_js(e));
    }
    o
}

/// An `UploadProgress`.
pub(crate) fn upload_progress(p: &UploadProgress) -> JsValue {
    object(&[
        ("file", s(&p.file)),
        ("loaded", n(p.loaded)),
        ("total", n(p.total)),
        ("done", JsValue::from_bool(p.done)),
    ])
}

/// `{ sessionId, anonymous }`.
pub(crate) fn connected(c: &Connected) -> JsValue {
    object(&[
        ("sessionId", s(&c.session_id)),
        ("anonymous", JsValue::from_bool(c.anonymous)),
    ])
}

/// A `ChatResult`.
pub(crate) fn chat_result(r: &ChatResult) -> JsValue {
    let actions: Array = r.actions.iter().map(|a| s(a.as_str())).collect();
    let requests: Array = r.requests.iter().map(|q| s(q)).collect();
    object(&[
        ("text", s(&r.text)),
        ("actions", actions.into()),
        ("requests", requests.into()),
        ("changes", r.changes.as_deref().map_or(JsValue::NULL, s)),
    ])
}

/// `Credits`.
pub(crate) fn credits(c: &Credits) -> JsValue {
    object(&[
        ("available", n(c.available)),
        ("frozen", n(c.frozen)),
        ("total", n(c.total)),
    ])
}

/// A `SessionState`.
pub(crate) fn state(st: &StateInfo) -> JsValue {
    object(&[
        ("draft", draft(st)),
        ("summary", s(&st.summary)),
        ("ready", JsValue::from_bool(st.ready)),
        ("raw", json(&st.raw)),
    ])
}

/// The draft for JS: parsed by `JSON.parse` from the server's own text (so its keys keep their
/// order; a draft sent as a JSON string is the object that string holds), else as read.
fn draft(st: &StateInfo) -> JsValue {
    let parse = |t: &str| js_sys::JSON::parse(t).ok();
    let from_text = st
        .draft_raw
        .as_ref()
        .and_then(|r| parse(r.get()))
        .and_then(|v| match v.as_string() {
            Some(inner) => parse(&inner),
            None => Some(v),
        });
    from_text
        .filter(|v| v.is_object())
        .unwrap_or_else(|| st.draft.as_ref().map_or(JsValue::NULL, json))
}

/// The `UploadedFile`s.
pub(crate) fn uploaded(files: &[Uploaded]) -> JsValue {
    let out = Array::new();
    for u in files {
        let f = &u.file;
        let o = object(&[("filename", s(&f.filename)), ("kind", s(u.kind))]);
        for (k, v) in [
            ("fileType", &f.file_type),
            ("cdnUrl", &f.cdn_url),
            ("hash", &f.hash),
            ("prompt", &u.prompt),
        ] {
            if let Some(v) = v {
                set(&o, k, &s(v));
            }
        }
        for (k, v) in [
            ("duration", f.duration),
            ("width", f.width),
            ("height", f.height),
            ("fps", f.fps),
        ] {
            if let Some(v) = v {
                set(&o, k, &n(v));
            }
        }
        out.push(&o);
    }
    out.into()
}

/// An `ExportResult`.
pub(crate) fn finished_export(d: &FinishedExport) -> JsValue {
    let o = object(&[("id", s(&d.id)), ("url", s(&d.url))]);
    if let Some(b) = &d.blob {
        set(&o, "blob", b);
    }
    o
}

/// A `Reply`.
pub(crate) fn reply(r: &Reply) -> JsValue {
    let notes: Array = r.notes.iter().map(|t| s(t)).collect();
    let o = object(&[
        ("intent", s(r.intent.as_str())),
        ("text", s(&r.text)),
        ("notes", notes.into()),
    ]);
    if let Some(u) = &r.url {
        set(&o, "url", &s(u));
    }
    if let Some(e) = &r.error {
        set(&o, "error", &to_js(e));
    }
    o
}
