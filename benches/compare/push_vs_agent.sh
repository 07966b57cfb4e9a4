#!/usr/bin/env bash
# srekit-exporter's remote-write push vs Prometheus in agent mode, side by side in the same run, all
# on 127.0.0.1: a receiving Prometheus (--web.enable-remote-write-receiver); an exporter that only
# serves /metrics, scraped every second by Debian's Prometheus in agent mode (--enable-feature=agent)
# which remote-writes to the receiver; and an exporter that pushes the same host series to the
# receiver every second itself. After a warm-up, CPU seconds (utime+stime from /proc/<pid>/stat) per
# sample pushed (the agent's prometheus_remote_storage_samples_total, our
# srekit_push_samples_total{result="sent"}) and RSS of each pusher are measured over the window, and
# the ratios printed (issue 19's budget: ours <= 0.25x the agent's for both).
# Usage: benches/compare/push_vs_agent.sh [seconds measured, default 60] [warm-up seconds, default 15]
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-60}
warmup=${2:-15}
prom=$(command -v prometheus || echo /usr/bin/prometheus)
[ -x "$prom" ] || { echo "prometheus missing: apt-get install prometheus"; exit 1; }
cargo build --release -q -p srekit-exporter
exporter=target/release/srekit-exporter
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

receiver_port=$(free_port); agent_port=$(free_port); scraped_port=$(free_port); pusher_port=$(free_port)

# The receiver.
printf 'global:\n  scrape_interval: 1m\n' >"$work/receiver.yml"
"$prom" --config.file="$work/receiver.yml" --storage.tsdb.path="$work/receiver" \
  --web.listen-address=127.0.0.1:$receiver_port --web.enable-remote-write-receiver --log.level=warn \
  2>"$work/receiver.log" &
pids+=($!)

# The exporter the agent scrapes (serving only).
"$exporter" --web.listen-address=127.0.0.1:$scraped_port --log.level=error 2>"$work/scraped.log" &
scraped=$!
pids+=($scraped)

# The agent.
cat >"$work/agent.yml" <<YML
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  external_labels: { pusher: agent }
scrape_configs:
  - job_name: srekit
    static_configs: [{ targets: ["127.0.0.1:$scraped_port"] }]
remote_write:
  - url: http://127.0.0.1:$receiver_port/api/v1/write
YML
"$prom" --enable-feature=agent --config.file="$work/agent.yml" --storage.agent.path="$work/agent" \
  --web.listen-address=127.0.0.1:$agent_port --log.level=warn 2>"$work/agent.log" &
agent=$!
pids+=($agent)

# Our pusher: the same host series, pushed every second (it serves /metrics too, only for its counters).
cat >"$work/pusher.toml" <<TOML
[[outputs]]
kind = "remote_write"
url = "http://127.0.0.1:$receiver_port/api/v1/write"
interval = "1s"
external_labels = { pusher = "srekit" }
[outputs.queue]
directory = "$work/queue"
TOML
"$exporter" --web.listen-address=127.0.0.1:$pusher_port --log.level=error --config.file="$work/pusher.toml" \
  2>"$work/pusher.log" &
pusher=$!
pids+=($pusher)

for p in $receiver_port $agent_port $scraped_port $pusher_port; do
  for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$p/metrics" && break; sleep 0.2; done
done

ticks=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
metric() { # port, metric line prefix: the value (summed over matching lines)
  curl -sf "http://127.0.0.1:$1/metrics" | awk -v p="$2" 'index($0, p) == 1 {s += $NF} END {printf "%.0f\n", s}'
}
agent_samples() { metric $agent_port 'prometheus_remote_storage_samples_total'; }
pusher_samples() { metric $pusher_port 'srekit_push_samples_total{output="remote_write",result="sent"}'; }

echo "warm-up ${warmup}s, then ${secs}s measured (scrape and push every 1s)"
sleep "$warmup"
a0=$(cpu_ticks $agent); s0=$(cpu_ticks $scraped); p0=$(cpu_ticks $pusher)
as0=$(agent_samples); ps0=$(pusher_samples)
sleep "$secs"
a1=$(cpu_ticks $agent); s1=$(cpu_ticks $scraped); p1=$(cpu_ticks $pusher)
as1=$(agent_samples); ps1=$(pusher_samples)
failed=$(metric $agent_port 'prometheus_remote_storage_samples_failed_total')
dropped=$(metric $pusher_port 'srekit_push_samples_total{output="remote_write",result="dropped"}')
appended=$(metric $receiver_port 'prometheus_tsdb_head_samples_appended_total')

python3 - "$ticks" "$a0" "$a1" "$s0" "$s1" "$p0" "$p1" "$as0" "$as1" "$ps0" "$ps1" \
  "$(rss_kb $agent)" "$(hwm_kb $agent)" "$(rss_kb $pusher)" "$(hwm_kb $pusher)" "$(rss_kb $scraped)" \
  "$failed" "$dropped" "$appended" <<'PY'
import sys
(ticks, a0, a1, s0, s1, p0, p1, as0, as1, ps0, ps1, a_rss, a_hwm, p_rss, p_hwm, s_rss,
 failed, dropped, appended) = map(float, sys.argv[1:])
agent_cpu, scraped_cpu, pusher_cpu = (a1 - a0) / ticks, (s1 - s0) / ticks, (p1 - p0) / ticks
agent_n, pusher_n = as1 - as0, ps1 - ps0
if agent_n <= 0 or pusher_n <= 0:
    sys.exit(f"no samples pushed in the window (agent {agent_n:.0f}, srekit {pusher_n:.0f}): see the logs")
per = lambda cpu, n: cpu / n * 1e6
print(f"{'':28} {'samples':>10} {'CPU s':>8} {'µs CPU/sample':>14} {'RSS kB':>9} {'peak kB':>9}")
print(f"{'prometheus agent':28} {agent_n:10.0f} {agent_cpu:8.2f} {per(agent_cpu, agent_n):14.3f} {a_rss:9.0f} {a_hwm:9.0f}")
print(f"{'  + the exporter it scrapes':28} {'':10} {scraped_cpu:8.2f} {per(agent_cpu + scraped_cpu, agent_n):14.3f} {s_rss:9.0f}")
print(f"{'srekit-exporter pushing':28} {pusher_n:10.0f} {pusher_cpu:8.2f} {per(pusher_cpu, pusher_n):14.3f} {p_rss:9.0f} {p_hwm:9.0f}")
print(f"failed/dropped: agent {failed:.0f}, srekit {dropped:.0f}; receiver appended {appended:.0f} samples in all")
cpu_ratio = per(pusher_cpu, pusher_n) / per(agent_cpu, agent_n)
both_ratio = per(pusher_cpu, pusher_n) / per(agent_cpu + scraped_cpu, agent_n)
print(f"ratio CPU/sample: srekit {cpu_ratio:.2f}x the agent's ({both_ratio:.2f}x agent + scraped exporter) (budget <= 0.25x)")
print(f"ratio RSS: srekit {p_rss / a_rss:.2f}x the agent's (budget <= 0.25x)")
PY
