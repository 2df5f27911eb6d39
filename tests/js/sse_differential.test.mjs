// Differential test: SseParser against eventsource-parser (an independent, widely used parser)
// on random inputs with random chunkings. eventsource-parser leaves `event` unset for the
// default type ("message" here) and reports `id` only for the block that set it: it says
// nothing of an id-only block, which per the HTML standard still sets the last event id (our
// own tests cover that). So event type and data are compared for every event, and the id
// wherever eventsource-parser reports one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { createParser } from "eventsource-parser";

const require = createRequire(import.meta.url);
const { SseParser } = require("../../pkg/node/nemo_video.js");

let seed = 12345;
const rand = (n) => ((seed = (seed * 1103515245 + 12345) >>> 0) % n);
const PIECES = ["data", "data:", "data: ", "event: ", "id: ", "id:", "retry: 7", ":", " ", "x", "y z", "导出", "✓", "\n", "\r", "\r\n", "\n\n", "{\"a\":1}", "event", "idx: 1", "\ufeff"];

function randomInput() {
  let s = "";
  const n = rand(40);
  for (let i = 0; i < n; i++) s += PIECES[rand(PIECES.length)];
  return s + "\n\n";
}

function ours(bytes, cuts) {
  const p = new SseParser();
  const out = [];
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    out.push(...p.push(bytes.subarray(at, c)));
    at = c;
  }
  p.finish();
  return out;
}

function theirs(bytes, cuts) {
  const out = [];
  const p = createParser({ onEvent: (e) => out.push({ event: e.event ?? "message", data: e.data, id: e.id }) });
  const dec = new TextDecoder();
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    p.feed(dec.decode(bytes.subarray(at, c), { stream: true }));
    at = c;
  }
  p.feed(dec.decode());
  return out;
}

test("SseParser agrees with eventsource-parser on random streams and chunkings", () => {
  const enc = new TextEncoder();
  for (let i = 0; i < 600; i++) {
    const text = randomInput();
    const bytes = enc.encode(text);
    const cuts = [...new Set(Array.from({ length: rand(6) }, () => rand(bytes.length)))].sort((a, b) => a - b);
    const a = ours(bytes, cuts);
    const b = theirs(bytes, cuts);
    const where = `input ${JSON.stringify(text)} cut at ${cuts}`;
    assert.deepEqual(a.map((e) => [e.event, e.data]), b.map((e) => [e.event, e.data]), where);
    b.forEach((e, k) => e.id === undefined || assert.equal(a[k].id, e.id, where));
  }
});
