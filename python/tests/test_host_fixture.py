"""Host collection through Python on the captured fixture tree tests/fixtures/host/basic must give
byte for byte the golden output the Rust tests check (core/tests/host_fixtures.rs), with the same
machine-dependent values masked."""

import pytest

import srekit
from helpers import REPO, promtool_check, volatile_metrics

FIXTURE = REPO / "tests" / "fixtures" / "host" / "basic"
GOLDEN = FIXTURE.parent / "basic.expected.prom"

# As in core/tests/host_fixtures.rs: values that depend on the machine running the test.
VOLATILE = volatile_metrics()


def fixture_kwargs():
    # Collectors that read the running kernel through system calls, and systemd (D-Bus), are left
    # out, as in Rust.
    collectors = [c for c in srekit.default_collectors() if c not in ("time", "timex", "uname", "systemd")]
    return dict(collectors=collectors, procfs=str(FIXTURE / "proc"), sysfs=str(FIXTURE / "sys"),
                rootfs=str(FIXTURE / "root"), textfile_directory=str(FIXTURE / "textfile"),
                udev_data=str(FIXTURE / "udev"))


def masked(text):
    out = []
    for line in text.replace(str(FIXTURE), "<fixture>").splitlines():
        volatile = not line.startswith("#") and any(
            line.startswith(v) and line[len(v):len(v) + 1] in ("{", " ") for v in VOLATILE)
        if volatile:
            line = line.rsplit(" ", 1)[0] + " <volatile>"
        out.append(line + "\n")
    return "".join(out)


def test_fixture_text_matches_the_rust_golden_file():
    actual = masked(srekit.collect_host_text(**fixture_kwargs()).decode())
    assert actual == GOLDEN.read_text()


def test_fixture_text_passes_promtool_like_node_exporter():
    text = srekit.collect_host_text(**fixture_kwargs())
    assert promtool_check(text, host=True) is None, promtool_check(text, host=True)


def test_fixture_families_encode_back_to_the_same_text():
    """collect_host()'s Python families hold every sample of the text output."""
    families = srekit.collect_host(**fixture_kwargs())
    text = srekit.collect_host_text(**fixture_kwargs()).decode()
    sample_lines = [l for l in masked(text).splitlines() if l and not l.startswith("#")]
    assert sum(len(f.samples) for f in families) == len(sample_lines)
    by_name = {f.name: f for f in families}
    cpu = by_name["node_cpu_seconds"]
    cpus = {s.labels["cpu"] for s in cpu.samples}
    assert "0" in cpus and "2" in cpus and "1" not in cpus  # hot-plugged cpu2, offline cpu1
    user2 = [s.value for s in cpu.samples if s.labels == {"cpu": "2", "mode": "user"}]
    assert user2 == [12.0]
    success = {s.labels["collector"]: s.value for s in by_name["node_scrape_collector_success"].samples}
    assert success["pressure"] == 0.0 and success["meminfo"] == 1.0


def label_values(families, family, label):
    return sorted({s.labels[label] for f in families if f.name == family for s in f.samples})


def test_collector_options_as_keywords_follow_node_exporter():
    roots = dict(procfs=str(FIXTURE / "proc"), sysfs=str(FIXTURE / "sys"), rootfs=str(FIXTURE / "root"))

    def netdev(**options):
        families = srekit.collect_host(collectors=["netdev"], **roots, **options)
        return label_values(families, "node_network_receive_bytes", "device")

    assert "lo" not in netdev()
    assert "lo" in netdev(netdev_device_exclude=""), "'' drops nothing, as in node_exporter"
    assert netdev(netdev_device_include="^eth0$") == ["eth0"]
    assert "lo" not in netdev(netdev_device_exclude=None), "None keeps the default"

    def disks(**options):
        host = srekit.Host(collectors=["diskstats"], **roots, **options)
        return label_values(host.collect(), "node_disk_reads_completed", "device")

    assert len(disks(diskstats_device_exclude="")) > len(disks())
    names = {f.name for f in srekit.collect_host(collectors=["rapl"], rapl_zone_label=True, **roots)}
    assert "node_rapl_joules" in names and "node_rapl_package_joules" not in names
    text = srekit.collect_host_text("text", collectors=["vmstat"], vmstat_fields=".*", **roots)
    assert text.count(b"\n# TYPE node_vmstat_") > 100

    with pytest.raises(srekit.HostError, match="invalid regex for netdev_device_exclude"):
        srekit.Host(collectors=["netdev"], netdev_device_exclude="(", **roots)
    with pytest.raises(srekit.HostError, match="unknown host option \"netdev_exclude\""):
        srekit.collect_host(collectors=["netdev"], netdev_exclude="^lo$", **roots)
    with pytest.raises(srekit.HostError, match="takes a boolean"):
        srekit.collect_host(collectors=["rapl"], rapl_zone_label="yes", **roots)
    with pytest.raises(TypeError, match="takes a str or a bool"):
        srekit.collect_host(collectors=["netdev"], netdev_device_exclude=3, **roots)


def test_prometheus_client_host_collector_takes_the_options():
    from srekit.prometheus_client import HostCollector
    roots = dict(procfs=str(FIXTURE / "proc"), sysfs=str(FIXTURE / "sys"), rootfs=str(FIXTURE / "root"))
    collector = HostCollector(collectors=["netdev"], netdev_device_exclude="", **roots)
    devices = {s.labels["device"] for m in collector.collect() for s in m.samples if "device" in s.labels}
    assert "lo" in devices
