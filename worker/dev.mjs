// Runs a module worker in workerd (through Miniflare) on 127.0.0.1, as the demo and the tests
// use it, behind a small front that behaves as Cloudflare's edge does where it matters: it
// overwrites whatever `CF-Connecting-IP` a caller sent with the address of its socket, so a
// caller cannot choose its rate-limit key here either.
// As a script: `node worker/dev.mjs [--port N] [--proxy URL]` starts the simulator mode (the
// demo worker) or a proxy to URL (the deployable worker) and prints the address.
import { Miniflare } from "miniflare";
import http from "node:http";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The edge's front: every request forwarded to `target` with the socket's address as its
 *  `CF-Connecting-IP`, bodies streamed both ways. */
function edge(target, port) {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers };
    for (const k of Object.keys(headers)) if (k.toLowerCase() === "cf-connecting-ip") delete headers[k];
    headers["cf-connecting-ip"] = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    const out = http.request(
      { hostname: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    out.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    res.on("close", () => out.destroy());
    req.pipe(out);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

/**
 * Starts a worker. `bindings` are its environment variables; `rateLimit` its per-client budget
 * per minute (`globalLimit`, the whole worker's); `script` the module (default: the demo worker
 * for `NEMO_SIMULATE=1`, else the deployable one); `outboundService` receives its subrequests.
 */
export async function startWorker({
  bindings = {},
  port = 0,
  rateLimit = 120,
  globalLimit = 100_000,
  outboundService,
  assets = true,
  script,
} = {}) {
  const main = script ?? (bindings.NEMO_SIMULATE === "1" ? "worker/demo.js" : "worker/index.js");
  const mf = new Miniflare({
    modules: true,
    rootPath: root,
    scriptPath: path.join(root, main),
    modulesRoot: root,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-07-01",
    bindings,
    durableObjects: { LEDGER: "NemoLedger" },
    ratelimits: {
      RATE_LIMITER: { namespace_id: "1001", simple: { limit: rateLimit, period: 60 } },
      GLOBAL_RATE_LIMITER: { namespace_id: "1002", simple: { limit: globalLimit, period: 60 } },
    },
    // The worker runs first for every path (as `run_worker_first` in wrangler.toml): the host
    // gate covers the page too, and the page's answers get its security headers.
    ...(assets
      ? { assets: { directory: path.join(root, "worker/site"), binding: "ASSETS", routerConfig: { has_user_worker: true, invoke_user_worker_ahead_of_assets: true } } }
      : {}),
    ...(outboundService ? { outboundService } : {}),
    host: "127.0.0.1",
    port: 0,
  });
  const inner = await mf.ready;
  const front = await edge(inner.href, port);
  const url = `http://127.0.0.1:${front.address().port}`;
  return {
    url,
    mf,
    dispose: async () => {
      front.closeAllConnections?.();
      await new Promise((r) => front.close(r));
      await mf.dispose();
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const upstream = arg("--proxy");
  const bindings = upstream ? { NEMO_API_BASE: upstream } : { NEMO_SIMULATE: "1" };
  const { url } = await startWorker({ bindings, port: Number(arg("--port") ?? 8787) });
  console.log(`\nnemo-video demo: workerd is serving the page and ${upstream ? `a proxy to ${upstream}` : "the simulated API"}`);
  console.log(`\n    open ${url}/${upstream ? "" : "?sim=1"}\n`);
  console.log("Ctrl+C stops it.");
}
