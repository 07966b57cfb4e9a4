"""The typed surface: the installed package's __init__.pyi agrees with the runtime module
(mypy's stubtest), and a typical program type-checks with mypy --strict against it."""

import os
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip("mypy", reason="mypy is installed by scripts/test-python.sh")


def run(args, cwd):
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=600)


def test_stubs_match_the_runtime_module(tmp_path):
    # From a directory without the source tree, so the installed package is what is checked.
    result = run(["mypy.stubtest", "--ignore-disjoint-bases", "srekit"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_typical_usage_type_checks_strictly(tmp_path):
    program = tmp_path / "usage.py"
    program.write_text(textwrap.dedent('''
        from typing import Dict, List
        import srekit
        from srekit.prometheus_client import HostCollector, RegistryCollector

        registry = srekit.Registry()
        requests = registry.counter("requests_total", "Requests.", ["code"])
        child: srekit.CounterChild = requests.labels("200")
        child.inc(2)
        body: bytes = registry.encode("openmetrics")
        exposed, content_type = registry.expose(None)
        scraped: bytes = exposed
        served_as: str = content_type
        families: List[srekit.MetricFamily] = srekit.parse_text(body)
        first: srekit.Sample = families[0].samples[0]
        labels: Dict[str, str] = first.labels
        host_text: bytes = srekit.collect_host_text("text", collectors=["loadavg"])
        load: float = srekit.collect_host(collectors=["loadavg"])[0].samples[0].value
        collectors = [HostCollector(), RegistryCollector(registry)]
        parser = srekit.Parser("logfmt", types={"status": "int"}, timestamp_field="ts")
        errors: List[srekit.LogParseError] = []
        records: List[Dict[str, object]] = parser.parse_many(b"status=200", errors=errors)
        rules = srekit.Rules([{"name": "lines_total", "kind": "counter"}], registry=registry)
        outcomes = rules.apply(records[0])
        applied: int = rules.apply_lines(parser, "status=500", input="api")
        offset: int = errors[0].offset if errors else 0
        report: srekit.HostReport = srekit.Host(collectors=["loadavg"]).collect_report()
        absent: List[str] = report.no_data
        reasons: Dict[str, str] = report.failures
        reported: List[srekit.MetricFamily] = report[0]
    '''))
    result = run(["mypy", "--strict", "--no-incremental", str(program)], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_pure_python_modules_type_check_strictly(tmp_path):
    result = run(["mypy", "--strict", "--no-incremental", "-p", "srekit"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
