#!/usr/bin/env bash
# Coverage-guided fuzzing (cargo-fuzz, libFuzzer) of every decoder that reads what the network
# sends: fuzz/fuzz_targets/*.rs, each checking its properties (see its module doc).
#
#   bash scripts/fuzz.sh              each target for FUZZ_SECONDS (default 5): the test command's
#   bash scripts/fuzz.sh --long [S]   each target for S seconds (default 600), then the new inputs
#                                     it found merged (minimised) into fuzz/corpus/<target>/
#   bash scripts/fuzz.sh --seed       rewrites the seed inputs fuzz/corpus/<target>/seed-* from
#                                     tests/fixtures and the route table
#
# Nightly is used for fuzzing only (the shipped build stays on stable); scripts/setup.sh installs
# it and cargo-fuzz when missing. No sanitizer: the crate forbids unsafe code, so what is left to
# find is panics, overflows (debug assertions are on) and broken properties, at full speed.
# The repository's corpus is read only; what a run finds goes to target/fuzz/ (and, with
# --long, is merged back). A crash stops the script with the input's path and the command that
# replays it; it becomes a fixture and a test.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

TARGETS=(sse turn envelope draft proxy retry_after)
mode=bounded
seconds=${FUZZ_SECONDS:-5}
case "${1:-}" in
  --long) mode=long; seconds=${2:-600} ;;
  --seed) mode=seed ;;
  "") ;;
  *) echo "usage: scripts/fuzz.sh [--long [seconds] | --seed]" >&2; exit 2 ;;
esac

