// The package's bundler strategy, measured: the client's wasm inlined as base64 (what the
// `browser` entry does) against the .wasm as a separate asset (wasm-pack's web glue with its
// `new URL("…_bg.wasm", import.meta.url)`), in esbuild, in Vite and in a plain page. For each:
// whether it loads in Chromium with no bundler options (esbuild leaves the asset URL to the
// developer, so that one is expected to fail), the brotli bytes a browser downloads,
// and the median time from navigation to the module being ready (localhost, cache off).
// Needs scripts/build.sh and scripts/package.sh. Prints; asserts nothing.
import { cpSync, readFileSync, writeFileSync, mkdirSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { chromium } from "playwright-core";
import * as esbuild from "esbuild";
import { build as viteBuild } from "vite";
import { ROOT, scratchProject, serve } from "../tests/package/consumer.mjs";

const RUNS = 7;
const br = (buf) => zlib.brotliCompressSync(buf, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;
const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;

const wasm = readFileSync(path.join(ROOT, "pkg/web/nemo_video_bg.wasm"));
const inlined = readFileSync(path.join(ROOT, "target/npm/nemo-video/dist/client/wasm-base64.js"));
console.log("the client's wasm:        raw %s, gzip %s, brotli %s", kb(wasm.length), kb(gz(wasm)), kb(br(wasm)));
console.log("inlined as base64 module: raw %s, gzip %s, brotli %s (+%s% brotli)", kb(inlined.length), kb(gz(inlined)), kb(br(inlined)), ((br(inlined) / br(wasm) - 1) * 100).toFixed(0));

const project = scratchProject("bench", {});
const webGlue = path.join(ROOT, "pkg/web/nemo_video.js");
const READY = "document.body.dataset.ready = String(performance.now());";
const INLINE_APP = `import { version } from "nemo-video";\ndocument.title = version();\n${READY}\n`;
const ASSET_APP = `import init, { version } from ${JSON.stringify(webGlue)};\nawait init();\ndocument.title = version();\n${READY}\n`;
const HTML = (src, head = "") => `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${head}</head><body><script type="module" src="${src}"></script></body></html>`;

function write(dir, files) {
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), text);
  }
}
const filesUnder = (dir) => readdirSync(dir, { recursive: true }).filter((f) => statSync(path.join(dir, f)).isFile());

async function esbuildVariant(name, app, format) {
  const dir = project.file(name);
  write(dir, { "app.js": app, "index.html": HTML("./dist/app.js") });
  await esbuild.build({ absWorkingDir: dir, entryPoints: ["app.js"], bundle: true, minify: true, outdir: "dist", format, logLevel: "silent", allowOverwrite: true });
  return { root: dir, page: "/index.html" };
}
async function viteVariant(name, app) {
  const dir = project.file(name);
  write(dir, { "app.js": app, "index.html": HTML("./app.js") });
  await viteBuild({ root: dir, logLevel: "silent", configFile: false, server: { fs: { strict: false } } });
  return { root: path.join(dir, "dist"), page: "/" };
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
async function measure(label, { root, page: entry }) {
  const server = await serve(root);
  const times = [];
  let bytes = 0;
  let failure = null;
  for (let i = 0; i < RUNS && !failure; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const served = [];
    page.on("response", async (r) => served.push(r.url()));
    await page.goto(`${server.url}${entry}`);
    try {
      await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 10_000 });
      times.push(Number(await page.evaluate(() => document.body.dataset.ready)));
      if (i === 0) {
        for (const u of served) {
          const file = path.join(root, decodeURIComponent(new URL(u).pathname));
          if (statSync(file, { throwIfNoEntry: false })?.isFile()) bytes += br(readFileSync(file));
        }
      }
    } catch {
      failure = `fails: ${server.missing.length ? `404 for ${server.missing.join(", ")}` : "never ready"}`;
    }
    await context.close();
  }
  await server.close();
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(44)} ${failure ?? `loads; downloads ${kb(bytes)} brotli; ready at ${times[times.length >> 1].toFixed(0)} ms (median of ${RUNS})`}`);
}

try {
  console.log("");
  await measure("esbuild, inlined (the package)", await esbuildVariant("esbuild-inline", INLINE_APP, undefined));
  await measure("esbuild, asset (wasm-pack web glue, esm)", await esbuildVariant("esbuild-asset", ASSET_APP, "esm"));
  await measure("Vite, inlined (the package)", await viteVariant("vite-inline", INLINE_APP));
  await measure("Vite, asset (wasm-pack web glue)", await viteVariant("vite-asset", ASSET_APP));
  // A plain page: the package's browser file, or the web glue and its .wasm fetched by URL.
  const manifest = JSON.parse(readFileSync(project.file("node_modules/nemo-video/package.json"), "utf8"));
  const importmap = `<script type="importmap">${JSON.stringify({ imports: { "nemo-video": `/node_modules/nemo-video/${manifest.exports["."].browser.default.slice(2)}` } })}</script>`;
  write(project.file("page-inline"), { "app.js": INLINE_APP, "index.html": HTML("./app.js", importmap) });
  await measure("plain page, inlined (the package)", { root: project.dir, page: "/page-inline/" });
  // The glue, its .wasm and its snippets/ (the inline JS of #[wasm_bindgen(inline_js)]).
  mkdirSync(project.file("page-asset/pkg"), { recursive: true });
  for (const f of ["nemo_video.js", "nemo_video_bg.wasm", "snippets"]) cpSync(path.join(ROOT, "pkg/web", f), project.file(`page-asset/pkg/${f}`), { recursive: true });
  write(project.file("page-asset"), { "app.js": ASSET_APP.replace(JSON.stringify(webGlue), '"./pkg/nemo_video.js"'), "index.html": HTML("./app.js") });
  await measure("plain page, asset (wasm-pack web glue)", { root: project.dir, page: "/page-asset/" });
} finally {
  await browser.close();
  project.remove();
}
