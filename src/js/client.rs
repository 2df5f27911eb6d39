//! `NemoClient` for JS: reads options, calls the driver (`web::client`), converts results.
//! Every method returns a Promise that rejects with a `NemoError`; nothing throws
//! synchronously except the constructor on bad options.

use std::rc::Rc;

use js_sys::{Array, Promise};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::Blob;

use super::error::to_js;
use super::options as opt;
use crate::core::error::NemoError;
use crate::core::gui::GuiAction;
use crate::core::options::RawOptions;
use crate::web::cancel::Cancel;
use crate::web::client::{ExportDoneJs, Inner, UploadInput};
use crate::web::host;
use crate::web::http::Fetcher;
use crate::web::storage::Storage;

#[wasm_bindgen(typescript_custom_section)]
const TS_CLIENT: &str = r#"
/** Something with the Web Storage methods (localStorage, a Map wrapper, ...). */
export interface NemoStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** Options of `new NemoClient()`; every one has a default. */
export interface NemoClientOptions {
  /** API base URL, or a same-origin path such as "/api-proxy". Default "https://mega-api-prod.nemovideo.ai". */
  baseUrl?: string;
  /** A configured token (NEMO_TOKEN). Without it an anonymous token is acquired. */
  token?: string;
  /** X-Client-Id; default the stored one, else a new UUID v4. */
  clientId?: string;
  /** Session language, default "en". */
  language?: string;
  /** X-Skill-Source, default "colab-text-to-video". */
  skillSource?: string;
  /** X-Skill-Version, default the package version. */
  skillVersion?: string;
  /** X-Skill-Platform, default "unknown". */
  platform?: string;
  /** Where client id, token, session and pending render ids live; default localStorage where it exists; null: memory. */
  storage?: NemoStorage | null;
  /** The fetch to use; default globalThis.fetch. */
  fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Export poll period, default 30000. */
  pollIntervalMs?: number;
  /** 429 wait without Retry-After, default 30000 (a Retry-After wins, capped at 5 min). */
  rateLimitWaitMs?: number;
  /** First state poll after a dropped stream, default 30000; later polls at twice that. */
  dropPollMs?: number;
  /** "Still working" period, default 120000. */
  stillWorkingMs?: number;
  /** Time without a real event before a chat times out, default 600000. */
  heartbeatOnlyTimeoutMs?: number;
  /** Time in all before a chat times out, default 900000. */
  chatTimeoutMs?: number;
  /** Time before an export is cancelled, default 600000. */
  exportTimeoutMs?: number;
  /** Time for one REST request's response, default 60000. */
  requestTimeoutMs?: number;
}

/** What the user sees during a turn; `done` is always last. */
export type ChatEvent =
  | { type: "status"; text: string }
  | { type: "text"; text: string; partial: boolean }
  | { type: "still_working"; text: string; elapsedMs: number }
  | { type: "tool_call"; name: string }
  | { type: "tool_result"; name: string }
  | { type: "changes"; summary: string }
  | { type: "action"; action: "export" | "upload" | "credits" | "state" | "edit" | "timeline" }
  | { type: "done" };

export interface CallOptions { signal?: AbortSignal }
export interface ConnectOptions extends CallOptions { onEvent?: (e: ChatEvent) => void }
export interface ChatOptions extends CallOptions { onEvent?: (e: ChatEvent) => void }

export interface ChatResult {
  /** The turn's messages joined with a blank line. */
  text: string;
  actions: Array<"export" | "upload" | "credits" | "state" | "edit" | "timeline">;
  /** The change summary when the timeline changed. */
  changes: string | null;
}

export interface Credits { available: number; frozen: number; total: number }

export interface SessionState {
  draft: object | null;
  summary: string;
  ready: boolean;
  raw: object;
}

export interface UploadProgress { file: string; loaded: number; total: number; done: boolean }
export interface UploadOptions extends CallOptions { onProgress?: (p: UploadProgress) => void }

export interface UploadedFile {
  filename: string;
  kind: "video" | "image" | "audio" | "text";
  fileType?: string;
  cdnUrl?: string;
  duration?: number;
  width?: number;
  height?: number;
  fps?: number;
  hash?: string;
  /** A plain-text file's content, offered as the prompt instead of being uploaded. */
  prompt?: string;
}

