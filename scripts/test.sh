#!/usr/bin/env bash
# The README's test command: installs what is missing (scripts/setup.sh), then runs every check
# and every test suite, printing each runner's own summary. Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
export CARGO_TERM_COLOR=never

started=$(date +%s)
step() { printf '\n=== %s (%ss)\n' "$*" "$(( $(date +%s) - started ))"; }

step "set-up"
bash scripts/setup.sh

step "cargo fmt --check"
cargo fmt --all -- --check

for target in "" "--target wasm32-unknown-unknown"; do
  for features in "" "--features simulator,worker"; do
    step "clippy ${target:-native} ${features:-(client only)}"
    # shellcheck disable=SC2086
    cargo clippy --quiet --all-targets $target $features -- -D warnings
  done
done

step "clippy and tests of the SSE parser crate (crates/sse, native and wasm32)"
cargo clippy --quiet -p nemo-sse --all-targets -- -D warnings
cargo clippy --quiet -p nemo-sse --all-targets --target wasm32-unknown-unknown -- -D warnings
cargo test -p nemo-sse

step "native tests (unit, fixtures, simulator, properties and bounded fuzz)"
cargo test --features simulator

step "coverage-guided fuzzing: each target a few seconds from its corpus (scripts/fuzz.sh)"
bash scripts/fuzz.sh

step "build every output of wasm-pack.toml"
bash scripts/build.sh

WASM_RUNNER="CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner"
WASM_TESTS=(--target wasm32-unknown-unknown --features simulator --test wasm --test wasm_client)
step "wasm tests in Node (wasm-bindgen-test: exports, and the client against the simulator)"
env "$WASM_RUNNER" WASM_BINDGEN_TEST_TIMEOUT=300 cargo test "${WASM_TESTS[@]}"

step "wasm tests in headless Chromium (the same tests in the browser engine)"
env "$WASM_RUNNER" WASM_BINDGEN_TEST_TIMEOUT=300 WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test "${WASM_TESTS[@]}"

step "node --test: the built package, the client against the simulator and its fault matrix, the worker in workerd"
bash scripts/site.sh
node --test tests/js/ tests/worker/

step "soak, small counts: the client's turns and exports, the worker's requests, memory measured (scripts/soak.sh --smoke)"
bash scripts/soak.sh --smoke

step "the example page in headless Chromium (playwright-core), served by workerd with the simulator"
node --test tests/browser/

step "TypeScript: the shipped types against a typed usage file (tsc --noEmit)"
node_modules/.bin/tsc -p tests/types/tsconfig.json && echo "tsc: types OK"

step "the npm package: assemble, npm pack, file list and sizes, publint, attw"
bash scripts/package.sh

step "node --test: the packed package installed in its consumers (Node import and require, esbuild, Vite, a plain page, workerd, TypeScript)"
node --test tests/package/

step "all tests passed"
