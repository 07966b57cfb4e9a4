#!/usr/bin/env bash
# Times the npm package `srekit` against its peers (npm logfmt, ltsv, prom-client, systeminformation;
# apache-arrow reads parseColumns' bytes).
# Builds the package as a user would (npm ci + npm run build in node/) and installs the peers into a
# scratch directory (never into node/'s dependencies), then runs node_bench.js.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
peers="${SREKIT_BENCH_PEERS:-$root/target/node-bench-peers}"

# `bench_node.sh pinned` runs only the pinned parseMany measurement (below); SREKIT_BENCH_NO_BUILD=1
# uses the package as last built.
only_pinned=false
[ "${1:-}" = pinned ] && only_pinned=true

if [ "${SREKIT_BENCH_NO_BUILD:-0}" != 1 ]; then
  (cd "$root/node" && npm ci --no-audit --no-fund --loglevel=error && npm run build --silent)
fi

mkdir -p "$peers"
if [ ! -f "$peers/package.json" ]; then
  echo '{ "name": "srekit-bench-peers", "private": true }' > "$peers/package.json"
fi
npm install --prefix "$peers" --no-audit --no-fund --loglevel=error \
  logfmt@1 ltsv@2 prom-client@15 systeminformation@5 apache-arrow@21

# Issue 22's parseMany budget as it states it: 7 interleaved runs of srekit parseMany and npm logfmt
# (each run a fresh process pinned with `taskset -c 1`: one warm-up, one timed call on the same 100,000
# logfmt lines; the side that goes first alternates), each side's median and the ratio of the medians.
pinned() {
  local runs="${SREKIT_BENCH_PINNED_RUNS:-7}" cpu="${SREKIT_BENCH_CPU:-1}" round side order wall
  local -a ours=() theirs=()
  for ((round = 0; round < runs; round++)); do
    order="srekit logfmt"
    ((round % 2)) && order="logfmt srekit"
    for side in $order; do
      wall=""
      read -r _ _ wall _ < <(SREKIT_BENCH_PEERS="$peers" SREKIT_BENCH_SINGLE="$side" \
        taskset -c "$cpu" node "$root/benches/compare/node_bench.js")
      [ -n "${wall:-}" ] || { echo "bench_node.sh: the pinned $side run printed no time" >&2; exit 1; }
      if [ "$side" = srekit ]; then ours+=("$wall"); else theirs+=("$wall"); fi
    done
  done
  node -e '
    const [ours, theirs] = process.argv.slice(1).map((list) => list.split(" ").map(Number))
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
    const [a, b] = [median(ours), median(theirs)]
    console.log(`runs: srekit ${ours.join(" ")} ms | npm logfmt ${theirs.join(" ")} ms`)
    console.log(`logfmt parseMany, ${ours.length} interleaved runs each pinned to one CPU: srekit median ${a.toFixed(2)} ms | npm logfmt median ${b.toFixed(2)} ms | ratio ${(b / a).toFixed(1)}x (budget 10x)`)
    console.log("summary " + JSON.stringify({ pinned_logfmt_parse_many: { srekit_ms: a, peer: "npm logfmt", peer_ms: b, ratio: +(b / a).toFixed(2), runs: ours.length } }))
  ' "${ours[*]}" "${theirs[*]}"
}

if command -v taskset >/dev/null && [ "$(nproc)" -gt 1 ]; then
  echo "-- parseMany vs npm logfmt, interleaved runs pinned to one CPU (taskset -c ${SREKIT_BENCH_CPU:-1})"
  pinned
else
  echo "-- pinned parseMany runs: skipped (needs taskset and a second CPU)"
fi
$only_pinned && exit 0

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
