"""srekit.Registry: counters, gauges, histograms with labels; output read back by prometheus_client's
own parsers; errors as ValueError subclasses; updates from many threads."""

import math
import threading

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families
from prometheus_client.parser import text_string_to_metric_families as text_families

import srekit
from helpers import promtool_check


def samples_of(families):
    """{(sample name, sorted label items): value} for prometheus_client or srekit families, with
    `le` / `quantile` label values as floats (encoders may spell 1 as "1" or "1.0")."""
    out = {}
    for family in families:
        for s in family.samples:
            labels = {k: float(v) if k in ("le", "quantile") else v for k, v in s.labels.items()}
            out[(s.name, tuple(sorted(labels.items())))] = s.value
    return out


def test_counter_labels_positional_and_keyword_reach_the_same_child():
    r = srekit.Registry()
    c = r.counter("http_requests_total", "Requests served.", ["method", "code"])
    c.labels("GET", "200").inc()
    c.labels(code="200", method="GET").inc(2.5)
    c.labels("POST", 500).inc()  # non-str values are str()-ed, as prometheus_client does
    assert c.labels("GET", "200").get() == 3.5
    assert c.labels(method="POST", code="500").get() == 1.0


def test_text_output_is_read_back_by_prometheus_client():
    r = srekit.Registry()
    c = r.counter("app_requests_total", "Requests, with \"quotes\" and a \\ backslash.", ["path"])
    g = r.gauge("app_temperature_celsius", "Temperature.", ["room"])
    h = r.histogram("app_latency_seconds", "Latency.", ["route"], buckets=[0.1, 0.5, 1.0])
    c.labels('/a"b\\c\nd').inc(3)
    g.labels("lab").set(-2.5)
    g.labels("hall").set(float("inf"))
    for v in [0.05, 0.3, 0.3, 0.7, 2.0]:
        h.labels("/api").observe(v)

    text = r.encode("text")
    assert isinstance(text, bytes)
    got = samples_of(text_families(text.decode()))
    assert got[("app_requests_total", (("path", '/a"b\\c\nd'),))] == 3.0
    assert got[("app_temperature_celsius", (("room", "lab"),))] == -2.5
    assert math.isinf(got[("app_temperature_celsius", (("room", "hall"),))])
    bucket = lambda le: got[("app_latency_seconds_bucket", (("le", le), ("route", "/api")))]
    assert [bucket(0.1), bucket(0.5), bucket(1.0), bucket(math.inf)] == [1, 3, 4, 5]
    assert got[("app_latency_seconds_count", (("route", "/api"),))] == 5
    assert got[("app_latency_seconds_sum", (("route", "/api"),))] == pytest.approx(3.35)
    helps = {f.name: f.documentation for f in text_families(text.decode())}
    assert helps["app_requests"] == 'Requests, with "quotes" and a \\ backslash.'


def test_openmetrics_output_is_read_back_by_prometheus_client():
    r = srekit.Registry()
    r.counter("jobs_total", "Jobs.", ["queue"]).labels("q1").inc(7)
    r.gauge("queue_depth", "Depth.").set(4)
    om = r.encode("openmetrics").decode()
    assert om.endswith("# EOF\n")
    families = list(om_families(om))
    got = samples_of(families)
    assert got[("jobs_total", (("queue", "q1"),))] == 7.0
    assert got[("queue_depth", ())] == 4.0
    assert {f.name: f.type for f in families} == {"jobs": "counter", "queue_depth": "gauge"}


def test_collect_returns_metric_families():
    r = srekit.Registry()
    r.counter("events_total", "Events.", ["kind"]).labels("a").inc(2)
    (family,) = r.collect()
    assert (family.name, family.type, family.help) == ("events", "counter", "Events.")
    name, labels, value, timestamp = family.samples[0]
    assert (name, labels, value, timestamp) == ("events_total", {"kind": "a"}, 2.0, None)
    assert family.to_dict()["samples"][0]["labels"] == {"kind": "a"}


