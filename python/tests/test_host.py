"""Host metrics from Python: collect_host / collect_host_text / Host on this machine's /proc and /sys,
checked against the kernel's own files, with node_exporter's names."""

import os

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families as text_families

import srekit


def meminfo_bytes(key):
    with open("/proc/meminfo") as f:
        for line in f:
            name, rest = line.split(":", 1)
            if name == key:
                return float(rest.split()[0]) * 1024
    raise KeyError(key)


def by_name(families):
    return {f.name: f for f in families}


def test_default_collection_has_node_exporter_families():
    families = by_name(srekit.collect_host())
    assert families["node_load1"].type == "gauge"
    assert families["node_cpu_seconds"].type == "counter"
    cpu_samples = families["node_cpu_seconds"].samples
    assert {s.name for s in cpu_samples} == {"node_cpu_seconds_total"}
    assert {"cpu", "mode"} <= set(cpu_samples[0].labels)
    modes = {s.labels["mode"] for s in cpu_samples}
    assert {"user", "system", "idle"} <= modes
    mem_total = families["node_memory_MemTotal_bytes"].samples[0].value
    assert mem_total == meminfo_bytes("MemTotal")


def test_load_average_matches_the_kernel():
    families = by_name(srekit.collect_host(collectors=["loadavg"]))
    load1 = families["node_load1"].samples[0].value
    assert load1 == pytest.approx(os.getloadavg()[0], abs=1.0)
    assert not any(name.startswith("node_memory_") for name in families)


def test_unknown_collector_is_a_host_error():
    with pytest.raises(srekit.HostError) as info:
        srekit.collect_host(collectors=["no_such_collector"])
    assert isinstance(info.value, ValueError)
    assert "no_such_collector" in str(info.value)


def test_missing_root_reports_failed_collectors_instead_of_raising(tmp_path):
    families = by_name(srekit.collect_host(collectors=["loadavg"], procfs=str(tmp_path)))
    success = families.get("node_scrape_collector_success")
    assert success is not None
    assert {s.labels["collector"]: s.value for s in success.samples}["loadavg"] == 0


def test_collect_report_says_why_collectors_failed(tmp_path):
    host = srekit.Host(collectors=["loadavg", "meminfo"], procfs=str(tmp_path))
    families, failures = host.collect_report()
    assert set(failures) == {"loadavg", "meminfo"}
    assert all(isinstance(reason, str) and reason for reason in failures.values())
    success = {s.labels["collector"]: s.value for s in by_name(families)["node_scrape_collector_success"].samples}
    assert success == {"loadavg": 0.0, "meminfo": 0.0}
    assert srekit.Host(collectors=["loadavg"]).collect_report()[1] == {}


def test_text_and_openmetrics_output_parse_with_prometheus_client():
    text = srekit.collect_host_text().decode()
    names = {f.name for f in text_families(text)}
    assert "node_load1" in names
    om = srekit.collect_host_text("openmetrics").decode()
    assert om.endswith("# EOF\n")
    assert "node_load1" in {f.name for f in om_families(om)}


def test_host_object_is_reusable_and_agrees_with_collect_host():
    host = srekit.Host(collectors=["meminfo"])
    first, second = by_name(host.collect()), by_name(host.collect())
    assert first["node_memory_MemTotal_bytes"].samples == second["node_memory_MemTotal_bytes"].samples
    assert first.keys() == by_name(srekit.collect_host(collectors=["meminfo"])).keys()
    assert b"node_memory_MemTotal_bytes" in host.collect_text()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork()")
def test_collection_works_in_a_forked_child():
    """Worker threads do not survive fork(): a child (gunicorn preload, multiprocessing) must get a
    working collector of its own, not a stalled one."""
    srekit.collect_host(collectors=["loadavg"])
    host = srekit.Host(collectors=["loadavg"])
    host.collect()
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report both collections' success and time, then leave at once
        try:
            import time

            start = time.monotonic()
            results = []
            for families in (srekit.collect_host(collectors=["loadavg"]), host.collect()):
                success = by_name(families)["node_scrape_collector_success"].samples[0].value
                results.append("%g" % success)
            os.write(write, ("%s %.2f" % (",".join(results), time.monotonic() - start)).encode())
        finally:
            os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        report = pipe.read()
    os.waitpid(pid, 0)
    results, seconds = report.split()
    assert results == "1,1"
    assert float(seconds) < 2.0


