#!/usr/bin/env bash
# Times the npm package `srekit` against its peers (npm logfmt, ltsv, prom-client, systeminformation;
# apache-arrow reads parseColumns' bytes).
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
  logfmt@1 ltsv@2 prom-client@15 systeminformation@5 apache-arrow@21

SREKIT_BENCH_PEERS="$peers" node "$root/benches/compare/node_bench.js"

# The log parsers again with the whole process on one CPU: the ratio when neither side has a second
# core (srekit's parseMany then parses on the calling thread; V8's GC helpers share the one CPU too).
if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then
  echo "-- one CPU (taskset -c 0), log parsers only"
  SREKIT_BENCH_PEERS="$peers" SREKIT_BENCH_ONLY=logs,columns taskset -c 0 node "$root/benches/compare/node_bench.js"
fi

# And with a larger young generation for both sides (a Node flag an application can choose; see the
# README): batch parsing is then bound by parsing, not by promoting live records out of a full one.
echo "-- node --max-semi-space-size=64 (both sides), log parsers only"
SREKIT_BENCH_PEERS="$peers" SREKIT_BENCH_ONLY=logs node --max-semi-space-size=64 "$root/benches/compare/node_bench.js"
