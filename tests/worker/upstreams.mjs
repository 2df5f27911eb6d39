// Upstreams for the worker tests, on 127.0.0.1, each recording every request it receives
// (so a test proves what reached it, and what never did):
// - `fakeUpstream(handler)`: a hand-written HTTP server;
// - `simUpstream(options)`: the API answered by the simulator of the Node build (a backend
//   that is not the worker itself), with the server token it accepts.
import http from "node:http";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

async function listen(server) {
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${server.address().port}`;
}

/** A server answering with `handler(req, res, body)`; `seen` lists what it received. */
export async function fakeUpstream(handler) {
  const seen = [];
  const server = http.createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    seen.push({ method: req.method, url: req.url, headers: req.headers, bytes: body.length, body: body.toString() });
    await handler(req, res, body);
  });
  const url = await listen(server);
  return { url, seen, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

const HOP_BY_HOP = new Set(["host", "connection", "content-length", "transfer-encoding", "keep-alive"]);

/** The simulator behind a real HTTP server; `sim` is its fetch function (with `requests()`).
 *  `origin` (settable) is the origin the simulator believes it serves: its finished video is
 *  at `${origin}/sim/video.mp4`. */
export async function simUpstream(options = {}) {
  const { createSimulator } = require("../../pkg/sim-node/nemo_video.js");
  const sim = createSimulator(options);
  const state = { origin: "http://upstream.test" };
  const upstream = await fakeUpstream(async (req, res, body) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !HOP_BY_HOP.has(k)));
    const hasBody = !["GET", "HEAD"].includes(req.method);
    const answer = await sim(`${state.origin}${req.url}`, { method: req.method, headers, body: hasBody ? body : undefined });
    res.writeHead(answer.status, Object.fromEntries(answer.headers));
    if (answer.body) for await (const chunk of answer.body) res.write(chunk);
    res.end();
  });
  return {
    ...upstream,
    sim,
    set origin(o) {
      state.origin = o;
    },
  };
}

/** The `name=value` of a response's `Set-Cookie`, for the next request's `Cookie`. */
export function cookieOf(res) {
  const set = res.headers.get("set-cookie");
  return set ? set.split(";")[0] : null;
}
