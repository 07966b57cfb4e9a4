"""The shared exposition vectors (tests/vectors/expfmt, also run by the Rust and Node tests): the
Python binding must produce exactly the same output and the same parse results as the core."""

import pytest

import srekit
from helpers import json_float, load_vectors

REGISTRY_CASES = load_vectors("expfmt/registry.json")
PARSE_CASES = load_vectors("expfmt/parse.json")
NEGOTIATE_CASES = load_vectors("expfmt/negotiate.json")


def number(value):
    return float(value) if isinstance(value, str) else value


def apply(registry, metrics, op):
    """Runs one vector operation on a registry; `metrics` maps creation names to metric objects."""
    kind = op["op"]
    if kind in ("counter", "gauge", "summary"):
        metrics[op["name"]] = getattr(registry, kind)(op["name"], op["help"], op["labels"])
    elif kind == "histogram":
        metrics[op["name"]] = registry.histogram(op["name"], op["help"], op["labels"], buckets=[number(b) for b in op["buckets"]])
    else:
        child = metrics[op["metric"]].labels(*op["labels"])
        if kind in ("inc", "dec") and "value" not in op:
            getattr(child, kind)()
        else:
            getattr(child, kind)(number(op["value"]))


def without_created(text):
    return "".join(line for line in text.splitlines(keepends=True) if "_created" not in line)


@pytest.mark.parametrize("case", REGISTRY_CASES, ids=[c["name"] for c in REGISTRY_CASES])
def test_registry_vector(case):
    registry, metrics = srekit.Registry(), {}
    for op in case["ops"]:
        if "error" in op:
            with pytest.raises(ValueError) as info:
                apply(registry, metrics, op)
            assert op["error"] in str(info.value)
        else:
            apply(registry, metrics, op)
    if "text" in case:
        assert registry.encode("text").decode() == case["text"]
    if "openmetrics" in case:
        assert without_created(registry.encode("openmetrics").decode()) == without_created(case["openmetrics"])
    for expose in case.get("expose", []):
        body, content_type = registry.expose(expose["accept"])
        assert content_type == expose["content_type"]
        assert without_created(body.decode()) == expose["body"]


@pytest.mark.parametrize("case", PARSE_CASES, ids=[c["name"] for c in PARSE_CASES])
def test_parse_vector(case):
    if "error" in case:
        with pytest.raises(srekit.ExpositionError) as info:
            srekit.parse_text(case["input"])
        expected = case["error"]
        assert (info.value.line, info.value.column) == (expected["line"], expected["column"])
        assert expected["contains"] in str(info.value)
        return
    got = []
    for family in srekit.parse_text(case["input"]):
        d = family.to_dict()
        for sample in d["samples"]:
            sample["value"] = json_float(sample["value"])
        got.append(d)
    assert got == case["families"]


@pytest.mark.parametrize("case", NEGOTIATE_CASES, ids=[c["name"] for c in NEGOTIATE_CASES])
def test_negotiate_vector(case):
    """expose(accept) answers with the exporter's Content-Type and the negotiated format's body."""
    registry = srekit.Registry()
    registry.counter("requests_total", "Requests.", ["code"]).labels("200").inc()
    body, content_type = registry.expose(case["accept"])
    assert content_type == case["content_type"]
    assert isinstance(body, bytes)
    assert body == registry.encode(case["format"])
    assert srekit.negotiate(case["accept"] or "") == case["format"]
