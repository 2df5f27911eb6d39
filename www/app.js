// The example page: one ES module over the `web` build. Everything the client decides (routing,
// retries, timeouts, summaries) and everything it says comes from the module (`handle()`);
// this file draws and wires buttons.
//
// Page options (query string): ?sim=1 shortens the export polls for the simulated API;
// ?stillWorkingMs=N, ?pollIntervalMs=N, ?dropPollMs=N, ?rateLimitWaitMs=N set those options.
import init, { NemoClient, describeTimeline } from "./pkg/nemo_video.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const numberParam = (name) => (params.has(name) ? Number(params.get(name)) : undefined);

const ui = {
  messages: $("messages"), prompt: $("prompt"), send: $("send"), stop: $("stop"), status: $("status"),
  credits: $("credits"), summary: $("summary"), timeline: $("timeline"), exportBtn: $("export"),
  exportProgress: $("export-progress"), exportBar: $("export-bar"), exportLabel: $("export-label"),
  exportNote: $("export-note"), result: $("result"), player: $("player"), download: $("download"),
  file: $("file"), drop: $("drop"), uploads: $("uploads"),
};

let client;
let turn = null; // the AbortController of the running chat turn
let exporting = false;

function setStatus(text, kind = "") {
  ui.status.textContent = text;
  ui.status.className = `badge status ${kind}`;
}

function addMessage(kind, text) {
  const li = document.createElement("li");
  li.className = `msg ${kind}`;
  li.textContent = text;
  ui.messages.append(li);
  li.scrollIntoView({ block: "end" });
  return li;
}

/** A friendly error message, with the registration link or a retry where it applies. */
function showError(err, retry) {
  const li = addMessage("error", err?.userMessage ?? String(err?.message ?? err));
  if (err?.bindUrl) {
    const a = document.createElement("a");
    a.href = err.bindUrl;
    a.textContent = "Register to get more credits";
    a.target = "_blank";
    a.rel = "noopener";
    li.append(a);
  }
  if (err?.retryable && retry) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = "Retry";
    b.addEventListener("click", () => { b.disabled = true; retry(); });
    li.append(b);
  }
  if (err?.kind === "plan") ui.exportNote.textContent = err.userMessage, (ui.exportNote.hidden = false);
}

function seconds(ms) {
  const s = Math.round(ms / 100) / 10;
  return Number.isInteger(s) ? `${s}` : s.toFixed(1);
}

async function refreshTimeline() {
  try {
    const state = await client.state();
    ui.summary.textContent = state.summary;
    drawTimeline(state.draft);
    ui.exportBtn.disabled = exporting || !state.ready;
    return state;
  } catch (err) {
    ui.summary.textContent = err.userMessage;
  }
}

function drawTimeline(draft) {
  const { durationMs, tracks } = describeTimeline(draft);
  ui.timeline.replaceChildren();
  const total = Math.max(durationMs, 1);
  for (const t of tracks) {
    const row = document.createElement("div");
    row.className = "track";
    row.setAttribute("role", "listitem");
    const kind = document.createElement("span");
    kind.className = "kind";
    kind.textContent = { video: "Video", audio: "BGM", text: "Title", other: "Track" }[t.kind];
    const lane = document.createElement("div");
    lane.className = "lane";
    const seg = document.createElement("div");
    seg.className = `seg ${t.kind}`;
    seg.style.left = `${(100 * t.startMs) / total}%`;
    seg.style.width = `${Math.max(2, (100 * (t.endMs - t.startMs)) / total)}%`;
    const volume = t.volume !== undefined ? `, ${Math.round(t.volume)}%` : "";
    seg.textContent = `${t.label ?? ""} (${seconds(t.startMs)}-${seconds(t.endMs)}s${volume})`;
    seg.title = seg.textContent;
    lane.append(seg);
    row.append(kind, lane);
    ui.timeline.append(row);
  }
  if (tracks.length) {
    const axis = document.createElement("div");
    axis.className = "axis";
    axis.innerHTML = `<span>0s</span><span>${seconds(total / 2)}s</span><span>${seconds(total)}s</span>`;
    ui.timeline.append(axis);
  }
}

