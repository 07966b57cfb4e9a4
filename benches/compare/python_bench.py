#!/usr/bin/env python3
"""srekit's Python package against its PyPI peers, measured in the same run on the same data.

Prints one line per comparison: srekit's time, the peer's time and the ratio (peer / srekit, so
"25.0x" means srekit is 25 times faster). Timings are the best of several runs (time.perf_counter).

Data sets (generated here, deterministic):
  * 100,000 realistic ~200-byte access-log lines in logfmt, LTSV and JSON (same records);
  * the foundation issue's encoding set: 10,000 labelled counter series plus 50 histograms x 20
    label sets (the same as benches/benches/expfmt.rs);
  * this host's /proc and /sys for host collection.

Peers: logfmt (logfmt.parse_line), ltsv (ltsv.DictReader), orjson.loads and json.loads per line,
polars.read_ndjson (against Parser.parse_arrow; pyarrow reads the logfmt columns),
prometheus_client (generate_latest, labels().inc()), psutil (cpu, memory, swap, disks, filesystems,
network, load). Run through benches/compare/python_bench.sh, which installs them.
"""

import argparse
import gc
import json
import os
import random
import sys
import time

import srekit

LINES = 100_000


CLOCK = time.process_time


def best_of(fn, repeat, clock=None):
    """Best time of `repeat` calls of fn, garbage collector off while timing. The previous call's
    result is freed before the clock starts, so deallocation is not counted. The default clock is
    this process's CPU time (set by --clock): on a shared, loaded machine it is far steadier than
    wall time, and each compared call is single-threaded."""
    clock = clock or CLOCK
    best = float("inf")
    result = None
    for _ in range(repeat):
        result = None
        gc.collect()
        gc.disable()
        try:
            start = clock()
            result = fn()
            elapsed = clock() - start
        finally:
            gc.enable()
        best = min(best, elapsed)
    return best, result


