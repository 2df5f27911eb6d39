// The example page in headless Chromium (Debian's, driven by playwright-core), served by the
// worker in workerd with the simulator: what a person sees and does. Each test saves a
// screenshot under test-artifacts/ (git-ignored).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { startWorker } from "../../worker/dev.mjs";
import { simUpstream } from "../worker/upstreams.mjs";

const ARTIFACTS = new URL("../../test-artifacts/", import.meta.url).pathname;
mkdirSync(ARTIFACTS, { recursive: true });
const FAST = { chunkDelayMs: 5, workMs: 200, heartbeatMs: 50, renderPolls: 2 };
const PROMPT = "make a 30-second city timelapse with lo-fi music";

let browser;
const workers = [];
async function worker(simOptions = {}) {
  const w = await startWorker({ bindings: { NEMO_SIMULATE: "1", SIM_OPTIONS: JSON.stringify({ ...FAST, ...simOptions }) } });
  workers.push(w);
  return w.url;
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
  });
});
after(async () => {
  await browser?.close();
  await Promise.all(workers.map((w) => w.dispose()));
});

// Every Content-Security-Policy violation of a context, reported by the page itself.
const violations = new WeakMap();
async function newContext(options) {
  const context = await browser.newContext(options);
  const seen = [];
  violations.set(context, seen);
  await context.exposeFunction("reportCsp", (v) => seen.push(v));
  await context.addInitScript(() =>
    document.addEventListener("securitypolicyviolation", (e) => window.reportCsp(`${e.violatedDirective} ${e.blockedURI}`)),
  );
  return context;
}

/** Closes a context; a test fails on any CSP violation its pages saw. */
async function done(context) {
  const seen = violations.get(context) ?? [];
  await context.close();
  assert.deepEqual(seen, [], "no Content-Security-Policy violation");
}

async function open(url, query = "sim=1&pollIntervalMs=200", viewport = { width: 1200, height: 860 }) {
  const context = await newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(`${url}/?${query}`);
  await page.waitForSelector("#status.ok", { timeout: 20_000 });
  return { page, context, errors };
}

const shot = (page, name) => page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });

test("load and connect: Ready, credits, welcome, remembered across reloads", async () => {
  const url = await worker();
  const { page, context, errors } = await open(url);
  assert.equal(await page.textContent("#status"), "Ready");
  await page.waitForFunction(() => /\d+ credits/.test(document.querySelector("#credits").textContent));
  assert.match(await page.textContent(".msg.agent"), /Send me your text prompts/);
  const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("nemo-video:")).sort());
  assert.ok(stored.some((k) => k.endsWith(":client-id")) && stored.some((k) => k.endsWith(":session-id")));
  const session = await page.evaluate(() => Object.entries(localStorage).find(([k]) => k.endsWith(":session-id"))[1]);
  await page.reload();
  await page.waitForSelector("#status.ok");
  assert.equal(await page.evaluate(() => Object.entries(localStorage).find(([k]) => k.endsWith(":session-id"))[1]), session);
  await shot(page, "01-connected");
  assert.deepEqual(errors, []);
  await done(context);
});

