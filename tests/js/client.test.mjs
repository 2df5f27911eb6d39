// NemoClient against the built-in simulator in Node, through the public JS API only: one test
// per behaviour and per fault, every duration shrunk by options. The simulator's request log
// proves what was sent: headers, single retries, and that no chat POST was ever repeated.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const nemo = require(process.env.NEMO_PKG_NODE ?? "../../pkg/node/nemo_video.js");
const { createSimulator } = require(process.env.NEMO_PKG_SIM ?? "../../pkg/sim-node/nemo_video.js");

function memoryStorage() {
  const map = new Map();
  return {
    map,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
  };
}

function setup(simOpts = {}, clientOpts = {}) {
  const sim = createSimulator({ chunkDelayMs: 0, workMs: 20, heartbeatMs: 5, renderPolls: 2, ...simOpts });
  const storage = clientOpts.storage ?? memoryStorage();
  const client = new nemo.NemoClient({
    baseUrl: "http://sim.test",
    fetch: sim,
    storage,
    pollIntervalMs: 5,
    dropPollMs: 5,
    rateLimitWaitMs: 5,
    ...clientOpts,
  });
  return { sim, client, storage };
}

const requests = (sim, path) => sim.requests().filter((r) => r.path === path);
const chats = (sim) => requests(sim, "/run_sse");
const tokens = (sim) => requests(sim, "/api/auth/anonymous-token");

async function rejects(promise, expected) {
  await assert.rejects(promise, (e) => {
    assert.equal(e.name, "NemoError");
    assert.ok(e instanceof Error);
    for (const [k, v] of Object.entries(expected)) assert.deepEqual(e[k], v, `${k} of ${e.message}`);
    assert.equal(typeof e.userMessage, "string");
    return true;
  });
}

async function chatEvents(client, text, opts = {}) {
  const events = [];
  const result = await client.chat(text, { ...opts, onEvent: (e) => events.push(e) });
  return { events, result };
}

const PROMPT = "make a 30-second city timelapse with lo-fi music";

