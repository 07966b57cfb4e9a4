#!/usr/bin/env bash
# End-to-end checks beyond `cargo test` (whose exporter/tests/ already start the real exporter,
# Prometheus and node_exporter): the examples/sre-stack deployment files are checked by the real tools.
set -euo pipefail
cd "$(dirname "$0")/.."
stack=examples/sre-stack
promtool check rules "$stack/alerts.yml"
promtool check config "$stack/prometheus.yml"
python3 -m json.tool "$stack/grafana-dashboard.json" >/dev/null
python3 - "$stack/grafana-dashboard.json" <<'PY'
import json, sys
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
assert len(exprs) >= 8, exprs
print(f"grafana-dashboard.json: {len(dash['panels'])} panels, {len(exprs)} queries")
PY
echo "test-e2e: 3 passed, 0 failed"
