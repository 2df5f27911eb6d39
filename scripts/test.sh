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

step "clippy, native"
cargo clippy --quiet --all-targets -- -D warnings
step "clippy, wasm32"
cargo clippy --quiet --all-targets --target wasm32-unknown-unknown -- -D warnings

step "native tests (unit, fixtures, properties and bounded fuzz)"
cargo test

step "build every output of wasm-pack.toml"
bash scripts/build.sh

WASM_RUNNER="CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner"
step "wasm tests in Node (wasm-bindgen-test)"
env "$WASM_RUNNER" WASM_BINDGEN_TEST_TIMEOUT=300 cargo test --target wasm32-unknown-unknown --test wasm

step "wasm tests in headless Chromium (wasm-bindgen-test)"
env "$WASM_RUNNER" WASM_BINDGEN_TEST_TIMEOUT=300 WASM_BINDGEN_USE_BROWSER=1 CHROMEDRIVER=/usr/bin/chromedriver \
  cargo test --target wasm32-unknown-unknown --test wasm

step "node --test on the built package"
node --test tests/js/

step "all tests passed"
