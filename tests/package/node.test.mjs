// The packed package in Node, installed into a scratch project: `import` and `require` of
// "nemo-video" each run a chat and an export against "nemo-video/simulator"; both module
// systems share one instance; the edge handler loads in Node too.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { CHANGES, chatProgram, crateVersion, scratchProject } from "./consumer.mjs";

const REPORT = "((r) => console.log(JSON.stringify(r)))";
let project;
before(() => {
  project = scratchProject("node", {
    "esm.mjs": `import { NemoClient, version } from "nemo-video";\nimport { createSimulator } from "nemo-video/simulator";\n${chatProgram({ withExport: true, report: REPORT })}`,
    "cjs.cjs": `const { NemoClient, version } = require("nemo-video");\nconst { createSimulator } = require("nemo-video/simulator");\n${chatProgram({ withExport: true, report: REPORT })}`,
    "one-instance.mjs": `
import { createRequire } from "node:module";
import * as esm from "nemo-video";
const cjs = createRequire(import.meta.url)("nemo-video");
console.log(JSON.stringify({ same: esm.NemoClient === cjs.NemoClient && esm.version === cjs.version, names: Object.keys(esm).sort() }));
`,
    "worker.cjs": `
const { handleWorkerRequest } = require("nemo-video/worker");
handleWorkerRequest(new Request("http://127.0.0.1/api/credits/balance/simple"), { NEMO_SIMULATE: "1", ALLOW_NO_ORIGIN: "1" }, {})
  .then(async (r) => console.log(JSON.stringify({ status: r.status, body: await r.json() })));
`,
  });
});
after(() => project?.remove());

const run = (file) => JSON.parse(execFileSync(process.execPath, [project.file(file)], { cwd: project.dir, encoding: "utf8" }).trim().split("\n").at(-1));

function assertChatAndExport(result) {
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.changes, CHANGES);
  assert.match(result.text, /city timelapse/);
  assert.equal(result.url, "http://sim.test/sim/video.mp4");
  assert.equal(result.progress.at(-1), "completed");
  assert.ok(result.paths.includes("/run_sse") && result.paths.includes("/api/render/proxy/lambda"), `${result.paths}`);
  // The crate version is the package version, `version()` and the X-Skill-Version sent.
  const installed = JSON.parse(readFileSync(project.file("node_modules/nemo-video/package.json"), "utf8")).version;
  assert.equal(installed, crateVersion());
  assert.equal(result.version, installed);
  assert.deepEqual(result.skillVersions, [installed]);
}

test("import { NemoClient } from \"nemo-video\": chat and export against nemo-video/simulator", () => {
  assertChatAndExport(run("esm.mjs"));
});

test("require(\"nemo-video\"): chat and export against nemo-video/simulator", () => {
  assertChatAndExport(run("cjs.cjs"));
});

test("import and require share one instance, and the main entry carries no simulator", () => {
  const { same, names } = run("one-instance.mjs");
  assert.equal(same, true);
  assert.deepEqual(names, ["NemoClient", "SseParser", "classifyIntent", "describeTimeline", "diffTimelines", "isReadyToExport", "summarizeTimeline", "version"]);
});

test("nemo-video/worker loads in Node (require of its ES module): the production build has no simulator", () => {
  const { status, body } = run("worker.cjs");
  assert.equal(status, 501);
  assert.equal(body.error, "NO_SIMULATOR");
});
