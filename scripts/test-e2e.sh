#!/usr/bin/env bash
# End-to-end checks beyond `cargo test` (whose exporter/tests/ already start the real exporter,
# Prometheus and node_exporter): the examples/sre-stack deployment files are checked by the real tools.
# Each check is counted as it really ends; the last line is `test-e2e: N passed, N failed, N skipped`.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/count.sh
stack=examples/sre-stack
passed=0
failed=0

dashboard_queries() {
  python3 - "$stack/grafana-dashboard.json" <<'PY'
import json, sys
dash = json.load(open(sys.argv[1]))
exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
assert len(exprs) >= 8, exprs
print(f"grafana-dashboard.json: {len(dash['panels'])} panels, {len(exprs)} queries")
PY
}

check "promtool check rules $stack/alerts.yml" promtool check rules "$stack/alerts.yml"
check "promtool test rules $stack/alerts_test.yml" sh -c "cd '$stack' && promtool test rules alerts_test.yml"
check "promtool check config $stack/prometheus.yml" promtool check config "$stack/prometheus.yml"
check "grafana-dashboard.json is JSON with >= 8 queries" dashboard_queries
record_counts test-e2e "$passed" "$failed" 0
[ "$failed" -eq 0 ]
