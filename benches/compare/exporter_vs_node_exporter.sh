#!/usr/bin/env bash
# Exporter throughput and memory vs the real node_exporter, side by side in the same run:
# `wrk -t2 -cN` against each /metrics (every request collects afresh in both), then resident memory.
# Socket errors and non-2xx answers are printed when there are any (the load test wants none).
# Default collectors with systemd off in both (Debian enables node_exporter's). Budgets (issue 22):
# requests/s >= 10x node_exporter's, RSS under load <= 0.35x node_exporter's.
# Usage: benches/compare/exporter_vs_node_exporter.sh [seconds per run, default 15] [connections, default 16]
#   SREKIT_EXPORTER=path/to/srekit-exporter (default: target/release/srekit-exporter, built first)
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-15}
conns=${2:-16}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk"; exit 1; }
command -v prometheus-node-exporter >/dev/null || { echo "prometheus-node-exporter missing"; exit 1; }
ours_bin="${SREKIT_EXPORTER:-target/release/srekit-exporter}"
[ -n "${SREKIT_EXPORTER:-}" ] || cargo build --release -q -p srekit-exporter
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ours_port=$(free_port); theirs_port=$(free_port)
"$ours_bin" --web.listen-address=127.0.0.1:$ours_port --no-collector.systemd --log.level=warn &
ours=$!
prometheus-node-exporter --web.listen-address=127.0.0.1:$theirs_port --no-collector.systemd --log.level=warn 2>/dev/null &
theirs=$!
# Figures passed to the summary in a directory of this run's own (several runs at once must not mix).
results=$(mktemp -d)
trap 'kill $ours $theirs 2>/dev/null || true; rm -rf "$results"' EXIT
for p in $ours_port $theirs_port; do
  for _ in $(seq 50); do curl -sf -o /dev/null http://127.0.0.1:$p/metrics && break; sleep 0.2; done
done

rss_kb() { awk '/^VmRSS/ {print $2}' /proc/$1/status; }
hwm_kb() { awk '/^VmHWM/ {print $2}' /proc/$1/status; }
# Where the resident memory is: anonymous (heap, arenas, stacks) vs file-backed (the binary's text
# and read-only data, shared libraries), and the thread count.
split_kb() { awk '/^RssAnon/ {a=$2} /^RssFile/ {f=$2} /^Threads/ {t=$2} END {printf "anon %s kB, file %s kB, %s threads", a, f, t}' /proc/$1/status; }
# utime + stime of every thread, in clock ticks.
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' /proc/$1/stat; }
run() { # name port pid
  local out rps p99 before requests
  before=$(cpu_ticks $3)
  out=$(wrk -t2 -c$conns -d${secs}s --latency "http://127.0.0.1:$2/metrics")
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  cpu_ms=$(awk -v t=$(( $(cpu_ticks $3) - before )) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.3f", (n > 0 ? t * 1000 / hz / n : 0)}')
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  errors=$(awk '/Socket errors|Non-2xx/ {print}' <<<"$out")
  printf '%-16s %10s req/s   CPU/request %s ms   p99 %-9s  RSS %6s kB (peak %s kB; %s) %s\n' "$1" "$rps" "$cpu_ms" "$p99" "$(rss_kb $3)" "$(hwm_kb $3)" "$(split_kb $3)" "$errors"
  echo "$rps" > "$results/$1.rps"
  rss_kb $3 > "$results/$1.rss"
}
echo "wrk -t2 -c$conns -d${secs}s"
# The file-backed part of the RSS depends on exporter/hot-symbols.txt naming the scrape path's functions
# as they are now: their mangled names carry hashes that change with the code (build.rs).
if command -v nm >/dev/null; then
  listed=$(grep -v '^#' exporter/hot-symbols.txt | sort -u)
  present=$(comm -12 <(echo "$listed") <(nm "$ours_bin" 2>/dev/null | awk '{print $NF}' | sort -u) | wc -l)
  echo "exporter/hot-symbols.txt: $present of $(echo "$listed" | wc -l) listed functions are in the binary (regenerate with exporter/hot-symbols.sh when many are not)"
fi
echo "idle RSS: srekit-exporter $(rss_kb $ours) kB, node_exporter $(rss_kb $theirs) kB"
run srekit-exporter $ours_port $ours
run node_exporter $theirs_port $theirs
python3 - <<PY
ours=float(open("$results/srekit-exporter.rps").read()); theirs=float(open("$results/node_exporter.rps").read())
print(f"ratio: srekit-exporter serves {ours/theirs:.1f}x node_exporter's requests/s (budget >= 10x)")
ours_rss=float(open("$results/srekit-exporter.rss").read()); theirs_rss=float(open("$results/node_exporter.rss").read())
print(f"RSS after the load: srekit-exporter {ours_rss/theirs_rss:.2f}x node_exporter's (budget <= 0.35x)")
PY
