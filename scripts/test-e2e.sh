#!/usr/bin/env bash
# End-to-end checks beyond `cargo test` (whose exporter/tests/ already start the real exporter,
# Prometheus and node_exporter): the examples/sre-stack deployment files are checked by the real tools,
# and the README blocks that serve a fixed port run as pasted in namespaces of their own.
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

# The README blocks that serve :9100 or :9090 until stopped run as pasted, each in network, mount and
# PID namespaces of its own (scripts/readme_isolated.py; tests/readme/README.md), which needs root.
skipped=0
isolated_blocks=$(python3 scripts/readme_isolated.py list)
if [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null && command -v ip >/dev/null; then
  echo "test-e2e: cargo build --release -p srekit-exporter (what those blocks run; minutes when not built)"
  if cargo build --release --quiet -p srekit-exporter; then
    for block in $isolated_blocks; do
      check "README block $block, as pasted, in namespaces of its own" python3 scripts/readme_isolated.py run "$block"
    done
  else
    for block in $isolated_blocks; do
      failed=$((failed + 1))
      echo "FAIL README block $block: the release build failed"
    done
  fi
else
  for block in $isolated_blocks; do
    skipped=$((skipped + 1))
    echo "skip README block $block: needs root with unshare and ip (network namespaces)"
  done
fi
record_counts test-e2e "$passed" "$failed" "$skipped"
[ "$failed" -eq 0 ]
