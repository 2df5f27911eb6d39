// The fault matrix: every fault the simulator can inject × every call it can hit, as a
// generated table of tests. Each cell names its outcome, derived from the client's guarantees
// (README, "What the client guarantees"), not from what the client happens to do, and asserts
// the chat POST count and the export submit count from the simulator's request log. Every
// error, result, event and log entry of every cell is scanned for the tokens of the run (the
// bearer tokens sent and the tokens granted, even by an answer the client could not read).
// The NemoClient of pkg/node against the simulator of pkg/sim-node, through the public API.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const nemo = require(process.env.NEMO_PKG_NODE ?? "../../pkg/node/nemo_video.js");
const { createSimulator } = require(process.env.NEMO_PKG_SIM ?? "../../pkg/sim-node/nemo_video.js");

const PROMPT = "make a 30-second city timelapse with lo-fi music";
const CHANGED = "Changed: Added Video: city timelapse (0-30s).";
const VIDEO = "http://sim.test/sim/video.mp4";
const CONFIGURED = "nmv_configured_4b1d9e0c7a";

// ---- The calls, and what a test does to make one.
const is = {
  anonymousToken: (r) => r.path === "/api/auth/anonymous-token",
  createSession: (r) => r.path === "/api/tasks/me/with-session/nemo_agent",
  chat: (r) => r.path === "/run_sse",
  upload: (r) => r.path.startsWith("/api/upload-video/"),
  credits: (r) => r.path === "/api/credits/balance/simple",
  state: (r) => r.path.startsWith("/api/state/"),
  export: (r) => r.method === "POST" && r.path === "/api/render/proxy/lambda",
  exportStatus: (r) => r.method === "GET" && /^\/api\/render\/proxy\/lambda\/[^/]+$/.test(r.path),
  download: (r) => r.path.endsWith("/download"),
  cancelExport: (r) => r.path.endsWith("/cancel"),
};
const CALLS = Object.keys(is);
const SESSIONED = ["chat", "upload", "state", "export"];
const EXPORTING = ["export", "exportStatus", "download", "cancelExport"];

/** Runs `call`'s operation: what comes before it runs with no fault, then `arm()` sets the
 *  faults, then the operation itself. Returns its result. */
async function operate(call, client, arm) {
  if (["anonymousToken", "createSession"].includes(call)) {
    arm();
    return client.connect();
  }
  if (EXPORTING.includes(call)) {
    await client.chat(PROMPT);
    arm();
    return client.export();
  }
  await client.connect();
  arm();
  switch (call) {
    case "chat": return client.chat(PROMPT, { onEvent: (e) => client.events.push(e) });
    case "credits": return client.credits();
    case "state": return client.state();
    case "upload": return client.upload(new File(["video"], "clip.mp4"));
  }
  throw new Error(`no operation for ${call}`);
}

// ---- The faults, and which calls each can hit.
const GENERIC = ["lostRequest", "lostAnswer", 400, 429, "429+Retry-After", 503, "echoToken", "malformedJson", "truncated", "wrongContentType"];
const STREAM = ["dropAtStart", "dropAfterText", "dropAfterTool", "dropAtEnd", "slow", "heartbeatsOnly"];
function hits(fault, call) {
  if (STREAM.includes(fault)) return call === "chat";
  if (["malformedJson", "truncated"].includes(fault)) return call !== "download"; // a file has no form to break
  switch (fault) {
    case 1001: case "echoToken": return call !== "anonymousToken"; // the token call carries no token
    case 1002: return SESSIONED.includes(call);
    case 2001: return call === "chat"; // the only call that spends credits
    case 402: return call === "export";
    case 4001: case 4002: return call === "upload";
    default: return true;
  }
}

// ---- What each cell must give, from the guarantees.
const ok = (outcome, more = {}) => ({ outcome, ...more });
const error = (kind, code, more = {}) => ({ outcome: "typed error", error: { kind, code }, ...more });
const PROTOCOL = error("protocol", "BAD_JSON");

