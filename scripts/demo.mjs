// The interim demo (until the worker issue lands): drives the exported functions of the
// `nodejs` build on a recorded-style agent stream and prints what a person would see.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { setTimeout as sleep } from "node:timers/promises";

const require = createRequire(import.meta.url);
const nemo = require("../pkg/node/nemo_video.js");
const bold = (s) => `\x1b[1m${s}\x1b[0m`;
const dim = (s) => `\x1b[2m${s}\x1b[0m`;

console.log(bold(`nemo-video ${nemo.version()} — demo in Node`));
console.log(dim("(the full demo, a page served by workerd with the simulated API, arrives with the worker issue)\n"));

console.log(bold("1. Routing what a person types (classifyIntent)"));
for (const text of [
  "make a 30-second city timelapse with lo-fi music",
  "帮我导出视频",
  "how many credits do I have?",
  "show tracks",
  "上传",
  "exported yesterday's clip had a glitch at 3s",
]) {
  console.log(`   ${JSON.stringify(text).padEnd(52)} → ${nemo.classifyIntent(text)}`);
}

console.log(bold("\n2. The agent's reply, streamed through SseParser in 7-byte chunks"));
const bytes = readFileSync(new URL("../tests/fixtures/adk_stream.sse", import.meta.url));
const parser = new nemo.SseParser();
let line = "";
let draft = null;
const seenCalls = new Set();
for (let i = 0; i < bytes.length; i += 7) {
  for (const ev of parser.push(bytes.subarray(i, i + 7))) {
    const e = JSON.parse(ev.data);
    if (e.actions?.stateDelta?.draft) draft = e.actions.stateDelta.draft;
    for (const part of e.content?.parts ?? []) {
      if (part.thought) continue;
      if (part.text !== undefined) {
        // Deltas redraw the line on a terminal; piped output gets whole messages only.
        if (e.partial) {
          line += part.text;
          if (process.stdout.isTTY) process.stdout.write(`\r   agent: ${line}`);
        } else {
          process.stdout.write(`${process.stdout.isTTY ? "\r" : ""}   agent: ${part.text}\n`);
          line = "";
        }
      } else if (part.functionCall && !e.partial && !seenCalls.has(part.functionCall.id)) {
        seenCalls.add(part.functionCall.id);
        console.log(dim(`   … working: ${part.functionCall.name}`));
      } else if (part.functionResponse) {
        console.log(dim(`   … done: ${part.functionResponse.name}`));
      }
    }
  }
  await sleep(4);
}
parser.finish();

console.log(bold("\n3. The timeline the reply produced (summarizeTimeline)"));
console.log(`   ${nemo.summarizeTimeline(draft)}`);
console.log(`   ready to export: ${nemo.isReadyToExport(draft)}`);

console.log(bold("\n4. What the edit changed (diffTimelines)"));
const before = { t: [draft.t[0]] };
for (const change of nemo.diffTimelines(before, draft)) console.log(`   - ${change}`);
