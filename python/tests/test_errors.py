"""One error of each kind (tests/vectors/errors, also run by the Node tests): its class, its stable
`.code` from the core, and its message, which Node throws word for word."""

import pytest

import srekit
from helpers import load_vectors

CASES = load_vectors("errors/errors.json")["cases"]


def _label_mismatch():
    srekit.Registry().counter("jobs_total", "x", ["a"]).labels("1", "2")


def _invalid_value():
    srekit.Registry().counter("jobs_total", "x", ["a"]).labels("1").inc(-1)


def _duplicate():
    registry = srekit.Registry()
    registry.counter("dup_total", "x", ["a"])
    registry.counter("dup_total", "x", ["a"])


RAISE = {
    "metric_invalid_name": lambda: srekit.Registry().counter("", "x"),
    "metric_duplicate": _duplicate,
    "metric_label_mismatch": _label_mismatch,
    "metric_invalid_buckets": lambda: srekit.Registry().histogram("h", "x", buckets=[1, 0.5]),
    "metric_invalid_value": _invalid_value,
    "exposition_parse": lambda: srekit.parse_text('up{job="a" 1\n'),
    "exposition_unknown_format": lambda: srekit.Registry().encode("xml"),
    "log_line": lambda: srekit.parse_logfmt('a=1 b="open'),
    "log_config": lambda: srekit.Parser("logfmt", types={"a": "decimal"}),
    "config_invalid": lambda: srekit.Rules([{"name": "g", "kind": "gauge"}]),
    "host_unknown_collector": lambda: srekit.collect_host(collectors=["nope"]),
    "host_invalid_option": lambda: srekit.collect_host(netdev_device_exclude="("),
}


def test_every_vector_case_is_raised_here():
    assert sorted(RAISE) == sorted(case["case"] for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["case"] for case in CASES])
def test_error_class_code_and_message(case):
    with pytest.raises(srekit.SrekitError) as info:
        RAISE[case["case"]]()
    err = info.value
    assert type(err) is getattr(srekit, case["python_class"])
    assert isinstance(err, ValueError)
    assert err.code == case["code"]
    if "message" in case:
        assert str(err) == case["message"]
    else:
        assert str(err).startswith(case["message_prefix"])


def test_positions_stay_attributes():
    with pytest.raises(srekit.ExpositionError) as info:
        srekit.parse_text('up{job="a" 1\n')
    assert (info.value.line, info.value.column, info.value.code) == (1, 12, "exposition.parse")
    with pytest.raises(srekit.LogParseError) as info:
        srekit.parse_logfmt('a=1 b="open')
    assert (info.value.offset, info.value.line, info.value.code) == (6, None, "log.line")


def test_rule_errors_are_config_errors_not_metric_errors():
    # The registry refusing a rule's metric is still a mistake in the rules.
    with pytest.raises(srekit.ConfigError) as info:
        srekit.Rules([{"name": "", "kind": "counter"}])
    assert not isinstance(info.value, srekit.MetricError)
    assert info.value.code == "config.invalid"
    assert str(info.value).startswith("invalid rules: ")


def test_bad_utf8_exposition_names_its_line_and_column():
    with pytest.raises(srekit.ExpositionError) as info:
        srekit.parse_text(b"up 1\nd\xffown 0\n")
    assert (info.value.line, info.value.column, info.value.code) == (2, 2, "exposition.parse")
    assert str(info.value) == "line 2, column 2: invalid UTF-8"


def test_log_parse_errors_raised_in_python_have_the_code_too():
    assert srekit.LogParseError.code == "log.line"
    assert issubclass(srekit.ConfigError, srekit.SrekitError)
    assert issubclass(srekit.SrekitError, ValueError)