function expected(call, fault) {
  // A server echoing the token is a 503 like any other; what differs is the text it quotes.
  if (fault === "echoToken") return { ...expected(call, 503), echo: true };
  const refusedFirst = [1001, 1002, 400, 429, "429+Retry-After"].includes(fault);
  if (call === "chat") {
    // A chat POST is retried once only after a rejection that proves it never started; a
    // failure before the stream ends the turn with a typed error; a stream that fails after
    // it opened is recovered from the state, never by sending the message again.
    if (refusedFirst) return ok("retried once", { chats: 2 });
    switch (fault) {
      case "lostRequest": case "lostAnswer": return error("network", "NETWORK", { chats: 1 });
      case 2001: return error("credits", 2001, { chats: 1 });
      case 503: return error("server", 503, { chats: 1 });
      case "wrongContentType": return PROTOCOL_CHAT;
      case "malformedJson": return ok("recovered by a state check", { chats: 1, changes: CHANGED });
      case "heartbeatsOnly": return error("timeout", "CHAT_IDLE_TIMEOUT", { chats: 1 });
      case "slow": return ok("streamed, with still-working notices", { chats: 1, notices: true });
      // A stream cut short (truncated) is a dropped stream, however cleanly it ended.
      default: return ok("recovered by state polls", { chats: 1, changes: CHANGED });
    }
  }
  if (call === "export") {
    // A submit is sent at most twice: again (new id) after a refusal that proves nothing
    // started, or when a submit that may have been accepted is unknown to the service.
    if (refusedFirst && fault !== 1002) return ok("resubmitted once (new id)", { submits: 2, url: VIDEO });
    switch (fault) {
      case 1002: return error("session", 1002, { submits: 1, sessions: 1 });
      case 402: return error("plan", 402, { submits: 1 });
      case "lostAnswer": case "malformedJson": case "truncated":
        return ok("polled by its id (it was accepted)", { submits: 1, url: VIDEO });
      default: // lostRequest, 503, wrongContentType: not accepted
        return ok("polled by its id, unknown, resubmitted once", { submits: 2, url: VIDEO });
    }
  }
  if (call === "exportStatus") {
    // A failed poll is retried with the same id; the job was accepted and is never resubmitted.
    if (refusedFirst) return ok("retried once", { submits: 1, url: VIDEO });
    return ok("poll retried with the same id", { submits: 1, url: VIDEO });
  }
  if (call === "cancelExport") {
    // The export timed out: it is cancelled on the server; the cancel's own failure is not the
    // caller's error (one retry for a refusal, like every call).
    return error("timeout", "EXPORT_TIMEOUT", { submits: 1, cancels: refusedFirst ? 2 : 1 });
  }
  const base = EXPORTING.includes(call) ? { submits: 1 } : { submits: 0 };
  if (refusedFirst) return ok("retried once", { ...base, ...(call === "download" ? { blob: true } : {}) });
  switch (fault) {
    case "lostRequest": case "lostAnswer": return error("network", "NETWORK", base);
    case 503: return error("server", 503, base);
    case 4001: return error("file_type", 4001, base);
    case 4002: return error("file_size", 4002, base);
    case "wrongContentType":
      return call === "download" ? error("protocol", "NOT_A_FILE", base) : { ...PROTOCOL, ...base };
    default: return { ...PROTOCOL, ...base }; // malformedJson, truncated
  }
}
const PROTOCOL_CHAT = error("protocol", "BAD_JSON", { chats: 1 });

// ---- The table.
const FAULTS = [...GENERIC, 1001, 1002, 2001, 402, 4001, 4002, ...STREAM];
const CELLS = [];
for (const fault of FAULTS) for (const call of CALLS) if (hits(fault, call)) CELLS.push({ call, fault, ...expected(call, fault) });
// Faults in sequence, and the stream's own stateDelta.
CELLS.push(
  { call: "chat", fault: "dropAfterTool", stateDelta: true, ...ok("recovered from the stream's stateDelta", { chats: 1, changes: CHANGED, polls: 0 }) },
  { call: "chat", fault: "dropAtEnd", stateDelta: true, ...ok("recovered from the stream's stateDelta", { chats: 1, changes: CHANGED, polls: 0 }) },
  // 1001 mid-turn: the token expires while the turn runs; its state polls renew it.
  { call: "chat", fault: "dropAtStart", then: [{ call: "state", fault: 1001 }], ...ok("recovered by state polls after a token refresh", { chats: 1, changes: CHANGED, tokens: 2 }) },
  // The accepted submit's answer lost, then its first poll fails: still the same job.
  { call: "export", fault: "lostAnswer", then: [{ call: "exportStatus", fault: 503 }], ...ok("polled by its id (it was accepted), the failed poll retried", { submits: 1, url: VIDEO }) },
  { call: "export", fault: "lostAnswer", then: [{ call: "exportStatus", fault: "lostRequest" }], ...ok("polled by its id (it was accepted), the failed poll retried", { submits: 1, url: VIDEO }) },
  // A configured token is never replaced: its 1001 is reported.
  { call: "credits", fault: 1001, configured: true, ...error("auth", 1001, { submits: 0, tokens: 0 }) },
  { call: "chat", fault: 1001, configured: true, ...error("auth", 1001, { chats: 1, tokens: 0 }) },
);

