#!/usr/bin/env bash
# Times the npm package `srekit` against its peers (npm logfmt, ltsv, prom-client, systeminformation).
# Builds the package as a user would (npm ci + npm run build in node/) and installs the peers into a
# scratch directory (never into node/'s dependencies), then runs node_bench.js.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
peers="${SREKIT_BENCH_PEERS:-$root/target/node-bench-peers}"

(cd "$root/node" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)

mkdir -p "$peers"
if [ ! -f "$peers/package.json" ]; then
  echo '{ "name": "srekit-bench-peers", "private": true }' > "$peers/package.json"
fi
npm install --prefix "$peers" --no-audit --no-fund --loglevel=error \
  logfmt@1 ltsv@2 prom-client@15 systeminformation@5

SREKIT_BENCH_PEERS="$peers" node "$root/benches/compare/node_bench.js"
