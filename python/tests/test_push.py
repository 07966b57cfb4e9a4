"""Registry.encode("otlp" | "remote_write"): push bodies from the core's encoders. The OTLP body is
decoded with the official OpenTelemetry protobuf definitions (the `opentelemetry-proto` package)."""

import time

import pytest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.metrics.v1.metrics_pb2 import AggregationTemporality

import srekit


def registry():
    r = srekit.Registry()
    r.counter("jobs_total", "Jobs done.", ["queue"]).labels("mail").inc(3)
    r.gauge("temperature_celsius", "Temperature.", ["zone"]).labels("a").set(21.5)
    h = r.histogram("latency_seconds", "Latency.", ["route"], buckets=[0.1, 0.5])
    for value in (0.05, 0.3, 0.3, 2.0):
        h.labels("/").observe(value)
    return r


def attributes(point):
    return {kv.key: kv.value.string_value for kv in point.attributes}


def test_otlp_body_decodes_with_the_official_protos():
    before = time.time_ns()
    request = ExportMetricsServiceRequest.FromString(registry().encode("otlp"))
    after = time.time_ns()
    metrics = {m.name: m for m in request.resource_metrics[0].scope_metrics[0].metrics}
    assert set(metrics) == {"jobs", "temperature_celsius", "latency_seconds"}

    jobs = metrics["jobs"]
    assert jobs.WhichOneof("data") == "sum"
    assert jobs.description == "Jobs done."
    assert jobs.sum.is_monotonic
    assert jobs.sum.aggregation_temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    (point,) = jobs.sum.data_points
    assert attributes(point) == {"queue": "mail"}
    assert point.as_double == 3.0
    assert before - 1_000_000 <= point.time_unix_nano <= after + 1_000_000
    assert 0 < point.start_time_unix_nano <= point.time_unix_nano  # from the counter's _created

    temperature = metrics["temperature_celsius"]
    assert temperature.WhichOneof("data") == "gauge"
    (point,) = temperature.gauge.data_points
    assert attributes(point) == {"zone": "a"}
    assert point.as_double == 21.5

    latency = metrics["latency_seconds"]
    assert latency.WhichOneof("data") == "histogram"
    assert latency.histogram.aggregation_temporality == AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
    (point,) = latency.histogram.data_points
    assert attributes(point) == {"route": "/"}
    assert list(point.explicit_bounds) == [0.1, 0.5]
    assert list(point.bucket_counts) == [1, 2, 1]
    assert point.count == 4
    assert point.sum == pytest.approx(2.65)


def test_remote_write_body_is_snappy_framed_protobuf_with_the_series_names():
    body = registry().encode("remote_write")
    assert isinstance(body, bytes) and len(body) > 20
    # Snappy block format starts with the uncompressed length as a varint; names are literals in it.
    assert b"jobs_total" in body and b"latency_seconds_bucket" in body


def test_an_unknown_push_format_is_an_error_with_the_format_code():
    with pytest.raises(srekit.ConfigError) as info:
        registry().encode("protobuf")
    assert info.value.code == "exposition.unknown_format"