export interface ExportProgress {
  id: string;
  status: "pending" | "processing" | "completed" | "failed";
  percent?: number;
  /** Set on a failed resumed job. */
  error?: NemoError;
}
export interface ExportOptions extends CallOptions { onProgress?: (p: ExportProgress) => void; draft?: object }
export interface ExportResult { id: string; url: string; blob?: Blob }

export interface Reply {
  intent: "export" | "credits" | "state" | "upload" | "chat";
  text: string;
  url?: string;
}

/** Thrown (rejected) by every call. */
export interface NemoError extends Error {
  name: "NemoError";
  code: number | string;
  kind: "auth" | "session" | "credits" | "file_type" | "file_size" | "plan" | "rate_limit" | "network" | "timeout" | "aborted" | "protocol" | "server" | "refused";
  retryable: boolean;
  userMessage: string;
  bindUrl?: string;
  retryAfterMs?: number;
}
"#;

#[wasm_bindgen]
extern "C" {
    /// TS: `NemoClientOptions`.
    #[wasm_bindgen(typescript_type = "NemoClientOptions")]
    pub type NemoClientOptions;
    /// TS: `ConnectOptions`.
    #[wasm_bindgen(typescript_type = "ConnectOptions")]
    pub type ConnectOptions;
    /// TS: `ChatOptions`.
    #[wasm_bindgen(typescript_type = "ChatOptions")]
    pub type ChatOptions;
    /// TS: `CallOptions`.
    #[wasm_bindgen(typescript_type = "CallOptions")]
    pub type CallOptions;
    /// TS: `UploadOptions`.
    #[wasm_bindgen(typescript_type = "UploadOptions")]
    pub type UploadOptions;
    /// TS: `ExportOptions`.
    #[wasm_bindgen(typescript_type = "ExportOptions")]
    pub type ExportOptions;
}

/// The NemoVideo client.
#[wasm_bindgen(js_name = NemoClient)]
pub struct JsNemoClient {
    inner: Rc<Inner>,
}

fn opts_of<T: JsCast>(o: Option<T>) -> JsValue {
    o.map_or(JsValue::UNDEFINED, Into::into)
}

fn read_options(o: &JsValue) -> Result<(RawOptions, Option<js_sys::Function>, JsValue), NemoError> {
    let o = opt::object(o, "NemoClient options")?;
    let raw = RawOptions {
        base_url: opt::string(&o, "baseUrl")?,
        token: opt::string(&o, "token")?,
        client_id: opt::string(&o, "clientId")?,
        language: opt::string(&o, "language")?,
        skill_source: opt::string(&o, "skillSource")?,
        skill_version: opt::string(&o, "skillVersion")?,
        platform: opt::string(&o, "platform")?,
        poll_interval_ms: opt::number(&o, "pollIntervalMs")?,
        rate_limit_wait_ms: opt::number(&o, "rateLimitWaitMs")?,
        drop_poll_ms: opt::number(&o, "dropPollMs")?,
        still_working_ms: opt::number(&o, "stillWorkingMs")?,
        heartbeat_only_timeout_ms: opt::number(&o, "heartbeatOnlyTimeoutMs")?,
        chat_timeout_ms: opt::number(&o, "chatTimeoutMs")?,
        export_timeout_ms: opt::number(&o, "exportTimeoutMs")?,
        request_timeout_ms: opt::number(&o, "requestTimeoutMs")?,
    };
    Ok((raw, opt::function(&o, "fetch")?, host::get(&o, "storage")))
}

/// Runs an async body as a Promise, converting its error.
fn promise<F>(f: F) -> Promise
where
    F: std::future::Future<Output = Result<JsValue, NemoError>> + 'static,
{
    future_to_promise(async move { f.await.map_err(|e| to_js(&e)) })
}

fn js_value(v: &Value) -> JsValue {
    use serde::Serialize;
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap_or(JsValue::NULL)
}

fn export_to_js(d: &ExportDoneJs) -> JsValue {
    let o = host::object(&[
        ("id", JsValue::from_str(&d.id)),
        ("url", JsValue::from_str(&d.url)),
    ]);
    if let Some(b) = &d.blob {
        host::set(&o, "blob", b);
    }
    o
}

fn actions_to_js(actions: &[GuiAction]) -> JsValue {
    actions
        .iter()
        .map(|a| JsValue::from_str(a.as_str()))
        .collect::<Array>()
        .into()
}

