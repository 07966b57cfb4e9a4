#!/usr/bin/env python3
"""Three small "applications" writing request logs: myapp1 in logfmt, myapp2 in LTSV, myapp3 in JSON.

Usage: generate_logs.py DIR [--lines-per-second N] [--seconds S] [--malformed-every K] [--seed SEED]
Writes DIR/myapp1/app.log, DIR/myapp2/app.log, DIR/myapp3/app.log (appending). Deterministic for a seed.
"""
import argparse
import json
import os
import random
import time
from datetime import datetime, timezone

METHODS = ["GET", "GET", "GET", "POST", "PUT", "DELETE"]
PATHS = ["/", "/api/users", "/api/orders", "/api/orders/42", "/healthz", "/login"]
STATUSES = [200, 200, 200, 200, 201, 204, 301, 404, 500, 503]


def record(rng):
    status = rng.choice(STATUSES)
    return {
        "ts": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "level": "error" if status >= 500 else ("warn" if status >= 400 else "info"),
        "method": rng.choice(METHODS),
        "path": rng.choice(PATHS),
        "status": status,
        "bytes": rng.randint(0, 50_000),
        "duration_ms": round(rng.expovariate(1 / 40.0), 3),
        "trace_id": "%032x" % rng.getrandbits(128),
        "msg": 'handled request "ok"' if status < 400 else "request failed",
    }


def logfmt(r):
    def value(v):
        s = str(v)
        if s == "" or any(c in s for c in ' ="\\'):
            return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return s
    return " ".join(f"{k}={value(v)}" for k, v in r.items())


def ltsv(r):
    return "\t".join(f"{k}:{v}" for k, v in r.items())


def as_json(r):
    nested = dict(r)
    nested["http"] = {"method": nested.pop("method"), "path": nested.pop("path"), "status": nested.pop("status")}
    nested["latency"] = nested.pop("duration_ms") / 1000.0
    return json.dumps(nested, separators=(",", ":"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("--lines-per-second", type=float, default=20)
    parser.add_argument("--seconds", type=float, default=0, help="0 = run until interrupted")
    parser.add_argument("--malformed-every", type=int, default=0, help="write a broken line every K lines")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = {}
    for app, fmt in (("myapp1", logfmt), ("myapp2", ltsv), ("myapp3", as_json)):
        os.makedirs(os.path.join(args.dir, app), exist_ok=True)
        files[app] = (open(os.path.join(args.dir, app, "app.log"), "a", buffering=1), fmt)
    broken = {"myapp1": 'level=info msg="unterminated', "myapp2": "no colon here", "myapp3": '{"level": "info",'}
    started = time.time()
    n = 0
    while args.seconds == 0 or time.time() - started < args.seconds:
        n += 1
        for app, (handle, fmt) in files.items():
            if args.malformed_every and n % args.malformed_every == 0:
                handle.write(broken[app] + "\n")
            else:
                handle.write(fmt(record(rng)) + "\n")
        time.sleep(1 / args.lines_per_second)


if __name__ == "__main__":
    main()
