"""srekit.prometheus_client: srekit metrics served by a prometheus_client registry."""

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families as text_families

import srekit
from srekit.prometheus_client import RegistryCollector, to_prometheus_client


def test_registry_collector_exposes_a_srekit_registry_through_prometheus_client():
    ours = srekit.Registry()
    c = ours.counter("bridge_requests_total", "Requests.", ["code"])
    h = ours.histogram("bridge_latency_seconds", "Latency.", buckets=[0.5])
    c.labels("200").inc(3)
    h.observe(0.2)
    theirs = CollectorRegistry()
    theirs.register(RegistryCollector(ours))
    c.labels("200").inc()  # read at scrape time, not at registration
    exposed = {f.name: f for f in text_families(generate_latest(theirs).decode())}
    assert exposed["bridge_requests"].type == "counter"
    assert [(s.name, s.labels, s.value) for s in exposed["bridge_requests"].samples] == [
        ("bridge_requests_total", {"code": "200"}, 4.0)]
    latency = {(s.name, s.labels.get("le")): s.value for s in exposed["bridge_latency_seconds"].samples}
    assert latency[("bridge_latency_seconds_count", None)] == 1.0
    assert latency[("bridge_latency_seconds_bucket", "+Inf")] == 1.0


def test_parsed_families_convert_for_every_type():
    text = (
        "# TYPE a counter\na_total 1\n# TYPE b gauge\nb 2\n# TYPE c summary\nc_sum 1\nc_count 2\n"
        "# TYPE d untyped\nd 4\n"
    )
    metrics = list(to_prometheus_client(srekit.parse_text(text)))
    assert [(m.name, m.type) for m in metrics] == [("a", "counter"), ("b", "gauge"), ("c", "summary"), ("d", "unknown")]



def test_host_collector_serves_node_metrics_from_a_prometheus_client_registry():
    from srekit.prometheus_client import HostCollector

    theirs = CollectorRegistry()
    theirs.register(HostCollector(collectors=["loadavg", "meminfo"]))
    exposed = {f.name: f for f in text_families(generate_latest(theirs).decode())}
    direct = {f.name: f for f in srekit.collect_host(collectors=["loadavg", "meminfo"])}
    assert "node_load1" in exposed and "node_memory_MemTotal_bytes" in exposed
    assert exposed["node_memory_MemTotal_bytes"].samples[0].value == direct["node_memory_MemTotal_bytes"].samples[0].value
    with pytest.raises(srekit.HostError):
        HostCollector(collectors=["nope"])



def test_host_collector_registers_in_the_default_registry():
    from prometheus_client import REGISTRY

    from srekit.prometheus_client import HostCollector

    collector = HostCollector()
    REGISTRY.register(collector)
    try:
        assert b"node_cpu_seconds_total" in generate_latest(REGISTRY)
        assert b"python_info" in generate_latest(REGISTRY)  # prometheus_client's own collectors stay
    finally:
        REGISTRY.unregister(collector)
