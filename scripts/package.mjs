// Assembles the npm package `nemo-video` from the wasm-pack outputs in pkg/ (scripts/build.sh
// first) into target/npm/nemo-video: one package.json whose conditional exports pick the build
// per runtime, one set of TypeScript declarations per entry, and an entry file per runtime that
// loads the wasm with no set-up. scripts/package.sh calls it, then packs and checks the result.
//
// What each runtime gets, and why (the README's "The npm package" says it for users):
// - browsers and bundlers (`browser`, and `default` for any other ESM runtime): the wasm is
//   inlined as base64 and compiled synchronously at import. esbuild does not follow wasm-pack's
//   `new URL("…_bg.wasm", import.meta.url)`, so an asset would 404 there without options; a
//   synchronous start needs no top-level await, which esbuild's default iife output refuses.
// - workerd (`workerd`, `worker`, before `browser`): the entry imports the .wasm as a module,
//   because workerd cannot fetch its own .wasm by URL and Cloudflare refuses to compile wasm
//   from bytes ("Wasm code generation disallowed by embedder").
// - Node `require`: wasm-pack's nodejs glue as a real .cjs (it reads the .wasm beside it);
//   Node `import`: an ES module re-exporting that same .cjs, so both share one instance.
// The web glue loses its default `new URL("nemo_video_bg.wasm", import.meta.url)`: no entry
// uses it, and Vite would copy the .wasm as an asset for it even so.
import { readFileSync, readdirSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, "target/npm/nemo-video");
const pkgDir = (name) => path.join(root, "pkg", name);
const read = (file) => readFileSync(file, "utf8");

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

/** Replaces `from` (which must occur exactly once) with `to`: a glue change fails loudly. */
function replaceOnce(text, from, to, what) {
  const n = text.split(from).length - 1;
  if (n !== 1) fail(`${what}: expected the text ${JSON.stringify(from)} once, found it ${n} times`);
  return text.replace(from, () => to);
}

/** The crate's [package] fields that the npm package repeats. */
function crateMetadata() {
  const toml = read(path.join(root, "Cargo.toml"));
  const section = toml.split(/^\[package\]$/m)[1]?.split(/^\[/m)[0];
  if (!section) fail("Cargo.toml has no [package] table");
  const field = (key) => {
    const m = section.match(new RegExp(`^${key} = "([^"]*)"$`, "m"));
    if (!m) fail(`Cargo.toml [package] has no ${key}`);
    return m[1];
  };
  const keywords = section.match(/^keywords = \[([^\]]*)\]$/m);
  if (!keywords) fail("Cargo.toml [package] has no keywords");
  return {
    version: field("version"),
    description: field("description"),
    license: field("license"),
    repository: field("repository"),
    keywords: [...keywords[1].matchAll(/"([^"]+)"/g)].map((m) => m[1]),
  };
}

/** The names a glue file exports, in order (ES `export class|function`, or CJS `exports.X =`). */
function exportedNames(glue) {
  const esm = [...glue.matchAll(/^export (?:class|function) (\w+)/gm)].map((m) => m[1]);
  const cjs = [...glue.matchAll(/^exports\.(\w+) = /gm)].map((m) => m[1]);
  const names = esm.length ? esm : cjs;
  if (!names.length) fail("a glue file exports nothing");
  return names;
}

const SELF_TYPES = '/* @ts-self-types="./nemo_video.d.ts" */\n';
const DEFAULT_URL = "module_or_path = new URL('nemo_video_bg.wasm', import.meta.url);";

/** wasm-pack's web glue, without the default wasm URL that no entry uses. */
function webGlue(dir) {
  let glue = read(path.join(pkgDir(dir), "nemo_video.js"));
  glue = replaceOnce(glue, SELF_TYPES, "", `pkg/${dir}/nemo_video.js`);
  glue = replaceOnce(
    glue,
    DEFAULT_URL,
    'throw new Error("nemo-video: the package\'s entry files load the wasm");',
    `pkg/${dir}/nemo_video.js`,
  );
  return glue;
}

/** wasm-pack's nodejs glue (CommonJS), to ship as .cjs; it requires its snippets as .cjs. */
function nodeGlue(dir) {
  const glue = replaceOnce(read(path.join(pkgDir(dir), "nemo_video.js")), SELF_TYPES, "", `pkg/${dir}/nemo_video.js`);
  return glue.replace(/(require\(String\.raw`\.\/snippets\/[^`]+)\.js`\)/g, "$1.cjs`)");
}

