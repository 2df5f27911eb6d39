#!/usr/bin/env bash
# One idempotent set-up used by both README commands (demo and tests). Installs only what is
# missing, from the package registries only (crates.io, Debian, npm), and says which piece
# failed if one does.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
fail() { printf '\033[31m[setup] FAILED:\033[0m %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || fail "cargo is not installed (this machine kind ships it via rustup)"
command -v node >/dev/null || fail "node is not installed"
command -v npm >/dev/null || fail "npm is not installed"

# 1. The wasm32 target.
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  say "adding rust target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown || fail "rustup target add wasm32-unknown-unknown"
fi

# 2. wasm-pack (pinned: its CLI flags are part of our build).
WASM_PACK_VERSION=0.15.1
if [ "$(wasm-pack --version 2>/dev/null | awk '{print $2}')" != "$WASM_PACK_VERSION" ]; then
  say "installing wasm-pack $WASM_PACK_VERSION (about 2 minutes)"
  cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked || fail "cargo install wasm-pack"
fi

# 3. wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock, so wasm-pack never
#    tries to download one. Not --locked: its lockfile wants a crate release the registry lacks.
WB=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)
[ -n "$WB" ] || fail "no wasm-bindgen in Cargo.lock"
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB" ]; then
  say "installing wasm-bindgen-cli $WB (about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$WB" || fail "cargo install wasm-bindgen-cli --version $WB"
fi

# 4. Nightly Rust and cargo-fuzz, for the fuzz targets only (the shipped build stays on stable).
if [ "${NEMO_SKIP_FUZZ:-0}" != 1 ]; then
  if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    say "installing the nightly toolchain (fuzzing only)"
    rustup toolchain install nightly --profile minimal || fail "rustup toolchain install nightly"
  fi
  CARGO_FUZZ_VERSION=0.13.2
  if [ "$(cargo fuzz --version 2>/dev/null | awk '{print $2}')" != "$CARGO_FUZZ_VERSION" ]; then
    say "installing cargo-fuzz $CARGO_FUZZ_VERSION (about 2 minutes)"
    cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked || fail "cargo install cargo-fuzz"
  fi
fi

# 5. Chromium and its driver from Debian (browser tests). Never a downloaded browser.
if [ "${NEMO_SKIP_BROWSER:-0}" != 1 ] && { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; }; then
  say "installing chromium and chromium-driver from Debian"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq || fail "apt-get update"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver >/dev/null \
    || fail "apt-get install chromium chromium-driver"
fi

# 6. Node packages from the committed lockfile (binaryen's wasm-opt, test tools). A stamp of
#    the lockfile's hash says whether node_modules already matches it.
LOCK_HASH=$(sha256sum package-lock.json | awk '{print $1}')
if [ "$(cat node_modules/.nemo-lock-hash 2>/dev/null)" != "$LOCK_HASH" ]; then
  say "installing node packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error || fail "npm ci"
  echo "$LOCK_HASH" > node_modules/.nemo-lock-hash
fi
[ -x node_modules/.bin/wasm-opt ] || fail "node_modules/.bin/wasm-opt missing after npm ci"

say "ready: $(rustc --version | awk '{print $1, $2}'), wasm-pack $(wasm-pack --version | awk '{print $2}'), wasm-bindgen $WB, $(node_modules/.bin/wasm-opt --version | awk '{print $1, $3}'), node $(node --version)"
