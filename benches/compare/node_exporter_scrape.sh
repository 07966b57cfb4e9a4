#!/usr/bin/env bash
# Times scrapes of the real node_exporter (Debian's prometheus-node-exporter, default collectors)
# started on a free 127.0.0.1 port, and prints the median wall time of one scrape in ms, plus the sum
# of node_exporter's own per-collector durations. Compare with `cargo bench -p srekit-benches --bench host`
# (host/collect_default) run in the same session.
#   SCRAPES=200 benches/compare/node_exporter_scrape.sh
set -euo pipefail
scrapes="${SCRAPES:-200}"
bin="${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}"
[ -x "$bin" ] || { echo "node_exporter not found at $bin (install prometheus-node-exporter)" >&2; exit 1; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
textfile_dir="$(mktemp -d)"
"$bin" --web.listen-address="127.0.0.1:$port" --collector.textfile.directory="$textfile_dir" >/dev/null 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$textfile_dir"' EXIT
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
  sleep 0.05
done
python3 - "$port" "$scrapes" "$pid" <<'PY'
import http.client, os, statistics, sys, time
port, n, pid = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
def cpu_seconds():  # utime + stime of node_exporter, all threads
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
def scrape():
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    conn.request("GET", "/metrics", headers={"Accept": "text/plain"})
    body = conn.getresponse().read()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, body.decode()
for _ in range(10):  # warm-up
    scrape()
times, collector_sums = [], []
cpu_start = cpu_seconds()
for _ in range(n):
    elapsed, body = scrape()
    times.append(elapsed * 1000)
    collector_sums.append(1000 * sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                                     if l.startswith("node_scrape_collector_duration_seconds{")))
print(f"node_exporter scrape: median {statistics.median(times):.2f} ms "
      f"(p10 {sorted(times)[n // 10]:.2f}, p90 {sorted(times)[n * 9 // 10]:.2f}) over {n} scrapes")
print(f"node_exporter CPU time per scrape (user+system, all threads): "
      f"{(cpu_seconds() - cpu_start) * 1000 / n:.2f} ms")
print(f"node_exporter collectors (sum of node_scrape_collector_duration_seconds): "
      f"median {statistics.median(collector_sums):.2f} ms")
PY