seed() {
  local c=fuzz/corpus
  rm -f "$c"/*/seed-*
  mkdir -p "${TARGETS[@]/#/$c/}"
  for f in tests/fixtures/*.sse; do
    cp "$f" "$c/sse/seed-$(basename "$f")"
    cp "$f" "$c/turn/seed-$(basename "$f")"
  done
  # envelope: status line, Retry-After line, body.
  for f in tests/fixtures/api/*.json; do
    name=$(basename "$f" .json)
    status=200
    case "$name" in error_1001) status=401 ;; error_success_false|adk_404) status=404 ;; adk_422) status=422 ;; esac
    { printf '%s\n\n' "$status"; cat "$f"; } > "$c/envelope/seed-$name"
  done
  printf '429\n30\n{"code":429,"message":"rate limited","data":null}' > "$c/envelope/seed-429-seconds"
  printf '429\nWed, 21 Oct 2026 07:28:00 GMT\n' > "$c/envelope/seed-429-date"
  printf '502\n\n<html><body>Bad Gateway</body></html>' > "$c/envelope/seed-502-html"
  head -c 90 tests/fixtures/api/token.json | { printf '200\n\n'; cat; } > "$c/envelope/seed-token-truncated"
  # A server echoing the caller's token (the targets' own, nmv_usr_fuzz_secret_7c1d).
  printf '401\n\n{"code":1001,"message":"token nmv_usr_fuzz_secret_7c1d expired"}' > "$c/envelope/seed-echo-1001"
  printf '502\n\n<html>Authorization: Bearer nmv_usr_fuzz_secret_7c1d</html>' > "$c/envelope/seed-echo-html"
  printf 'data: {"error": "nmv_usr_fuzz_secret_7c1d refused", "error_details": {"type": "UNAVAILABLE"}}\n\n' > "$c/turn/seed-echo-error"
  # draft: a state answer, then optionally `---` and a second draft.
  for f in tests/fixtures/api/state*.json; do
    cp "$f" "$c/draft/seed-$(basename "$f" .json)"
    { cat "$f"; printf '\n---\n{"t":[{"tt":0,"sg":[{"s":0,"d":30000}]}],"d":30000}'; } > "$c/draft/seed-$(basename "$f" .json)-pair"
  done
  # proxy: method, path, host, Origin, Sec-Fetch-Site, Content-Length, preflight method,
  # headers (`|`-separated), body. Every row of the route table, and a few refusals.
  local sid=7351234567890123456 rid=render_1764000000000 n=0
  local chat="{\"app_name\":\"nemo_agent\",\"user_id\":\"me\",\"session_id\":\"$sid\",\"new_message\":{\"role\":\"user\",\"parts\":[{\"text\":\"hi\"}]},\"streaming\":true}"
  local export="{\"id\":\"$rid\",\"sessionId\":\"$sid\",\"draft\":{\"t\":[]},\"output\":{\"format\":\"mp4\",\"quality\":\"high\"}}"
  while IFS='|' read -r method path body; do
    n=$((n + 1))
    printf '%s\n%s\nproxy.example\nhttps://app.example\n\n%s\n\nContent-Type: application/json|Authorization: Bearer nmv_usr_x|Cookie: nemo_visitor=abc.def|X-Client-Id: c1\n%s' \
      "$method" "$path" "${#body}" "$body" > "$c/proxy/seed-route-$n"
  done <<EOF
POST|/api/auth/anonymous-token|
POST|/api/tasks/me/with-session/nemo_agent|{"task_name":"project","language":"en"}
POST|/run_sse|$chat
POST|/api/upload-video/nemo_agent/me/$sid|{"urls":["https://example.com/a.mp4"],"source_type":"url"}
GET|/api/credits/balance/simple|
GET|/api/state/nemo_agent/me/$sid/latest|
POST|/api/render/proxy/lambda|$export
GET|/api/render/proxy/lambda/$rid|
GET|/api/render/proxy/$rid/download|
POST|/api/render/proxy/lambda/$rid/cancel|
GET|/api/state/nemo_agent/me/..%2F..%2Fadmin/latest|
GET|//evil.example/api/credits/balance/simple|
GET|/api/render/proxy/lambda/render_1?x=/../../admin|
POST|http://evil.example/run_sse|{}
OPTIONS|/run_sse|
GET|/index.html|
EOF
  printf 'OPTIONS\n/run_sse\nproxy.example\nhttps://app.example\n\n\nPOST\n\n' > "$c/proxy/seed-preflight"
  # retry_after: the clock, then the header.
  printf '0\n120' > "$c/retry_after/seed-seconds"
  printf '1764000000000\nSun, 06 Nov 1994 08:49:37 GMT' > "$c/retry_after/seed-date-past"
  printf '0\nWed, 21 Oct 2026 07:28:00 GMT' > "$c/retry_after/seed-date"
  printf '0\n99999999999999999999999' > "$c/retry_after/seed-long"
  echo "seeds written: $(find "$c" -name 'seed-*' | wc -l) files in $c/"
}

if [ "$mode" = seed ]; then seed; exit 0; fi

echo "building the fuzz targets (nightly, debug assertions, no sanitizer)"
(cd fuzz && cargo +nightly fuzz build -s none -a)
bin=fuzz/target/x86_64-unknown-linux-gnu/release
mkdir -p target/fuzz
figures=target/fuzz/figures.txt
: > "$figures"
printf '%-12s %12s %8s %10s %8s\n' target execs seconds "exec/s" corpus | tee -a "$figures"
for t in "${TARGETS[@]}"; do
  work=target/fuzz/corpus/$t
  artifacts=target/fuzz/artifacts/$t/
  mkdir -p "$work" "$artifacts"
  log=target/fuzz/$t.log
  # New inputs go to the first directory (ours, under target/); the repository's is read only.
  if ! "$bin/$t" "$work" "fuzz/corpus/$t" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" > "$log" 2>&1; then
    tail -40 "$log" >&2
    crash=$(ls -t "$artifacts" 2>/dev/null | head -1)
    echo "FUZZ FAILURE in $t: input $artifacts$crash" >&2
    echo "replay: $bin/$t $artifacts$crash   (make it a fixture and a test, fix the core)" >&2
    exit 1
  fi
  execs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  secs=$(awk '/^Done [0-9]+ runs in/ {print $5}' "$log")
  corpus=$(( $(ls "$work" | wc -l) + $(ls "fuzz/corpus/$t" | wc -l) ))
  printf '%-12s %12s %8s %10s %8s\n' "$t" "$execs" "$secs" "$(( execs / (secs > 0 ? secs : 1) ))" "$corpus" | tee -a "$figures"
  if [ "$mode" = long ]; then
    # Keep what the run found, minimised: the inputs that add coverage to the repository's corpus.
    "$bin/$t" -merge=1 "fuzz/corpus/$t" "$work" -max_len=8192 >> "$log" 2>&1
  fi
done
total=$(awk 'NR > 1 {s += $2} END {print s}' "$figures")
echo "fuzz: ${#TARGETS[@]} targets, $total inputs run, no failure (figures in $figures)"
