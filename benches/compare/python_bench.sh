#!/usr/bin/env bash
# Python peer comparison: installs srekit (`pip install ./python`, release build) and the PyPI peers
# (logfmt, ltsv, orjson, prometheus_client, psutil; pyarrow and polars for the Arrow comparison) into the repository's .venv, then runs
# python_bench.py. Extra arguments go to the script (e.g. --only logs --lines 20000).
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -x .venv/bin/python ] || python3 -m venv .venv
py=.venv/bin/python
"$py" -m pip install --quiet --disable-pip-version-check "maturin>=1.9.4" logfmt ltsv orjson prometheus_client psutil pyarrow polars
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
cd benches/compare
"../../$py" python_bench.py "$@"
