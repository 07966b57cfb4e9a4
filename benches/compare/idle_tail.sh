#!/usr/bin/env bash
# Idle cost of following many files (issue 18, "At node scale"): creates FILES idle log files (5,000 by
# default) laid out as a node's /var/log/containers symlinks into /var/log/pods, runs srekit-exporter
# following them for SECONDS (20 by default) once every file has been read, and prints the CPU the
# process used meanwhile (utime + stime from /proc/<pid>/stat) as a share of one core, then how long a
# line appended to the last file takes to be counted. Budget: <= 0.5% of a core, < 1 s.
# Usage: benches/compare/idle_tail.sh [FILES] [SECONDS] [max_open_files, default 1024]
set -euo pipefail
cd "$(dirname "$0")/../.."
files=${1:-5000}
seconds=${2:-20}
max_open=${3:-1024}
bin=${SREKIT_EXPORTER:-target/release/srekit-exporter}
[ -n "${SREKIT_EXPORTER:-}" ] || cargo build --release -q -p srekit-exporter
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
sample() { curl -s "http://127.0.0.1:$1/metrics" | awk -v p="$2" 'index($0, p) == 1 {print $NF; exit}'; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

mkdir -p "$work/var/log/containers" "$work/state"
python3 - "$work" "$files" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    pod = f"{root}/var/log/pods/ns_pod-{i}_uid-{i}/app"
    os.makedirs(pod, exist_ok=True)
    with open(f"{pod}/0.log", "w") as f:
        f.write(f"2024-05-01T10:00:00.000000001Z stdout F msg=start pod={i}\n")
    os.symlink(f"{pod}/0.log", f"{root}/var/log/containers/pod-{i}_ns_app-{i:064x}.log")
PY
cat > "$work/srekit.toml" <<TOML
[state]
directory = "$work/state"
[[inputs]]
name = "containers"
paths = ["$work/var/log/containers/*.log"]
format = "logfmt"
container = "auto"
kubernetes = true
read_from_head = true
max_open_files = $max_open
[[metrics]]
name = "events_total"
kind = "counter"
labels = { namespace = "kubernetes.namespace" }
TOML
port=$(free_port)
"$bin" --config.file="$work/srekit.toml" --web.listen-address=127.0.0.1:$port \
  --collector.disable-defaults --collector.loadavg --log.level=warn &
pid=$!
lines='srekit_log_lines_total{input="containers"}'
for _ in $(seq 600); do
  [ "$(sample $port "$lines")" = "$files" ] && break
  sleep 0.1
done
[ "$(sample $port "$lines")" = "$files" ] || { echo "not every file was read: $(sample $port "$lines") lines"; exit 1; }
sleep 2 # the last turns and checkpoint settle
hz=$(getconf CLK_TCK)
before=$(cpu_ticks $pid); start=$(date +%s.%N)
sleep "$seconds"
after=$(cpu_ticks $pid); end=$(date +%s.%N)
python3 -c "print(f'idle: {$files} files, {$end - $start:.1f} s: {100 * ($after - $before) / $hz / ($end - $start):.2f}% of a core')"
printf 'files open %s, waiting %s, watched directories %s\n' \
  "$(sample $port 'srekit_log_files_open{input="containers"}')" \
  "$(sample $port 'srekit_log_files_waiting{input="containers"}')" \
  "$(sample $port 'srekit_log_watched_directories')"
last=$((files - 1))
echo '2024-05-01T10:00:01.000000001Z stdout F msg=late' >> "$work/var/log/pods/ns_pod-${last}_uid-${last}/app/0.log"
start=$(date +%s.%N)
for _ in $(seq 1000); do
  [ "$(sample $port "$lines")" = "$((files + 1))" ] && break
  sleep 0.01
done
end=$(date +%s.%N)
[ "$(sample $port "$lines")" = "$((files + 1))" ] || { echo "the new line was not counted"; exit 1; }
python3 -c "print(f'a line appended to the last file counted after {$end - $start:.2f} s')"
