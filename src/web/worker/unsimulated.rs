//! The worker's simulator mode in a build without the simulator: refused, with the output to
//! use instead.

use wasm_bindgen::JsValue;
use web_sys::{Request, Response};

use super::refusal;
use crate::core::proxy::Refusal;

/// `NEMO_SIMULATE=1` in a build that carries no simulator.
pub(super) async fn answer(
    _env: &JsValue,
    _request: &Request,
    cors: &[(&'static str, String)],
) -> Result<Response, JsValue> {
    let r = Refusal::new(
        501,
        "NO_SIMULATOR",
        "this build has no simulator: use the sim-web output",
    );
    refusal(&r, cors)
}
