// SseParser, classifyIntent and summarizeTimeline through the published `nodejs` build, as a
// Node user calls them. Run by the README test command after the build.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const nemo = require(process.env.NEMO_PKG_NODE ?? "../../pkg/node/nemo_video.js");
const fixturesDir = new URL("../fixtures/", import.meta.url);
const enc = new TextEncoder();

function parse(chunks, opts) {
  const p = new nemo.SseParser(opts);
  const out = [];
  for (const c of chunks) out.push(...p.push(c));
  out.push(...p.finish());
  return out;
}

test("every fixture gives the same events for any chunking", () => {
  const names = readdirSync(fixturesDir).filter((n) => n.endsWith(".sse"));
  assert.equal(names.length, 6);
  for (const name of names) {
    const bytes = readFileSync(new URL(name, fixturesDir));
    const whole = parse([bytes]);
    for (let i = 1; i < bytes.length; i++) {
      assert.deepEqual(parse([bytes.subarray(0, i), bytes.subarray(i)]), whole, `${name} split at ${i}`);
    }
    const ones = [...bytes].map((b) => Uint8Array.of(b));
    assert.deepEqual(parse(ones), whole, `${name} byte by byte`);
  }
});

test("CRLF fixture: every field kind", () => {
  const events = parse([readFileSync(new URL("crlf.sse", fixturesDir))]);
  assert.deepEqual(events, [
    { event: "status", data: '{"type":"heartbeat"}', id: "41", retry: 3000 },
    { event: "message", data: "line one\nline two", id: "41" },
    { event: "message", data: "no-space", id: "42" },
    { event: "message", data: "", id: "42" },
    { event: "message", data: '{"type":"text","content":"CRLF ok"}', id: "42" },
  ]);
});

test("the HTML standard's own examples", () => {
  // "data: YHOO / +2 / 10" is one event with three lines.
  assert.deepEqual(parse([enc.encode("data: YHOO\ndata: +2\ndata: 10\n\n")]).map((e) => e.data), ["YHOO\n+2\n10"]);
  // Comment, an event, an id that persists, a final block without a blank line (discarded).
  const ex2 = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n";
  assert.deepEqual(parse([enc.encode(ex2)]), [
    { event: "message", data: "first event", id: "1" },
    { event: "message", data: "second event", id: "" },
  ]);
  // "data" alone twice makes an event whose data is one LF; the last block is discarded.
  assert.deepEqual(parse([enc.encode("data\n\ndata\ndata\n\ndata:")]).map((e) => e.data), ["", "\n"]);
  // One leading space is stripped, not two.
  assert.deepEqual(parse([enc.encode("data:test\n\ndata: test\n\n")]).map((e) => e.data), ["test", "test"]);
});

test("BOM only at the start, split UTF-8, invalid bytes replaced", () => {
  const bom = Uint8Array.of(0xef, 0xbb, 0xbf);
  const body = enc.encode("data: 导出 ✓\n\n");
  const events = parse([bom.subarray(0, 1), bom.subarray(1), body.subarray(0, 8), body.subarray(8)]);
  assert.deepEqual(events.map((e) => e.data), ["导出 ✓"]);
  const bad = parse([Uint8Array.of(...enc.encode("data: a"), 0xff, ...enc.encode("b\n\n"))]);
  assert.equal(bad[0].data, "a\ufffdb");
});

test("oversize events are typed errors that lose nothing else", () => {
  const p = new nemo.SseParser({ maxEventBytes: 10 });
  assert.throws(
    () => p.push("data: 1\n\ndata: 0123456789abcdef\n\ndata: 2\n\n"),
    (e) => e instanceof Error && e.name === "NemoError" && e.kind === "protocol" &&
      e.code === "SSE_EVENT_TOO_LARGE" && e.retryable === false &&
      JSON.stringify(e.events.map((x) => x.data)) === '["1","2"]',
  );
  assert.deepEqual(p.push("data: 3\n\n").map((e) => e.data), ["3"]);
});

test("bad input is a typed error, never a crash", () => {
  const p = new nemo.SseParser();
  for (const bad of [42, null, {}, [1, 2]]) {
    assert.throws(() => p.push(bad), (e) => e.name === "NemoError" && e.kind === "refused");
  }
  assert.throws(() => new nemo.SseParser({ maxEventBytes: 0 }), (e) => e.kind === "refused");
  // Random bytes in random chunks: only events or typed errors come out.
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const alphabet = enc.encode("data: event:id:retry: 12\r\n\n::\u00ff导");
  const small = new nemo.SseParser({ maxEventBytes: 64 });
  for (let i = 0; i < 2000; i++) {
    const chunk = Uint8Array.from({ length: Math.floor(rand() * 40) }, () => alphabet[Math.floor(rand() * alphabet.length)]);
    try {
      for (const e of small.push(chunk)) assert.equal(typeof e.data, "string");
    } catch (e) {
      assert.equal(e.code, "SSE_EVENT_TOO_LARGE");
    }
  }
  small.finish();
});

test("classifyIntent routes English and Chinese", () => {
  const cases = {
    "帮我导出视频": "export",
    "send me the video": "export",
    "download": "export",
    "积分": "credits",
    "what's my balance?": "credits",
    "余额": "credits",
    "状态": "state",
    "show tracks": "state",
    "上传": "upload",
    "exported yesterday's clip had a glitch at 3s": "chat",
    "make a 30-second city timelapse with lo-fi music": "chat",
  };
  for (const [text, intent] of Object.entries(cases)) assert.equal(nemo.classifyIntent(text), intent, text);
});

test("summarizeTimeline gives the seed's format", () => {
  const draft = {
    t: [
      { tt: 0, sg: [{ s: 0, d: 10000, m: { title: "city timelapse" } }] },
      { tt: 1, m: { title: "Lo-fi", volume: 0.35 }, sg: [{ s: 0, d: 10000 }] },
      { tt: 7, sg: [{ s: 0, d: 3000, m: { text: "Urban Dreams" } }] },
    ],
    unknownField: { kept: true },
  };
  assert.equal(
    nemo.summarizeTimeline(draft),
    'Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) 3. Title: "Urban Dreams" (0-3s)',
  );
  assert.equal(nemo.summarizeTimeline(JSON.stringify(draft)), nemo.summarizeTimeline(draft));
  assert.throws(() => nemo.summarizeTimeline("{not json"), (e) => e.name === "NemoError" && e.code === "BAD_DRAFT");
  assert.equal(nemo.isReadyToExport(draft), true);
  assert.deepEqual(nemo.diffTimelines(draft, draft), []);
});

test("a retry: in a block of its own is not lost: the next event and reconnectionTime say it", () => {
  const p = new nemo.SseParser();
  assert.deepEqual(p.push(enc.encode("retry: 2500\n\n")), [], "the block dispatches no event");
  assert.equal(p.reconnectionTime, 2500);
  assert.deepEqual(p.push(enc.encode("data: a\n\ndata: b\n\n")), [
    { event: "message", data: "a", id: "", retry: 2500 },
    { event: "message", data: "b", id: "" },
  ]);
});
