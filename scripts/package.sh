#!/usr/bin/env bash
# The npm package `nemo-video`: assembles it from the wasm-pack outputs (scripts/package.mjs;
# scripts/build.sh first), packs it with `npm pack` into target/npm/nemo-video-VERSION.tgz,
# prints its sizes, checks its file list, and lints the tarball with publint and
# @arethetypeswrong/cli. tests/package/ installs that tarball into scratch projects.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

node scripts/package.mjs
rm -f target/npm/nemo-video-*.tgz
npm pack ./target/npm/nemo-video --pack-destination target/npm --json --loglevel=error > target/npm/pack.json
tarball=$(node -e 'const [p] = require("./target/npm/pack.json"); console.log(`target/npm/${p.filename}`)')

# The file list: exactly what package.mjs wrote (no sources, tests or maps crept in).
tar tzf "$tarball" | sed 's|^package/||' | sort > target/npm/packed-files.txt
if ! diff -u target/npm/expected-files.txt target/npm/packed-files.txt; then
  echo "package: FAILED: the tarball's files differ from the assembled package (above)" >&2
  exit 1
fi
node -e '
  const [p] = require("./target/npm/pack.json");
  const kb = (n) => `${(n / 1024).toFixed(0)} KiB`;
  for (const f of p.files) console.log(`  ${String(f.size).padStart(8)}  ${f.path}`);
  console.log(`package: ${p.filename}: ${p.entryCount} files, packed ${kb(p.size)} (${p.size} B), unpacked ${kb(p.unpackedSize)} (${p.unpackedSize} B)`);
'

publint run "$tarball" --strict
attw "$tarball" --no-color --no-definitely-typed --entrypoints . ./simulator ./package.json
# nemo-video/worker is ES-only (Workers run ES modules; Node 20.19+ also require()s it, which
# tests/package/node.test.mjs checks), so attw's warning for require() of it is expected there.
attw "$tarball" --no-color --no-definitely-typed --entrypoints ./worker --ignore-rules cjs-resolves-to-esm
