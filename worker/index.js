// The module worker: the simulator-enabled web build, initialised once per isolate, and one
// handler. Everything it does is in the wasm module (src/js/worker.rs, src/core/proxy.rs).
import { initSync, handleWorkerRequest } from "../pkg/sim-web/nemo_video.js";
import wasm from "../pkg/sim-web/nemo_video_bg.wasm";

initSync({ module: wasm });

export default {
  fetch: (request, env, ctx) => handleWorkerRequest(request, env, ctx),
};
