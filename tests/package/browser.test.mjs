// The packed package in browsers (headless Chromium through playwright-core): an app bundled by
// esbuild and the same app bundled by Vite, each with no options, and a plain page importing
// the package's browser file with no bundler. Each runs a chat against nemo-video/simulator
// with the same import line. The esbuild bundle of an app importing only "nemo-video" carries
// no simulator. Screenshots go to the git-ignored test-artifacts/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import * as esbuild from "esbuild";
import { build as viteBuild } from "vite";
import { CHANGES, ROOT, chatProgram, crateVersion, scratchProject, serve } from "./consumer.mjs";

const ARTIFACTS = path.join(ROOT, "test-artifacts");
mkdirSync(ARTIFACTS, { recursive: true });

const IMPORTS = 'import { NemoClient, version } from "nemo-video";\nimport { createSimulator } from "nemo-video/simulator";\n';
const APP = `${IMPORTS}${chatProgram({ report: "((r) => { document.querySelector('#out').textContent = r.text || r.error; document.body.dataset.result = JSON.stringify(r); })" })}`;
const HTML = (head = "", script = "./app.js") =>
  `<!doctype html><html><head><meta charset="utf-8"><title>nemo-video consumer</title><link rel="icon" href="data:,">${head}</head><body><p id="out">…</p><script type="module" src="${script}"></script></body></html>`;
// An app that uses only the client: its bundle must not carry the simulator.
const CLIENT_ONLY = 'import { NemoClient, classifyIntent, version } from "nemo-video";\ndocument.title = `${version()} ${classifyIntent("export it")} ${typeof NemoClient}`;\n';

let project;
let browser;
before(async () => {
  project = scratchProject("browser", {
    "esbuild/app.js": APP,
    "esbuild/client-only.js": CLIENT_ONLY,
    "esbuild/index.html": HTML("", "./dist/app.js"),
    "vite/app.js": APP,
    "vite/index.html": HTML(),
    "page/app.js": APP,
  });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
  });
});
after(async () => {
  await browser?.close();
  project?.remove();
});

/** Opens `url`, waits for the app's result, saves a screenshot; fails on any page error or 404. */
async function chatInBrowser(url, server, shot) {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.result, null, { timeout: 30_000 });
  const result = JSON.parse(await page.evaluate(() => document.body.dataset.result));
  await page.screenshot({ path: path.join(ARTIFACTS, `package-${shot}.png`) });
  await page.close();
  assert.equal(result.error, undefined, result.error);
  assert.equal(result.changes, CHANGES);
  assert.match(result.text, /city timelapse/);
  assert.equal(result.version, crateVersion());
  assert.deepEqual(result.skillVersions, [crateVersion()]);
  assert.deepEqual(errors, []);
  assert.deepEqual(server.missing, [], "every file the page asked for was served");
}

const files = (dir) => readdirSync(dir, { recursive: true }).filter((f) => statSync(path.join(dir, f)).isFile());

test("esbuild, no options: the app chats; the client-only bundle carries no simulator", async () => {
  const dir = project.file("esbuild");
  await esbuild.build({ absWorkingDir: dir, entryPoints: ["app.js", "client-only.js"], bundle: true, minify: true, outdir: "dist", logLevel: "warning" });
  const app = readFileSync(path.join(dir, "dist/app.js"), "utf8");
  const clientOnly = readFileSync(path.join(dir, "dist/client-only.js"), "utf8");
  const inlined = (entry) => readFileSync(project.file(`node_modules/nemo-video/dist/${entry}/wasm-base64.js`), "utf8").length;
  console.log(`esbuild: client-only bundle ${clientOnly.length} B, app with the simulator ${app.length} B`);
  // The symbol only the simulator has: present where it is imported, absent where it is not.
  assert.ok(app.includes("createSimulator"), "the check can see the simulator");
  assert.ok(!clientOnly.includes("createSimulator"), "the client's bundle carries no simulator");
  // By size: the client's inlined wasm and glue, far less than the simulator's inlined wasm alone.
  assert.ok(clientOnly.length > inlined("client"), "the client's wasm is inlined");
  assert.ok(clientOnly.length < inlined("client") + 64 * 1024, `client-only bundle ${clientOnly.length} B`);
  assert.ok(clientOnly.length < inlined("simulator"), "smaller than the simulator's wasm alone");
  assert.deepEqual(files(path.join(dir, "dist")).sort(), ["app.js", "client-only.js"], "no separate .wasm to serve");
  const server = await serve(dir);
  try {
    await chatInBrowser(`${server.url}/index.html`, server, "esbuild");
  } finally {
    await server.close();
  }
});

test("Vite, no options: the app chats, and no unused .wasm asset is emitted", async () => {
  const dir = project.file("vite");
  await viteBuild({ root: dir, logLevel: "error", configFile: false });
  const emitted = files(path.join(dir, "dist"));
  assert.deepEqual(emitted.filter((f) => f.endsWith(".wasm")), [], `Vite emitted ${emitted}`);
  const server = await serve(path.join(dir, "dist"));
  try {
    await chatInBrowser(`${server.url}/`, server, "vite");
  } finally {
    await server.close();
  }
});

test("a plain page, no bundler: <script type=module> with the package's browser file", async () => {
  // The import map names the files the package's `browser` condition points to, so the page's
  // import line is the same as everywhere else.
  const manifest = JSON.parse(readFileSync(project.file("node_modules/nemo-video/package.json"), "utf8"));
  const file = (entry) => `/node_modules/nemo-video/${manifest.exports[entry].browser.default.slice(2)}`;
  const map = { imports: { "nemo-video": file("."), "nemo-video/simulator": file("./simulator") } };
  writeFileSync(project.file("page/index.html"), HTML(`<script type="importmap">${JSON.stringify(map)}</script>`));
  const server = await serve(project.dir);
  try {
    await chatInBrowser(`${server.url}/page/`, server, "plain-page");
  } finally {
    await server.close();
  }
});
