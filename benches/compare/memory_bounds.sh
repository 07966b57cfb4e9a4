#!/usr/bin/env bash
# Bounded memory of srekit-exporter under hostile log input, each case in a fresh process, measured as
# peak resident memory (VmHWM): a 100 MB log line, a 10-million-line file, and a rule whose label has a
# million distinct values (series-cap breach). node_exporter's idle RSS is printed for scale.
# Usage: benches/compare/memory_bounds.sh [lines in the big file, default 10000000]
set -euo pipefail
cd "$(dirname "$0")/../.."
lines=${1:-10000000}
cargo build --release -q -p srekit-exporter
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sample() { curl -s "http://127.0.0.1:$1/metrics" | awk -v p="$2" 'index($0, p) == 1 {print $NF; exit}'; }

# run NAME EXPECTED-LINES: starts an exporter on $work/NAME/logs, waits until it has read every line,
# prints its peak RSS and the pipeline's own counters.
run() {
  local name=$1 expect=$2 dir=$work/$1 port started
  mkdir -p "$dir/state"
  cat > "$dir/srekit.toml" <<TOML
[state]
directory = "$dir/state"
[[inputs]]
name = "app"
paths = ["$dir/logs/*.log"]
format = "logfmt"
read_from_head = true
[[metrics]]
name = "app_events_total"
help = "Events by kind."
kind = "counter"
labels = ["kind"]
[[metrics]]
name = "app_events_by_id_total"
help = "Events by id (unbounded label: the series cap applies)."
kind = "counter"
labels = ["id"]
TOML
  port=$(free_port)
  started=$(date +%s.%N)
  target/release/srekit-exporter --config.file="$dir/srekit.toml" --web.listen-address=127.0.0.1:$port \
    --collector.disable-defaults --collector.loadavg --log.level=warn &
  local pid=$!
  for _ in $(seq 3000); do
    [ "$(sample $port 'srekit_log_lines_total{input="app"}')" = "$expect" ] && break
    sleep 0.1
  done
  local secs; secs=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
  printf '%-22s peak RSS %6.1f MB  (%s s)  lines=%s skipped=%s parse_errors=%s series_dropped=%s\n' "$name" \
    "$(awk '/^VmHWM/ {print $2/1024}' /proc/$pid/status)" "$secs" \
    "$(sample $port 'srekit_log_lines_total{input="app"}')" \
    "$(sample $port 'srekit_log_lines_skipped_total{input="app",reason="too_long"}')" \
    "$(sample $port 'srekit_log_parse_errors_total{input="app"}')" \
    "$(sample $port 'srekit_log_series_dropped_total{metric="app_events_by_id_total",reason="max_series"}')"
  kill $pid; wait $pid 2>/dev/null || true
}

mkdir -p "$work/baseline/logs"; : > "$work/baseline/logs/app.log"
run baseline 0

mkdir -p "$work/line_100MB/logs"
{ echo "kind=before id=1"; head -c 100000000 /dev/zero | tr '\0' 'x'; echo; echo "kind=after id=2"; } > "$work/line_100MB/logs/app.log"
run line_100MB 3    # 3 lines: the 100 MB one is skipped (max_line_length, 1 MiB by default) and counted

mkdir -p "$work/file_${lines}_lines/logs"
{ yes 'level=info kind=request id=7 msg="handled request" duration_ms=12.5' || true; } | head -n "$lines" > "$work/file_${lines}_lines/logs/app.log"
run "file_${lines}_lines" "$lines"

mkdir -p "$work/series_cap/logs"
seq 1 1000000 | sed 's/^/kind=request id=/' > "$work/series_cap/logs/app.log"
run series_cap 1000000   # 10,000 series kept (max_series default), 990,000 records dropped and counted

if command -v prometheus-node-exporter >/dev/null; then
  port=$(free_port)
  prometheus-node-exporter --web.listen-address=127.0.0.1:$port --log.level=warn 2>/dev/null &
  pid=$!
  sleep 1; curl -s -o /dev/null "http://127.0.0.1:$port/metrics"
  printf '%-22s RSS %6.1f MB (idle, after one scrape)\n' node_exporter "$(awk '/^VmRSS/ {print $2/1024}' /proc/$pid/status)"
fi
