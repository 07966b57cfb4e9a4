"""Log -> metrics rules from Python: the shared rule vectors (tests/vectors/rules, also run by the
Rust tests) through dicts and through raw lines, TOML configuration as the exporter reads it,
input selection, outcomes and errors."""

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families

import srekit
from helpers import load_vectors

CASES = load_vectors("rules/rules.json")


def parser_for(case, **options):
    return srekit.Parser(case["format"], time_key=case.get("time_key"), **options)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_vector_through_dicts(case):
    parser = parser_for(case, timestamp_field="__time__")
    rules = srekit.Rules(case["rules"])
    for line in case["lines"]:
        record = parser.parse(line)
        timestamp = record.pop("__time__")
        rules.apply(record, input=case.get("input", "app"), timestamp=timestamp)
    check(case, rules)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_rule_vector_through_raw_lines(case):
    rules = srekit.Rules(case["rules"])
    applied = rules.apply_lines(parser_for(case), "\n".join(case["lines"]) + "\n", input=case.get("input", "app"))
    assert applied == len([l for l in case["lines"] if l])
    check(case, rules)


def check(case, rules):
    assert rules.encode("text").decode() == case["expect_text"]
    assert rules.registry.encode("text").decode() == case["expect_text"]
    if "expect_openmetrics_lines" in case:
        om = rules.encode("openmetrics").decode()
        for line in case["expect_openmetrics_lines"]:
            assert line in om.splitlines()
        list(om_families(om))  # prometheus_client reads the exemplars too


EXPORTER_CONFIG = """
[[inputs]]
name = "api"
paths = ["/var/log/api/*.log"]
format = "logfmt"

[[metrics]]
name = "api_requests_total"
help = "API requests."
kind = "counter"
inputs = ["api"]
labels = ["status"]

[[metrics]]
name = "api_request_seconds"
help = "API latency."
kind = "histogram"
value = "duration_ms"
scale = 0.001
buckets = [0.1, 1.0]
"""


def test_toml_config_as_the_exporter_reads_it_and_input_selection():
    registry = srekit.Registry()
    rules = srekit.Rules(toml=EXPORTER_CONFIG, registry=registry)
    parser = srekit.Parser("logfmt")
    assert rules.apply(parser.parse("status=200 duration_ms=50"), input="api") == ["updated", "updated"]
    assert rules.apply(parser.parse("status=500 duration_ms=oops"), input="api") == ["updated", "skipped_value"]
    # Another input: only the rule without an `inputs` list applies.
    assert rules.apply(parser.parse("status=200 duration_ms=2000"), input="web") == ["updated"]
    text = registry.encode().decode()  # the rules write into the registry they were given
    assert 'api_requests_total{status="200"} 1\n' in text
    assert 'api_requests_total{status="500"} 1\n' in text
    assert 'api_request_seconds_bucket{le="0.1"} 1\n' in text
    assert "api_request_seconds_count 2\n" in text
    assert 'srekit_log_records_skipped_total{metric="api_request_seconds",reason="value"} 1\n' in text


def test_dict_records_of_any_python_values():
    rules = srekit.Rules([
        {"name": "jobs_total", "kind": "counter", "labels": {"queue": "job.queue"}, "match": {"ok": "true"}},
        {"name": "job_seconds", "kind": "gauge", "value": "job.seconds", "labels": ["worker"]},
    ])
    outcomes = rules.apply({"job": {"queue": "fast", "seconds": 1.5}, "ok": True, "worker": 7})
    assert outcomes == ["updated", "updated"]
    assert rules.apply({"job": {"queue": "fast", "seconds": 2}, "ok": False, "worker": 7}) == ["not_matched", "updated"]
    text = rules.encode().decode()
    assert 'jobs_total{queue="fast"} 1\n' in text
    assert 'job_seconds{worker="7"} 2\n' in text


def test_series_cap_drops_and_counts():
    rules = srekit.Rules([{"name": "users_total", "kind": "counter", "labels": ["user"], "max_series": 2}])
    outcomes = [rules.apply({"user": u})[0] for u in ["a", "b", "c", "a"]]
    assert outcomes == ["updated", "updated", "dropped_series", "updated"]
    assert 'srekit_log_series_dropped_total{metric="users_total",reason="max_series"} 1\n' in rules.encode().decode()


def test_apply_lines_reports_bad_lines():
    rules = srekit.Rules([{"name": "lines_total", "kind": "counter"}])
    errors = []
    applied = rules.apply_lines(srekit.Parser("json"), b'{"a":1}\nnot json\n{"a":2}\n', errors=errors)
    assert applied == 2
    assert [e.line for e in errors] == [2]
    assert isinstance(errors[0], srekit.LogParseError)
    assert "lines_total 2\n" in rules.encode().decode()


@pytest.mark.parametrize("bad", [
    [{"name": "g", "kind": "gauge"}],                                 # a gauge needs `value`
    [{"name": "x_total", "kind": "counter", "match": {"a": "("}}],    # bad regex
    [{"name": "x_total", "kind": "counter", "colour": "red"}],        # unknown key
    [{"name": "x_total", "kind": "meter"}],                           # unknown kind
])
def test_bad_rules_are_value_errors(bad):
    with pytest.raises(ValueError, match="invalid rules"):
        srekit.Rules(bad)


def test_bad_toml_is_a_value_error():
    with pytest.raises(ValueError, match="invalid rules"):
        srekit.Rules(toml="[[metrics]]\nname = ")
