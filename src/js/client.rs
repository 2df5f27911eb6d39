//! `NemoClient` for JS: reads options, calls the driver (`web::client`), converts results
//! (`values.rs`) and turns JS callbacks into the driver's Rust ones.
//! Every method returns a Promise that rejects with a `NemoError`; nothing throws
//! synchronously except the constructor on bad options.

use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_sys::Blob;

use super::error::to_js;
use super::options as opt;
use super::values;
use crate::core::chat::ChatEvent;
use crate::core::error::NemoError;
use crate::core::options::RawOptions;
use crate::core::render::ExportProgress;
use crate::core::upload::UploadProgress;
use crate::web::cancel::Cancel;
use crate::web::client::{Client, UploadInput};
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
  /** The proxy in front of the API adds the token (a worker holding NEMO_TOKEN): the client
   *  sends none and never asks for an anonymous one. Excludes `token`. */
  serverToken?: boolean;
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
  /** 429 wait without Retry-After, default 30000 (a Retry-After wins; one over 5 min is not waited for: the call rejects at once with retryAfterMs). */
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
  /** The chat requests equivalent to the agent's drag-and-drop instructions (handle() sends
   *  them as one follow-up turn). */
  requests: string[];
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

export interface HandleOptions extends ChatOptions {
  /** The progress of an export the text asked for, or the agent suggested. */
  onProgress?: (p: ExportProgress) => void;
}

export interface Reply {
  intent: "export" | "credits" | "state" | "upload" | "chat";
  /** The whole message: for a chat, the agent's text, what changed, then the notes. */
  text: string;
  /** What the client says beyond the streamed turn: the result of each action it carried
   *  out (for an intent other than chat, the whole message). */
  notes: string[];
  /** An action of the turn that failed (its userMessage is in `text`, not in `notes`). */
  error?: NemoError;
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
    /// TS: `HandleOptions`.
    #[wasm_bindgen(typescript_type = "HandleOptions")]
    pub type HandleOptions;
}

/// The NemoVideo client.
#[wasm_bindgen(js_name = NemoClient)]
pub struct JsNemoClient {
    client: Rc<Client>,
}

fn opts_of<T: JsCast>(o: Option<T>) -> JsValue {
    o.map_or(JsValue::UNDEFINED, Into::into)
}

