//! Native throughput of the SSE parser and the turn reader on a synthetic ADK stream (printed,
//! never asserted). Run by `scripts/bench.sh`.

use std::time::Instant;

use nemo_video::core::error::Caller;
use nemo_video::core::sse::SseParser;
use nemo_video::core::stream::TurnReader;

fn stream(bytes: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes + 1024);
    let mut i = 0;
    while out.len() < bytes {
        let e = format!(
            "data: {{\"content\":{{\"parts\":[{{\"text\":\"piece {i} of the reply, with some words 导出 ✓\"}}],\"role\":\"model\"}},\"partial\":true,\"invocationId\":\"e-1\",\"author\":\"nemo_agent\",\"actions\":{{\"stateDelta\":{{}}}},\"id\":\"ev-{}\",\"timestamp\":1764000000.1}}\n\n",
            i / 4
        );
        out.extend_from_slice(e.as_bytes());
        i += 1;
    }
    out
}

fn rate(label: &str, bytes: usize, run: impl Fn() -> usize) {
    let rounds = 5;
    let mut best = f64::MAX;
    let mut items = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        items = run();
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "{label:<40} {:>8.1} MB/s  ({items} events, best of {rounds})",
        bytes as f64 / best / 1e6
    );
}

fn main() {
    let input = stream(16 * 1024 * 1024);
    let n = input.len();
    rate("sse::SseParser, 4 KiB chunks", n, || {
        let mut p = SseParser::default();
        input.chunks(4096).map(|c| p.push(c).len()).sum()
    });
    rate("sse::SseParser, whole", n, || {
        SseParser::default().push(&input).len()
    });
    rate("stream::TurnReader (parse + classify), 4 KiB", n, || {
        let mut r = TurnReader::new(Caller::default(), 1 << 24);
        input.chunks(4096).map(|c| r.push(c).len()).sum()
    });
}
