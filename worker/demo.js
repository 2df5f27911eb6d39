// The demo worker: the simulator-enabled build (pkg/sim-web), so `NEMO_SIMULATE=1` answers from
// the built-in simulator with no upstream. Never deploy this one: worker/index.js has no simulator.
import * as glue from "../pkg/sim-web/nemo_video.js";
import wasm from "../pkg/sim-web/nemo_video_bg.wasm";
import { entry } from "./entry.js";

const worker = entry(glue, wasm);
export const NemoLedger = worker.NemoLedger;
export default worker.handler;