async function refreshCredits() {
  try {
    const c = await client.credits();
    ui.credits.textContent = `${c.available} credits`;
    ui.credits.className = c.available > 0 ? "badge" : "badge err";
    return c;
  } catch (err) {
    ui.credits.textContent = "credits unavailable";
  }
}

function busy(on) {
  ui.send.disabled = on;
  ui.stop.hidden = !on;
}

/** Everything the user types goes through the module's `handle()`: it routes the text by
 *  intent (export, credits, state, upload, chat), does the work, carries out the agent's GUI
 *  phrases, and says what to tell the user. The page only draws: the turn as it streams, an
 *  export's progress, and the reply's own sentences. */
async function send(text) {
  text = text.trim();
  if (!text || turn) return;
  ui.prompt.value = "";
  addMessage("user", text);
  // The starters have done their job once a conversation is under way.
  document.getElementById("starters").hidden = true;
  busy(true);
  turn = new AbortController();
  let bubble = null;
  let progress = null;
  let working = null;
  const note = (t) => {
    if (!progress) progress = addMessage("note", "");
    progress.textContent = t;
  };
  let exportingHere = false; // an export this message asked for, or the agent suggested
  const endBubble = () => {
    if (bubble) bubble.classList.remove("streaming");
    bubble = null;
  };
  try {
    const reply = await client.handle(text, {
      signal: turn.signal,
      onEvent: (e) => {
        if (e.type === "text") {
          if (!bubble) bubble = addMessage("agent streaming", "");
          bubble.textContent = e.partial ? bubble.textContent + e.text : e.text;
          if (!e.partial) endBubble();
        } else if (e.type === "still_working") {
          if (!working) working = addMessage("note", "");
          working.textContent = `${e.text} (${Math.round(e.elapsedMs / 1000)} s)`;
        } else if (e.type === "tool_call") {
          note(`Working: ${e.name.replaceAll("_", " ")}…`);
        } else if (e.type === "tool_result") {
          note(`Done: ${e.name.replaceAll("_", " ")}`);
        } else if (e.type === "changes") {
          addMessage("changes", e.summary);
        } else if (e.type === "action" && e.action === "upload") {
          ui.file.click();
        }
      },
      onProgress: (p) => {
        exportingHere = exporting = true;
        ui.exportBtn.disabled = true;
        ui.exportNote.hidden = true;
        showProgress(p);
      },
    });
    endBubble();
    for (const line of reply.notes) addMessage("agent", line);
    if (reply.url) showVideo(reply);
    if (reply.error) {
      // The turn went well; the export the agent suggested did not.
      ui.exportProgress.hidden = true;
      showError(reply.error, startExport);
    }
    if (reply.intent === "upload") ui.file.click();
  } catch (err) {
    endBubble();
    if (exportingHere) ui.exportProgress.hidden = true;
    if (err.kind === "aborted") addMessage("note", err.userMessage);
    else showError(err, () => send(text));
  } finally {
    busy(false);
    turn = null;
    if (exportingHere) exporting = false;
    refreshTimeline();
    refreshCredits();
  }
}

function showProgress(p) {
  ui.exportProgress.hidden = false;
  const pct = p.percent ?? (p.status === "completed" ? 100 : 5);
  ui.exportBar.style.width = `${pct}%`;
  ui.exportLabel.textContent = `${p.status}${p.percent !== undefined ? ` ${Math.round(p.percent)}%` : ""}`;
}

function showVideo(result) {
  ui.result.hidden = false;
  ui.player.src = result.url;
  ui.download.href = result.url;
  ui.exportLabel.textContent = "Ready";
  ui.exportBar.style.width = "100%";
}

async function startExport() {
  if (exporting) return;
  exporting = true;
  ui.exportBtn.disabled = true;
  ui.exportNote.hidden = true;
  showProgress({ status: "starting", percent: 0 });
  try {
    const result = await client.export({ onProgress: showProgress });
    showVideo(result);
    addMessage("note", "Your video is ready: play it or download it on the right.");
  } catch (err) {
    ui.exportProgress.hidden = true;
    showError(err, startExport);
  } finally {
    exporting = false;
    ui.exportBtn.disabled = false;
  }
}