test("a prompt streams in, tool progress is quiet, the timeline draws bars, the export plays", async () => {
  const url = await worker();
  const { page, context, errors } = await open(url);
  // Record every text the agent bubble shows, to see it grow while streaming.
  await page.evaluate(() => {
    window.seen = [];
    new MutationObserver(() => {
      const b = document.querySelector(".msg.agent.streaming");
      if (b) window.seen.push(b.textContent);
    }).observe(document.querySelector("#messages"), { subtree: true, childList: true, characterData: true });
  });
  await page.fill("#prompt", PROMPT);
  await page.press("#prompt", "Enter");
  await page.waitForSelector(".msg.changes", { timeout: 20_000 });
  const seen = await page.evaluate(() => window.seen);
  assert.ok(new Set(seen).size >= 2, `streamed in pieces: ${JSON.stringify(seen.slice(0, 5))}`);
  const agent = await page.$$eval(".msg.agent", (els) => els.map((e) => e.textContent));
  assert.ok(agent.some((t) => t.startsWith("Done! I generated a 30-second city timelapse")));
  assert.ok(!agent.some((t) => /functionCall|generate_video/.test(t)), "tool calls are never chat text");
  assert.match(await page.textContent(".msg.note"), /generate video/);
  await page.waitForSelector(".seg.video");
  assert.match(await page.textContent(".seg.video"), /city timelapse \(0-30s\)/);
  assert.match(await page.textContent("#summary"), /Timeline \(1 track\): 1\. Video: city timelapse \(0-30s\)/);
  await shot(page, "02-streamed-timeline");
  // The agent said "click Export": the page started it; the video plays.
  await page.waitForSelector("#result:not([hidden])", { timeout: 20_000 });
  await page.waitForFunction(() => document.querySelector("#player").readyState >= 2);
  assert.equal(await page.evaluate(() => document.querySelector("#player").duration), 4);
  await page.evaluate(() => document.querySelector("#player").play());
  await page.waitForFunction(() => document.querySelector("#player").currentTime > 0.2, null, { timeout: 10_000 });
  assert.match(await page.getAttribute("#download", "href"), /\/sim\/video\.mp4$/);
  await shot(page, "03-exported-playing");
  assert.deepEqual(errors, []);
  await done(context);
});

test("still working appears while only heartbeats arrive; Stop aborts the turn", async () => {
  const url = await worker({ workMs: 60_000, heartbeatMs: 100 });
  const { page, context } = await open(url, "sim=1&stillWorkingMs=400");
  await page.fill("#prompt", PROMPT);
  await page.click("#send");
  await page.waitForFunction(() => [...document.querySelectorAll(".msg.note")].some((n) => n.textContent.startsWith("⏳ Still working...")), null, { timeout: 15_000 });
  await shot(page, "04-still-working");
  assert.equal(await page.isVisible("#stop"), true);
  await page.click("#stop");
  await page.waitForFunction(() => [...document.querySelectorAll(".msg.note")].some((n) => n.textContent === "Stopped."));
  assert.equal(await page.isVisible("#stop"), false);
  await done(context);
});

test("a silent edit is shown as a change summary", async () => {
  const url = await worker({ silentEvery: 1 });
  const { page, context } = await open(url);
  await page.click(".starter >> nth=0");
  await page.waitForSelector(".msg.changes", { timeout: 20_000 });
  assert.equal(await page.textContent(".msg.changes"), "Changed: Added Video: city timelapse (0-30s).");
  const agent = await page.$$eval(".msg.agent", (els) => els.map((e) => e.textContent));
  assert.ok(!agent.some((t) => t.startsWith("Done!")), "the edit came back with no closing text");
  await shot(page, "05-silent-edit");
  await done(context);
});

test("upload: progress per file, text becomes the prompt, refused formats explained", async () => {
  const url = await worker();
  const { page, context } = await open(url);
  await page.setInputFiles("#file", [
    { name: "clip.mp4", mimeType: "video/mp4", buffer: Buffer.alloc(4096, 1) },
    { name: "script.txt", mimeType: "text/plain", buffer: Buffer.from("a calm sea at dawn") },
    { name: "report.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF") },
  ]);
  await page.waitForFunction(() => document.querySelectorAll("#uploads li").length === 3 && ![...document.querySelectorAll("#uploads li")].some((l) => /checking|uploading/.test(l.textContent)), null, { timeout: 15_000 });
  const items = await page.$$eval("#uploads li", (els) => els.map((e) => [e.textContent, e.className]));
  assert.match(items[0][0], /clip\.mp4: uploaded/);
  assert.match(items[1][0], /script\.txt: its text is now your prompt/);
  assert.equal(await page.inputValue("#prompt"), "a calm sea at dawn");
  assert.match(items[2][0], /report\.pdf: \.pdf files are not supported\. Accepted formats: mp4/);
  assert.equal(items[2][1], "err");
  await shot(page, "06-upload");
  await done(context);
});