/** The glue's JS snippets (`#[wasm_bindgen(inline_js)]`, ES modules) into `folder`; for the
 *  CommonJS glue, as `.cjs` with `exports` (Node older than 20.19 cannot require an ES module). */
function snippets(dir, folder, { cjs = false } = {}) {
  const from = path.join(pkgDir(dir), "snippets");
  let names;
  try {
    names = readdirSync(from, { recursive: true }).filter((f) => f.endsWith(".js"));
  } catch {
    return;
  }
  for (const f of names) {
    let text = read(path.join(from, f));
    let file = f;
    if (cjs) {
      const exported = [...text.matchAll(/^export function (\w+)/gm)].map((m) => m[1]);
      text = `${text.replace(/^export function /gm, "function ")}\nmodule.exports = { ${exported.join(", ")} };\n`;
      file = f.replace(/\.js$/, ".cjs");
    }
    put(`dist/${folder}/snippets/${file}`, text);
  }
}

/** wasm-pack's declarations for an entry: everything but the web target's init functions. */
function declarations(dir) {
  const dts = read(path.join(pkgDir(dir), "nemo_video.d.ts"));
  const cut = dts.indexOf("\nexport type InitInput");
  return (cut < 0 ? dts : `${dts.slice(0, cut)}\n`).replace("/* tslint:disable */\n/* eslint-disable */\n", "");
}

const reexport = (names, from) => `export {\n${names.map((n) => `  ${n},`).join("\n")}\n} from "${from}";\n`;

const files = new Map(); // path in the package -> contents (string or Buffer)
const put = (file, contents) => files.set(file, contents);
const wasmOf = (dir) => readFileSync(path.join(pkgDir(dir), "nemo_video_bg.wasm"));

/** An entry for browsers and bundlers: the wasm inlined, compiled when the module is imported. */
function browserEntry(folder, dir, names, what) {
  put(`dist/${folder}/wasm-base64.js`, `// ${what}'s .wasm, base64: inlined so that every bundler and a plain page load it unaided.\nexport default "${wasmOf(dir).toString("base64")}";\n`);
  put(
    `dist/${folder}/browser.js`,
    `// ${what} for browsers and bundlers: the wasm is inlined and compiled at import (no URL, no init()).
import { initSync } from "./nemo_video.js";
import { decodeBase64 } from "../base64.js";
import wasm from "./wasm-base64.js";

initSync({ module: decodeBase64(wasm) });

${reexport(names, "./nemo_video.js")}`,
  );
}

/** An entry for workerd: the runtime compiles the imported .wasm module; it is instantiated here. */
function workerdEntry(folder, names, what) {
  put(
    `dist/${folder}/workerd.js`,
    `// ${what} for workerd (Cloudflare Workers): the .wasm is imported as a compiled module,
// since workerd cannot fetch it by URL and Cloudflare refuses to compile wasm from bytes.
import { initSync } from "./nemo_video.js";
import wasm from "./nemo_video_bg.wasm";

initSync({ module: wasm });

${reexport(names, "./nemo_video.js")}`,
  );
}

/** Node's ES entry: the CommonJS glue's exports, so `import` and `require` share one instance. */
function nodeEsmEntry(folder, names, what) {
  put(
    `dist/${folder}/node.mjs`,
    `// ${what} for Node's \`import\`: the same instance as \`require\` (./nemo_video.cjs).
import glue from "./nemo_video.cjs";

export const {\n${names.map((n) => `  ${n},`).join("\n")}\n} = glue;\n`,
  );
}

