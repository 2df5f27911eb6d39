// What every package test shares: the packed tarball (scripts/package.sh), a scratch project it
// is installed into (a temp dir outside the repository, so nothing resolves from our own
// node_modules), a static file server on 127.0.0.1, and the chat every consumer runs.
import { execFileSync } from "node:child_process";
import { createReadStream, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PROMPT = "make a 30-second city timelapse with lo-fi music";
/** What the simulator's first edit changes: every consumer's chat must report it. */
export const CHANGES = "Changed: Added Video: city timelapse (0-30s).";

/** The crate version, which the package version and `version()` must repeat. */
export function crateVersion() {
  const m = readFileSync(path.join(ROOT, "Cargo.toml"), "utf8").match(/^\[package\][^[]*?^version = "([^"]+)"/ms);
  if (!m) throw new Error("no version in Cargo.toml");
  return m[1];
}

/** The tarball scripts/package.sh packed. */
export function tarball() {
  const dir = path.join(ROOT, "target/npm");
  const found = readdirSync(dir).filter((f) => /^nemo-video-.+\.tgz$/.test(f));
  if (found.length !== 1) throw new Error(`expected one target/npm/nemo-video-*.tgz (run scripts/package.sh), found ${found}`);
  return path.join(dir, found[0]);
}

/**
 * A scratch project with the tarball installed (`npm install <tarball>`: the package has no
 * dependencies, so nothing else is fetched). `files` are written into it first.
 */
export function scratchProject(name, files = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), `nemo-video-${name}-`));
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: `consumer-${name}`, version: "0.0.0", private: true }));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  execFileSync("npm", ["install", tarball(), "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error"], { cwd: dir, stdio: "inherit" });
  return { dir, file: (p) => path.join(dir, p), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json" };

/** Serves `dir` on 127.0.0.1; records every path it could not find. */
export async function serve(dir) {
  const missing = [];
  const server = http.createServer((req, res) => {
    const rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    const file = path.join(dir, rel.endsWith("/") ? `${rel}index.html` : rel);
    if (!file.startsWith(dir + path.sep) || !statSync(file, { throwIfNoEntry: false })?.isFile()) {
      missing.push(rel);
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { "content-type": TYPES[path.extname(file)] ?? "application/octet-stream" });
    createReadStream(file).pipe(res);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}`, missing, close: () => new Promise((r) => server.close(r)) };
}

/**
 * The body every JavaScript consumer runs after its own import line: a chat against the
 * simulator (and, where `withExport`, an export), the result handed to `report`. Written once
 * so that every runtime runs the same code; it uses no top-level await (esbuild's default
 * browser output, an iife, has none).
 */
export function chatProgram({ withExport = false, report }) {
  return `
const seenVersions = new Set();
const sim = createSimulator({ chunkDelayMs: 0, workMs: 20, heartbeatMs: 5, renderPolls: 2 });
const fetchThroughSim = (input, init) => {
  seenVersions.add(new Headers(init && init.headers).get("x-skill-version"));
  return sim(input, init);
};
async function run() {
  const client = new NemoClient({ baseUrl: "http://sim.test", fetch: fetchThroughSim, storage: null, pollIntervalMs: 5 });
  const texts = [];
  const chat = await client.chat(${JSON.stringify(PROMPT)}, {
    onEvent: (e) => { if (e.type === "text" && !e.partial) texts.push(e.text); },
  });
  const progress = [];
  const exported = ${withExport} ? await client.export({ onProgress: (p) => progress.push(p.status) }) : null;
  return {
    version: version(),
    skillVersions: [...seenVersions],
    changes: chat.changes,
    text: texts.join(" "),
    url: exported && exported.url,
    progress,
    paths: sim.requests().map((r) => r.path),
  };
}
run().then((result) => { ${report}(result); }, (e) => { ${report}({ error: String((e && e.stack) || e) }); });
`;
}