const label = (c) =>
  `${c.call} × ${c.fault}${c.then ? ` then ${c.then.map((t) => `${t.call} × ${t.fault}`).join(", ")}` : ""}` +
  `${c.stateDelta ? " (stateDelta)" : ""}${c.configured ? " (configured token)" : ""}: ${c.outcome}`;

// ---- Running a cell.
const asFault = (call, fault) => ({ call, fault: fault === "429+Retry-After" ? 429 : fault, times: 1 });
const TOKEN_RE = /nmv_usr_[0-9a-f]{32}/g;
// The status polls a render takes when nothing fails (the simulator's `renderPolls`).
const RENDER_POLLS = 2;
// The faults that hit once the simulator has done the call's work.
const AFTER_WORK = ["lostAnswer", "malformedJson", "truncated"];

function setup(cell) {
  const sim = createSimulator({
    seed: 7, chunkDelayMs: 0, workMs: 10, heartbeatMs: 5, renderPolls: RENDER_POLLS, silentEvery: 0,
    stateDelta: cell.stateDelta ?? false,
    renderForm: cell.call === "download" ? "none" : "output.url",
    ...(cell.call === "cancelExport" ? { renderPolls: 100_000 } : {}),
    ...(cell.configured ? { knownTokens: [CONFIGURED] } : {}),
  });
  // Every token of the run: each one sent, and each one granted (read from the raw answer).
  const secrets = new Set(cell.configured ? [CONFIGURED] : []);
  // The faults of `then` are armed once the cell's own call has been answered (or lost).
  let armThen = cell.then ? () => sim.setFaults({ calls: cell.then.map((t) => asFault(t.call, t.fault)) }) : null;
  const fetch = async (input, init = {}) => {
    const auth = new Headers(init.headers).get("authorization");
    if (auth) secrets.add(auth.replace(/^Bearer /, ""));
    const own = is[cell.call]({ method: init.method ?? "GET", path: new URL(String(input)).pathname });
    try {
      const res = await sim(input, init);
      if (String(input).endsWith("/api/auth/anonymous-token")) {
        for (const t of (await res.clone().text()).match(TOKEN_RE) ?? []) secrets.add(t);
      }
      return res;
    } finally {
      if (own && armThen) {
        armThen();
        armThen = null;
      }
    }
  };
  const client = new nemo.NemoClient({
    baseUrl: "http://sim.test", fetch, storage: null,
    ...(cell.configured ? { token: CONFIGURED } : {}),
    // With Retry-After the client's own wait is a minute: only the header's 0 s ends the cell.
    pollIntervalMs: 5, dropPollMs: 5, rateLimitWaitMs: cell.fault === "429+Retry-After" ? 60_000 : 5, stillWorkingMs: 25,
    heartbeatOnlyTimeoutMs: 150, chatTimeoutMs: 10_000, requestTimeoutMs: 5_000,
    exportTimeoutMs: cell.call === "cancelExport" ? 120 : 10_000,
  });
  client.events = [];
  return { sim, client, secrets };
}

const seen = { cells: 0, scanned: 0 };

