#!/usr/bin/env bash
# Python suite: builds the `srekit` package the way a user installs it (`pip install ./python`, which
# runs maturin on bindings/python) into the repository's .venv, then runs pytest on python/tests.
# Needs only Rust (cargo) and Python 3 with venv; everything else comes from PyPI into .venv.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
venv="$root/.venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
py="$venv/bin/python"
"$py" -m pip install --quiet --disable-pip-version-check "maturin>=1.9.4" "pytest>=7" prometheus_client mypy
# A user's install: pip builds the wheel with maturin (release profile) and installs it.
"$py" -m pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./python
# Run from python/tests with the source tree off sys.path so the installed package is what is tested.
cd "$root/python/tests"
"$py" -m pytest -q -p no:cacheprovider --import-mode=importlib "$@" .
