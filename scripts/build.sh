#!/usr/bin/env bash
# Builds every output of wasm-pack.toml: wasm-pack (release, its own wasm-opt off), then npm's
# wasm-opt with the matrix's flags, then the size budget and the imports check (nothing but
# the JS glue). Prints each output's sizes.
# Usage: scripts/build.sh [output-name ...]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"
mkdir -p target   # a fresh clone has none until cargo runs

# The matrix as shell lines: name|target|out_dir|features(comma)|budget|brotli budget|wasm-opt flags
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
                    str(o.get("max_wasm_bytes", m["budget"]["max_wasm_bytes"])),
                    str(o.get("max_brotli_bytes", m["budget"]["max_brotli_bytes"])),
                    " ".join(m["optimize"]["wasm_opt"])]))
PY

status=0
while IFS='|' read -r name target out_dir features budget brotli_budget flags; do
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
  # What a page downloads: the .wasm, its glue and its snippets, brotli at quality 11.
  br=$(node -e 'const z=require("zlib"),fs=require("fs"),p=require("path");const d=process.argv[1];let n=0;const add=(f)=>n+=z.brotliCompressSync(fs.readFileSync(f),{params:{[z.constants.BROTLI_PARAM_QUALITY]:11}}).length;add(p.join(d,"nemo_video_bg.wasm"));add(p.join(d,"nemo_video.js"));try{for(const f of fs.readdirSync(p.join(d,"snippets"),{recursive:true}))if(f.endsWith(".js"))add(p.join(d,"snippets",f))}catch{}console.log(n)' "$out_dir")
  printf '   %-8s wasm %7d B (before wasm-opt %7d B), gzip %6d B, budget %d B; wasm+glue brotli %6d B, budget %d B\n' "$name" "$after" "$before" "$gz" "$budget" "$br" "$brotli_budget"
  if [ "$after" -gt "$budget" ]; then
    echo "   FAILED: $wasm is over the size budget of wasm-pack.toml" >&2
    status=1
  fi
  if [ "$br" -gt "$brotli_budget" ]; then
    echo "   FAILED: $out_dir (wasm + glue, brotli) is over the brotli budget of wasm-pack.toml" >&2
    status=1
  fi
  node scripts/check-imports.mjs "$wasm" || status=1
done < target/build-matrix.txt
exit $status