for (const cell of CELLS) {
  test(label(cell), { timeout: 20_000 }, async () => {
    const { sim, client, secrets } = setup(cell);
    const arm = () => sim.setFaults({
      retryAfterS: cell.fault === "429+Retry-After" ? 0 : undefined,
      slowMs: 60,
      calls: [asFault(cell.call, cell.fault)],
    });
    let result, err;
    try {
      result = await operate(cell.call, client, arm);
    } catch (e) {
      err = e;
    }
    const log = sim.requests();
    const count = (call) => log.filter(is[call]).length;
    // Every fault armed hit the call it was aimed at (a cell whose fault never fired proves
    // nothing).
    for (const f of [cell, ...(cell.then ?? [])]) {
      const { fault } = asFault(f.call, f.fault);
      assert.ok(log.some((r) => is[f.call](r) && r.fault === String(fault)), `${f.call} × ${f.fault} fired`);
    }
    const chatAt = log.findIndex(is.chat);
    const polls = chatAt < 0 ? 0 : log.slice(chatAt + 1).filter(is.state).length;

    if (cell.error) {
      assert.ok(err, `expected a ${cell.error.kind} error, got ${inspect(result)}`);
      assert.equal(err.name, "NemoError", inspect(err));
      assert.deepEqual({ kind: err.kind, code: err.code }, cell.error, err.message);
      assert.equal(typeof err.userMessage, "string");
    } else {
      assert.equal(err, undefined, `expected ${cell.outcome}, got ${inspect(err)}`);
    }
    assert.equal(count("chat"), cell.chats ?? (EXPORTING.includes(cell.call) ? 1 : 0), "chat POSTs");
    assert.equal(count("export"), cell.submits ?? 0, "export submits");
    if (cell.sessions !== undefined) assert.equal(count("createSession"), cell.sessions, "sessions");
    if (cell.tokens !== undefined) assert.equal(count("anonymousToken"), cell.tokens, "anonymous tokens");
    if (cell.cancels !== undefined) assert.equal(count("cancelExport"), cell.cancels, "cancels");
    if (cell.url) assert.equal(result.url, cell.url);
    if (cell.blob) assert.equal(result.blob.size, 24);
    switch (cell.outcome) {
      case "retried once":
        // (Status polls go on after their retry, until the render completes.)
        if (cell.call === "exportStatus") assert.equal(count(cell.call), RENDER_POLLS + 1, "the failed poll sent again");
        else assert.equal(count(cell.call), 2, `${cell.call} sent twice`);
        break;
      case "recovered by state polls":
      case "recovered by state polls after a token refresh":
        assert.equal(result.changes, CHANGED);
        assert.ok(polls >= 1, "the state was polled");
        break;
      case "recovered by a state check":
        assert.equal(result.changes, CHANGED);
        assert.equal(polls, 1, "one state read");
        break;
      case "poll retried with the same id":
        // A fault after the work (the answer lost or unreadable) still moved the render on.
        assert.equal(count("exportStatus"), RENDER_POLLS + (AFTER_WORK.includes(cell.fault) ? 0 : 1), "the failed poll sent again");
        assert.equal(new Set(log.filter(is.exportStatus).map((r) => r.path)).size, 1, "one id");
        break;
    }
    if (cell.changes) assert.equal(result.changes, cell.changes);
    if (cell.polls !== undefined) assert.equal(polls, cell.polls, "state polls");
    // The echoed token is quoted masked wherever the server's text reaches the caller.
    if (cell.echo && err?.code === 503) assert.match(err.message, /\*\*\*/, "the server's text, masked");
    if (cell.notices) assert.ok(client.events.some((e) => e.type === "still_working"), "still-working notices");
    if (cell.call === "chat") {
      const events = client.events;
      assert.deepEqual(events.at(-1), { type: "done" }, "a turn ends with done");
      assert.equal(events.filter((e) => e.type === "done").length, 1);
    }

    // Secrets: nothing the caller sees or the log holds carries a token of the run.
    const seenText = [
      err && [err.message, err.userMessage, String(err), inspect(err), JSON.stringify(err), err.bindUrl ?? ""].join("\n"),
      result && inspect(result, { depth: 8 }),
      JSON.stringify(client.events),
      JSON.stringify(log),
    ].join("\n");
    // (Only a token call that never answered readably leaves no token at all.)
    if (!(cell.call === "anonymousToken" && cell.error)) assert.ok(secrets.size >= 1, "the run had a token to look for");
    for (const s of secrets) assert.ok(!seenText.includes(s), `a token leaked in ${cell.call} × ${cell.fault}: ${seenText.slice(0, 400)}`);
    seen.cells += 1;
    seen.scanned += seenText.length;
  });
}

after(() => {
  console.log(`fault matrix: ${seen.cells} of ${CELLS.length} cells passed (${FAULTS.length} faults × ${CALLS.length} calls where they can hit, plus ${CELLS.length - CELLS.filter((c) => !c.then && !c.stateDelta && !c.configured).length} sequences); ${seen.scanned} characters scanned for tokens`);
});
