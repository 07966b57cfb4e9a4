"""Helpers shared by the srekit Python tests: where the repository's shared test vectors live, and
value normalising so Python results compare with the JSON vectors ("+Inf"/"-Inf"/"NaN" strings)."""

import json
import math
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
VECTORS = REPO / "tests" / "vectors"
SUPPORT = REPO / "tests" / "support"


def load_vectors(relative):
    """The JSON file under tests/vectors (part of every checkout: a missing file fails the test)."""
    path = VECTORS / relative
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def volatile_metrics():
    """The families whose values depend on the machine running the test (tests/support/volatile-metrics.txt)."""
    text = (SUPPORT / "volatile-metrics.txt").read_text(encoding="utf-8")
    return [l.strip() for l in text.splitlines() if l.strip() and not l.startswith("#")]


def promtool_check(text, host=False):
    """The one promtool policy (tests/support/promtool-check): None when `text` passes, else the findings.

    promtool is required; a missing promtool fails the test with the command that installs it."""
    if isinstance(text, str):
        text = text.encode()
    args = [str(SUPPORT / "promtool-check")] + (["--host"] if host else [])
    done = subprocess.run(args, input=text, capture_output=True)
    report = (done.stdout + done.stderr).decode(errors="replace")
    if done.returncode == 2:
        pytest.fail(report)
    return None if done.returncode == 0 else report


def json_float(value):
    """A float as the vectors write it: non-finite values as the strings +Inf, -Inf, NaN."""
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "+Inf" if value > 0 else "-Inf"
    return value