fn upload_input(input: &JsValue) -> Result<UploadInput, NemoError> {
    if let Some(b) = input.dyn_ref::<Blob>() {
        return Ok(UploadInput::Files(vec![b.clone()]));
    }
    if Array::is_array(input) {
        let arr: &Array = input.unchecked_ref();
        let blobs: Option<Vec<Blob>> = arr.iter().map(|v| v.dyn_into::<Blob>().ok()).collect();
        return blobs
            .map(UploadInput::Files)
            .ok_or_else(|| NemoError::refused("BAD_INPUT", "upload() takes Blobs or Files"));
    }
    let urls = host::get(input, "urls");
    if Array::is_array(&urls) {
        let arr: Array = urls.unchecked_into();
        let urls: Option<Vec<String>> = arr.iter().map(|v| v.as_string()).collect();
        return urls
            .map(UploadInput::Urls)
            .ok_or_else(|| NemoError::refused("BAD_INPUT", "urls must be strings"));
    }
    // A FileList (from <input type=file>) is array-like.
    if let Some(len) = host::get(input, "length").as_f64() {
        let blobs: Option<Vec<Blob>> = (0..len as u32)
            .map(|i| {
                js_sys::Reflect::get_u32(input, i)
                    .ok()?
                    .dyn_into::<Blob>()
                    .ok()
            })
            .collect();
        if let Some(b) = blobs {
            return Ok(UploadInput::Files(b));
        }
    }
    Err(NemoError::refused(
        "BAD_INPUT",
        "upload() takes a Blob, a File, an array of them, a FileList or { urls }",
    ))
}

/// The common arguments of a call: its options object, its `signal` and its callback.
struct Args {
    o: JsValue,
    cancel: Cancel,
    callback: Option<js_sys::Function>,
}

fn args(o: &JsValue, what: &str, callback: &str) -> Result<Args, NemoError> {
    let o = opt::object(o, what)?;
    Ok(Args {
        cancel: Cancel::new(opt::signal(&o)?),
        callback: opt::function(&o, callback)?,
        o,
    })
}

fn text_arg(text: &JsValue) -> Result<String, NemoError> {
    text.as_string()
        .ok_or_else(|| NemoError::refused("BAD_INPUT", "the message must be a string"))
}

#[wasm_bindgen(js_class = NemoClient)]
impl JsNemoClient {
    /// `new NemoClient(options?)`; throws a `NemoError` on bad options.
    #[wasm_bindgen(constructor)]
    pub fn new(options: Option<NemoClientOptions>) -> Result<JsNemoClient, JsValue> {
        let build = || -> Result<JsNemoClient, NemoError> {
            let (raw, fetch, storage) = read_options(&opts_of(options))?;
            let opts = raw.validate()?;
            Ok(JsNemoClient {
                inner: Inner::new(opts, Fetcher::new(fetch)?, Storage::from_option(&storage)?),
            })
        };
        build().map_err(|e| to_js(&e))
    }

    /// The session id once connected (a string: it is a 19-digit number).
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> Option<String> {
        self.inner.session_id()
    }

