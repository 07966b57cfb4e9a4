#!/usr/bin/env bash
# Python suite: builds the `srekit` package the way a user installs it (`pip install ./python`, which
# runs maturin on bindings/python) into the repository's .venv, then runs pytest on python/tests.
# Needs only Rust (cargo) and Python 3 with venv; everything else comes from PyPI into .venv.
# Ends with one line: `test-python: N passed, N failed, N skipped`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/count.sh
root=$(pwd)
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
echo "test-python: installing maturin, pytest, prometheus_client, mypy, opentelemetry-proto, pyarrow and polars into .venv"
# pyarrow and polars read Parser.parse_arrow's columns in the tests (test dependencies only).
"$py" -m pip install --quiet --disable-pip-version-check "maturin>=1.9.4" "pytest>=7" prometheus_client mypy opentelemetry-proto pyarrow polars
# A user's install: pip builds the wheel with maturin (release profile) and installs it.
echo "test-python: building and installing the srekit wheel (pip install ./python; a release build, minutes)"
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
# Run from python/tests with the source tree off sys.path so the installed package is what is tested.
cd "$root/python/tests"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
"$py" -m pytest -q -p no:cacheprovider --import-mode=importlib "$@" . 2>&1 | tee "$log" || status=$?
last=$(grep -E '^(=+ )?[0-9]+ (passed|failed|skipped|error|errors|deselected)' "$log" | tail -1 || true)
count() { grep -oE "[0-9]+ $1" <<<"$last" | grep -oE '^[0-9]+' || echo 0; }
passed=$(count passed); failed=$(( $(count failed) + $(count errors) + $(count error) )); skipped=$(count skipped)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
record_counts test-python "$passed" "$failed" "$skipped"
exit "$status"
