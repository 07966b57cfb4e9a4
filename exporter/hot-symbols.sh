#!/usr/bin/env bash
# Regenerates exporter/hot-symbols.txt, the functions a scrape runs (see exporter/build.rs): runs the
# release exporter under callgrind, zeroes the counts after its first scrape (startup and first-time
# discovery are left out), serves plain, OpenMetrics + gzip and /healthz requests and 10 s of
# `wrk -c16`, and lists every
# function of the binary that ran, mangled, in first-call order. Needs valgrind (and wrk).
#   exporter/hot-symbols.sh [path/to/srekit-exporter, default target/release/srekit-exporter]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-target/release/srekit-exporter}"
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.%p" "$bin" \
  --web.listen-address="127.0.0.1:$port" --no-collector.systemd --log.level=error >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 120); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.5; done
callgrind_control -z "$pid" >/dev/null
for _ in 1 2 3; do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; done
for _ in 1 2; do
  curl -sf -o /dev/null -H 'Accept-Encoding: gzip' \
    -H 'Accept: application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.1' \
    "http://127.0.0.1:$port/metrics"
done
curl -sf -o /dev/null "http://127.0.0.1:$port/healthz"
# Concurrent scrapes too (as under Prometheus HA pairs or the wrk benchmark): queued scrapes, busy
# lanes and the blocking pool's other paths.
if command -v wrk >/dev/null; then wrk -t2 -c16 -d10s "http://127.0.0.1:$port/metrics" >/dev/null; fi
callgrind_control -d "$pid" >/dev/null
sleep 1
python3 - "$work" "$(realpath "$bin")" > exporter/hot-symbols.txt <<'PY'
import glob, re, sys
work, binary = sys.argv[1], sys.argv[2]
dump = max(glob.glob(f"{work}/cg.*.*"), key=lambda p: int(p.rsplit(".", 1)[1]))
objects, names, seen, order, current = {}, {}, set(), [], None
for line in open(dump):
    m = re.match(r"^(c?fn|c?ob)=\((\d+)\)(?: (.*))?$", line.rstrip("\n"))
    if not m:
        continue
    kind, ident, name = m.groups()
    table = objects if kind.endswith("ob") else names
    if name:
        table[ident] = name
    if kind == "ob":
        current = objects.get(ident)
    elif kind == "fn" and current == binary and names.get(ident) not in seen:
        seen.add(names[ident])
        order.append(names[ident])
print("# Functions a scrape runs (mangled), in first-call order: the linker places them together (build.rs).")
print("# Regenerate with exporter/hot-symbols.sh after large changes of the scrape path.")
print("\n".join(order))
PY
# Then the code page faults of the native binary under `wrk -c16` after its first scrape (what
# callgrind's slower run missed: growth paths, sorts): functions that fault are appended.
kill "$pid"
wait "$pid" 2>/dev/null || true
if command -v perf >/dev/null && command -v wrk >/dev/null; then
  "$bin" --web.listen-address="127.0.0.1:$port" --no-collector.systemd --log.level=error >/dev/null 2>&1 &
  native=$!
  for _ in $(seq 50); do curl -sf -o /dev/null "http://127.0.0.1:$port/metrics" && break; sleep 0.2; done
  sleep 0.5
  perf record -q -e minor-faults -c 1 -o "$work/faults.data" -p "$native" -- \
    wrk -t2 -c16 -d10s "http://127.0.0.1:$port/metrics" >/dev/null 2>&1
  kill "$native"
  perf script -i "$work/faults.data" -F ip,sym,dso --no-demangle 2>/dev/null |
    awk -v bin="($(realpath "$bin"))" '$3 == bin {print $2}' | sort -u |
    grep -v -x -F -f <(grep -v '^#' exporter/hot-symbols.txt) >> exporter/hot-symbols.txt || true
fi
echo "exporter/hot-symbols.txt: $(grep -vc '^#' exporter/hot-symbols.txt) functions"