    /// Gets a token (configured or anonymous) and a session; emits "Connecting...".
    #[wasm_bindgen(unchecked_return_type = "Promise<{ sessionId: string; anonymous: boolean }>")]
    pub fn connect(&self, opts: Option<ConnectOptions>) -> Promise {
        let inner = self.inner.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "connect options", "onEvent")?;
            let c = inner.connect(&a.cancel, a.callback.as_ref()).await?;
            Ok(host::object(&[
                ("sessionId", JsValue::from_str(&c.session_id)),
                ("anonymous", JsValue::from_bool(c.anonymous)),
            ]))
        })
    }

    /// One chat turn, streamed to `onEvent`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ChatResult>")]
    pub fn chat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        opts: Option<ChatOptions>,
    ) -> Promise {
        let inner = self.inner.clone();
        let o = opts_of(opts);
        promise(async move {
            let text = text_arg(&text)?;
            let a = args(&o, "chat options", "onEvent")?;
            let r = inner.chat(&text, a.callback.as_ref(), &a.cancel).await?;
            Ok(host::object(&[
                ("text", JsValue::from_str(&r.text)),
                ("actions", actions_to_js(&r.actions)),
                (
                    "changes",
                    r.changes
                        .as_deref()
                        .map_or(JsValue::NULL, JsValue::from_str),
                ),
            ]))
        })
    }

    /// The credit balance.
    #[wasm_bindgen(unchecked_return_type = "Promise<Credits>")]
    pub fn credits(&self, opts: Option<CallOptions>) -> Promise {
        let inner = self.inner.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "options", "onProgress")?;
            let c = inner.credits(&a.cancel).await?;
            Ok(host::object(&[
                ("available", JsValue::from_f64(c.available)),
                ("frozen", JsValue::from_f64(c.frozen)),
                ("total", JsValue::from_f64(c.total)),
            ]))
        })
    }

    /// The session state: draft, timeline summary, ready flag and the raw data.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionState>")]
    pub fn state(&self, opts: Option<CallOptions>) -> Promise {
        let inner = self.inner.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "options", "onProgress")?;
            let s = inner.state(&a.cancel).await?;
            Ok(host::object(&[
                ("draft", s.draft.as_ref().map_or(JsValue::NULL, js_value)),
                ("summary", JsValue::from_str(&s.summary)),
                ("ready", JsValue::from_bool(s.ready)),
                ("raw", js_value(&s.raw)),
            ]))
        })
    }

    /// Uploads files (checked first) or URLs.
    #[wasm_bindgen(unchecked_return_type = "Promise<UploadedFile[]>")]
    pub fn upload(
        &self,
        #[wasm_bindgen(
            unchecked_param_type = "Blob | File | Blob[] | FileList | { urls: string[] }"
        )]
        input: JsValue,
        opts: Option<UploadOptions>,
    ) -> Promise {
        let inner = self.inner.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "upload options", "onProgress")?;
            let files = inner
                .upload(upload_input(&input)?, a.callback.as_ref(), &a.cancel)
                .await?;
            let out = Array::new();
            for u in files {
                let f = &u.file;
                let o = host::object(&[
                    ("filename", JsValue::from_str(&f.filename)),
                    ("kind", JsValue::from_str(u.kind)),
                ]);
                let opt_str = |k: &str, v: &Option<String>| {
                    if let Some(v) = v {
                        host::set(&o, k, &JsValue::from_str(v));
                    }
                };
                opt_str("fileType", &f.file_type);
                opt_str("cdnUrl", &f.cdn_url);
                opt_str("hash", &f.hash);
                opt_str("prompt", &u.prompt);
                for (k, v) in [
                    ("duration", f.duration),
                    ("width", f.width),
                    ("height", f.height),
                    ("fps", f.fps),
                ] {
                    if let Some(v) = v {
                        host::set(&o, k, &JsValue::from_f64(v));
                    }
                }
                out.push(&o);
            }
            Ok(out.into())
        })
    }

    /// Exports the video: submit, poll with progress, the URL (or a fallback download).
    #[wasm_bindgen(unchecked_return_type = "Promise<ExportResult>")]
    pub fn export(&self, opts: Option<ExportOptions>) -> Promise {
        let inner = self.inner.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "export options", "onProgress")?;
            let draft =
                match host::get(&a.o, "draft") {
                    v if v.is_undefined() || v.is_null() => None,
                    v => Some(super::helpers::draft_value(&v).map_err(|_| {
                        NemoError::refused("BAD_DRAFT", "draft must be a JSON object")
                    })?),
                };
            let d = inner.export(draft, a.callback.as_ref(), &a.cancel).await?;
            Ok(export_to_js(&d))
        })
    }

    /// Finishes the render jobs a closed tab or a crashed worker left behind.
    #[wasm_bindgen(js_name = resumeExports, unchecked_return_type = "Promise<ExportResult[]>")]
    pub fn resume_exports(&self, opts: Option<ExportOptions>) -> Promise {
        let inner = self.inner.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "options", "onProgress")?;
            let done = inner.resume_exports(a.callback.as_ref(), &a.cancel).await?;
            Ok(done.iter().map(export_to_js).collect::<Array>().into())
        })
    }

    /// Routes the text by intent and does it: the whole workflow behind one call.
    #[wasm_bindgen(unchecked_return_type = "Promise<Reply>")]
    pub fn handle(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        opts: Option<ChatOptions>,
    ) -> Promise {
        let inner = self.inner.clone();
        let o = opts_of(opts);
        promise(async move {
            let text = text_arg(&text)?;
            let a = args(&o, "options", "onEvent")?;
            let r = inner.handle(&text, a.callback.as_ref(), &a.cancel).await?;
            let o = host::object(&[
                ("intent", JsValue::from_str(r.intent.as_str())),
                ("text", JsValue::from_str(&r.text)),
            ]);
            if let Some(u) = r.url {
                host::set(&o, "url", &JsValue::from_str(&u));
            }
            Ok(o)
        })
    }
}