function assemble() {
  const meta = crateMetadata();
  for (const dir of ["web", "node", "sim-node", "sim-web", "worker"]) {
    for (const file of ["nemo_video.js", "nemo_video.d.ts", "nemo_video_bg.wasm"]) {
      try {
        readFileSync(path.join(pkgDir(dir), file));
      } catch {
        fail(`pkg/${dir}/${file} is missing: run scripts/build.sh web nodejs worker sim-nodejs sim-web first`);
      }
    }
  }
  if (!wasmOf("web").equals(wasmOf("node"))) fail("pkg/web and pkg/node carry different .wasm files; the package ships one");

  // The client: one .wasm for the web glue (browsers, workerd) and the nodejs glue.
  const client = exportedNames(read(path.join(pkgDir("node"), "nemo_video.js")));
  const clientWeb = exportedNames(read(path.join(pkgDir("web"), "nemo_video.js")));
  if (client.join() !== clientWeb.join()) fail(`the web and nodejs builds export different names: ${clientWeb} / ${client}`);
  put("dist/client/nemo_video.js", webGlue("web"));
  put("dist/client/nemo_video.cjs", nodeGlue("node"));
  snippets("web", "client");
  snippets("node", "client", { cjs: true });
  put("dist/client/nemo_video_bg.wasm", wasmOf("web"));
  browserEntry("client", "web", client, "nemo-video");
  workerdEntry("client", client, "nemo-video");
  nodeEsmEntry("client", client, "nemo-video");

  // The simulator: its Node build's names (the web build also carries the worker's handler).
  const sim = exportedNames(read(path.join(pkgDir("sim-node"), "nemo_video.js")));
  const simWeb = exportedNames(read(path.join(pkgDir("sim-web"), "nemo_video.js")));
  const missing = sim.filter((n) => !simWeb.includes(n));
  if (missing.length) fail(`pkg/sim-web lacks ${missing}`);
  if (!sim.includes("createSimulator")) fail("pkg/sim-node has no createSimulator");
  put("dist/simulator/nemo_video.js", webGlue("sim-web"));
  snippets("sim-web", "simulator");
  put("dist/simulator/nemo_video_bg.wasm", wasmOf("sim-web"));
  browserEntry("simulator", "sim-web", sim, "nemo-video/simulator");
  workerdEntry("simulator", sim, "nemo-video/simulator");
  put("dist/simulator-node/nemo_video.cjs", nodeGlue("sim-node"));
  snippets("sim-node", "simulator-node", { cjs: true });
  put("dist/simulator-node/nemo_video_bg.wasm", wasmOf("sim-node"));
  nodeEsmEntry("simulator-node", sim, "nemo-video/simulator");

  // The edge handler: the worker build (client and proxy, no simulator).
  const worker = exportedNames(read(path.join(pkgDir("worker"), "nemo_video.js")));
  if (!worker.includes("handleWorkerRequest") || worker.includes("createSimulator")) {
    fail(`pkg/worker must export handleWorkerRequest and no simulator: ${worker}`);
  }
  put("dist/worker/nemo_video.js", webGlue("worker"));
  snippets("worker", "worker");
  put("dist/worker/nemo_video_bg.wasm", wasmOf("worker"));
  // workerd: the handler as a default export and the ledger's Durable Object class, from the
  // same worker/entry.js the repository's own deployable worker uses.
  put("dist/worker/entry.js", read(path.join(root, "worker/entry.js")));
  put(
    "dist/worker/workerd.js",
    `// nemo-video/worker for workerd (Cloudflare Workers): the .wasm imported as a compiled module.
// A worker is \`export { default, NemoLedger } from "nemo-video/worker"\` (NemoLedger: the
// Durable Object of server-token mode, bound as LEDGER).
import * as glue from "./nemo_video.js";
import wasm from "./nemo_video_bg.wasm";
import { entry } from "./entry.js";

const worker = entry(glue, wasm);
export const NemoLedger = worker.NemoLedger;
export default worker.handler;
${reexport(worker, "./nemo_video.js")}`,
  );
  put(
    "dist/worker/node.mjs",
    `// nemo-video/worker in Node (a local proxy, tests): the .wasm read from beside this file.
// Node has no Durable Objects: NemoLedger exists so the names match workerd's entry, and
// says so if used (server-token mode needs workerd's LEDGER binding).
import { readFileSync } from "node:fs";
import { initSync, handleWorkerRequest } from "./nemo_video.js";

initSync({ module: readFileSync(new URL("./nemo_video_bg.wasm", import.meta.url)) });

export class NemoLedger {
  constructor() {
    throw new Error("nemo-video: NemoLedger is a Durable Object; it runs in workerd only");
  }
}
export default { fetch: (request, env, ctx) => handleWorkerRequest(request, env, ctx) };
${reexport(worker, "./nemo_video.js")}`,
  );

  put(
    "dist/base64.js",
    `// Base64 to bytes for the inlined wasm: the platform's decoder where there is one, else atob.
export function decodeBase64(text) {
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
`,
  );

  // One set of declarations per entry, for every runtime; .d.cts is the same text for require.
  const header = (entry) => `// Types of ${entry} ${meta.version}: the same in every runtime.\n`;
  put("index.d.ts", header("nemo-video") + declarations("node"));
  put("index.d.cts", header("nemo-video") + declarations("node"));
  put("simulator.d.ts", header("nemo-video/simulator") + declarations("sim-node"));
  put("simulator.d.cts", header("nemo-video/simulator") + declarations("sim-node"));
  put(
    "worker.d.ts",
    `${header("nemo-video/worker") + declarations("worker")}
/** The ledger of server-token mode, a Durable Object class (workerd only): bind it as LEDGER. */
export declare class NemoLedger {
  ledger(op: string): Promise<string>;
}
/** The module worker: \`export { default, NemoLedger } from "nemo-video/worker"\`. */
declare const worker: { fetch(request: Request, env: object, ctx?: object): Promise<Response> };
export default worker;
`,
  );

  const entry = (types, file) => ({ types, default: file });
  const manifest = {
    name: "nemo-video",
    version: meta.version,
    description: meta.description,
    license: meta.license,
    repository: { type: "git", url: `git+${meta.repository}.git` },
    keywords: meta.keywords,
    type: "module",
    engines: { node: ">=20" },
    // Order matters: workerd before browser (wrangler tries workerd, worker, browser), and
    // every entry ends with types and a default, since TypeScript never applies `workerd`.
    exports: {
      ".": {
        workerd: entry("./index.d.ts", "./dist/client/workerd.js"),
        worker: entry("./index.d.ts", "./dist/client/workerd.js"),
        browser: entry("./index.d.ts", "./dist/client/browser.js"),
        node: {
          import: entry("./index.d.ts", "./dist/client/node.mjs"),
          require: entry("./index.d.cts", "./dist/client/nemo_video.cjs"),
        },
        default: entry("./index.d.ts", "./dist/client/browser.js"),
      },
      "./simulator": {
        workerd: entry("./simulator.d.ts", "./dist/simulator/workerd.js"),
        worker: entry("./simulator.d.ts", "./dist/simulator/workerd.js"),
        browser: entry("./simulator.d.ts", "./dist/simulator/browser.js"),
        node: {
          import: entry("./simulator.d.ts", "./dist/simulator-node/node.mjs"),
          require: entry("./simulator.d.cts", "./dist/simulator-node/nemo_video.cjs"),
        },
        default: entry("./simulator.d.ts", "./dist/simulator/browser.js"),
      },
      "./worker": {
        workerd: entry("./worker.d.ts", "./dist/worker/workerd.js"),
        worker: entry("./worker.d.ts", "./dist/worker/workerd.js"),
        node: entry("./worker.d.ts", "./dist/worker/node.mjs"),
        default: entry("./worker.d.ts", "./dist/worker/workerd.js"),
      },
      "./package.json": "./package.json",
    },
    // For resolvers that predate `exports` (TypeScript's node10): the CommonJS client.
    main: "./dist/client/nemo_video.cjs",
    types: "./index.d.cts",
    files: ["dist", "*.d.ts", "*.d.cts", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"],
    // The entry files initialise the wasm when imported; the glue and the inlined bytes do not.
    sideEffects: ["./dist/*/browser.js", "./dist/*/workerd.js", "./dist/*/node.mjs", "./dist/*/nemo_video.cjs"],
  };
  put("package.json", `${JSON.stringify(manifest, null, 2)}\n`);
  for (const file of ["README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"]) put(file, readFileSync(path.join(root, file)));

  rmSync(out, { recursive: true, force: true });
  for (const [file, contents] of files) {
    mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    writeFileSync(path.join(out, file), contents);
  }
  writeFileSync(path.join(root, "target/npm/expected-files.txt"), `${[...files.keys()].sort().join("\n")}\n`);
  console.log(`package: assembled ${path.relative(root, out)} (nemo-video ${meta.version}, ${files.size} files)`);
}

assemble();
