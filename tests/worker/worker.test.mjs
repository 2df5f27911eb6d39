// worker/index.js in real workerd (through Miniflare), on 127.0.0.1: the simulator mode end to
// end with the real client, and the proxy mode against a fake upstream on 127.0.0.1 (headers,
// token injection, SSE not buffered, every refusal, the rate limit, upstream errors).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { createRequire } from "node:module";
import { startWorker } from "../../worker/dev.mjs";

const require = createRequire(import.meta.url);
const nemo = require("../../pkg/node/nemo_video.js");

const TOKEN = "nemo-server-secret-7f3a";
const APP = "https://app.example";

// A fake upstream: records what it receives; answers per path.
const seen = [];
const upstream = http.createServer(async (req, res) => {
  let body = Buffer.alloc(0);
  for await (const chunk of req) body = Buffer.concat([body, chunk]);
  seen.push({ method: req.method, url: req.url, headers: req.headers, bytes: body.length });
  const json = (status, value, headers = {}) => {
    res.writeHead(status, { "content-type": "application/json", ...headers });
    res.end(JSON.stringify(value));
  };
  if (req.url === "/run_sse") {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
    res.write('data: {"author":"a","content":{"parts":[{"text":"first"}]}}\n\n');
    await new Promise((r) => setTimeout(r, 600));
    res.end('data: {"author":"a","content":{"parts":[{"text":"second"}]}}\n\n');
  } else if (req.url === "/api/credits/balance/simple") {
    json(200, { code: 0, message: "ok", data: { available: 5, frozen: 0, total: 5, echo: req.headers.authorization } }, { "set-cookie": "a=b", "x-internal": "1" });
  } else if (req.url.startsWith("/api/state/")) {
    json(429, { code: 429, message: "slow down" }, { "retry-after": "7" });
  } else if (req.url === "/api/render/proxy/lambda") {
    json(200, { code: 1001, message: "token expired" });
  } else if (req.url.startsWith("/api/upload-video/")) {
    json(200, { code: 0, data: { files: [{ filename: "a.mp4", bytes: body.length }] } });
  } else {
    json(404, { detail: "Not Found" });
  }
});

let up, proxy, sim, limited;
before(async () => {
  await new Promise((r) => upstream.listen(0, "127.0.0.1", r));
  up = `http://127.0.0.1:${upstream.address().port}`;
  proxy = await startWorker({ bindings: { NEMO_API_BASE: up, NEMO_TOKEN: TOKEN, ALLOWED_ORIGINS: APP, MAX_UPLOAD_BYTES: "1000" }, rateLimit: 1000 });
  sim = await startWorker({
    bindings: { NEMO_SIMULATE: "1", SIM_OPTIONS: JSON.stringify({ chunkDelayMs: 0, workMs: 20, heartbeatMs: 5, renderPolls: 2 }) },
  });
  limited = await startWorker({ bindings: { NEMO_API_BASE: up, ALLOWED_ORIGINS: APP }, rateLimit: 5, assets: false });
});
after(async () => {
  await Promise.all([proxy?.dispose(), sim?.dispose(), limited?.dispose()]);
  upstream.close();
});

const call = (base, path, init = {}) => fetch(`${base}${path}`, { ...init, headers: { Origin: APP, ...(init.headers ?? {}) } });

test("simulator mode: page, module and a full connect → chat → state → export → download cycle", async () => {
  const page = await fetch(`${sim.url}/`);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<title>NemoVideo/);
  const wasm = await fetch(`${sim.url}/pkg/nemo_video_bg.wasm`);
  assert.equal(wasm.headers.get("content-type"), "application/wasm");
  await wasm.arrayBuffer();
  // A browser on the worker's own page sends its Origin; the client gets it through `fetch`.
  const pageFetch = (input, init = {}) => fetch(input, { ...init, headers: { ...init.headers, Origin: sim.url } });
  const client = new nemo.NemoClient({ baseUrl: sim.url, fetch: pageFetch, storage: null, pollIntervalMs: 10 });
  const events = [];
  const r = await client.chat("make a 30-second city timelapse with lo-fi music", { onEvent: (e) => events.push(e) });
  assert.ok(events.filter((e) => e.type === "text" && e.partial).length >= 2, "streamed through the worker");
  assert.equal(r.changes, "Changed: Added Video: city timelapse (0-30s).");
  assert.ok((await client.state()).ready);
  const { url } = await client.export();
  assert.equal(url, `${sim.url}/sim/video.mp4`);
  const video = await fetch(url);
  assert.equal(video.headers.get("content-type"), "video/mp4");
  const bytes = new Uint8Array(await video.arrayBuffer());
  assert.equal(new TextDecoder().decode(bytes.slice(4, 8)), "ftyp");
  assert.ok(bytes.length > 10_000, "a real MP4, not a stub");
});

