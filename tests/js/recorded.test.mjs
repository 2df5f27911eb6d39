// NemoClient against a second backend that shares no code with the client: hand-written HTTP
// exchanges (API.md's envelopes, ADK-shaped SSE as a real ADK server writes it: deltas, the
// whole text, tool calls repeated in the final event, stateDelta, the three no-text endings)
// served by a small Node server on 127.0.0.1 (port 0) and reached through Node's own fetch.
// Each test is a recovery path where a wrong reading would cost the user: every one asserts how
// many chat POSTs and export submits reached the server.
import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { once } from "node:events";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const nemo = require(process.env.NEMO_PKG_NODE ?? "../../pkg/node/nemo_video.js");

const SID = "7350000000000000001";
const SID2 = "7350000000000000002";
const SUBMIT = "/api/render/proxy/lambda";

// ---- the server ------------------------------------------------------------------------

async function backend(routes) {
  const log = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const entry = {
      method: req.method,
      path: new URL(req.url, "http://x").pathname,
      body: Buffer.concat(chunks).toString(),
      auth: req.headers.authorization ?? null,
    };
    log.push(entry);
    const route = routes.find(([m, p]) => m === req.method && (typeof p === "string" ? p === entry.path : p.test(entry.path)));
    if (!route) return send(res, 404, { detail: "Not Found" });
    try {
      await route[2](entry, res);
    } catch {
      res.destroy();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${server.address().port}`;
  const close = () => new Promise((r) => { server.closeAllConnections(); server.close(r); });
  return { url, log, close };
}

function send(res, status, body, headers = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(text);
}
const ok = (data) => (_, res) => send(res, 200, { code: 0, message: "success", data });
const fail = (code, message) => (_, res) => send(res, 200, { code, message, data: null });
/** Answers with each handler in turn; the last one repeats. */
function inTurn(...handlers) {
  let i = 0;
  return (e, res) => handlers[Math.min(i++, handlers.length - 1)](e, res);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** An SSE body as ADK writes it: `data: <compact JSON>\n\n` per event, then the end of the
 *  body (or, with `drop`, a reset connection after the events). */
function sse(events, { drop = false, onDrop } = {}) {
  return async (_, res) => {
    res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" });
    for (const ev of events) {
      res.write(`data: ${JSON.stringify(ev)}\n\n`);
      await sleep(2);
    }
    if (drop) {
      await sleep(15);
      res.socket.destroy();
      onDrop?.();
    } else {
      res.end();
    }
  };
}

// ---- ADK events, written by hand -------------------------------------------------------

const INV = "e-4b1d2c7a";
const actions = (stateDelta = {}) => ({ stateDelta, artifactDelta: {}, requestedAuthConfigs: {}, requestedToolConfirmations: {} });
const event = (id, fields) => ({ invocationId: INV, author: "nemo_agent", actions: actions(), id, timestamp: 1764460000.25, ...fields });
const delta = (id, text) => event(id, { content: { parts: [{ text }], role: "model" }, partial: true });
const whole = (id, text) => event(id, { content: { parts: [{ text }], role: "model" }, finishReason: "STOP" });
const call = (partial) => event("ev-call", { content: { parts: [{ functionCall: { id: "adk-9f2", args: { request: "x" }, name: "edit_timeline" } }], role: "model" }, ...(partial ? { partial: true } : {}) });
const result = (draft) => ({ ...event("ev-result", { content: { parts: [{ functionResponse: { id: "adk-9f2", name: "edit_timeline", response: { result: "ok" } } }], role: "user" } }), actions: actions(draft ? { draft } : {}) });
const emptyPartial = event("ev-end", { content: { parts: [], role: "model" }, partial: true });
const noContent = event("ev-end", { errorCode: "MODEL_RETURNED_NO_CONTENT", errorMessage: "Model returned no content." });
/** A turn that says something, runs a tool, and (unless told) closes with text. */
const toolTurn = (ending = [whole("ev-close", "Done! I updated your video.")], draft) => [
  delta("ev-intro", "On it: "), delta("ev-intro", "working on your timeline."), whole("ev-intro", "On it: working on your timeline."),
  call(true), call(false), result(draft), ...ending,
];

// ---- drafts, written by hand -----------------------------------------------------------

const VIDEO = { tt: 0, sg: [{ s: 0, d: 10000, m: { title: "city timelapse" } }] };
const BGM = { tt: 1, m: { title: "Lo-fi", volume: 0.35 }, sg: [{ s: 0, d: 10000 }] };
const DRAFT_A = { t: [VIDEO], d: 10000 };
const DRAFT_A_GRADED = { t: [VIDEO], d: 10000, m: { grade: "warm", fps: 30 } };
const DRAFT_B = { t: [VIDEO, BGM], d: 10000 };
const state = (draft) => ok({ state: { ...(draft === undefined ? {} : { draft }), video_infos: [], canvas_config: { width: 1920, height: 1080 } } });
const HIDDEN = "Changed: the project was edited in details the timeline summary does not show.";

// ---- the client ------------------------------------------------------------------------

function memoryStorage() {
  const map = new Map();
  return { map, getItem: (k) => (map.has(k) ? map.get(k) : null), setItem: (k, v) => map.set(k, String(v)), removeItem: (k) => map.delete(k) };
}

function standard(extra = []) {
  return [
    ...extra,
    ["POST", "/api/auth/anonymous-token", ok({ token: "nmv_usr_recorded01", credits: 100, user_id: "anon_rec1", expires_at: "2030-01-01T00:00:00Z" })],
    ["POST", "/api/tasks/me/with-session/nemo_agent", ok({ session_id: SID, task_id: "task_1" })],
    ["GET", "/api/credits/balance/simple", ok({ available: 98, frozen: 0, total: 98 })],
  ];
}

async function setup(routes, opts = {}) {
  const server = await backend(routes);
  const storage = opts.storage ?? memoryStorage();
  const client = new nemo.NemoClient({
    baseUrl: server.url, storage, dropPollMs: 30, pollIntervalMs: 5, rateLimitWaitMs: 5, ...opts,
  });
  const count = (method, path) => server.log.filter((r) => r.method === method && r.path === path).length;
  return {
    ...server, client, storage,
    chatPosts: () => count("POST", "/run_sse"),
    submits: () => count("POST", SUBMIT),
    polls: (sid = SID) => count("GET", `/api/state/nemo_agent/me/${sid}/latest`),
  };
}

async function chatEvents(client, text, opts = {}) {
  const events = [];
  const p = client.chat(text, { ...opts, onEvent: (e) => events.push(e) });
  try {
    return { events, result: await p };
  } catch (error) {
    return { events, error };
  }
}

function endsWithOneDone(events) {
  assert.deepEqual(events.at(-1), { type: "done" });
  assert.equal(events.filter((e) => e.type === "done").length, 1);
}

// ---- 1. change detection sees every edit -------------------------------------------------

test("a silent edit the summary cannot show is reported, not 'the timeline did not change'", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, inTurn(state(DRAFT_A), state(DRAFT_A_GRADED))],
    ["POST", "/run_sse", sse(toolTurn([]))], // ends on the functionResponse: no closing text
  ]));
  t.after(s.close);
  const { events, result } = await chatEvents(s.client, "warm up the colours");
  assert.equal(result.changes, HIDDEN);
  assert.ok(events.some((e) => e.type === "changes" && e.summary === HIDDEN));
  assert.ok(!result.text.includes("did not change"), result.text);
  assert.deepEqual([s.chatPosts(), s.submits()], [1, 0]);
});

test("after a dropped stream, an edit the summary cannot show ends the polls", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, inTurn(state(DRAFT_A), state(DRAFT_A_GRADED))],
    ["POST", "/run_sse", sse([delta("ev-1", "Working"), call(true), call(false)], { drop: true })],
  ]));
  t.after(s.close);
  const { result, error } = await chatEvents(s.client, "warm up the colours");
  assert.equal(error, undefined, error?.message);
  assert.equal(result.changes, HIDDEN);
  assert.deepEqual([s.chatPosts(), s.submits(), s.polls()], [1, 0, 2], "one read before, one poll after");
});

// ---- 2. "no draft yet" is known ----------------------------------------------------------

test("a fresh session with no draft: the first poll after a drop is the change, not the baseline", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, inTurn(state(undefined), state(DRAFT_A))],
    ["POST", "/run_sse", sse([delta("ev-1", "Making it"), call(true), call(false)], { drop: true })],
  ]));
  t.after(s.close);
  const { result, error } = await chatEvents(s.client, "make a city timelapse");
  assert.equal(error, undefined, error?.message);
  assert.equal(result.changes, "Changed: Added Video: city timelapse (0-10s).");
  assert.deepEqual([s.chatPosts(), s.submits(), s.polls()], [1, 0, 2]);
});

test("a stateDelta the stream carried before it dropped is the answer: no polls", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, inTurn(state(undefined), state(DRAFT_A))],
    ["POST", "/run_sse", sse([call(true), call(false), result(DRAFT_A)], { drop: true })],
  ]));
  t.after(s.close);
  const { result: r, error } = await chatEvents(s.client, "make a city timelapse");
  assert.equal(error, undefined, error?.message);
  assert.equal(r.changes, "Changed: Added Video: city timelapse (0-10s).");
  assert.deepEqual([s.chatPosts(), s.submits(), s.polls()], [1, 0, 1], "only the read before the message");
});

test("each of the three no-text endings, with a stateDelta, is summarised from it", async (t) => {
  for (const ending of [[emptyPartial], [noContent], []]) {
    const s = await setup(standard([
      ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
      ["POST", "/run_sse", sse([...toolTurn([], DRAFT_B), ...ending])],
    ]));
    t.after(s.close);
    const { events, result: r } = await chatEvents(s.client, "add lo-fi music");
    assert.equal(r.changes, "Changed: Added BGM: Lo-fi (0-10s, 35%).");
    assert.deepEqual(events.filter((e) => e.type === "tool_call"), [{ type: "tool_call", name: "edit_timeline" }], "the repeated call once");
    assert.deepEqual(events.filter((e) => e.type === "text" && !e.partial).map((e) => e.text), ["On it: working on your timeline."]);
    assert.deepEqual([s.chatPosts(), s.submits(), s.polls()], [1, 0, 1]);
  }
});

// ---- 3. every failed turn ends with done, then one rejection -------------------------------

test("every failure before the stream opens ends the turn with done, then one rejection", async (t) => {
  const cases = [
    ["2001 in an envelope", [["POST", "/run_sse", fail(2001, "insufficient credits")]], { kind: "credits", code: 2001 }, 1],
    ["429 after its one retry", [["POST", "/run_sse", (_, res) => send(res, 429, { detail: "slow down" }, { "retry-after": "0" })]], { kind: "rate_limit", code: 429 }, 2],
    ["a 5xx", [["POST", "/run_sse", (_, res) => send(res, 502, "<html>bad gateway</html>")]], { kind: "server", code: 502 }, 1],
    ["the network", [["POST", "/run_sse", (_, res) => res.socket.destroy()]], { kind: "network" }, 1],
    ["connect", [["POST", "/api/tasks/me/with-session/nemo_agent", (_, res) => send(res, 503, { detail: "down" })]], { kind: "server", code: 503 }, 0],
  ];
  for (const [name, routes, expected, posts] of cases) {
    const s = await setup(standard([["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)], ...routes]));
    t.after(s.close);
    const { events, error } = await chatEvents(s.client, "hello");
    assert.ok(error, name);
    for (const [k, v] of Object.entries(expected)) assert.equal(error[k], v, `${name}: ${k}`);
    endsWithOneDone(events);
    assert.deepEqual([s.chatPosts(), s.submits()], [posts, 0], name);
  }
});

// ---- 4. the draft goes back exactly as it came ------------------------------------------

test("export sends the draft back byte for byte, and a draft sent as a string stays a string", async (t) => {
  const text = '{"t":[{"tt":0,"sg":[{"s":0,"d":1.50,"m":{"title":"x"}}]}],"d":10000,"z":1,"a":2,"big":12345678901234567890}';
  for (const draftJson of [text, JSON.stringify(text)]) {
    const body = `{"code":0,"message":"success","data":{"state":{"video_infos":[],"draft":${draftJson}}}}`;
    const s = await setup(standard([
      ["GET", `/api/state/nemo_agent/me/${SID}/latest`, (_, res) => send(res, 200, body)],
      ["POST", SUBMIT, (e, res) => send(res, 200, { code: 0, data: { id: JSON.parse(e.body).id, status: "pending" } })],
      ["GET", /^\/api\/render\/proxy\/lambda\/render_\d+$/, ok({ status: "completed", output: { url: "https://cdn.example/v.mp4" } })],
    ]));
    t.after(s.close);
    const st = await s.client.state();
    assert.deepEqual(Object.keys(st.draft), ["t", "d", "z", "a", "big"], "the keys keep the server's order");
    assert.equal((await s.client.export()).url, "https://cdn.example/v.mp4");
    const sent = s.log.find((r) => r.path === SUBMIT).body;
    assert.ok(sent.includes(`"draft":${draftJson}`), `${sent} carries ${draftJson}`);
    assert.deepEqual([s.chatPosts(), s.submits()], [0, 1]);
  }
});

// ---- 5. export submits cannot stack -----------------------------------------------------

const pollDone = ["GET", /^\/api\/render\/proxy\/lambda\/render_\d+$/, ok({ status: "completed", outputUrl: "https://cdn.example/v.mp4" })];
const accept = (e, res) => send(res, 200, { code: 0, data: { id: JSON.parse(e.body).id, status: "pending", progress: 0 } });

test("a submit refused with 429 is retried once, with a new id, and never more", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", SUBMIT, (_, res) => send(res, 429, { detail: "busy" }, { "retry-after": "0" })],
  ]));
  t.after(s.close);
  await assert.rejects(s.client.export(), (e) => e.code === 429);
  const ids = s.log.filter((r) => r.path === SUBMIT).map((r) => JSON.parse(r.body).id);
  assert.equal(new Set(ids).size, ids.length, "a new id for the retry");
  assert.deepEqual([s.chatPosts(), s.submits()], [0, 2]);
  assert.ok(![...s.storage.map.keys()].some((k) => k.endsWith(":pending-renders")), "refused ids are forgotten");
});

test("a submit refused with 1002 is reported, not resubmitted under a new session", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", SUBMIT, fail(1002, "session not found")],
  ]));
  t.after(s.close);
  await assert.rejects(s.client.export(), (e) => e.code === 1002 && e.kind === "session" && /session expired/.test(e.userMessage));
  assert.equal(s.log.filter((r) => r.path === "/api/tasks/me/with-session/nemo_agent").length, 1, "no new session for the old draft");
  assert.deepEqual([s.chatPosts(), s.submits()], [0, 1]);
});

test("a submit whose answer never comes is stored first, then polled by its id, never sent twice", async (t) => {
  let storedWhenSent = null;
  const storage = memoryStorage();
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", SUBMIT, async (e) => {
      const key = [...storage.map.keys()].find((k) => k.endsWith(":pending-renders"));
      storedWhenSent = key ? storage.map.get(key) : null;
      void e; // accepted, but the answer never comes back
    }],
    pollDone,
  ]), { storage, requestTimeoutMs: 250 });
  t.after(s.close);
  const r = await s.client.export();
  const submitted = JSON.parse(s.log.find((x) => x.path === SUBMIT).body).id;
  assert.equal(r.id, submitted, "the job that ran is the one that was submitted");
  assert.ok(storedWhenSent?.includes(submitted), "the id was stored before the request left");
  assert.deepEqual([s.chatPosts(), s.submits()], [0, 1]);
});

test("a lost submit the service never received is submitted once more; one aborted meanwhile is cancelled", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", SUBMIT, inTurn((_, res) => send(res, 504, "gateway timeout"), accept)],
    ["GET", /^\/api\/render\/proxy\/lambda\/render_\d+$/, inTurn((_, res) => send(res, 404, { success: false, error: { code: 404, message: "render not found" } }), ok({ status: "completed", outputUrl: "https://cdn.example/v.mp4" }))],
  ]));
  t.after(s.close);
  assert.equal((await s.client.export()).url, "https://cdn.example/v.mp4");
  assert.deepEqual([s.chatPosts(), s.submits()], [0, 2]);

  // Aborted once the service has told the job's status: it is running, so it is cancelled.
  const ctl = new AbortController();
  const a = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", SUBMIT, (_, res) => send(res, 504, "gateway timeout")],
    ["GET", /^\/api\/render\/proxy\/lambda\/render_\d+$/, (e, res) => {
      setTimeout(() => ctl.abort(), 5);
      ok({ status: "processing", progress: 10 })(e, res);
    }],
    ["POST", /\/cancel$/, ok({})],
  ]), { pollIntervalMs: 20 });
  t.after(a.close);
  await assert.rejects(a.client.export({ signal: ctl.signal }), (e) => e.kind === "aborted");
  const id = JSON.parse(a.log.find((x) => x.path === SUBMIT).body).id;
  assert.deepEqual(a.log.filter((x) => x.path.endsWith("/cancel")).map((x) => x.path), [`${SUBMIT}/${id}/cancel`]);
  assert.deepEqual([a.chatPosts(), a.submits()], [0, 1]);
});

test("a lost submit answer, then a failed poll: the same job is polled again, never resubmitted", async (t) => {
  // The fault matrix's sequence (export × lostAnswer, then exportStatus × 503), by hand.
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", SUBMIT, (_, res) => send(res, 504, { detail: "upstream request timeout" })],
    ["GET", /^\/api\/render\/proxy\/lambda\/render_\d+$/, inTurn(
      (_, res) => send(res, 503, { success: false, error: "render service busy" }),
      (_, res) => send(res, 200, '{"code":0,"data":{"status":"processing"}}}'), // unreadable: a failed poll too
      ok({ status: "completed", outputUrl: "https://cdn.example/v.mp4" }),
    )],
  ]));
  t.after(s.close);
  assert.equal((await s.client.export()).url, "https://cdn.example/v.mp4");
  const polled = new Set(s.log.filter((x) => x.method === "GET" && x.path.startsWith(`${SUBMIT}/`)).map((x) => x.path));
  assert.equal(polled.size, 1, "one id polled throughout");
  assert.deepEqual([s.chatPosts(), s.submits()], [0, 1]);
});

test("a stream that ends cleanly inside an event was cut short: the edit is found by polling", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, inTurn(state(DRAFT_A), state(DRAFT_A), state(DRAFT_B))],
    ["POST", "/run_sse", async (_, res) => {
      res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
      res.write(`data: ${JSON.stringify(whole("ev-intro", "Adding lo-fi music."))}\n\n`);
      res.end(`data: ${JSON.stringify(call(false)).slice(0, 40)}`); // a clean end, mid-event
    }],
  ]), { dropPollMs: 5 });
  t.after(s.close);
  const { events, result, error } = await chatEvents(s.client, "add lo-fi music");
  assert.equal(error, undefined, error?.message);
  assert.equal(result.changes, "Changed: Added BGM: Lo-fi (0-10s, 35%).");
  endsWithOneDone(events);
  assert.deepEqual([s.chatPosts(), s.submits(), s.polls()], [1, 0, 3], "one read before, two polls after");
});

// ---- 6. a 1002 in a side call does not move a running turn -------------------------------

test("a side call's 1002 during a turn's drop polls: the turn keeps its session, and says so", async (t) => {
  let dropped;
  const droppedP = new Promise((r) => { dropped = r; });
  let sideCall = false;
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, inTurn(state(DRAFT_A), (e, res) => (sideCall ? state(DRAFT_B)(e, res) : fail(1002, "session not found")(e, res)))],
    ["GET", `/api/state/nemo_agent/me/${SID2}/latest`, state(undefined)],
    // The second session is the one the side call's 1002 creates.
    ["POST", "/api/tasks/me/with-session/nemo_agent", inTurn(ok({ session_id: SID, task_id: "t1" }), ok({ session_id: SID2, task_id: "t2" }))],
    ["POST", "/run_sse", sse([delta("ev-1", "Adding music"), call(true), call(false)], { drop: true, onDrop: () => dropped() })],
  ]), { dropPollMs: 300 });
  t.after(s.close);
  const events = [];
  const turn = s.client.chat("add lo-fi music", { onEvent: (e) => events.push(e) });
  await droppedP;
  const side = await s.client.state(); // answered 1002: a new session, then its (empty) state
  sideCall = true;
  assert.equal(side.draft, null);
  const r = await turn;
  assert.equal(r.changes, "Changed: Added BGM: Lo-fi (0-10s, 35%).");
  assert.ok(events.some((e) => e.type === "status" && /new one was started/.test(e.text)), "the swap is reported");
  assert.deepEqual([s.chatPosts(), s.submits()], [1, 0]);
});

// ---- 7. the bind link is never empty ------------------------------------------------------

test("the bind link takes the user id from the session answer; with none known it says so", async (t) => {
  const token = (extra) => ["POST", "/api/auth/anonymous-token", ok({ token: "nmv_usr_recorded02", credits: 100, ...extra })];
  const a = await setup([
    token({}),
    ["POST", "/api/tasks/me/with-session/nemo_agent", ok({ session_id: SID, task_id: "t", user_id: "anon_from_session" })],
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", "/run_sse", fail(2001, "insufficient credits")],
    ...standard(),
  ]);
  t.after(a.close);
  const e1 = (await chatEvents(a.client, "hello")).error;
  assert.equal(e1.bindUrl, "https://nemovideo.com/register?bind=anon_from_session");
  const b = await setup([
    token({}),
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", "/run_sse", fail(2001, "insufficient credits")],
    ...standard(),
  ]);
  t.after(b.close);
  const e2 = (await chatEvents(b.client, "hello")).error;
  assert.equal(e2.bindUrl, undefined);
  assert.ok(!e2.userMessage.includes("bind="), e2.userMessage);
  assert.match(e2.userMessage, /register/i);
  assert.deepEqual([b.chatPosts(), b.submits()], [1, 0]);
});

// ---- 8. GUI phrases are translated; a drag becomes the chat request ------------------------

test("GUI phrases are translated in the text the user reads; a drag becomes the equivalent request", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_B)],
    ["POST", "/run_sse", inTurn(
      sse([whole("ev-1", "Added the logo. Drag the logo to the top-right corner.")]),
      sse([...toolTurn([whole("ev-2", "Moved the logo to the top-right corner.")], DRAFT_B)]),
    )],
  ]));
  t.after(s.close);
  const events = [];
  const reply = await s.client.handle("add my logo", { onEvent: (e) => events.push(e) });
  const shown = events.filter((e) => e.type === "text" && !e.partial).map((e) => e.text);
  assert.ok(!shown.some((x) => /\bdrag\b/i.test(x)), `no GUI instruction is shown: ${shown}`);
  const second = JSON.parse(s.log.filter((r) => r.path === "/run_sse")[1].body).new_message.parts[0].text;
  assert.match(second, /logo to the top-right corner/);
  assert.ok(reply.text.includes("Moved the logo"), reply.text);
  assert.deepEqual([s.chatPosts(), s.submits()], [2, 0], "one follow-up, never more");

  const z = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_B)],
    ["POST", "/run_sse", sse([whole("ev-1", "视频已经完成，点击导出即可下载。")])],
  ]));
  t.after(z.close);
  const zh = await chatEvents(z.client, "做好了吗");
  assert.deepEqual(zh.result.actions, ["export"]);
  assert.ok(!zh.result.text.includes("点击"), zh.result.text);
  assert.deepEqual([z.chatPosts(), z.submits()], [1, 0]);
});

// ---- 10. smaller ---------------------------------------------------------------------------

test("a bare 401 refreshes an anonymous token like 1001; SAFETY is a refusal", async (t) => {
  const s = await setup(standard([
    ["GET", "/api/credits/balance/simple", inTurn((_, res) => send(res, 401, { detail: "Unauthorized" }), ok({ available: 98, frozen: 0, total: 98 }))],
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, state(DRAFT_A)],
    ["POST", "/run_sse", sse([event("ev-1", { errorCode: "SAFETY", errorMessage: "blocked" })])],
  ]));
  t.after(s.close);
  await s.client.connect();
  assert.equal((await s.client.credits()).available, 98);
  assert.equal(s.log.filter((r) => r.path === "/api/auth/anonymous-token").length, 2);
  const { events, error } = await chatEvents(s.client, "something unsafe");
  assert.deepEqual([error.kind, error.code, error.retryable], ["refused", "SAFETY", false]);
  endsWithOneDone(events);
  assert.deepEqual([s.chatPosts(), s.submits()], [1, 0]);
});

test("still-working notices cover the wait for the stream's headers and the drop polls", async (t) => {
  const s = await setup(standard([
    ["GET", `/api/state/nemo_agent/me/${SID}/latest`, inTurn(state(DRAFT_A), state(DRAFT_A), state(DRAFT_B))],
    ["POST", "/run_sse", async (e, res) => {
      await sleep(200);
      return sse([delta("ev-1", "Adding"), call(false)], { drop: true })(e, res);
    }],
  ]), { stillWorkingMs: 30, dropPollMs: 120 });
  t.after(s.close);
  const { events, result: r } = await chatEvents(s.client, "add music");
  const first = events.findIndex((e) => e.type === "text");
  assert.ok(events.slice(0, first).filter((e) => e.type === "still_working").length >= 2, "notices before the headers");
  const after = events.slice(events.findIndex((e) => e.type === "tool_call"));
  assert.ok(after.some((e) => e.type === "still_working"), "notices while the drop polls wait");
  assert.ok(r.changes);
  assert.deepEqual([s.chatPosts(), s.submits()], [1, 0]);
});
