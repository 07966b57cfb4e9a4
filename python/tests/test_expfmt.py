"""srekit.parse_text: exposition text into MetricFamily values; errors with line and column; round
trips through the registry; agreement with prometheus_client's parser on the same text."""

import math

import pytest
from prometheus_client.parser import text_string_to_metric_families as text_families

import srekit
from helpers import json_float

NODE_TEXT = """# HELP node_load1 1m load average.
# TYPE node_load1 gauge
node_load1 0.21
# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 12345.5
node_cpu_seconds_total{cpu="0",mode="user"} 99
# HELP rpc_duration_seconds RPC latency.
# TYPE rpc_duration_seconds histogram
rpc_duration_seconds_bucket{le="0.1"} 3
rpc_duration_seconds_bucket{le="+Inf"} 5
rpc_duration_seconds_sum 1.5
rpc_duration_seconds_count 5
weird_value{path="a\\"b\\\\c\\nd"} NaN 1700000000000
"""


def test_parse_text_gives_families_with_full_sample_names():
    families = {f.name: f for f in srekit.parse_text(NODE_TEXT)}
    cpu = families["node_cpu_seconds"]
    assert cpu.type == "counter"
    assert cpu.help == "Seconds the CPUs spent in each mode."
    assert [(s.name, s.labels, s.value) for s in cpu.samples] == [
        ("node_cpu_seconds_total", {"cpu": "0", "mode": "idle"}, 12345.5),
        ("node_cpu_seconds_total", {"cpu": "0", "mode": "user"}, 99.0),
    ]
    hist = families["rpc_duration_seconds"]
    assert [s.name for s in hist.samples] == ["rpc_duration_seconds_bucket"] * 2 + [
        "rpc_duration_seconds_sum", "rpc_duration_seconds_count"]
    assert hist.samples[1].labels == {"le": "+Inf"}
    weird = families["weird_value"]
    assert weird.type == "unknown"
    assert weird.samples[0].labels == {"path": 'a"b\\c\nd'}
    assert math.isnan(weird.samples[0].value)
    assert weird.samples[0].timestamp == pytest.approx(1700000000.0)


def test_bytes_and_str_inputs_agree():
    as_json = lambda families: [json_float(s.value) for f in families for s in f.samples]
    from_bytes, from_str = srekit.parse_text(NODE_TEXT.encode()), srekit.parse_text(NODE_TEXT)
    assert as_json(from_bytes) == as_json(from_str)
    assert [f._replace(samples=None) for f in from_bytes] == [f._replace(samples=None) for f in from_str]


def test_values_agree_with_prometheus_client_parser():
    ours = {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in srekit.parse_text(NODE_TEXT) for s in f.samples}
    theirs = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for f in text_families(NODE_TEXT) for s in f.samples}
    assert ours.keys() == theirs.keys()
    for key, value in ours.items():
        assert json_float(value) == json_float(theirs[key])


@pytest.mark.parametrize("text,line", [
    ('up{job="a" 1\n', 1),
    ("# TYPE a counter\na_total 1\na_total{x=\"1\"} notanumber\n", 3),
])
def test_errors_name_line_and_column(text, line):
    with pytest.raises(srekit.ExpositionError) as info:
        srekit.parse_text(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.line == line
    assert err.column >= 1
    assert str(err).startswith("line %d, column %d: " % (err.line, err.column))


def test_invalid_utf8_bytes_are_a_value_error():
    with pytest.raises(ValueError):
        srekit.parse_text(b"up 1\n\xff\xfe 2\n")


def test_registry_round_trips_through_parse_text():
    r = srekit.Registry()
    c = r.counter("rt_requests_total", "Requests.", ["code"])
    h = r.histogram("rt_latency_seconds", "Latency.", buckets=[0.25, 1])
    c.labels("200").inc(41)
    c.labels("500").inc(1)
    for v in [0.1, 0.3, 3]:
        h.observe(v)
    for fmt in ["text", "openmetrics"]:
        parsed = [f.to_dict() for f in srekit.parse_text(r.encode(fmt))]
        collected = [f.to_dict() for f in r.collect()]
        if fmt == "openmetrics":
            for f in parsed:
                f["samples"] = [s for s in f["samples"] if not s["name"].endswith("_created")]
        for f in collected:
            f["samples"] = [s for s in f["samples"] if not s["name"].endswith("_created")]
        for f in parsed + collected:
            for s in f["samples"]:
                if "le" in s["labels"]:
                    s["labels"]["le"] = float(s["labels"]["le"])
        assert parsed == collected, fmt