def test_unlabelled_metrics_update_directly():
    r = srekit.Registry()
    c = r.counter("ticks_total", "Ticks.")
    g = r.gauge("level", "Level.")
    h = r.histogram("size_bytes", "Size.", buckets=[10, 100])
    c.inc()
    c.inc(4)
    g.set(10)
    g.inc(2)
    g.dec(0.5)
    h.observe(50)
    assert c.get() == 5.0
    assert g.get() == 11.5
    got = samples_of(text_families(r.encode().decode()))
    assert got[("size_bytes_bucket", (("le", 100.0),))] == 1.0
    assert got[("size_bytes_bucket", (("le", 10.0),))] == 0.0


def test_default_buckets_are_the_prometheus_defaults():
    r = srekit.Registry()
    r.histogram("d_seconds", "D.").observe(0.2)
    les = [s.labels["le"] for s in r.collect()[0].samples if s.name == "d_seconds_bucket"]
    assert les[-1] == "+Inf"
    assert len(les) >= 10


@pytest.mark.parametrize(
    "make",
    [
        lambda r: r.counter("", "x"),
        lambda r: r.counter("ok_total", "x", ["__reserved"]),
        lambda r: r.histogram("h", "x", buckets=[1.0, 0.5]),
    ],
)
def test_bad_registrations_raise_metric_error(make):
    with pytest.raises(srekit.MetricError) as info:
        make(srekit.Registry())
    assert isinstance(info.value, ValueError)
    assert str(info.value)


def test_duplicate_names_and_label_mistakes_raise():
    r = srekit.Registry()
    c = r.counter("dup_total", "x", ["a"])
    with pytest.raises(srekit.MetricError, match="dup"):
        r.counter("dup_total", "x", ["a"])
    with pytest.raises(srekit.MetricError):
        c.labels("1", "2")
    with pytest.raises(srekit.MetricError):
        c.labels(b="1")
    with pytest.raises(ValueError):
        c.labels("1", a="1")
    with pytest.raises(ValueError, match="labels"):
        c.inc()
    with pytest.raises(srekit.MetricError):
        c.labels("x").inc(-1)
    with pytest.raises(TypeError):
        r.counter("str_labels_total", "x", "abc")  # a str is not a list of label names
    with pytest.raises(ValueError, match="format"):
        r.encode("xml")


def test_counters_are_exact_under_threads():
    r = srekit.Registry()
    c = r.counter("threaded_total", "x", ["worker"])
    h = r.histogram("threaded_seconds", "x", buckets=[0.5])
    shared = c.labels("shared")
    threads_n, per_thread = 8, 20_000
    barrier = threading.Barrier(threads_n)

    def work(i):
        own = c.labels(str(i))
        barrier.wait()
        for _ in range(per_thread):
            shared.inc()
            own.inc(0.5)
            c.labels("looked-up").inc()
            h.observe(0.25)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert shared.get() == threads_n * per_thread
    assert c.labels("looked-up").get() == threads_n * per_thread
    assert all(c.labels(str(i)).get() == per_thread * 0.5 for i in range(threads_n))
    got = samples_of(text_families(r.encode().decode()))
    assert got[("threaded_seconds_count", ())] == threads_n * per_thread
    assert got[("threaded_seconds_sum", ())] == pytest.approx(threads_n * per_thread * 0.25)


def test_content_negotiation_helpers():
    assert srekit.negotiate("application/openmetrics-text; version=1.0.0,text/plain;q=0.5") == "openmetrics"
    assert srekit.negotiate("text/plain") == "text"
    assert srekit.negotiate("") == "text"
    assert srekit.content_type("text").startswith("text/plain; version=0.0.4")
    assert srekit.content_type("openmetrics").startswith("application/openmetrics-text")


