//! `NemoClient` against the simulator inside a real JS engine: the same code in Node and, with
//! WASM_BINDGEN_USE_BROWSER=1, in headless Chromium (its fetch Response, ReadableStream,
//! AbortController and blob URLs).
#![cfg(all(target_arch = "wasm32", feature = "simulator"))]

use js_sys::{Array, Function, JSON, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::wasm_bindgen_test;

use nemo_video::js::client::JsNemoClient;
use nemo_video::js::sim::create_simulator;

fn obj(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn get(v: &JsValue, k: &str) -> JsValue {
    Reflect::get(v, &k.into()).unwrap()
}

fn setup(sim_opts: &str, client_opts: &str) -> (JsNemoClient, JsValue) {
    let sim = create_simulator(Some(obj(sim_opts).unchecked_into())).unwrap();
    let opts = obj(client_opts);
    Reflect::set(&opts, &"fetch".into(), &sim).unwrap();
    Reflect::set(&opts, &"storage".into(), &JsValue::NULL).unwrap();
    Reflect::set(&opts, &"baseUrl".into(), &"http://sim.test".into()).unwrap();
    (JsNemoClient::new(Some(opts.unchecked_into())).unwrap(), sim)
}

async fn wait(p: Promise) -> Result<JsValue, JsValue> {
    JsFuture::from(p).await
}

fn log(sim: &JsValue) -> Array {
    let f: Function = get(sim, "requests").unchecked_into();
    f.call0(sim).unwrap().unchecked_into()
}

const FAST: &str = r#"{"chunkDelayMs": 0, "workMs": 10, "heartbeatMs": 3, "renderPolls": 2}"#;

#[wasm_bindgen_test]
async fn connect_chat_state_export() {
    let (client, sim) = setup(FAST, r#"{"pollIntervalMs": 5}"#);
    let events = Array::new();
    let opts = js_sys::Object::new();
    let push = Function::new_with_args("e", "this.push(e)").bind0(&events);
    Reflect::set(&opts, &"onEvent".into(), &push).unwrap();
    let r = wait(client.chat(
        "make a 30-second city timelapse with lo-fi music".into(),
        Some(opts.unchecked_into()),
    ))
    .await
    .unwrap();
    assert!(get(&r, "text").as_string().unwrap().contains("Done!"));
    assert_eq!(
        get(&r, "changes").as_string().as_deref(),
        Some("Changed: Added Video: city timelapse (0-30s).")
    );
    let types: Vec<String> = events
        .iter()
        .map(|e| get(&e, "type").as_string().unwrap())
        .collect();
    assert_eq!(types.first().map(String::as_str), Some("status"));
    assert_eq!(types.last().map(String::as_str), Some("done"));
    assert!(
        types.iter().filter(|t| *t == "text").count() >= 4,
        "deltas and whole texts: {types:?}"
    );
    let s = wait(client.state(None)).await.unwrap();
    assert_eq!(get(&s, "ready").as_bool(), Some(true));
    let e = wait(client.export(None)).await.unwrap();
    assert_eq!(
        get(&e, "url").as_string().as_deref(),
        Some("http://sim.test/sim/video.mp4")
    );
    for entry in log(&sim).iter() {
        assert_eq!(Array::from(&get(&entry, "problems")).length(), 0);
    }
}

#[wasm_bindgen_test]
async fn still_working_then_abort_hangs_up() {
    let (client, sim) = setup(
        r#"{"faults": {"heartbeatsOnly": 1}, "heartbeatMs": 5}"#,
        r#"{"stillWorkingMs": 20}"#,
    );
    let ctl = web_sys::AbortController::new().unwrap();
    let events = Array::new();
    let opts = js_sys::Object::new();
    Reflect::set(
        &opts,
        &"onEvent".into(),
        &Function::new_with_args("e", "this.push(e)").bind0(&events),
    )
    .unwrap();
    Reflect::set(&opts, &"signal".into(), &ctl.signal()).unwrap();
    let p = client.chat("hello".into(), Some(opts.unchecked_into()));
    let abort_later = Function::new_with_args("ctl", "setTimeout(() => ctl.abort(), 400)");
    abort_later.call1(&JsValue::NULL, &ctl).unwrap();
    let err = wait(p).await.unwrap_err();
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("aborted"));
    assert!(
        events
            .iter()
            .any(|e| get(&e, "type").as_string().as_deref() == Some("still_working"))
    );
    let chat = log(&sim)
        .iter()
        .find(|e| get(e, "path").as_string().as_deref() == Some("/run_sse"))
        .unwrap();
    assert_eq!(get(&chat, "aborted").as_bool(), Some(true));
}

#[wasm_bindgen_test]
async fn fallback_download_gives_a_blob_url() {
    let (client, _) = setup(
        r#"{"chunkDelayMs": 0, "workMs": 5, "renderPolls": 1, "renderForm": "none"}"#,
        r#"{"pollIntervalMs": 5}"#,
    );
    wait(client.chat("make a video of the sea".into(), None))
        .await
        .unwrap();
    let e = wait(client.export(None)).await.unwrap();
    assert!(get(&e, "url").as_string().unwrap().starts_with("blob:"));
    assert_eq!(get(&get(&e, "blob"), "size").as_f64(), Some(24.0));
}

async fn chat_ok(client: &JsNemoClient, text: &str) -> JsValue {
    wait(client.chat(text.into(), None)).await.unwrap()
}

fn paths(sim: &JsValue, path: &str) -> Vec<JsValue> {
    log(sim)
        .iter()
        .filter(|e| get(e, "path").as_string().as_deref() == Some(path))
        .collect()
}

#[wasm_bindgen_test]
async fn silent_edit_upload_and_credits() {
    let (client, _) = setup(
        r#"{"chunkDelayMs": 0, "workMs": 5, "silentEvery": 1}"#,
        "{}",
    );
    let r = chat_ok(&client, "make a video of the sea").await;
    assert_eq!(
        get(&r, "changes").as_string().as_deref(),
        Some("Changed: Added Video: the sea (0-10s).")
    );
    let file =
        web_sys::File::new_with_str_sequence(&Array::of1(&"data".into()), "clip.mp4").unwrap();
    let up = wait(client.upload(file.into(), None)).await.unwrap();
    assert_eq!(
        get(&Array::from(&up).get(0), "filename")
            .as_string()
            .as_deref(),
        Some("clip.mp4")
    );
    let bad = web_sys::File::new_with_str_sequence(&Array::of1(&"x".into()), "notes.pdf").unwrap();
    let err = wait(client.upload(bad.into(), None)).await.unwrap_err();
    assert_eq!(get(&err, "kind").as_string().as_deref(), Some("file_type"));
    let c = wait(client.credits(None)).await.unwrap();
    assert_eq!(get(&c, "available").as_f64(), Some(98.0));
}

#[wasm_bindgen_test]
async fn retried_faults_in_this_engine() {
    let (client, sim) = setup(FAST, r#"{"rateLimitWaitMs": 1, "dropPollMs": 5}"#);
    wait(client.connect(None)).await.unwrap();
    let set_faults = |json: &str| {
        let f: Function = get(&sim, "setFaults").unchecked_into();
        f.call1(&sim, &obj(json)).unwrap();
    };
    let expire: Function = get(&sim, "expireTokens").unchecked_into();
    expire.call0(&sim).unwrap();
    wait(client.credits(None)).await.unwrap();
    assert_eq!(
        paths(&sim, "/api/auth/anonymous-token").len(),
        2,
        "1001: one refresh, one retry"
    );
    set_faults(r#"{"rateLimit": 1, "retryAfterS": 0}"#);
    wait(client.credits(None)).await.unwrap();
    // With the draft known, the next chat sends no state request first: the fault hits the chat.
    wait(client.state(None)).await.unwrap();
    set_faults(r#"{"sessionNotFound": 1}"#);
    chat_ok(&client, "make a video of the sea").await;
    let statuses: Vec<f64> = paths(&sim, "/run_sse")
        .iter()
        .map(|e| get(e, "status").as_f64().unwrap())
        .collect();
    assert_eq!(statuses, vec![404.0, 200.0]);
    set_faults(r#"{"dropStream": 1}"#);
    let r = chat_ok(&client, "add lo-fi music").await;
    assert!(get(&r, "changes").as_string().unwrap().contains("Lo-fi"));
    assert_eq!(
        paths(&sim, "/run_sse").len(),
        3,
        "the dropped chat was not sent again"
    );
    set_faults(r#"{"outOfCredits": 1}"#);
    let err = wait(client.chat("hello".into(), None)).await.unwrap_err();
    assert!(
        get(&err, "bindUrl")
            .as_string()
            .unwrap()
            .contains("register?bind=anon_")
    );
}

#[wasm_bindgen_test]
async fn default_storage_works_here() {
    // localStorage in a page, memory in Node: either way the client connects and remembers.
    let sim = create_simulator(Some(obj(FAST).unchecked_into())).unwrap();
    let opts = obj(r#"{"baseUrl": "http://default-storage.test"}"#);
    Reflect::set(&opts, &"fetch".into(), &sim).unwrap();
    let client = JsNemoClient::new(Some(opts.unchecked_into())).unwrap();
    let c = wait(client.connect(None)).await.unwrap();
    assert_eq!(get(&c, "sessionId").as_string(), client.session_id());
}
