#!/usr/bin/env bash
# The README's demo command. Until the worker issue lands it builds the Node output and runs a
# script that drives the exported functions on a recorded agent stream.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
NEMO_SKIP_BROWSER=1 bash scripts/setup.sh
bash scripts/build.sh nodejs
node scripts/demo.mjs
