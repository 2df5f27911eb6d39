#!/usr/bin/env bash
# Assembles the worker's static assets in worker/site: the example page (www/), the client's
# web build at /pkg/, and the simulator's video at /sim/video.mp4. Needs scripts/build.sh first.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f pkg/web/nemo_video.js ] || { echo "site: run scripts/build.sh first (pkg/web is missing)" >&2; exit 1; }
rm -rf worker/site
mkdir -p worker/site/pkg worker/site/sim
cp -R www/. worker/site/
cp pkg/web/nemo_video.js pkg/web/nemo_video_bg.wasm pkg/web/nemo_video.d.ts worker/site/pkg/
# The glue's JS snippets (#[wasm_bindgen(inline_js)]), imported beside it.
cp -R pkg/web/snippets worker/site/pkg/
cp worker/assets/video.mp4 worker/site/sim/video.mp4
echo "site: worker/site ($(du -sh worker/site | cut -f1))"
