"""The shared host report vectors (tests/vectors/host/report.json, also run by the Rust and Node
tests): ``Host.collect_report()`` names the same failed collectors, the same no-data subset (an
absent optional subsystem), the same warnings and families as the core."""

import pytest

import srekit
from helpers import load_vectors


def cases():
    return [pytest.param(case, id=case["case"]) for case in load_vectors("host/report.json")["cases"]]


def root(kind, host, scratch):
    if kind == "host":
        return host
    assert kind == "empty", kind
    path = scratch / host.strip("/")
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


@pytest.mark.parametrize("case", cases())
def test_host_report_vector(case, tmp_path):
    textfile_directory = None
    if "textfiles" in case:
        textfile_directory = tmp_path / "textfiles"
        textfile_directory.mkdir()
        for name, text in case["textfiles"].items():
            (textfile_directory / name).write_text(text)
    host = srekit.Host(
        collectors=case["collectors"],
        procfs=root(case["procfs"], "/proc", tmp_path),
        sysfs=root(case["sysfs"], "/sys", tmp_path),
        textfile_directory=textfile_directory,
    )
    report = host.collect_report()
    assert sorted(report.failures) == case["failed"], report.failures
    assert all(isinstance(reason, str) and reason for reason in report.failures.values())
    assert sorted(report.no_data) == case["no_data"]
    assert set(report.no_data) <= set(report.failures)
    assert len(report.warnings) == len(case["warnings"]), report.warnings
    for warning, part in zip(report.warnings, case["warnings"]):
        assert part in warning
    names = {family.name for family in report.families}
    assert set(case["families"]) <= names


def test_a_report_still_unpacks_as_the_families_and_failures_pair(tmp_path):
    report = srekit.Host(collectors=["loadavg", "nvme"], procfs=str(tmp_path), sysfs=str(tmp_path)).collect_report()
    families, failures = report
    assert families == report.families and failures == report.failures
    assert len(report) == 2 and report[0] == report.families and report[-1] == report.failures
    with pytest.raises(IndexError):
        report[2]
    assert "no_data=['nvme']" in repr(report)
