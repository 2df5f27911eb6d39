// Runs worker/index.js in workerd (through Miniflare) on 127.0.0.1, as the demo and the tests
// use it. As a script: `node worker/dev.mjs [--port N] [--proxy URL]` starts the simulator mode
// (or a proxy to URL) and prints the address.
import { Miniflare } from "miniflare";
import { fileURLToPath } from "node:url";
import path from "node:path";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Starts the worker. `bindings` are its environment variables; `rateLimit` its per-client
 * budget per minute; `outboundService` receives its subrequests (a fake upstream).
 */
export async function startWorker({ bindings = {}, port = 0, rateLimit = 120, outboundService, assets = true } = {}) {
  const mf = new Miniflare({
    modules: true,
    rootPath: root,
    scriptPath: path.join(root, "worker/index.js"),
    modulesRoot: root,
    modulesRules: [
      { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
      { type: "CompiledWasm", include: ["**/*.wasm"] },
    ],
    compatibilityDate: "2026-07-01",
    bindings,
    ratelimits: { RATE_LIMITER: { namespace_id: "1001", simple: { limit: rateLimit, period: 60 } } },
    // A path with no asset falls through to the worker (the API routes).
    ...(assets ? { assets: { directory: path.join(root, "worker/site"), binding: "ASSETS", routerConfig: { has_user_worker: true } } } : {}),
    ...(outboundService ? { outboundService } : {}),
    host: "127.0.0.1",
    port,
  });
  const url = await mf.ready;
  return { url: url.href.replace(/\/$/, ""), mf, dispose: () => mf.dispose() };
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
