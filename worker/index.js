// The deployable worker: the production build (pkg/worker: the edge handler, no simulator).
import * as glue from "../pkg/worker/nemo_video.js";
import wasm from "../pkg/worker/nemo_video_bg.wasm";
import { entry } from "./entry.js";

const worker = entry(glue, wasm);
export const NemoLedger = worker.NemoLedger;
export default worker.handler;
