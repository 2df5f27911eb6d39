#!/usr/bin/env bash
# Benchmarks: prints sizes and speeds beside their anchors; asserts nothing (tests never time).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
bash scripts/setup.sh >/dev/null
echo "== sizes (wasm-opt'd .wasm, anchor: the budgets of wasm-pack.toml)"
bash scripts/build.sh | grep -E '^\s+\S+\s+wasm'
echo
echo "== native throughput (release)"
cargo bench --quiet --bench sse 2>/dev/null
echo
echo "== in Node"
node benches/sse_js.mjs
echo
echo "== the npm package in browsers: the wasm inlined (the package) or as an asset"
bash scripts/package.sh >/dev/null
node benches/package.mjs
