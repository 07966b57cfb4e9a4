"""Name helpers: the core's validation and sanitizing rules, seen from Python."""

import srekit


def test_metric_name_validation_follows_the_prometheus_charset():
    assert srekit.is_valid_metric_name("node_cpu_seconds_total")
    assert srekit.is_valid_metric_name("job:rate5m")
    assert not srekit.is_valid_metric_name("1abc")
    assert not srekit.is_valid_metric_name("")
    assert not srekit.is_valid_metric_name("a-b")


def test_label_names_reject_colons_and_dots():
    assert srekit.is_valid_label_name("method")
    assert not srekit.is_valid_label_name("a:b")
    assert not srekit.is_valid_label_name("http.method")


def test_sanitized_names_are_valid():
    for raw in ["http.status-code", "2xx", "", "ünïcode", "a b"]:
        assert srekit.is_valid_label_name(srekit.sanitize_label_name(raw))
        assert srekit.is_valid_metric_name(srekit.sanitize_metric_name(raw))
    assert srekit.sanitize_label_name("http.status-code") == "http_status_code"
    assert srekit.sanitize_metric_name("app.requests") == "app_requests"


def test_version_is_the_crate_version():
    assert srekit.__version__.count(".") == 2