def test_summary_counts_and_sums_by_position_or_keyword():
    r = srekit.Registry()
    s = r.summary("payload_bytes", "Payload sizes.", ["route", "method"])
    s.labels("/a", "GET").observe(100)
    s.labels(method="GET", route="/a").observe(50)
    child = s.labels("/a", "GET")
    assert (child.count(), child.sum()) == (2, 150.0)
    with pytest.raises(srekit.MetricError):
        s.labels(route="/a")
    with pytest.raises(srekit.MetricError):
        s.labels(route="/a", method="GET", extra="x")
    got = samples_of(text_families(r.encode().decode()))
    assert got[("payload_bytes_count", (("method", "GET"), ("route", "/a")))] == 2.0
    assert got[("payload_bytes_sum", (("method", "GET"), ("route", "/a")))] == 150.0
    unlabelled = r.summary("latency_seconds", "L.")
    unlabelled.observe(0.5)
    assert "latency_seconds_count 1" in r.encode().decode()


def test_nan_and_negative_counter_increments_are_rejected_and_change_nothing():
    r = srekit.Registry()
    c = r.counter("careful_total", "C.")
    c.inc(2)
    for bad in (-1, float("nan")):
        with pytest.raises(srekit.MetricError):
            c.inc(bad)
    assert c.get() == 2.0


def test_promtool_accepts_the_text_output():
    registry = srekit.Registry()
    registry.counter("http_requests_total", "Requests.", ["method"]).labels("GET").inc()
    registry.histogram("http_request_duration_seconds", "Latency.", ["method"]).labels("GET").observe(0.2)
    registry.gauge("queue_depth", "Depth.").set(3)
    body = registry.encode("text")
    assert promtool_check(body) is None, promtool_check(body)
    # The policy really fails: a counter without _total or help draws a finding.
    assert promtool_check(b"# TYPE x counter\nx 1\n") is not None


@pytest.mark.parametrize("kind", ["counter", "gauge", "histogram", "summary"])
def test_every_metric_type_removes_and_clears_series(kind):
    r = srekit.Registry()
    metric = getattr(r, kind)("m_" + kind, "M.", ["a", "b"])
    metric.labels("1", "2")
    metric.labels(a="3", b="4")
    assert metric.series_count() == 2
    assert metric.remove(b="2", a="1") is True
    assert metric.remove("1", "2") is False
    assert metric.series_count() == 1
    with pytest.raises(srekit.MetricError):
        metric.remove("only-one")
    metric.clear()
    assert metric.series_count() == 0
    assert 'a="3"' not in r.encode().decode()


def test_exemplars_are_kept_in_counters_and_buckets_and_written_in_openmetrics_only():
    r = srekit.Registry()
    hits = r.counter("hits_total", "Hits.", ["route"])
    hits.labels("/a").inc(exemplar={"trace_id": "abc"})
    latency = r.histogram("latency_seconds", "Latency.", buckets=[0.1, 1])
    latency.observe(0.5, exemplar={"trace_id": "def"})
    om = r.encode("openmetrics").decode()
    # Numbers as client_golang writes OpenMetrics: floats with a `.0`, counts as integers.
    assert 'hits_total{route="/a"} 1.0 # {trace_id="abc"} 1.0' in om.splitlines()
    assert 'latency_seconds_bucket{le="1"} 1 # {trace_id="def"} 0.5' in om.splitlines()
    assert " # {" not in r.encode("text").decode()
    exemplars = [s.exemplar for f in om_families(om) for s in f.samples if s.exemplar]
    assert [e.labels for e in exemplars] == [{"trace_id": "abc"}, {"trace_id": "def"}]
    with pytest.raises(srekit.MetricError, match="at most 128"):
        hits.labels("/a").inc(exemplar={"trace_id": "x" * 200})
    assert hits.labels("/a").get() == 2.0, "the increment counts even when the exemplar is refused"


def test_remove_and_clear_are_for_labelled_metrics():
    r = srekit.Registry()
    c = r.counter("plain_total", "P.")
    c.inc()
    for call in (c.clear, c.remove):
        with pytest.raises(srekit.MetricError, match="no label names"):
            call()
    c.inc()
    assert c.get() == 2.0
    assert "plain_total 2" in r.encode().decode()
