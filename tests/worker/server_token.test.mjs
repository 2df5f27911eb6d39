// The deployable worker in server-token mode (it holds NEMO_TOKEN; the operator pays), in
// workerd, against upstreams that are not the worker: the simulator of the Node build behind a
// real HTTP server, and a hand-written one that echoes what it is sent. Visitors get a signed
// cookie, own what they create and nothing else, spend a daily budget; the token reaches the
// upstream and never the page, even when an upstream echoes it inside a stream.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { startWorker } from "../../worker/dev.mjs";
import { cookieOf, fakeUpstream, simUpstream } from "./upstreams.mjs";
import { scanForSecrets } from "./scan.mjs";

const require = createRequire(import.meta.url);
const nemo = require("../../pkg/node/nemo_video.js");

const APP = "https://app.example";
const TOKEN = "nmv_server_7f3a9c";
const SECRET = "a-visitor-secret-of-at-least-32-bytes!";
// Every answer and log line of this file, scanned at its end for the token and the secret.
const scan = scanForSecrets();
const SIM = { chunkDelayMs: 0, workMs: 10, heartbeatMs: 5, renderPolls: 2, knownTokens: [TOKEN] };
const bindings = (api, more = {}) => ({
  NEMO_API_BASE: api,
  NEMO_TOKEN: TOKEN,
  VISITOR_SECRET: SECRET,
  ALLOW_HTTP_LOOPBACK: "1",
  ALLOWED_ORIGINS: APP,
  ...more,
});

let up, echo, proxy, echoProxy;
before(async () => {
  up = await simUpstream(SIM);
  echo = await fakeUpstream(async (req, res) => {
    const auth = req.headers.authorization ?? "";
    if (req.url.startsWith("/api/tasks/")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 0, message: "ok", data: { session_id: "7350000000000000042" } }));
    } else if (req.url === "/run_sse") {
      // The token split across chunks, the way a real stream could cut it.
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
      const line = `data: {"echo": "${auth}"}\n\n`;
      const cut = line.indexOf(TOKEN) + 4;
      res.write(line.slice(0, cut));
      await new Promise((r) => setTimeout(r, 50));
      res.end(line.slice(cut));
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ code: 0, message: "ok", data: { available: 5, frozen: 0, total: 5, echo: auth } }));
    }
  });
  proxy = await startWorker({ bindings: bindings(up.url, { DAILY_CHAT_TURNS: "3" }), rateLimit: 1000 });
  echoProxy = await startWorker({ bindings: bindings(echo.url), assets: false });
});
after(async () => {
  await Promise.all([proxy?.dispose(), echoProxy?.dispose()]);
  await Promise.all([up?.close(), echo?.close()]);
});

/** A visitor: its cookie (from the config answer) on every call, as a browser would send it. */
async function visitor(base) {
  const res = await fetch(`${base}/config.json`);
  const config = await res.json();
  const cookie = cookieOf(res);
  const call = (path, init = {}) =>
    fetch(`${base}${path}`, { ...init, headers: { Origin: APP, Cookie: cookie, ...(init.headers ?? {}) } });
  const client = new nemo.NemoClient({
    baseUrl: base,
    serverToken: true,
    storage: null,
    pollIntervalMs: 5,
    fetch: (input, init = {}) => fetch(input, { ...init, headers: { ...init.headers, Origin: APP, Cookie: cookie } }),
  });
  return { config, cookie, setCookie: res.headers.get("set-cookie"), call, client };
}

const json = { "content-type": "application/json" };

