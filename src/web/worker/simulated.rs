//! The worker's simulator mode (builds with the `simulator` feature): one simulator per
//! isolate, made from `SIM_OPTIONS` on first use, answering through `web::sim`.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{Request, Response};

use super::{env_str, refusal};
use crate::core::error::NemoError;
use crate::core::proxy::Refusal;
use crate::sim::Simulator;

thread_local! {
    static SIM: RefCell<Option<Rc<RefCell<Simulator>>>> = const { RefCell::new(None) };
}

fn instance(env: &JsValue) -> Result<Rc<RefCell<Simulator>>, Refusal> {
    if let Some(s) = SIM.with(|s| s.borrow().clone()) {
        return Ok(s);
    }
    let json = match env_str(env, "SIM_OPTIONS") {
        Some(text) => Some(
            serde_json::from_str(&text)
                .map_err(|_| NemoError::refused("BAD_OPTION", "SIM_OPTIONS is not JSON"))
                .map_err(|e| Refusal::bad_simulator_options(&e))?,
        ),
        None => None,
    };
    let opts =
        crate::web::sim::options(json.as_ref()).map_err(|e| Refusal::bad_simulator_options(&e))?;
    let sim = Rc::new(RefCell::new(Simulator::new(opts)));
    SIM.with(|s| *s.borrow_mut() = Some(sim.clone()));
    Ok(sim)
}

/// The simulator's answer to an allowed request, with the CORS headers of the decision.
pub(super) async fn answer(
    env: &JsValue,
    request: &Request,
    cors: &[(&'static str, String)],
) -> Result<Response, JsValue> {
    let sim = match instance(env) {
        Ok(s) => s,
        Err(r) => return refusal(&r, cors),
    };
    let r = match crate::web::sim::answer(&sim, request.as_ref(), &JsValue::UNDEFINED).await {
        Ok(r) => r,
        Err(e) => return refusal(&Refusal::simulator_failed(&e), cors),
    };
    for (k, v) in cors {
        let _ = r.headers().set(k, v);
    }
    Ok(r)
}
