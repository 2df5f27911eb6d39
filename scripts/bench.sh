#!/usr/bin/env bash
# Benchmarks: sizes and speeds beside their anchors, one table per run; asserts nothing (tests
# never time). Installs the anchors (fal, Replicate, OpenAI, Runway clients, eventsource-parser)
# at pinned versions into target/bench/anchors from the npm registry.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh >/dev/null
echo "== sizes (wasm-opt'd .wasm, gzip and brotli, beside the budgets of wasm-pack.toml)"
bash scripts/build.sh | grep -E '^\s+\S+\s+wasm'
bash scripts/site.sh >/dev/null
bash scripts/package.sh >/dev/null
echo
node benches/anchors.mjs
echo
echo "== native throughput (release)"
cargo bench --quiet --bench sse 2>/dev/null
echo
echo "== SseParser against eventsource-parser (interleaved rounds after a warm-up; the ratio is the median of the rounds' ratios)"
node benches/sse_js.mjs
echo
node benches/memory.mjs
echo
echo "== the npm package in browsers: the wasm inlined (the package) or as an asset"
node benches/package.mjs