test("upload in a browser reports byte progress (XHR), not just start and finish", async () => {
  const url = await worker();
  const { page, context } = await open(url);
  await page.evaluate(() => {
    window.uploadTexts = [];
    new MutationObserver(() => window.uploadTexts.push(document.querySelector("#uploads li")?.textContent)).observe(document.querySelector("#uploads"), { subtree: true, childList: true, characterData: true });
  });
  // Slow the network so the 8 MB body takes a while to send.
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 4 * 1024 * 1024 });
  await page.setInputFiles("#file", [{ name: "big.mp4", mimeType: "video/mp4", buffer: Buffer.alloc(8 * 1024 * 1024, 7) }]);
  await page.waitForFunction(() => /big\.mp4: uploaded\./.test(document.querySelector("#uploads li")?.textContent ?? ""), null, { timeout: 30_000 });
  const partial = await page.evaluate(() => window.uploadTexts.filter((t) => /uploading… \((\d+) of 8192 KB\)/.test(t ?? "") && !/\(0 of/.test(t)));
  assert.ok(partial.length >= 1, `byte progress seen: ${JSON.stringify(partial.slice(0, 3))}`);
  await done(context);
});

test("drag and drop uploads several files", async () => {
  const url = await worker();
  const { page, context } = await open(url);
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(2048)], "intro.mov", { type: "video/quicktime" }));
    dt.items.add(new File([new Uint8Array(1024)], "logo.png", { type: "image/png" }));
    const chat = document.querySelector(".chat");
    chat.dispatchEvent(new DragEvent("dragover", { dataTransfer: dt, bubbles: true, cancelable: true }));
    chat.dispatchEvent(new DragEvent("drop", { dataTransfer: dt, bubbles: true, cancelable: true }));
  });
  await page.waitForFunction(() => [...document.querySelectorAll("#uploads li")].filter((l) => l.textContent.endsWith("uploaded.")).length === 2, null, { timeout: 15_000 });
  assert.equal(await page.isVisible("#drop"), false, "the drop overlay goes away");
  await shot(page, "06b-dropped");
  await done(context);
});

test("an export blocked on the free plan says why", async () => {
  // The agent's "click Export" may start an export before the click: every attempt is refused.
  const url = await worker({ faults: { exportPlan: 3 } });
  const { page, context } = await open(url);
  await page.fill("#prompt", "make a video of the sea");
  await page.press("#prompt", "Enter");
  await page.waitForSelector(".seg.video", { timeout: 20_000 });
  await page.click("#export");
  await page.waitForSelector("#export-note:not([hidden])", { timeout: 20_000 });
  assert.match(await page.textContent("#export-note"), /not available on the free plan.*not about credits/);
  assert.equal(await page.$(".msg.error button"), null, "a plan limit offers no pointless retry");
  await shot(page, "07b-free-plan");
  await done(context);
});

test("reload mid-export: the export resumes on the next visit", async () => {
  const url = await worker({ renderPolls: 8 });
  const { page, context } = await open(url, "sim=1&pollIntervalMs=400");
  await page.fill("#prompt", "make a video of the sea");
  await page.press("#prompt", "Enter");
  await page.waitForSelector(".seg.video", { timeout: 20_000 });
  await page.click("#export");
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.endsWith(":pending-renders")));
  await page.reload();
  await page.waitForSelector("#status.ok");
  await page.waitForSelector("#result:not([hidden])", { timeout: 20_000 });
  assert.ok(await page.$$eval(".msg.note", (els) => els.some((e) => e.textContent.includes("finished while you were away"))));
  assert.equal(await page.evaluate(() => Object.keys(localStorage).some((k) => k.endsWith(":pending-renders"))), false);
  await shot(page, "07-resumed-export");
  await done(context);
});