def records(n, seed=42):
    rng = random.Random(seed)
    methods = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
    paths = ["/api/v1/orders", "/api/v1/users", "/api/v1/cart", "/healthz", "/static/app.js", "/login"]
    statuses = [200, 200, 200, 200, 201, 204, 301, 404, 500, 503]
    agents = ["Mozilla/5.0 (X11; Linux x86_64)", "curl/8.5.0", "Go-http-client/1.1", "python-requests/2.32"]
    for i in range(n):
        yield {
            "time": "2026-11-25T12:%02d:%02d.%03dZ" % (i // 60000 % 60, i // 1000 % 60, i % 1000),
            "level": "error" if rng.random() < 0.02 else "info",
            "msg": "request completed",
            "method": rng.choice(methods),
            "path": "%s/%d" % (rng.choice(paths), rng.randrange(100000)),
            "status": str(rng.choice(statuses)),
            "duration": "%.4f" % rng.expovariate(20.0),
            "bytes": str(rng.randrange(100, 200000)),
            "remote": "10.%d.%d.%d" % (rng.randrange(256), rng.randrange(256), rng.randrange(256)),
            "request_id": "%016x" % rng.getrandbits(64),
            "user_agent": rng.choice(agents),
        }


def logfmt_line(rec):
    parts = []
    for k, v in rec.items():
        parts.append('%s="%s"' % (k, v) if (" " in v or '"' in v or v == "") else "%s=%s" % (k, v))
    return " ".join(parts)


def ltsv_line(rec):
    return "\t".join("%s:%s" % (k, v) for k, v in rec.items())


def report(what, ours, peer_name, theirs, unit_bytes=None, target=None):
    ratio = theirs / ours if ours > 0 else float("inf")
    line = "%-44s srekit %9.2f ms | %-30s %9.2f ms | %6.1fx" % (what, ours * 1e3, peer_name, theirs * 1e3, ratio)
    if unit_bytes:
        line += " | %7.1f MB/s vs %7.1f MB/s" % (unit_bytes / ours / 1e6, unit_bytes / theirs / 1e6)
    if target:
        line += " | target >= %gx: %s" % (target, "met" if ratio >= target else "NOT MET")
    print(line, flush=True)
    return ratio


def bench_logs(args):
    recs = list(records(args.lines))
    text_logfmt = "\n".join(logfmt_line(r) for r in recs) + "\n"
    text_ltsv = "\n".join(ltsv_line(r) for r in recs) + "\n"
    text_json = "\n".join(json.dumps(r, separators=(",", ":")) for r in recs) + "\n"
    print("# %d lines: logfmt %.1f MB (avg %d B/line), LTSV %.1f MB, JSON %.1f MB" % (
        args.lines, len(text_logfmt) / 1e6, len(text_logfmt) // args.lines, len(text_ltsv) / 1e6, len(text_json) / 1e6))
    if not hasattr(srekit, "Parser"):
        print("# srekit.Parser not built: log benchmarks skipped")
        return

    buf = text_logfmt.encode()
    ours, parsed = best_of(lambda: srekit.Parser("logfmt").parse_many(buf), args.repeat)
    assert len(parsed) == args.lines and parsed[0]["method"] == recs[0]["method"]
    lines = text_logfmt.splitlines()
    try:
        import logfmt

        theirs, peer = best_of(lambda: [logfmt.parse_line(l) for l in lines], max(1, args.repeat // 3))
        assert peer[0]["path"] == parsed[0]["path"]
        report("logfmt parse_many (100k lines)", ours, "logfmt.parse_line", theirs, len(buf), target=20)
    except ImportError:
        print("# logfmt package not installed")

    bench_rules(args, buf, lines, recs)

    buf = text_ltsv.encode()
    ours, parsed = best_of(lambda: srekit.Parser("ltsv").parse_many(buf), args.repeat)
    assert len(parsed) == args.lines and parsed[-1]["path"] == recs[-1]["path"]
    try:
        import ltsv

        lines = text_ltsv.splitlines()
        theirs, peer = best_of(lambda: list(ltsv.DictReader(lines)), args.repeat)
        assert peer[-1]["path"] == parsed[-1]["path"]
        report("ltsv parse_many", ours, "ltsv.DictReader", theirs, len(buf))
    except ImportError:
        print("# ltsv package not installed")

    buf = text_json.encode()
    ours, parsed = best_of(lambda: srekit.Parser("json").parse_many(buf), args.repeat)
    assert len(parsed) == args.lines and parsed[7] == recs[7]
    lines_b = buf.splitlines()
    try:
        import orjson

        theirs, peer = best_of(lambda: [orjson.loads(l) for l in lines_b], args.repeat)
        assert peer[7] == parsed[7]
        report("json parse_many", ours, "orjson.loads per line", theirs, len(buf))
    except ImportError:
        print("# orjson not installed")
    theirs, _ = best_of(lambda: [json.loads(l) for l in lines_b], args.repeat)
    report("json parse_many", ours, "json.loads per line", theirs, len(buf))


def bench_arrow(args):
    """Columnar output: Parser.parse_arrow into a pyarrow Table (logfmt, against the logfmt package
    building dicts: budget 40x) and into a polars DataFrame (JSON lines, against polars.read_ndjson on
    the same bytes: budget 1x). Needs pyarrow and polars (python_bench.sh installs them)."""
    try:
        import io

        import polars
        import pyarrow
    except ImportError:
        print("# pyarrow or polars not installed: Arrow benchmarks skipped")
        return
    recs = list(records(args.lines))
    text_logfmt = "\n".join(logfmt_line(r) for r in recs) + "\n"
    buf = text_logfmt.encode()
    parser = srekit.Parser("logfmt")
    ours, table = best_of(lambda: pyarrow.table(parser.parse_arrow(buf)), args.repeat)
    assert table.num_rows == args.lines and table.column("method")[0].as_py() == recs[0]["method"]
    try:
        import logfmt

        lines = text_logfmt.splitlines()
        theirs, peer = best_of(lambda: [logfmt.parse_line(l) for l in lines], max(1, args.repeat // 3))
        assert peer[0]["path"] == table.column("path")[0].as_py()
        report("logfmt parse_arrow -> pyarrow.table", ours, "logfmt.parse_line (dicts)", theirs, len(buf), target=40)
    except ImportError:
        print("# logfmt package not installed")

    buf = ("\n".join(json.dumps(r, separators=(",", ":")) for r in recs) + "\n").encode()
    parser = srekit.Parser("json")
    ours, frame = best_of(lambda: polars.DataFrame(parser.parse_arrow(buf, line_column=None)), args.repeat)
    theirs, peer = best_of(lambda: polars.read_ndjson(io.BytesIO(buf)), args.repeat)
    assert frame.shape == peer.shape and frame.row(7) == peer.row(7)
    report("json parse_arrow -> polars.DataFrame", ours, "polars.read_ndjson", theirs, len(buf), target=1)


def bench_rules(args, buf, lines, recs):
    """Log -> metrics: a request counter by method and status and a latency histogram over the
    logfmt lines; srekit parses and applies in Rust (Rules.apply_lines), the peer is what a Python
    service does today (logfmt.parse_line, then prometheus_client labels().inc() and observe())."""
    if not hasattr(srekit, "Rules"):
        return
    try:
        import logfmt
        import prometheus_client
    except ImportError:
        return
    rule_configs = [
        {"name": "http_requests_total", "help": "Requests.", "kind": "counter", "labels": ["method", "status"]},
        {"name": "http_request_duration_seconds", "help": "Latency.", "kind": "histogram", "value": "duration"},
    ]
    parser = srekit.Parser("logfmt")

    def ours():
        rules = srekit.Rules(rule_configs)
        rules.apply_lines(parser, buf)
        return rules

    def theirs():
        registry = prometheus_client.CollectorRegistry()
        requests = prometheus_client.Counter("http_requests_total", "Requests.", ["method", "status"], registry=registry)
        latency = prometheus_client.Histogram("http_request_duration_seconds", "Latency.", registry=registry)
        for line in lines:
            record = logfmt.parse_line(line)
            requests.labels(record["method"], record["status"]).inc()
            latency.observe(float(record["duration"]))
        return registry

    ours_t, rules = best_of(ours, args.repeat)
    theirs_t, registry = best_of(theirs, max(1, args.repeat // 3))
    count = 'http_request_duration_seconds_count %d' % len(recs)
    assert count in rules.encode().decode() and count.encode() in prometheus_client.generate_latest(registry)
    report("rules: logfmt -> counter + histogram", ours_t, "logfmt + prometheus_client", theirs_t, len(buf))


def bench_registry(args):
    if not hasattr(srekit, "Registry"):
        print("# srekit.Registry not built: encoding benchmarks skipped")
        return
    try:
        import prometheus_client
        from prometheus_client import CollectorRegistry, generate_latest
        from prometheus_client.openmetrics.exposition import generate_latest as generate_latest_om
    except ImportError:
        print("# prometheus_client not installed")
        return
    # prometheus_client writes a _created series per child in text 0.0.4 by default; srekit's text
    # output has none, so compare equal outputs.
    prometheus_client.disable_created_metrics()
    # The foundation issue's data set (as benches/benches/expfmt.rs builds it for the Rust peers):
    # 10,000 counter series with 3 labels, plus 50 histograms x 20 label sets x default buckets.
    def counter_labels(i):
        return (["GET", "POST", "PUT"][i % 3], ["200", "404", "500", "302"][i % 4], "/api/v1/resource/%d" % i)

    ours_reg, theirs_reg = srekit.Registry(), CollectorRegistry()
    ours_c = ours_reg.counter("http_requests_total", "HTTP requests served.", ["method", "code", "path"])
    theirs_c = prometheus_client.Counter("http_requests_total", "HTTP requests served.", ["method", "code", "path"],
                                         registry=theirs_reg)
    for i in range(10_000):
        ours_c.labels(*counter_labels(i)).inc(i % 97)
        theirs_c.labels(*counter_labels(i)).inc(i % 97)
    go_default_buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]  # srekit's default
    for h in range(50):
        ours_h = ours_reg.histogram("rpc_%d_duration_seconds" % h, "RPC latency.", ["service"])
        theirs_h = prometheus_client.Histogram("rpc_%d_duration_seconds" % h, "RPC latency.", ["service"],
                                               registry=theirs_reg, buckets=go_default_buckets)
        for s in range(20):
            ours_child, theirs_child = ours_h.labels("svc-%d" % s), theirs_h.labels("svc-%d" % s)
            for k in range(s + 1):
                ours_child.observe((k % 37) * 0.031)
                theirs_child.observe((k % 37) * 0.031)

    ours, out = best_of(lambda: ours_reg.encode("text"), args.repeat)
    theirs, peer_out = best_of(lambda: generate_latest(theirs_reg), args.repeat)
    assert out.count(b"\nhttp_requests_total{") == peer_out.count(b"\nhttp_requests_total{") == 10_000
    assert out.count(b"_bucket{") == peer_out.count(b"_bucket{") == 50 * 20 * 12
    print("# foundation data set: %d lines of text (srekit), %d (prometheus_client)" % (
        out.count(b"\n"), peer_out.count(b"\n")))
    report("encode foundation set, text 0.0.4", ours, "generate_latest", theirs, target=20)
    ours, _ = best_of(lambda: ours_reg.encode("openmetrics"), args.repeat)
    theirs, _ = best_of(lambda: generate_latest_om(theirs_reg), args.repeat)
    report("encode foundation set, OpenMetrics", ours, "openmetrics generate_latest", theirs, target=20)

    ls = counter_labels(1234)
    n = 200_000

    def ours_labels_inc():
        for _ in range(n):
            ours_c.labels(*ls).inc()

    def theirs_labels_inc():
        for _ in range(n):
            theirs_c.labels(*ls).inc()

    ours, _ = best_of(ours_labels_inc, args.repeat)
    theirs, _ = best_of(theirs_labels_inc, args.repeat)
    print("%-44s srekit %9.3f us | %-30s %9.3f us | %6.1fx" % (
        "labels(...).inc() per call", ours / n * 1e6, "prometheus_client", theirs / n * 1e6, theirs / ours))
    ours_child = ours_c.labels(*ls)
    theirs_child = theirs_c.labels(*ls)

    def ours_kept():
        for _ in range(n):
            ours_child.inc()

    def theirs_kept():
        for _ in range(n):
            theirs_child.inc()

    ours, _ = best_of(ours_kept, args.repeat)
    theirs, _ = best_of(theirs_kept, args.repeat)
    print("%-44s srekit %9.3f us | %-30s %9.3f us | %6.1fx" % (
        "kept child .inc() per call", ours / n * 1e6, "prometheus_client", theirs / n * 1e6, theirs / ours))


def psutil_equivalent(psutil):
    cpu = psutil.cpu_times(percpu=True)
    mem = psutil.virtual_memory()
    swap = psutil.swap_memory()
    disks = psutil.disk_io_counters(perdisk=True)
    fs = [psutil.disk_usage(p.mountpoint) for p in psutil.disk_partitions(all=False)]
    net = psutil.net_io_counters(pernic=True)
    load = psutil.getloadavg()
    return cpu, mem, swap, disks, fs, net, load


# The srekit collectors that read what psutil_equivalent() reads.
PSUTIL_EQUIVALENT = ["cpu", "meminfo", "diskstats", "filesystem", "netdev", "loadavg"]


def bench_host(args):
    if not hasattr(srekit, "collect_host"):
        print("# srekit.collect_host not built: host benchmark skipped")
        return
    # Wall time here: the core runs its collectors on worker threads, psutil in this thread.
    wall = time.perf_counter
    reps = 200
    try:
        import psutil
    except ImportError:
        psutil = None
    theirs = None
    if psutil is not None:
        psutil_equivalent(psutil)
        theirs, _ = best_of(lambda: [psutil_equivalent(psutil) for _ in range(reps)], 3, wall)
    for label, collectors in [("psutil-equivalent set", PSUTIL_EQUIVALENT), ("all defaults", None)]:
        host = srekit.Host(collectors=collectors)
        host.collect()  # warm up
        ours, fams = best_of(lambda: [host.collect() for _ in range(reps)][-1], 3, wall)
        samples = sum(len(f.samples) for f in fams)
        what = "Host.collect(), %s" % label
        print("# %s: %d families, %d samples" % (label, len(fams), samples))
        if theirs is not None:
            report(what, ours / reps, "psutil cpu+mem+swap+disk+fs+net+load", theirs / reps)
        else:
            print("%-44s srekit %9.3f ms" % (what, ours / reps * 1e3))
        ours, text = best_of(lambda: [host.collect_text() for _ in range(reps)][-1], 3, wall)
        print("%-44s srekit %9.3f ms (%d bytes of text, no Python objects)" % (
            "Host.collect_text(), " + label, ours / reps * 1e3, len(text)))
    ours, _ = best_of(lambda: [srekit.collect_host() for _ in range(reps)][-1], 3, wall)
    print("%-44s srekit %9.3f ms" % ("collect_host() (cached default collector)", ours / reps * 1e3))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=["logs", "arrow", "registry", "host"])
    parser.add_argument("--clock", choices=["cpu", "wall"], default="cpu",
                        help="cpu: process CPU time (default, steady on a loaded machine); wall: perf_counter")
    args = parser.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    print("# srekit %s, Python %s, clock %s (host collection: wall), load average %s" % (
        srekit.__version__, sys.version.split()[0], args.clock, " ".join("%.2f" % x for x in os.getloadavg())))
    if args.only in (None, "logs"):
        bench_logs(args)
    if args.only in (None, "arrow"):
        bench_arrow(args)
    if args.only in (None, "registry"):
        bench_registry(args)
    if args.only in (None, "host"):
        bench_host(args)


if __name__ == "__main__":
    main()
