// The secrets scan of a worker test file: every answer the file's tests get over HTTP (status,
// headers and body, a streamed body as far as it went) and everything printed meanwhile (the
// workers' own log lines reach this process through Miniflare) is recorded; at the end, none
// may hold a secret. Call `scanForSecrets()` before the first request.
import assert from "node:assert/strict";

export function scanForSecrets() {
  const seen = [];
  const reads = [];
  const original = globalThis.fetch;
  globalThis.fetch = async (input, init) => {
    const res = await original(input, init);
    const entry = { what: `${init?.method ?? "GET"} ${input}`, text: `${res.status} ${JSON.stringify([...res.headers])}\n` };
    seen.push(entry);
    // A copy of the body, read as it arrives (a stream the test abandons is read as far as it
    // went by the end).
    const reader = res.clone().body?.getReader();
    if (reader) {
      const decoder = new TextDecoder();
      reads.push({
        reader,
        done: (async () => {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) return;
            entry.text += decoder.decode(value, { stream: true });
          }
        })().catch(() => {}),
      });
    }
    return res;
  };
  const printed = [];
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    stream.write = (chunk, ...rest) => {
      printed.push(String(chunk));
      return write(chunk, ...rest);
    };
  }
  return {
    /** Asserts that no answer and no printed line holds any of `secrets`; returns the counts. */
    async assertNone(secrets) {
      await Promise.race([Promise.all(reads.map((r) => r.done)), new Promise((r) => setTimeout(r, 2000))]);
      for (const r of reads) r.reader.cancel().catch(() => {});
      for (const secret of secrets) {
        for (const e of seen) assert.ok(!e.text.includes(secret), `the answer to ${e.what} holds a secret: ${e.text.slice(0, 300)}`);
        const log = printed.join("");
        assert.ok(!log.includes(secret), "a printed line holds a secret");
      }
      const chars = seen.reduce((n, e) => n + e.text.length, 0) + printed.join("").length;
      return { answers: seen.length, chars };
    },
  };
}
