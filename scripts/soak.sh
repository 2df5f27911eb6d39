#!/usr/bin/env bash
# The soak: long use with faults mixed in, memory measured before and after (README,
# "Reliability"). Its own command; the test command runs it with small counts (--smoke).
#
#   bash scripts/soak.sh           the client: 1,000 chat turns and 300 exports against the
#                                  simulator; the worker: 10,000 proxied requests in workerd,
#                                  in anonymous and in server-token mode
#   bash scripts/soak.sh --smoke   120 turns, 30 exports, 1,000 requests (no baseline run)
#
# Needs the nodejs, sim-nodejs and worker builds (made here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

turns=1000 exports=300 requests=10000
case "${1:-}" in
  --smoke) turns=120 exports=30 requests="1000 --no-baseline" ;;
  "") ;;
  *) echo "usage: scripts/soak.sh [--smoke]" >&2; exit 2 ;;
esac

bash scripts/setup.sh >/dev/null
for out in node:nodejs sim-node:sim-nodejs worker:worker; do
  [ -f "pkg/${out%%:*}/nemo_video_bg.wasm" ] || bash scripts/build.sh "${out##*:}"
done

node --expose-gc tests/soak/client.mjs "$turns" "$exports"
# shellcheck disable=SC2086
node tests/soak/worker.mjs $requests
