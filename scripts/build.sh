#!/usr/bin/env bash
# Builds every output of wasm-pack.toml: wasm-pack (release, its own wasm-opt off), then npm's
# wasm-opt with the matrix's flags, then the size budget and the imports check (nothing but
# the JS glue). Prints each output's sizes.
# Usage: scripts/build.sh [output-name ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
mkdir -p target   # a fresh clone has none until cargo runs

# The matrix as shell lines: name|target|out_dir|features(comma)|budget|wasm-opt flags
python3 - "$@" > target/build-matrix.txt <<'PY'
import sys, tomllib
m = tomllib.load(open("wasm-pack.toml", "rb"))
want = set(sys.argv[1:])
names = [o["name"] for o in m["output"]]
unknown = want - set(names)
if unknown:
    sys.exit(f"unknown output(s) {sorted(unknown)}; wasm-pack.toml has {names}")
for o in m["output"]:
    if want and o["name"] not in want:
        continue
    print("|".join([o["name"], o["target"], o["out_dir"], ",".join(o.get("features", [])),
                    str(o.get("max_wasm_bytes", m["budget"]["max_wasm_bytes"])), " ".join(m["optimize"]["wasm_opt"])]))
PY

status=0
while IFS='|' read -r name target out_dir features budget flags; do
  echo "== build $name (wasm-pack --target $target -> $out_dir)"
  extra=()
  [ -n "$features" ] && extra=(-- --features "$features")
  wasm-pack --quiet build --release --target "$target" --out-dir "$out_dir" --out-name nemo_video "${extra[@]}"
  wasm="$out_dir/nemo_video_bg.wasm"
  before=$(stat -c %s "$wasm")
  # shellcheck disable=SC2086
  wasm-opt $flags "$wasm" -o "$wasm.opt" && mv "$wasm.opt" "$wasm"
  after=$(stat -c %s "$wasm")
  gz=$(gzip -9c "$wasm" | wc -c)
  printf '   %-8s wasm %7d B (before wasm-opt %7d B), gzip %6d B, budget %d B\n' "$name" "$after" "$before" "$gz" "$budget"
  if [ "$after" -gt "$budget" ]; then
    echo "   FAILED: $wasm is over the size budget of wasm-pack.toml" >&2
    status=1
  fi
  node scripts/check-imports.mjs "$wasm" || status=1
done < target/build-matrix.txt
exit $status
