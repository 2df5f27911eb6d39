// The packed package in workerd (through Miniflare): a module worker importing
// "nemo-video/worker" (the edge handler, in proxy mode) and "nemo-video" (the client), bundled
// the way wrangler bundles (esbuild; conditions workerd, worker, browser; each .wasm kept as a
// module import). Its upstream is nemo-video/simulator in Node, behind an HTTP server on
// 127.0.0.1. A second route uses nemo-video/simulator inside workerd.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Readable } from "node:stream";
import * as esbuild from "esbuild";
import { Miniflare } from "miniflare";
import { CHANGES, PROMPT, crateVersion, scratchProject } from "./consumer.mjs";

const TOKEN = "nemo-server-secret-worker";
const SECRET = "the-visitor-secret-of-the-package-test";
const WORKER = `
import { handleWorkerRequest } from "nemo-video/worker";
export { NemoLedger } from "nemo-video/worker";
import { NemoClient, version } from "nemo-video";
import { createSimulator } from "nemo-video/simulator";

async function chat(client) {
  const texts = [];
  const r = await client.chat(${JSON.stringify(PROMPT)}, { onEvent: (e) => e.type === "text" && !e.partial && texts.push(e.text) });
  return Response.json({ version: version(), changes: r.changes, text: texts.join(" ") });
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/client-through-proxy") {
      // The client in workerd, its requests handed to this worker's own edge handler with the
      // visitor cookie its config answer gave (server-token mode).
      const config = await handleWorkerRequest(new Request(new URL("/config.json", url.origin)), env, ctx);
      const cookie = (config.headers.get("set-cookie") ?? "").split(";")[0];
      const viaHandler = (input, init = {}) => {
        const headers = new Headers(init.headers);
        headers.set("cookie", cookie);
        return handleWorkerRequest(new Request(new URL(input, url.origin), { ...init, headers }), env, ctx);
      };
      return chat(new NemoClient({ baseUrl: url.origin, serverToken: true, fetch: viaHandler, storage: null }));
    }
    if (url.pathname === "/client-with-simulator") {
      const sim = createSimulator({ chunkDelayMs: 0, workMs: 20, heartbeatMs: 5 });
      return chat(new NemoClient({ baseUrl: "http://sim.test", fetch: sim, storage: null }));
    }
    return handleWorkerRequest(request, env, ctx);
  },
};
`;

let project, upstream, mf, base, bundle;
const seen = [];
before(async () => {
  project = scratchProject("worker", { "src/index.js": WORKER });
  // The upstream API: the package's simulator in Node, served over HTTP, streaming.
  const { createSimulator } = createRequire(project.file("package.json"))("nemo-video/simulator");
  const sim = createSimulator({ chunkDelayMs: 0, workMs: 20, heartbeatMs: 5, knownTokens: [TOKEN] });
  upstream = http.createServer(async (req, res) => {
    seen.push({ path: req.url, authorization: req.headers.authorization });
    const body = ["GET", "HEAD"].includes(req.method) ? undefined : Readable.toWeb(req);
    const answer = await sim(new Request(`http://upstream.test${req.url}`, { method: req.method, headers: req.headers, body, duplex: "half" }));
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    if (answer.body) for await (const chunk of answer.body) res.write(chunk);
    res.end();
  });
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));

  await esbuild.build({
    absWorkingDir: project.dir,
    entryPoints: ["src/index.js"],
    bundle: true,
    format: "esm",
    conditions: ["workerd", "worker", "browser"],
    // As wrangler does: the runtime's own modules (the Durable Object base class) stay imports.
    external: ["cloudflare:*"],
    loader: { ".wasm": "copy" },
    outdir: "dist",
    logLevel: "warning",
  });
  bundle = readFileSync(project.file("dist/index.js"), "utf8");
  mf = new Miniflare({
    modules: true,
    rootPath: project.file("dist"),
    scriptPath: project.file("dist/index.js"),
    modulesRoot: project.file("dist"),
    modulesRules: [
      { type: "ESModule", include: ["**/*.js"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-07-01",
    bindings: {
      NEMO_API_BASE: `http://127.0.0.1:${upstream.address().port}`,
      ALLOW_HTTP_LOOPBACK: "1",
      NEMO_TOKEN: TOKEN,
      VISITOR_SECRET: SECRET,
      ALLOW_NO_ORIGIN: "1",
      RATE_LIMIT: "off",
    },
    durableObjects: { LEDGER: "NemoLedger" },
    host: "127.0.0.1",
    port: 0,
  });
  base = (await mf.ready).href.replace(/\/$/, "");
});
after(async () => {
  await mf?.dispose();
  upstream?.close();
  project?.remove();
});

test("the bundle imports the compiled .wasm modules of nemo-video and nemo-video/worker (no inlined bytes)", () => {
  const wasm = readdirSync(project.file("dist")).filter((f) => f.endsWith(".wasm"));
  assert.equal(wasm.length, 3, `client, worker and simulator modules: ${wasm}`);
  for (const f of wasm) assert.ok(bundle.includes(`from "./${f}"`), `${f} is imported as a module`);
  assert.ok(!bundle.includes("decodeBase64"), "workerd took its own entries, not the browser's");
});

test("nemo-video/worker proxies to the API with the server's token; the client in workerd chats through it", async () => {
  const r = await fetch(`${base}/client-through-proxy`);
  const result = await r.json();
  assert.equal(r.status, 200, JSON.stringify(result));
  assert.equal(result.changes, CHANGES);
  assert.match(result.text, /city timelapse/);
  assert.equal(result.version, crateVersion());
  const chats = seen.filter((s) => s.path === "/run_sse");
  assert.equal(chats.length, 1);
  assert.equal(chats[0].authorization, `Bearer ${TOKEN}`, "the worker injected the configured token");
});

test("the edge handler answers a plain request from outside: a visitor first, then the API", async () => {
  const config = await fetch(`${base}/config.json`);
  assert.equal((await config.json()).mode, "server-token");
  const cookie = config.headers.get("set-cookie").split(";")[0];
  assert.equal((await fetch(`${base}/api/credits/balance/simple`)).status, 401, "no visitor, no call");
  const r = await fetch(`${base}/api/credits/balance/simple`, { headers: { cookie } });
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.code, 0);
});

test("nemo-video/simulator in workerd", async () => {
  const r = await fetch(`${base}/client-with-simulator`);
  const result = await r.json();
  assert.equal(r.status, 200, JSON.stringify(result));
  assert.equal(result.changes, CHANGES);
});