test("proxy: headers forwarded and added, the server token injected and never echoed", async () => {
  seen.length = 0;
  const res = await call(proxy.url, "/api/credits/balance/simple", {
    headers: { "X-Client-Id": "client-9", Cookie: "session=secret", Authorization: "Bearer browser-token", "X-Skill-Version": "9.9.9" },
  });
  assert.equal(res.status, 200);
  const got = seen[0].headers;
  assert.equal(got.authorization, `Bearer ${TOKEN}`);
  assert.equal(got["x-client-id"], "client-9");
  assert.equal(got["x-skill-source"], "colab-text-to-video");
  assert.equal(got["x-skill-platform"], "unknown");
  assert.equal(got["x-skill-version"], "9.9.9");
  assert.equal(got.cookie, undefined, "cookies never go upstream");
  const text = await res.text();
  assert.ok(!text.includes(TOKEN), "an echoing upstream does not leak the token");
  assert.ok(text.includes("Bearer ***"));
  for (const [k, v] of res.headers) assert.ok(!v.includes(TOKEN), `header ${k}`);
  assert.equal(res.headers.get("set-cookie"), null);
  assert.equal(res.headers.get("access-control-allow-origin"), APP);
});

test("proxy: /run_sse is streamed, not buffered", async () => {
  const t0 = Date.now();
  const res = await call(proxy.url, "/run_sse", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = res.body.getReader();
  const first = await reader.read();
  const firstAt = Date.now() - t0;
  assert.match(new TextDecoder().decode(first.value), /first/);
  let rest = "";
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
  const endAt = Date.now() - t0;
  assert.match(rest, /second/);
  assert.ok(firstAt < 450 && endAt >= 600, `first event at ${firstAt} ms, end at ${endAt} ms`);
});

test("proxy: closed by default — every refusal", async () => {
  const status = async (path, init = {}) => (await call(proxy.url, path, init)).status;
  assert.equal((await fetch(`${proxy.url}/api/credits/balance/simple`, { headers: { Origin: "https://evil.example" } })).status, 403);
  assert.equal((await fetch(`${proxy.url}/api/credits/balance/simple`)).status, 403, "no Origin");
  assert.equal(await status("/api/admin/users"), 404);
  assert.equal(await status("/api/credits/balance/simple", { method: "POST", body: "{}" }), 405);
  assert.equal(await status("/api/state/nemo_agent/me/..%2F..%2Fetc/latest"), 400);
  assert.equal(await status("/api/render/proxy/lambda/a%2Fb"), 400);
  assert.equal(await status("/api/render/proxy/lambda/render_1%40evil.com"), 400);
  assert.equal(await status("/api/state/nemo_agent/me/../../../etc/latest"), 404, "dot segments never reach the upstream");
  assert.equal(await status("/run_sse", { method: "POST", headers: { "content-type": "application/json" }, body: "x".repeat(1024 * 1024 + 1) }), 413);
  assert.equal(await status("/api/upload-video/nemo_agent/me/7350000000000000001", { method: "POST", body: new Uint8Array(1001) }), 413);
  assert.equal(await status("/api/auth/anonymous-token", { method: "POST" }), 404, "the server holds the token");
  const ok = await call(proxy.url, "/api/upload-video/nemo_agent/me/7350000000000000001", { method: "POST", body: new Uint8Array(1000) });
  assert.equal(ok.status, 200);
  assert.equal(seen.at(-1).bytes, 1000, "the upload streamed through whole");
  assert.ok(!seen.some((s) => s.url.includes("..") || s.url.includes("%2F") || s.url.includes("admin")));
});

test("proxy: CORS preflight for allowed origins only", async () => {
  const pre = (origin, method) => fetch(`${proxy.url}/run_sse`, { method: "OPTIONS", headers: { Origin: origin, "Access-Control-Request-Method": method, "Access-Control-Request-Headers": "content-type,x-client-id" } });
  const ok = await pre(APP, "POST");
  assert.equal(ok.status, 204);
  assert.equal(ok.headers.get("access-control-allow-origin"), APP);
  assert.match(ok.headers.get("access-control-allow-headers"), /X-Client-Id/);
  assert.equal((await pre("https://evil.example", "POST")).status, 403);
  assert.equal((await pre(APP, "DELETE")).status, 403);
});

test("proxy: upstream errors pass through with their codes", async () => {
  const limitedRes = await call(proxy.url, "/api/state/nemo_agent/me/7350000000000000001/latest");
  assert.equal(limitedRes.status, 429);
  assert.equal(limitedRes.headers.get("retry-after"), "7");
  const expired = await call(proxy.url, "/api/render/proxy/lambda", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
  assert.equal(expired.status, 200);
  assert.equal((await expired.json()).code, 1001);
});

test("proxy: a flood from one client gets 429 with Retry-After", async () => {
  // The budget is keyed by the platform's client address (CF-Connecting-IP), which a caller
  // cannot rotate the way it can rotate a client id.
  const statuses = [];
  for (let i = 0; i < 8; i++) {
    const r = await call(limited.url, "/api/credits/balance/simple", { headers: { "X-Client-Id": `rotating-${i}`, "CF-Connecting-IP": "192.0.2.1" } });
    statuses.push(r.status);
    if (r.status === 429) assert.equal(r.headers.get("retry-after"), "60");
    await r.arrayBuffer();
  }
  assert.deepEqual(statuses.slice(0, 5), [200, 200, 200, 200, 200]);
  assert.ok(statuses.slice(5).every((s) => s === 429), statuses.join(","));
  const other = await call(limited.url, "/api/credits/balance/simple", { headers: { "CF-Connecting-IP": "192.0.2.2" } });
  assert.equal(other.status, 200, "the budget is per client");
});
