"""pytest setup: makes python/tests importable (for helpers.py) without putting python/ itself on
sys.path, so the tests always exercise the installed srekit package, never the source tree.

With SREKIT_TEST_STRICT=1 (CI sets it) a skipped test fails instead: on CI every test must run."""

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

STRICT = bool(os.environ.get("SREKIT_TEST_STRICT"))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if STRICT and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = "skipped under SREKIT_TEST_STRICT=1: %s" % (report.longrepr,)
