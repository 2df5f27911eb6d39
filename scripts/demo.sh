#!/usr/bin/env bash
# The README's demo command: installs what is missing, builds, and starts workerd on 127.0.0.1
# serving the example page and the simulated API. Prints the address to open.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
NEMO_SKIP_BROWSER=1 NEMO_SKIP_FUZZ=1 bash scripts/setup.sh
bash scripts/build.sh web sim-web
bash scripts/site.sh
exec node worker/dev.mjs --port "${PORT:-8787}"