/** One line per file: its name, a progress bar, and what happened. */
function uploadRow(name) {
  const li = document.createElement("li");
  const label = document.createElement("span");
  const bar = document.createElement("progress");
  bar.max = 1;
  bar.value = 0;
  bar.setAttribute("aria-label", `Upload of ${name}`);
  li.append(label, bar);
  ui.uploads.append(li);
  return {
    li,
    say(text) { label.textContent = `${name}: ${text}`; },
    progress(loaded, total) { bar.max = total || 1; bar.value = loaded; },
    finish(text, failed = false) { bar.remove(); label.textContent = `${name}: ${text}`; if (failed) li.className = "err"; },
  };
}

async function upload(files) {
  for (const file of files) {
    const row = uploadRow(file.name);
    row.say("checking…");
    try {
      const [done] = await client.upload(file, {
        onProgress: (p) => {
          row.progress(p.loaded, p.total);
          row.say(`${p.done ? "uploaded" : "uploading…"} (${Math.round(p.loaded / 1024)} of ${Math.round(p.total / 1024)} KB)`);
        },
      });
      if (done?.kind === "text") {
        ui.prompt.value = done.prompt;
        row.finish("its text is now your prompt; press Send to make the video.");
      } else {
        row.finish("uploaded.");
      }
    } catch (err) {
      row.finish(err.userMessage, true);
    }
  }
}

function wire() {
  $("composer").addEventListener("submit", (e) => { e.preventDefault(); send(ui.prompt.value); });
  ui.prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(ui.prompt.value); }
  });
  ui.stop.addEventListener("click", () => turn?.abort());
  for (const b of document.querySelectorAll(".starter")) b.addEventListener("click", () => send(b.textContent));
  ui.exportBtn.addEventListener("click", startExport);
  $("refresh").addEventListener("click", refreshTimeline);
  $("attach").addEventListener("click", () => ui.file.click());
  ui.file.addEventListener("change", () => { upload([...ui.file.files]); ui.file.value = ""; });
  const chatSection = document.querySelector(".chat");
  chatSection.addEventListener("dragover", (e) => { e.preventDefault(); ui.drop.hidden = false; });
  ui.drop.addEventListener("dragleave", () => (ui.drop.hidden = true));
  chatSection.addEventListener("drop", (e) => { e.preventDefault(); ui.drop.hidden = true; upload([...e.dataTransfer.files]); });
}

/** How the worker serving this page connects to the API: with a server token the worker adds
 *  it (and keeps visitors apart), otherwise each visitor gets its own anonymous token. A page
 *  served from anywhere else has no config and goes anonymous. */
async function workerConfig() {
  try {
    const res = await fetch("config.json", { credentials: "same-origin" });
    return res.ok ? await res.json() : {};
  } catch {
    return {};
  }
}

async function main() {
  wire();
  const [config] = await Promise.all([workerConfig(), init()]);
  const sim = params.has("sim");
  client = new NemoClient({
    baseUrl: location.origin,
    serverToken: config.serverToken === true,
    pollIntervalMs: numberParam("pollIntervalMs") ?? (sim ? 1500 : undefined),
    stillWorkingMs: numberParam("stillWorkingMs"),
    dropPollMs: numberParam("dropPollMs"),
    rateLimitWaitMs: numberParam("rateLimitWaitMs"),
  });
  setStatus("Connecting...");
  try {
    await client.connect();
    setStatus("Ready", "ok");
  } catch (err) {
    setStatus("Offline", "err");
    showError(err, () => location.reload());
    return;
  }
  refreshCredits();
  const state = await refreshTimeline();
  if (!state?.ready) addMessage("agent", "Send me your text prompts and I'll handle the AI video creation. Or just describe what you're after.");
  // An export that was still running when the tab closed.
  const resumed = await client.resumeExports({ onProgress: showProgress }).catch(() => []);
  if (resumed.length) {
    showVideo(resumed.at(-1));
    addMessage("note", "Your earlier export finished while you were away.");
  }
}

main();
