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
    refusal(&Refusal::no_simulator(), cors)
}
