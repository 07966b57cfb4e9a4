#!/usr/bin/env bash
# Times HTTP scrapes of srekit-exporter and of the real node_exporter (Debian's
# prometheus-node-exporter), default collectors with systemd off in both (Debian enables
# node_exporter's), with the same client in the same run, interleaved (one scrape of each in turn, a
# fresh connection per scrape, uncompressed text). Prints median, p10 and p90 wall times in ms, the
# ratios, the CPU time per scrape and node_exporter's own per-collector sum. Compare the in-process
# collection with `cargo bench -p srekit-benches --bench host` (host/collect_default), same session.
#   SCRAPES=200 benches/compare/node_exporter_scrape.sh
#   SREKIT_EXPORTER=path/to/srekit-exporter (default: target/release/srekit-exporter, built first)
set -euo pipefail
cd "$(dirname "$0")/../.."
scrapes="${SCRAPES:-200}"
bin="${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}"
ours_bin="${SREKIT_EXPORTER:-target/release/srekit-exporter}"
[ -x "$bin" ] || { echo "node_exporter not found at $bin (install prometheus-node-exporter)" >&2; exit 1; }
[ -n "${SREKIT_EXPORTER:-}" ] || cargo build --release -q -p srekit-exporter
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
theirs_port="$(free_port)"
ours_port="$(free_port)"
textfile_dir="$(mktemp -d)"
"$bin" --web.listen-address="127.0.0.1:$theirs_port" --collector.textfile.directory="$textfile_dir" \
  --no-collector.systemd >/dev/null 2>&1 &
theirs=$!
"$ours_bin" --web.listen-address="127.0.0.1:$ours_port" --collector.textfile.directory="$textfile_dir" \
  --no-collector.systemd --log.level=warn >/dev/null 2>&1 &
ours=$!
trap 'kill $theirs $ours 2>/dev/null; wait $theirs $ours 2>/dev/null; rm -rf "$textfile_dir"' EXIT
for port in "$theirs_port" "$ours_port"; do
  for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$port/" >/dev/null 2>&1 && break
    sleep 0.05
  done
done
python3 - "$scrapes" "$theirs_port" "$theirs" "$ours_port" "$ours" <<'PY'
import http.client, os, statistics, sys, time
n = int(sys.argv[1])
peers = {"node_exporter": (int(sys.argv[2]), int(sys.argv[3])),
         "srekit-exporter": (int(sys.argv[4]), int(sys.argv[5]))}
def cpu_seconds(pid):  # utime + stime, all threads
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
def scrape(port):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    start = time.perf_counter()
    conn.request("GET", "/metrics", headers={"Accept": "text/plain"})
    body = conn.getresponse().read()
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed, body.decode()
for _ in range(10):  # warm-up
    for port, _ in peers.values():
        scrape(port)
times = {name: [] for name in peers}
cpu = {name: 0.0 for name in peers}
collector_sums = []
for _ in range(n):
    for name, (port, pid) in peers.items():
        before = cpu_seconds(pid)
        elapsed, body = scrape(port)
        cpu[name] += cpu_seconds(pid) - before
        times[name].append(elapsed * 1000)
        if name == "node_exporter":
            collector_sums.append(1000 * sum(float(l.rsplit(" ", 1)[1]) for l in body.splitlines()
                                             if l.startswith("node_scrape_collector_duration_seconds{")))
stats = {}
for name, ts in times.items():
    ts.sort()
    stats[name] = (statistics.median(ts), ts[n // 10], ts[n * 9 // 10])
    print(f"{name:16} scrape: median {stats[name][0]:.3f} ms (p10 {stats[name][1]:.3f}, "
          f"p90 {stats[name][2]:.3f}) over {n} scrapes; CPU per scrape {cpu[name] * 1000 / n:.2f} ms")
print(f"node_exporter collectors (sum of node_scrape_collector_duration_seconds): "
      f"median {statistics.median(collector_sums):.2f} ms")
theirs, ours = stats["node_exporter"], stats["srekit-exporter"]
print(f"ratio (node_exporter / srekit-exporter): median {theirs[0] / ours[0]:.1f}x, "
      f"p90 {theirs[2] / ours[2]:.1f}x (goal >= 10x both)")
PY
