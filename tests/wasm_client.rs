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