def stub_host_option_annotations():
    """The `_HostOptions` TypedDict of the installed package's stub, as {key: annotation source}."""
    import ast
    import pathlib

    stub = pathlib.Path(srekit.__file__).with_name("__init__.pyi")
    tree = ast.parse(stub.read_text())
    typed_dict = next(node for node in tree.body if isinstance(node, ast.ClassDef) and node.name == "_HostOptions")
    return {
        node.target.id: ast.unparse(node.annotation)
        for node in typed_dict.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }


def test_the_stub_types_every_host_option_of_the_core_table():
    options = srekit.host_options()
    assert len(options) >= 19
    wanted = {o["name"]: f"Optional[{o['type']}]" for o in options}
    assert stub_host_option_annotations() == wanted


def test_every_host_option_is_a_keyword_and_checks_its_kind():
    for option in srekit.host_options():
        assert option["flag"].startswith("collector.") and option["help"]
        good = {"str": "^x$", "int": 1024}.get(option["type"], not option["default"])
        host = srekit.Host(collectors=["loadavg"], **{option["name"]: good})
        assert host.collectors == ["loadavg"]
        bad = True if option["type"] == "str" else "^x$"
        with pytest.raises(srekit.HostError, match=option["name"]):
            srekit.Host(collectors=["loadavg"], **{option["name"]: bad})
    with pytest.raises(srekit.HostError, match="unknown host option"):
        srekit.collect_host(collectors=["loadavg"], no_such_option="x")


def test_one_shot_collection_reuses_collectors_per_options():
    # Different options, different collectors; the same options again are answered from the cache.
    first = srekit.collect_host(collectors=["loadavg"], cpu_guest=False)
    again = srekit.collect_host(collectors=["loadavg"], cpu_guest=False)
    assert [f.name for f in first] == [f.name for f in again]
    text = srekit.collect_host_text("text", collectors=["uname"], netlink=False)
    assert b"node_uname_info" in text


MDSTAT = (
    "Personalities : [raid1]\n"
    "md0 : active raid1 sdb1[1] sda1[0]\n"
    "      1048576 blocks super 1.2 [2/2] [UU]\n\n"
    "unused devices: <none>\n"
)


def test_absent_recheck_sets_how_long_a_path_found_absent_stays_absent(tmp_path):
    every_time = srekit.Host(collectors=["mdadm"], procfs=str(tmp_path), absent_recheck=0)
    hourly = srekit.Host(collectors=["mdadm"], procfs=str(tmp_path), absent_recheck=3600)
    assert "node_md_disks" not in by_name(every_time.collect())
    assert "node_md_disks" not in by_name(hourly.collect())
    (tmp_path / "mdstat").write_text(MDSTAT)
    assert "node_md_disks" in by_name(every_time.collect()), "probed again: the new mdstat is read"
    assert "node_md_disks" not in by_name(hourly.collect()), "within the hour still taken as absent"


def test_collector_timeout_and_absent_recheck_are_checked_seconds():
    srekit.collect_host(collectors=["loadavg"], collector_timeout=2.5, absent_recheck=0)
    for name, bad in [("collector_timeout", 0), ("collector_timeout", -1.0), ("collector_timeout", float("nan")),
                      ("absent_recheck", 3600.5), ("absent_recheck", -1), ("absent_recheck", float("inf"))]:
        with pytest.raises(srekit.HostError, match=name):
            srekit.Host(collectors=["loadavg"], **{name: bad})
    for name, bad in [("collector_timeout", "5s"), ("absent_recheck", True)]:
        with pytest.raises(TypeError, match=name):
            srekit.collect_host_text(collectors=["loadavg"], **{name: bad})