test("the config answer names the mode and gives a new visitor a signed, HttpOnly cookie", async () => {
  const a = await visitor(proxy.url);
  assert.deepEqual([a.config.mode, a.config.serverToken], ["server-token", true]);
  for (const attr of ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"]) assert.match(a.setCookie, new RegExp(attr));
  const again = await fetch(`${proxy.url}/config.json`, { headers: { Cookie: a.cookie } });
  assert.equal(again.headers.get("set-cookie"), null, "a known visitor keeps its identity");
  await again.text();
  const anonymous = await fetch(`${proxy.url}/api/credits/balance/simple`, { headers: { Origin: APP } });
  assert.equal(anonymous.status, 401, "no cookie, no call");
  assert.equal((await anonymous.json()).error, "VISITOR_REQUIRED");
  const [id] = a.cookie.split("=")[1].split(".");
  const forged = `nemo_visitor=${id}.${"0".repeat(64)}`;
  const r = await fetch(`${proxy.url}/api/credits/balance/simple`, { headers: { Origin: APP, Cookie: forged } });
  assert.equal(r.status, 401, "a forged signature is no identity");
  await r.text();
  const mint = await a.call("/api/auth/anonymous-token", { method: "POST" });
  assert.equal(mint.status, 404, "the page cannot mint anonymous tokens on the operator's proxy");
  await mint.text();
});

test("a client with { serverToken: true } chats and exports; the token reaches only the upstream", async () => {
  const a = await visitor(proxy.url);
  const before = up.seen.length;
  const turn = await a.client.chat("make a 30-second city timelapse with lo-fi music");
  assert.match(turn.text, /Done!/);
  assert.ok((await a.client.state()).ready);
  const done = await a.client.export();
  assert.match(done.id, /^render_\d+$/);
  const sent = up.seen.slice(before);
  assert.ok(sent.length >= 5, "session, chat, state, export, polls");
  for (const s of sent) {
    assert.equal(s.headers.authorization, `Bearer ${TOKEN}`, s.url);
    assert.equal(s.headers["x-skill-source"], "colab-text-to-video");
    assert.equal(s.headers.cookie, undefined, "the visitor cookie never goes upstream");
  }
  assert.equal(up.sim.requests().filter((r) => r.path === "/api/auth/anonymous-token").length, 0);
  assert.ok(up.sim.requests().every((r) => r.auth === "valid"), "every call as the operator");
});

test("visitors are kept apart: B reaches none of A's work by any route, before the upstream", async () => {
  const a = await visitor(proxy.url);
  const { sessionId } = await a.client.connect();
  await a.client.chat("make a video of the sea");
  const { id: renderId } = await a.client.export();
  const b = await visitor(proxy.url);
  const own = await b.client.connect();
  const before = up.seen.length;
  const tries = [
    ["/run_sse", { method: "POST", headers: json, body: JSON.stringify({ app_name: "nemo_agent", user_id: "me", session_id: sessionId, new_message: { role: "user", parts: [{ text: "hi" }] }, streaming: true }) }, 404],
    [`/api/state/nemo_agent/me/${sessionId}/latest`, {}, 404],
    [`/api/upload-video/nemo_agent/me/${sessionId}`, { method: "POST", headers: json, body: JSON.stringify({ urls: ["https://x.example/a.mp4"], source_type: "url" }) }, 404],
    ["/api/render/proxy/lambda", { method: "POST", headers: json, body: JSON.stringify({ id: "render_1", sessionId, draft: {}, output: {} }) }, 404],
    ["/api/render/proxy/lambda", { method: "POST", headers: json, body: JSON.stringify({ id: renderId, sessionId: own.sessionId, draft: {}, output: {} }) }, 409],
    [`/api/render/proxy/lambda/${renderId}`, {}, 404],
    [`/api/render/proxy/${renderId}/download`, {}, 404],
    [`/api/render/proxy/lambda/${renderId}/cancel`, { method: "POST" }, 404],
    ["/run_sse", { method: "POST", headers: json, body: "{not json" }, 400],
  ];
  for (const [path, init, status] of tries) {
    const r = await b.call(path, init);
    assert.equal(r.status, status, `${init.method ?? "GET"} ${path}`);
    assert.equal(r.headers.get("access-control-allow-origin"), APP);
    await r.text();
  }
  assert.equal(up.seen.length, before, "every refusal came before the upstream was contacted");
  // A stale session id (another visitor's) is "not found" in the API's words: the client makes
  // its own session and goes on.
  const stale = new nemo.NemoClient({
    baseUrl: proxy.url,
    serverToken: true,
    storage: { getItem: (k) => (k.endsWith(":session-id") ? sessionId : null), setItem() {}, removeItem() {} },
    fetch: (input, init = {}) => fetch(input, { ...init, headers: { ...init.headers, Origin: APP, Cookie: b.cookie } }),
  });
  const state = await stale.state();
  assert.equal(state.ready, false, "B sees its own (empty) project, never A's");
  assert.notEqual(stale.sessionId, sessionId);
});

test("each visitor has a daily budget of chat turns: then 429 with Retry-After", async () => {
  const c = await visitor(proxy.url);
  await c.client.connect();
  for (let i = 0; i < 3; i++) await c.client.chat(`hello ${i}`);
  await assert.rejects(c.client.chat("one more"), (e) => e.kind === "rate_limit" && e.retryAfterMs > 0 && e.retryAfterMs <= 86_400_000);
  const d = await visitor(proxy.url);
  await d.client.connect();
  assert.match((await d.client.chat("hello")).text, /./, "another visitor has its own budget");
});

test("the server token never reaches the page, whole or streamed", async () => {
  const v = await visitor(echoProxy.url);
  const credits = await v.call("/api/credits/balance/simple", { headers: { "X-Skill-Source": "mine" } });
  const text = await credits.text();
  assert.ok(!text.includes(TOKEN) && text.includes("Bearer ***"), text);
  assert.equal(echo.seen.at(-1).headers["x-skill-source"], "colab-text-to-video", "the operator's attribution, not the page's");
  const session = await (await v.call("/api/tasks/me/with-session/nemo_agent", { method: "POST", headers: json, body: "{}" })).json();
  const sid = session.data.session_id;
  const stream = await v.call("/run_sse", { method: "POST", headers: json, body: JSON.stringify({ session_id: sid }) });
  assert.equal(stream.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const body = await stream.text();
  assert.ok(!body.includes(TOKEN), body);
  assert.match(body, /Bearer \*\*\*/, "scrubbed inside the stream, across the chunk boundary");
  for (const [k, val] of [...credits.headers, ...stream.headers]) assert.ok(!val.includes(TOKEN), k);
});

test("secrets scan: no answer of this file's tests, and no line the workers printed, holds the token or the visitor secret", async (t) => {
  const { answers, chars } = await scan.assertNone([TOKEN, SECRET]);
  assert.ok(answers > 20, `${answers} answers recorded`);
  t.diagnostic(`${answers} answers and the workers' output scanned (${chars} characters)`);
});
