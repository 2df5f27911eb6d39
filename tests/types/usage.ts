// A typed use of every public option, event and result: `tsc --noEmit` must accept it, and
// each `@ts-expect-error` proves a type is specific (an `any` would make that line an error).
import init, {
  NemoClient,
  SseParser,
  classifyIntent,
  summarizeTimeline,
  type ChatEvent,
  type ChatResult,
  type Credits,
  type ExportResult,
  type NemoError,
  type Reply,
  type SessionState,
  type SseEvent,
  type UploadedFile,
} from "../../pkg/web/nemo_video.js";
import { createSimulator, type SimulatorLogEntry } from "../../pkg/sim-web/nemo_video.js";

export async function demo(): Promise<void> {
  await init();
  const sim = createSimulator({ chunkDelayMs: 0, heartbeatMs: null, renderForm: "outputUrl", faults: { dropStream: 1 } });
  const client = new NemoClient({
    baseUrl: "https://api.example",
    token: undefined,
    serverToken: false,
    clientId: "client-1",
    language: "zh-CN",
    skillSource: "colab-text-to-video",
    skillVersion: "1.0.0",
    platform: "unknown",
    storage: null,
    fetch: sim,
    pollIntervalMs: 1,
    rateLimitWaitMs: 1,
    dropPollMs: 1,
    stillWorkingMs: 1,
    heartbeatOnlyTimeoutMs: 1,
    chatTimeoutMs: 1,
    exportTimeoutMs: 1,
    requestTimeoutMs: 1,
  });
  // @ts-expect-error: an unknown option name
  new NemoClient({ pollInterval: 5 });

  const { sessionId, anonymous }: { sessionId: string; anonymous: boolean } = await client.connect({ signal: AbortSignal.timeout(1000) });
  const current: string | undefined = client.sessionId;

  const onEvent = (e: ChatEvent): void => {
    switch (e.type) {
      case "status": e.text.toUpperCase(); break;
      case "text": if (e.partial) e.text.length; break;
      case "still_working": e.elapsedMs.toFixed(); break;
      case "tool_call": case "tool_result": e.name.trim(); break;
      case "changes": e.summary.trim(); break;
      case "action": { const a: "export" | "upload" | "credits" | "state" | "edit" | "timeline" = e.action; a; break; }
      case "done": break;
    }
  };
  const r: ChatResult = await client.chat("make a video", { onEvent, signal: new AbortController().signal });
  const changes: string | null = r.changes;
  const requests: string[] = r.requests;
  // @ts-expect-error: the message is a string
  await client.chat(42);

  const c: Credits = await client.credits();
  c.available + c.frozen + c.total;
  const s: SessionState = await client.state();
  s.ready && s.summary && s.raw && s.draft;

  const files: UploadedFile[] = await client.upload([new File(["x"], "a.mp4")], { onProgress: (p) => p.loaded / p.total });
  files[0].kind === "text" && files[0].prompt?.length;
  await client.upload({ urls: ["https://example.com/a.mp4"] });
  // @ts-expect-error: not an upload input
  await client.upload("a.mp4");

  const e: ExportResult = await client.export({ onProgress: (p) => p.status === "processing" && p.percent, draft: { t: [] } });
  e.url.startsWith("https:");
  const resumed: ExportResult[] = await client.resumeExports();
  const reply: Reply = await client.handle("帮我导出视频", { onEvent });
  reply.intent === "export" && reply.url;

  try {
    await client.credits();
  } catch (err) {
    const n = err as NemoError;
    const retry: boolean = n.retryable;
    const kind: NemoError["kind"] = n.kind;
    n.code === 2001 && n.bindUrl;
    retry && kind && n.userMessage && n.retryAfterMs;
  }

  const parser = new SseParser({ maxEventBytes: 1024 });
  const events: SseEvent[] = parser.push(new Uint8Array([100, 97]));
  events[0]?.retry?.toFixed();
  parser.finish();
  new SseParser();
  const intent: "export" | "credits" | "state" | "upload" | "chat" = classifyIntent("积分");
  const summary: string = summarizeTimeline({ t: [] });
  const log: SimulatorLogEntry[] = sim.requests();
  sim.setFaults({ rateLimit: 1, retryAfterS: 2, submitLost: 1 });
  createSimulator({ hiddenEdits: true, noDraft: true, draftAsText: true, tokenUserId: false });
  void [sessionId, anonymous, current, changes, requests, resumed, intent, summary, log];
}
