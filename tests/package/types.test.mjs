// The packed package's TypeScript declarations in a strict consumer, under moduleResolution
// node16 (an ES module and a CommonJS module) and bundler, with the same import lines. Each
// `@ts-expect-error` proves the types are specific: an `any` would make that line an error.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { ROOT, scratchProject } from "./consumer.mjs";

const USE = `
const sim = createSimulator({ chunkDelayMs: 0, faults: { dropStream: 1 } });
const client = new NemoClient({ baseUrl: "http://sim.test", fetch: sim, storage: null });
// @ts-expect-error: an unknown option
new NemoClient({ pollInterval: 5 });
export async function use(): Promise<string> {
  const onEvent = (e: ChatEvent): void => { if (e.type === "changes") e.summary.trim(); };
  const r: ChatResult = await client.chat("make a video", { onEvent });
  // @ts-expect-error: the message is a string
  await client.chat(42);
  const log: SimulatorLogEntry[] = sim.requests();
  const handler: (request: Request, env: unknown, ctx: unknown) => Promise<Response> = handleWorkerRequest;
  void [log, handler];
  return \`\${version()} \${r.changes ?? ""}\`;
}
`;
const ESM_IMPORTS = `import { NemoClient, version, type ChatEvent, type ChatResult } from "nemo-video";
import { createSimulator, type SimulatorLogEntry } from "nemo-video/simulator";
import { handleWorkerRequest } from "nemo-video/worker";
`;
// CommonJS: the same import lines compile to require(); the ES-only worker entry is a type import.
const CJS_IMPORTS = `import { NemoClient, version, type ChatEvent, type ChatResult } from "nemo-video";
import { createSimulator, type SimulatorLogEntry } from "nemo-video/simulator";
declare const handleWorkerRequest: typeof import("nemo-video/worker", { with: { "resolution-mode": "import" } }).handleWorkerRequest;
`;
const tsconfig = (options, files) =>
  JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, target: "es2022", lib: ["es2022", "dom", "esnext.disposable"], types: [], ...options },
    files,
  });

const project = scratchProject("types", {
  "esm.mts": ESM_IMPORTS + USE,
  "cjs.cts": CJS_IMPORTS + USE,
  "app.ts": ESM_IMPORTS + USE,
  "tsconfig.node16.json": tsconfig({ module: "node16", moduleResolution: "node16" }, ["esm.mts", "cjs.cts"]),
  "tsconfig.bundler.json": tsconfig({ module: "esnext", moduleResolution: "bundler" }, ["app.ts"]),
});
after(() => project.remove());

const tsc = (config) =>
  execFileSync(path.join(ROOT, "node_modules/.bin/tsc"), ["-p", project.file(config)], { cwd: project.dir, encoding: "utf8" });

for (const resolution of ["node16", "bundler"]) {
  test(`TypeScript strict, moduleResolution ${resolution}: the package's types check`, () => {
    assert.doesNotThrow(() => tsc(`tsconfig.${resolution}.json`), (e) => assert.fail(`${e.stdout}${e.stderr}`));
  });
}