fn read_options(o: &JsValue) -> Result<(RawOptions, Option<js_sys::Function>, JsValue), NemoError> {
    let o = opt::object(o, "NemoClient options")?;
    let raw = RawOptions {
        base_url: opt::string(&o, "baseUrl")?,
        token: opt::string(&o, "token")?,
        server_token: opt::boolean(&o, "serverToken")?,
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
    callback: Option<Function>,
}

/// A JS callback as the driver's Rust one: called with each value converted by `convert`;
/// what it throws is swallowed (user code never breaks a paid turn).
fn callback<T>(f: Option<Function>, convert: fn(&T) -> JsValue) -> impl Fn(&T) {
    move |v: &T| host::notify(f.as_ref(), &convert(v))
}

impl Args {
    /// The call's callback as the driver's Rust one.
    fn notify<T>(&self, convert: fn(&T) -> JsValue) -> impl Fn(&T) {
        callback(self.callback.clone(), convert)
    }
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
                client: Client::new(opts, Fetcher::new(fetch)?, Storage::from_option(&storage)?),
            })
        };
        build().map_err(|e| to_js(&e))
    }

    /// The session id once connected (a string: it is a 19-digit number).
    #[wasm_bindgen(getter, js_name = sessionId)]
    pub fn session_id(&self) -> Option<String> {
        self.client.session_id()
    }

    /// Gets a token (configured or anonymous) and a session; emits "Connecting...".
    #[wasm_bindgen(unchecked_return_type = "Promise<{ sessionId: string; anonymous: boolean }>")]
    pub fn connect(&self, opts: Option<ConnectOptions>) -> Promise {
        let client = self.client.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "connect options", "onEvent")?;
            let on_event = a.notify(values::chat_event);
            let c = client.connect(&a.cancel, Some(&on_event)).await?;
            Ok(values::connected(&c))
        })
    }

    /// One chat turn, streamed to `onEvent`.
    #[wasm_bindgen(unchecked_return_type = "Promise<ChatResult>")]
    pub fn chat(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        opts: Option<ChatOptions>,
    ) -> Promise {
        let client = self.client.clone();
        let o = opts_of(opts);
        promise(async move {
            let text = text_arg(&text)?;
            let a = args(&o, "chat options", "onEvent")?;
            let on_event = a.notify::<ChatEvent>(values::chat_event);
            let r = client.chat(&text, &on_event, &a.cancel).await?;
            Ok(values::chat_result(&r))
        })
    }

    /// The credit balance.
    #[wasm_bindgen(unchecked_return_type = "Promise<Credits>")]
    pub fn credits(&self, opts: Option<CallOptions>) -> Promise {
        let client = self.client.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "options", "onProgress")?;
            let c = client.credits(&a.cancel).await?;
            Ok(values::credits(&c))
        })
    }

    /// The session state: draft, timeline summary, ready flag and the raw data.
    #[wasm_bindgen(unchecked_return_type = "Promise<SessionState>")]
    pub fn state(&self, opts: Option<CallOptions>) -> Promise {
        let client = self.client.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "options", "onProgress")?;
            let s = client.state(None, &a.cancel).await?;
            Ok(values::state(&s))
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
        let client = self.client.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "upload options", "onProgress")?;
            let on_progress = a.notify::<UploadProgress>(values::upload_progress);
            let files = client
                .upload(upload_input(&input)?, &on_progress, &a.cancel)
                .await?;
            Ok(values::uploaded(&files))
        })
    }

    /// Exports the video: submit, poll with progress, the URL (or a fallback download).
    #[wasm_bindgen(unchecked_return_type = "Promise<ExportResult>")]
    pub fn export(&self, opts: Option<ExportOptions>) -> Promise {
        let client = self.client.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "export options", "onProgress")?;
            // The draft's own text (JSON.stringify keeps its key order): sent back as it is.
            let draft =
                match host::get(&a.o, "draft") {
                    v if v.is_undefined() || v.is_null() => None,
                    v => Some(super::timeline::draft_text(&v).map_err(|_| {
                        NemoError::refused("BAD_DRAFT", "draft must be a JSON object")
                    })?),
                };
            let on_progress = a.notify::<ExportProgress>(values::export_progress);
            let d = client.export(draft, &on_progress, &a.cancel).await?;
            Ok(values::finished_export(&d))
        })
    }

    /// Finishes the render jobs a closed tab or a crashed worker left behind.
    #[wasm_bindgen(js_name = resumeExports, unchecked_return_type = "Promise<ExportResult[]>")]
    pub fn resume_exports(&self, opts: Option<ExportOptions>) -> Promise {
        let client = self.client.clone();
        let o = opts_of(opts);
        promise(async move {
            let a = args(&o, "options", "onProgress")?;
            let on_progress = a.notify::<ExportProgress>(values::export_progress);
            let done = client.resume_exports(&on_progress, &a.cancel).await?;
            Ok(done
                .iter()
                .map(values::finished_export)
                .collect::<Array>()
                .into())
        })
    }

    /// Routes the text by intent and does it: the whole workflow behind one call.
    #[wasm_bindgen(unchecked_return_type = "Promise<Reply>")]
    pub fn handle(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
        opts: Option<HandleOptions>,
    ) -> Promise {
        let client = self.client.clone();
        let o = opts_of(opts);
        promise(async move {
            let text = text_arg(&text)?;
            let a = args(&o, "options", "onEvent")?;
            let on_event = a.notify::<ChatEvent>(values::chat_event);
            let on_progress = callback(opt::function(&a.o, "onProgress")?, values::export_progress);
            let r = client
                .handle(&text, &on_event, &on_progress, &a.cancel)
                .await?;
            Ok(values::reply(&r))
        })
    }
}