test("connect: anonymous token for a new UUID client id, a string session id, status events", async () => {
  const { client, sim, storage } = setup();
  const events = [];
  const c = await client.connect({ onEvent: (e) => events.push(e) });
  assert.equal(c.anonymous, true);
  assert.match(c.sessionId, /^\d{19}$/);
  assert.equal(client.sessionId, c.sessionId);
  assert.deepEqual(events, [{ type: "status", text: "Connecting..." }]);
  const [tokenCall] = tokens(sim);
  assert.match(tokenCall.clientId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(tokenCall.auth, "none", "the token call carries no token");
  const stored = [...storage.map.entries()];
  assert.ok(stored.some(([k, v]) => k.endsWith(":session-id") && v === c.sessionId));
  assert.ok(stored.some(([k, v]) => k.endsWith(":client-id") && v === tokenCall.clientId));
  // A second client on the same storage reuses everything: no new token, no new session.
  const again = new nemo.NemoClient({ baseUrl: "http://sim.test", fetch: sim, storage });
  assert.equal((await again.connect()).sessionId, c.sessionId);
  assert.equal(tokens(sim).length, 1);
});

test("connect with a configured token: no anonymous token, and a refused one is reported", async () => {
  const { client, sim } = setup({ knownTokens: ["nemo_configured_1"] }, { token: "nemo_configured_1" });
  assert.equal((await client.connect()).anonymous, false);
  assert.equal(tokens(sim).length, 0);
  const bad = setup({}, { token: "nemo_wrong" });
  await rejects(bad.client.connect(), { kind: "auth", code: 1001, retryable: false });
  assert.equal(tokens(bad.sim).length, 0, "a configured token is never replaced");
  const errorText = await bad.client.connect().catch((e) => JSON.stringify({ ...e, m: e.message, s: String(e) }));
  assert.ok(!errorText.includes("nemo_wrong"), "the token never appears in an error");
});

test("calls made at once on a fresh client share one connect", async () => {
  const { client, sim } = setup();
  const [a, b, c] = await Promise.all([client.credits(), client.state(), client.connect()]);
  assert.equal(a.available, 100);
  assert.equal(b.ready, false);
  assert.match(c.sessionId, /^\d{19}$/);
  assert.equal(tokens(sim).length, 1, "one anonymous token");
  assert.equal(requests(sim, "/api/tasks/me/with-session/nemo_agent").length, 1, "one session");
});

test("every request carries the attribution headers, the token and the client id", async () => {
  const { client, sim } = setup();
  await client.chat(PROMPT);
  await client.credits();
  await client.state();
  await client.export();
  const log = sim.requests();
  assert.ok(log.length >= 8);
  for (const r of log) {
    assert.equal(r.attribution, true, `${r.path}`);
    assert.ok(r.clientId, `${r.path} has X-Client-Id`);
    assert.deepEqual(r.problems, [], `${r.path}`);
    assert.equal(r.auth, r.path === "/api/auth/anonymous-token" ? "none" : "valid", r.path);
  }
});

test("chat streams deltas, whole text, tool progress once, actions, changes, then done", async () => {
  const { client, sim } = setup();
  const { events, result } = await chatEvents(client, PROMPT);
  assert.deepEqual(events.at(-1), { type: "done" });
  assert.equal(events.filter((e) => e.type === "done").length, 1);
  const partials = events.filter((e) => e.type === "text" && e.partial);
  assert.ok(partials.length >= 2, "deltas arrive as they stream");
  const wholes = events.filter((e) => e.type === "text" && !e.partial).map((e) => e.text);
  assert.deepEqual(wholes, result.text.split("\n\n"));
  assert.deepEqual(events.filter((e) => e.type === "tool_call"), [{ type: "tool_call", name: "generate_video" }]);
  assert.ok(!events.some((e) => e.type === "text" && /functionCall|generate_video/.test(e.text)), "tools are never chat text");
  assert.deepEqual(result.actions, ["timeline", "export"]);
  assert.equal(result.changes, "Changed: Added Video: city timelapse (0-30s).");
  assert.ok(events.some((e) => e.type === "changes" && e.summary === result.changes));
  assert.equal(chats(sim).length, 1);
  assert.equal(chats(sim)[0].message, PROMPT);
});

test("a chat waits for its stream's headers past requestTimeoutMs (only its own timeouts apply)", async () => {
  const sim = createSimulator({ chunkDelayMs: 0, workMs: 5 });
  const slowHeaders = async (input, init) => {
    if (String(input).endsWith("/run_sse")) await new Promise((r) => setTimeout(r, 150));
    return sim(input, init);
  };
  const client = new nemo.NemoClient({ baseUrl: "http://sim.test", fetch: slowHeaders, storage: null, requestTimeoutMs: 50 });
  const r = await client.chat(PROMPT);
  assert.ok(r.text.includes("Done!"));
  assert.equal(chats(sim).length, 1);
});

test("a silent edit is summarised from the state", async () => {
  const { client } = setup({ silentEvery: 1 });
  const { events, result } = await chatEvents(client, PROMPT);
  assert.ok(!events.some((e) => e.type === "text" && e.text.startsWith("Done!")), "no closing text came");
  assert.equal(result.changes, "Changed: Added Video: city timelapse (0-30s).");
});

test("still working while only heartbeats arrive, then the idle timeout hangs up", async () => {
  const { client, sim } = setup({ faults: { heartbeatsOnly: 1 }, heartbeatMs: 5 }, { stillWorkingMs: 30, heartbeatOnlyTimeoutMs: 120 });
  const events = [];
  await rejects(client.chat("hello", { onEvent: (e) => events.push(e) }), { kind: "timeout", code: "CHAT_IDLE_TIMEOUT" });
  const notices = events.filter((e) => e.type === "still_working");
  assert.ok(notices.length >= 2, `got ${notices.length} notices`);
  assert.equal(notices[0].text, "⏳ Still working...");
  assert.ok(notices[0].elapsedMs >= 30);
  assert.deepEqual(events.at(-1), { type: "done" });
  assert.equal(chats(sim).length, 1);
  assert.equal(chats(sim)[0].aborted, true, "the client hung up only at its timeout");
});

test("plain silence counts too, and the total timeout bounds a turn", async () => {
  const quiet = setup({ faults: { silenceOnly: 1 } }, { stillWorkingMs: 20, heartbeatOnlyTimeoutMs: 100 });
  const events = [];
  await rejects(quiet.client.chat("hello", { onEvent: (e) => events.push(e) }), { code: "CHAT_IDLE_TIMEOUT" });
  assert.ok(events.some((e) => e.type === "still_working"));
  const total = setup({ faults: { heartbeatsOnly: 1 } }, { heartbeatOnlyTimeoutMs: 10_000, chatTimeoutMs: 80 });
  await rejects(total.client.chat("hello"), { kind: "timeout", code: "CHAT_TIMEOUT", retryable: true });
});

test("a dropped stream is never resent: the state is polled and the edit found", async () => {
  const { client, sim } = setup({ faults: { dropStream: 1 } });
  const { result } = await chatEvents(client, PROMPT);
  assert.equal(result.changes, "Changed: Added Video: city timelapse (0-30s).");
  assert.equal(chats(sim).length, 1, "no chat was sent twice");
});

test("a dropped stream with nothing changed: five polls, then a plain error", async () => {
  const { client, sim } = setup({ faults: { dropStream: 1 } });
  await client.connect();
  await rejects(client.chat("hello there"), { kind: "network", code: "STREAM_DROPPED", retryable: true });
  assert.equal(chats(sim).length, 1, "no chat was sent twice");
  const log = sim.requests();
  const after = log.slice(log.findIndex((r) => r.path === "/run_sse") + 1);
  assert.equal(after.filter((r) => r.path.endsWith("/latest")).length, 5);
});

test("an error payload with HTTP 200 rejects once, after a done event", async () => {
  const { client } = setup({ faults: { errorPayload: 1 } });
  const events = [];
  await rejects(client.chat("hello", { onEvent: (e) => events.push(e) }), { kind: "refused", code: "SAFETY", retryable: false });
  assert.equal(events.filter((e) => e.type === "done").length, 1);
  assert.ok(!events.some((e) => e.type === "error"));
});

test("1001: one new token for the same client id, then one retry", async () => {
  const { client, sim } = setup();
  await client.connect();
  sim.expireTokens();
  const c = await client.credits();
  assert.equal(c.available, 100);
  const t = tokens(sim);
  assert.equal(t.length, 2);
  assert.equal(t[0].clientId, t[1].clientId);
  const credits = requests(sim, "/api/credits/balance/simple");
  assert.deepEqual(credits.map((r) => r.auth), ["expired", "valid"]);
});

test("concurrent calls that all hit 1001 share one token refresh", async () => {
  const { client, sim } = setup();
  await client.connect();
  sim.expireTokens();
  const results = await Promise.all([client.credits(), client.credits(), client.state(), client.credits()]);
  assert.equal(results.length, 4);
  assert.equal(tokens(sim).length, 2, "one refresh for all four");
});

test("1002: a new session, then one retry; a chat rejected with ADK's 404 is retried once", async () => {
  const { client, sim } = setup();
  const first = (await client.connect()).sessionId;
  sim.setFaults({ sessionNotFound: 1 });
  await client.state();
  assert.notEqual(client.sessionId, first);
  const sessions = requests(sim, "/api/tasks/me/with-session/nemo_agent");
  assert.equal(sessions.length, 2);
  sim.setFaults({ sessionNotFound: 1 });
  const { result } = await chatEvents(client, PROMPT);
  assert.ok(result.text.includes("Done!"));
  assert.deepEqual(chats(sim).map((r) => r.status), [404, 200], "the rejected chat never ran; it was sent once more");
});

test("400 without client id: one retry", async () => {
  const { client, sim } = setup({ faults: { missingClientId: 1 } });
  await client.connect();
  assert.deepEqual(tokens(sim).map((r) => r.status), [400, 200]);
  const twice = setup({ faults: { missingClientId: 2 } });
  await rejects(twice.client.connect(), { code: 400 });
  assert.equal(tokens(twice.sim).length, 2);
});

test("429: Retry-After honoured, one retry, then the typed error", async () => {
  const { client, sim } = setup();
  await client.connect();
  sim.setFaults({ rateLimit: 1, retryAfterS: 0 });
  await client.credits();
  assert.deepEqual(requests(sim, "/api/credits/balance/simple").map((r) => r.status), [429, 200]);
  sim.setFaults({ rateLimit: 2, retryAfterS: 0 });
  await rejects(client.credits(), { kind: "rate_limit", code: 429, retryable: true, retryAfterMs: 0 });
  sim.setFaults({ rateLimit: 1 });
  const t0 = Date.now();
  await client.credits();
  assert.ok(Date.now() - t0 >= 5, "rateLimitWaitMs without a Retry-After");
});

test("2001: out of credits, with the bind link for an anonymous user", async () => {
  const { client, sim } = setup({ faults: { outOfCredits: 1 } });
  await rejects(client.chat("hello"), { kind: "credits", code: 2001, retryable: false });
  const e = await client.chat("hi").then(() => null, (x) => x);
  assert.equal(e, null, "the fault fired once");
  sim.setFaults({ outOfCredits: 1 });
  const err = await client.chat("hello").catch((x) => x);
  assert.match(err.bindUrl, /^https:\/\/nemovideo\.com\/register\?bind=anon_[0-9a-f]+$/);
  assert.ok(err.userMessage.includes(err.bindUrl));
  assert.equal(chats(sim).filter((r) => r.status === 200).length, 3, "2001 is never retried");
});

test("export: submit, progress, URL; the draft goes back as the state gave it", async () => {
  const { client, sim } = setup({ renderPolls: 3 });
  await client.chat(PROMPT);
  const progress = [];
  const r = await client.export({ onProgress: (p) => progress.push(p) });
  assert.match(r.id, /^render_\d+$/);
  assert.equal(r.url, "http://sim.test/sim/video.mp4");
  assert.deepEqual(progress.map((p) => p.status).at(-1), "completed");
  assert.ok(progress.some((p) => p.status === "processing" && p.percent > 0 && p.percent < 100));
  assert.deepEqual(requests(sim, "/api/render/proxy/lambda").map((x) => x.problems), [[]]);
});

test("export of a given draft sends that draft back unchanged", async () => {
  const { client, sim } = setup();
  await client.chat(PROMPT);
  const { draft } = await client.state();
  assert.equal((await client.export({ draft })).url, "http://sim.test/sim/video.mp4");
  assert.deepEqual(requests(sim, "/api/render/proxy/lambda").map((x) => x.problems), [[]], "the simulator compared it with the session's");
  await rejects(client.export({ draft: "{not json" }), { code: "BAD_DRAFT" });
  await rejects(client.export({ draft: { t: [] } }), { code: "NOTHING_TO_EXPORT" });
});

test("export reads every documented form of the render result", async () => {
  for (const renderForm of ["output.url", "outputUrl", "success", "bare"]) {
    const { client } = setup({ renderForm });
    await client.chat(PROMPT);
    assert.equal((await client.export()).url, "http://sim.test/sim/video.mp4", renderForm);
  }
  const { client } = setup({ renderForm: "none" });
  await client.chat(PROMPT);
  const r = await client.export();
  assert.match(r.url, /^blob:/, "fallback download");
  assert.equal(r.blob.size, 24);
});

test("export faults: 402 plan, render failure, transient poll errors, submit retried with a new id", async () => {
  const plan = setup({ faults: { exportPlan: 1 } });
  await plan.client.chat(PROMPT);
  await rejects(plan.client.export(), { kind: "plan", code: 402, retryable: false });
  const failed = setup({ faults: { renderFailure: 1 } });
  await failed.client.chat(PROMPT);
  await rejects(failed.client.export(), { kind: "server", code: "RENDER_FAILED" });
  const flaky = setup({ faults: { pollErrors: 2 } });
  await flaky.client.chat(PROMPT);
  const r = await flaky.client.export();
  const polls = requests(flaky.sim, `/api/render/proxy/lambda/${r.id}`);
  assert.deepEqual(polls.map((p) => p.status).slice(0, 2), [503, 503], "the same id polled again");
  const submit = setup({ faults: { submitErrors: 1 } });
  await submit.client.chat(PROMPT);
  await submit.client.export();
  const submits = requests(submit.sim, "/api/render/proxy/lambda");
  assert.equal(submits.length, 2);
  const empty = setup();
  await rejects(empty.client.export(), { kind: "refused", code: "NOTHING_TO_EXPORT" });
});

test("export cancels on abort and on timeout", async () => {
  const a = setup({ renderPolls: 1000 }, { pollIntervalMs: 5 });
  await a.client.chat(PROMPT);
  const ctl = new AbortController();
  setTimeout(() => ctl.abort(), 40);
  await rejects(a.client.export({ signal: ctl.signal }), { kind: "aborted" });
  assert.equal(a.sim.requests().filter((r) => r.path.endsWith("/cancel")).length, 1);
  const t = setup({ renderPolls: 1000 }, { pollIntervalMs: 5, exportTimeoutMs: 60 });
  await t.client.chat(PROMPT);
  await rejects(t.client.export(), { kind: "timeout", code: "EXPORT_TIMEOUT" });
  assert.equal(t.sim.requests().filter((r) => r.path.endsWith("/cancel")).length, 1);
});

test("a new client on the same storage resumes an unfinished export", async () => {
  const storage = memoryStorage();
  const { client, sim } = setup({ renderPolls: 2 }, { storage, pollIntervalMs: 60_000 });
  await client.chat(PROMPT);
  const closed = new AbortController();
  const first = client.export({ signal: closed.signal }).catch((e) => e);
  while (![...storage.map.keys()].some((k) => k.endsWith(":pending-renders"))) await new Promise((r) => setTimeout(r, 2));
  // "The tab was closed": a new client with the same storage.
  const reopened = new nemo.NemoClient({ baseUrl: "http://sim.test", fetch: sim, storage, pollIntervalMs: 5 });
  const done = await reopened.resumeExports();
  assert.equal(done.length, 1);
  assert.equal(done[0].url, "http://sim.test/sim/video.mp4");
  assert.ok(![...storage.map.keys()].some((k) => k.endsWith(":pending-renders")), "finished jobs are forgotten");
  assert.deepEqual(await reopened.resumeExports(), []);
  closed.abort();
  assert.equal((await first).kind, "aborted");
});

test("upload: formats and sizes checked before any request; files, text prompts and URLs", async () => {
  const { client, sim } = setup();
  await client.connect();
  await rejects(client.upload(new File(["x"], "report.pdf")), { kind: "file_type", code: 4001 });
  class Huge extends Blob { get size() { return 600 * 1024 * 1024; } }
  const huge = new Huge(["x"]);
  await rejects(client.upload([new File(["ok"], "a.mp4"), huge]), { kind: "file_type" });
  assert.equal(requests(sim, `/api/upload-video/nemo_agent/me/${client.sessionId}`).length, 0, "nothing was sent");
  const progress = [];
  const files = await client.upload([new File(["video"], "clip.mp4"), new File(["make a video about the sea"], "prompt.txt")], {
    onProgress: (p) => progress.push(p),
  });
  assert.deepEqual(files.map((f) => [f.filename, f.kind]), [["prompt.txt", "text"], ["clip.mp4", "video"]]);
  assert.equal(files[0].prompt, "make a video about the sea");
  assert.match(files[1].cdnUrl, /^https:\/\//);
  assert.deepEqual(progress.map((p) => [p.file, p.done]), [["clip.mp4", false], ["clip.mp4", true]]);
  const byUrl = await client.upload({ urls: ["https://example.com/a.mp4"] });
  assert.equal(byUrl[0].filename, "a.mp4");
  await rejects(client.upload({ urls: ["https://example.com/a.exe"] }), { kind: "file_type", code: 4001 });
  await rejects(client.upload({ urls: ["ftp://x/a.mp4"] }), { kind: "refused" });
});

test("upload refuses files over 500 MB (500,000,000 bytes, as the seed says) before sending", async () => {
  const { client, sim } = setup();
  await client.connect();
  // A real file one byte over the size, not a stand-in whose size getter lies.
  const mb = new Uint8Array(1_000_000);
  const parts = Array.from({ length: 500 }, () => mb);
  const over = new File([...parts, Uint8Array.of(0)], "long.mov");
  assert.equal(over.size, 500_000_001);
  await rejects(client.upload(over), { kind: "file_size", code: 4002 });
  assert.equal(sim.requests().filter((r) => r.path.startsWith("/api/upload-video")).length, 0);
});

test("abort stops a chat at once and rejects with aborted", async () => {
  const { client, sim } = setup({ faults: { heartbeatsOnly: 1 } });
  const ctl = new AbortController();
  const p = client.chat("hello", { signal: ctl.signal });
  setTimeout(() => ctl.abort(), 30);
  const t0 = Date.now();
  await rejects(p, { kind: "aborted", retryable: false });
  assert.ok(Date.now() - t0 < 1000);
  assert.equal(chats(sim)[0].aborted, true);
  await rejects(client.credits({ signal: AbortSignal.abort() }), { kind: "aborted" });
});

test("the legacy stream form works too", async () => {
  const { client } = setup({ legacy: true });
  const { events, result } = await chatEvents(client, PROMPT);
  assert.ok(events.some((e) => e.type === "tool_call" && e.name === "generate_video"));
  assert.ok(result.text.includes("Done!"));
  assert.equal(result.changes, "Changed: Added Video: city timelapse (0-30s).");
});

test("handle routes by intent and does the work", async () => {
  const { client } = setup();
  const chat = await client.handle(PROMPT);
  assert.equal(chat.intent, "chat");
  assert.ok(chat.text.includes("Changed: Added Video"));
  assert.equal(chat.url, "http://sim.test/sim/video.mp4", "the agent's 'click Export' ran the export");
  assert.equal((await client.handle("积分")).text, "You have 98 credits available.");
  assert.ok((await client.handle("状态")).text.startsWith("Timeline (1 track): 1. Video: city timelapse (0-30s)"));
  assert.ok((await client.handle("上传")).text.includes("mp4"));
  const exp = await client.handle("帮我导出视频");
  assert.equal(exp.intent, "export");
  assert.equal(exp.url, "http://sim.test/sim/video.mp4");
});

test("simulator options read as JSON.stringify writes them; bad ones are typed errors", async () => {
  // A key set to undefined or to a function takes its default, as in JSON.
  const { client } = setup({ heartbeatMs: undefined, onRequest: () => {}, faults: { dropStream: undefined } });
  assert.ok((await client.chat(PROMPT)).text.includes("Done!"));
  for (const bad of [{ renderForm: "gif" }, { seed: "7" }, { faults: 3 }, { seed: 10n }]) {
    assert.throws(() => createSimulator(bad), (e) => e.name === "NemoError" && e.code === "BAD_OPTION", JSON.stringify(Object.keys(bad)));
  }
});

test("bad input is a typed error, never a crash", async () => {
  assert.throws(() => new nemo.NemoClient({ pollIntervalMs: -5 }), (e) => e.name === "NemoError" && e.kind === "refused");
  assert.throws(() => new nemo.NemoClient({ baseUrl: "ftp://x" }), (e) => e.code === "BAD_BASE_URL");
  assert.throws(() => new nemo.NemoClient({ storage: 42 }), (e) => e.code === "BAD_OPTION");
  assert.throws(() => new nemo.NemoClient({ fetch: "no" }), (e) => e.code === "BAD_OPTION");
  const { client } = setup();
  await rejects(client.chat(42), { kind: "refused" });
  await rejects(client.chat("   "), { code: "EMPTY_MESSAGE" });
  await rejects(client.upload(7), { code: "BAD_INPUT" });
  await rejects(client.chat("x", { signal: "nope" }), { code: "BAD_OPTION" });
  const throwing = setup();
  const r = await throwing.client.chat(PROMPT, { onEvent: () => { throw new Error("user bug"); } });
  assert.ok(r.text.includes("Done!"), "a throwing callback does not break the turn");
});

// ---- Issue 11: recovery paths against the simulator's modes (tests/js/recorded.test.mjs has
// the same paths against hand-written exchanges). Each asserts the chat POST and export submit
// counts.
const submits = (sim) => requests(sim, "/api/render/proxy/lambda").filter((r) => r.method === "POST");
const HIDDEN = "Changed: the project was edited in details the timeline summary does not show.";

test("hiddenEdits: an edit the summary cannot show is a change, silent or after a drop", async () => {
  const silent = setup({ hiddenEdits: true, silentEvery: 1 });
  const { result } = await chatEvents(silent.client, PROMPT);
  assert.equal(result.changes, HIDDEN);
  assert.deepEqual([chats(silent.sim).length, submits(silent.sim).length], [1, 0]);
  const dropped = setup({ hiddenEdits: true, faults: { dropStream: 1 } });
  const r = await dropped.client.chat(PROMPT);
  assert.equal(r.changes, HIDDEN);
  assert.deepEqual([chats(dropped.sim).length, submits(dropped.sim).length], [1, 0]);
});

test("noDraft: a session that starts with no draft is a known baseline after a drop", async () => {
  const { client, sim } = setup({ noDraft: true, faults: { dropStream: 1 } });
  const r = await client.chat(PROMPT);
  assert.equal(r.changes, "Changed: Added Video: city timelapse (0-30s).");
  assert.deepEqual([chats(sim).length, submits(sim).length], [1, 0]);
});

test("a failure before the stream opens ends with done, then one rejection", async () => {
  const { client, sim } = setup({ faults: { outOfCredits: 1 } });
  const events = [];
  await rejects(client.chat("hello", { onEvent: (e) => events.push(e) }), { kind: "credits", code: 2001 });
  assert.deepEqual(events.at(-1), { type: "done" });
  assert.equal(events.filter((e) => e.type === "done").length, 1);
  assert.deepEqual([chats(sim).length, submits(sim).length], [1, 0]);
});

test("draftAsText: the draft goes back to export as the string the state gave", async () => {
  const { client, sim } = setup({ draftAsText: true });
  await client.chat(PROMPT);
  assert.equal((await client.export()).url, "http://sim.test/sim/video.mp4");
  assert.deepEqual(submits(sim).map((x) => x.problems), [[]], "the simulator compared the text it sent");
  assert.deepEqual([chats(sim).length, submits(sim).length], [1, 1]);
});

test("export: a submit whose answer is lost is polled by its id, a 1002 is refused, nothing stacks", async () => {
  const lost = setup({ faults: { submitLost: 1 } });
  await lost.client.chat(PROMPT);
  const r = await lost.client.export();
  assert.equal(r.url, "http://sim.test/sim/video.mp4");
  assert.deepEqual([chats(lost.sim).length, submits(lost.sim).length], [1, 1], "the accepted job was not submitted twice");
  assert.equal(submits(lost.sim)[0].status, 504);

  const gone = setup();
  await gone.client.chat(PROMPT);
  const { draft } = await gone.client.state();
  gone.sim.dropSession(gone.client.sessionId);
  await rejects(gone.client.export({ draft }), { code: 1002, kind: "session", retryable: false });
  assert.equal(requests(gone.sim, "/api/tasks/me/with-session/nemo_agent").length, 1, "no new session for the old draft");
  assert.deepEqual([chats(gone.sim).length, submits(gone.sim).length], [1, 1]);
});

test("a side call's 1002 during a dropped turn does not move the turn's polls", async () => {
  // The simulator's 1002 removes the session: the turn's own polls find it gone and say so at
  // once (recorded.test.mjs has the session that still answers).
  // (No stateDelta before the drop: the turn must poll.)
  const { client, sim } = setup({ stateDelta: false, faults: { dropStream: 1 } }, { dropPollMs: 150 });
  await client.connect();
  const first = client.sessionId;
  let side;
  const events = [];
  const turn = client.chat(PROMPT, {
    onEvent: (e) => {
      events.push(e);
      if (e.type === "tool_call" && !side) {
        sim.setFaults({ sessionNotFound: 1 });
        side = client.state();
      }
    },
  });
  await rejects(turn, { kind: "session", code: 1002, retryable: false });
  assert.equal((await side).draft.t.length, 0, "the side call read the new, empty session");
  assert.notEqual(client.sessionId, first, "the side call moved the client to a new session");
  const log = sim.requests();
  const polls = log.slice(log.findIndex((x) => x.path === "/run_sse")).filter((x) => x.path.endsWith("/latest"));
  assert.deepEqual(polls.map((x) => x.path.includes(first)), [true, false, true], "the side call (1002, then the new session), then the turn's own poll, once");
  assert.ok(events.some((e) => e.type === "status" && /new one was started/.test(e.text)), "the swap is reported");
  assert.deepEqual(events.at(-1), { type: "done" });
  assert.deepEqual([chats(sim).length, submits(sim).length], [1, 0]);
});

test("tokenUserId false: the bind link takes the user id from the session answer", async () => {
  const { client, sim } = setup({ tokenUserId: false, faults: { outOfCredits: 1 } });
  const err = await client.chat("hello").catch((e) => e);
  assert.match(err.bindUrl, /^https:\/\/nemovideo\.com\/register\?bind=anon_[0-9a-f]+$/);
  assert.deepEqual([chats(sim).length, submits(sim).length], [1, 0]);
});

test("GUI phrases are translated in the text the user reads", async () => {
  const { client, sim } = setup();
  const { events, result } = await chatEvents(client, PROMPT);
  const wholes = events.filter((e) => e.type === "text" && !e.partial).map((e) => e.text);
  assert.ok(!wholes.some((t) => /click Export|Preview it in the timeline/.test(t)), wholes.join(" | "));
  assert.ok(wholes.some((t) => t.includes("I'll export the video for you.")), wholes.join(" | "));
  assert.deepEqual(result.actions, ["timeline", "export"]);
  assert.deepEqual([chats(sim).length, submits(sim).length], [1, 0]);
});

test("still-working notices cover the wait for headers and the drop polls", async () => {
  const sim = createSimulator({ chunkDelayMs: 0, workMs: 5, stateDelta: false, faults: { dropStream: 1 } });
  const slowHeaders = async (input, init) => {
    if (String(input).endsWith("/run_sse")) await new Promise((r) => setTimeout(r, 150));
    return sim(input, init);
  };
  const client = new nemo.NemoClient({ baseUrl: "http://sim.test", fetch: slowHeaders, storage: null, stillWorkingMs: 40, dropPollMs: 150 });
  const events = [];
  const r = await client.chat(PROMPT, { onEvent: (e) => events.push(e) });
  const firstText = events.findIndex((e) => e.type === "text");
  assert.ok(events.slice(0, firstText).filter((e) => e.type === "still_working").length >= 2, "notices before the headers");
  const afterTool = events.slice(events.findIndex((e) => e.type === "tool_call"));
  assert.ok(afterTool.some((e) => e.type === "still_working"), "notices while the drop polls wait");
  assert.ok(r.changes);
  assert.deepEqual([chats(sim).length, submits(sim).length], [1, 0]);
});