test("out of credits shows the registration link", async () => {
  const url = await worker({ faults: { outOfCredits: 1 } });
  const { page, context } = await open(url);
  await page.fill("#prompt", PROMPT);
  await page.press("#prompt", "Enter");
  await page.waitForSelector(".msg.error a", { timeout: 20_000 });
  assert.match(await page.getAttribute(".msg.error a", "href"), /^https:\/\/nemovideo\.com\/register\?bind=anon_/);
  assert.match(await page.textContent(".msg.error"), /free credits/);
  await shot(page, "08-out-of-credits");
  await done(context);
});

test("a rate limit is explained, with a retry that works", async () => {
  const url = await worker({ faults: { rateLimit: 2, retryAfterS: 0 } });
  const context = await newContext({ viewport: { width: 1200, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${url}/?sim=1&rateLimitWaitMs=10`);
  await page.waitForSelector(".msg.error", { timeout: 20_000 });
  assert.match(await page.textContent(".msg.error"), /Too many requests/);
  assert.equal(await page.textContent("#status"), "Offline");
  await shot(page, "09-rate-limited");
  await page.click(".msg.error button");
  await page.waitForSelector("#status.ok", { timeout: 20_000 });
  await done(context);
});

test("Chinese input routes 积分 and 状态; phone width has no sideways scroll", async () => {
  const url = await worker();
  const { page, context } = await open(url, "sim=1", { width: 390, height: 844 });
  await page.fill("#prompt", "积分");
  await page.press("#prompt", "Enter");
  await page.waitForFunction(() => [...document.querySelectorAll(".msg.agent")].some((e) => /credits available/.test(e.textContent)));
  await page.fill("#prompt", "状态");
  await page.press("#prompt", "Enter");
  await page.waitForFunction(() => [...document.querySelectorAll(".msg.agent")].some((e) => e.textContent.startsWith("Timeline")));
  // Shift+Enter adds a line instead of sending.
  await page.fill("#prompt", "line one");
  await page.press("#prompt", "Shift+Enter");
  await page.keyboard.type("line two");
  assert.equal(await page.inputValue("#prompt"), "line one\nline two");
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), "no horizontal overflow");
  await shot(page, "10-phone-chinese");
  await done(context);
});

test("server-token mode: the page works through the deployable worker, and never holds the token", async () => {
  // The worker holds the token; its upstream is the simulator of the Node build behind a real
  // HTTP server (not the worker itself), which accepts only that token.
  const TOKEN = "nmv_operator_5e1d";
  const up = await simUpstream({ ...FAST, knownTokens: [TOKEN] });
  const w = await startWorker({
    bindings: { NEMO_API_BASE: up.url, ALLOW_HTTP_LOOPBACK: "1", NEMO_TOKEN: TOKEN, VISITOR_SECRET: "the-visitor-secret-of-this-test-0123456789" },
  });
  workers.push(w);
  up.origin = w.url; // the finished video is served by the worker's own page
  try {
    const { page, context, errors } = await open(w.url);
    await page.fill("#prompt", PROMPT);
    await page.press("#prompt", "Enter");
    await page.waitForSelector(".seg.video", { timeout: 20_000 });
    await page.click("#export");
    await page.waitForSelector("#result:not([hidden])", { timeout: 20_000 });
    await page.waitForFunction(() => document.querySelector("#player").readyState >= 1, null, { timeout: 20_000 });
    assert.equal(await page.evaluate(() => document.querySelector("#player").duration), 4);
    await shot(page, "11-server-token");
    const stored = await page.evaluate(() => JSON.stringify(localStorage));
    assert.ok(!stored.includes(TOKEN) && !stored.includes("nmv_"), "no token in the page's storage");
    assert.equal(up.sim.requests().filter((r) => r.path === "/api/auth/anonymous-token").length, 0);
    assert.ok(up.seen.length > 0 && up.seen.every((s) => s.headers.authorization === `Bearer ${TOKEN}`));
    assert.deepEqual(errors, []);
    await done(context);
  } finally {
    await up.close();
  }
});
