"""The shared parser vectors (tests/vectors/parser/*.json, also run by the Rust and Node tests):
building a Parser from a spec gives the core's errors, and a file read in chunks of any size gives
the same records and errors (line numbers, offsets, messages) as the core's Feed."""

import pytest

import srekit
from helpers import load_vectors


def spec_cases():
    return [pytest.param(case, id=case["name"]) for case in load_vectors("parser/spec.json")]


def feed_cases():
    return [pytest.param(case, id=case["name"]) for case in load_vectors("parser/feed.json")]


@pytest.mark.parametrize("case", spec_cases())
def test_spec_vector(case):
    spec = dict(case["spec"])
    fmt = spec.pop("format")
    if "error" in case:
        with pytest.raises(ValueError) as info:
            srekit.Parser(fmt, **spec)
        assert case["error"] in str(info.value)
        return
    assert srekit.Parser(fmt, **spec).parse(case["input"]) == case["expect"]


@pytest.mark.parametrize("case", feed_cases())
def test_feed_vector(case, tmp_path):
    parser = srekit.Parser(case["format"], **case.get("options", {}))
    path = tmp_path / "feed.log"
    path.write_bytes(case["input"].encode())
    for size in case["chunk_sizes"]:
        errors = []
        records = list(parser.parse_file(path, errors=errors, chunk_size=size))
        assert records == case["records"], size
        assert len(errors) == len(case["errors"]), (size, [str(e) for e in errors])
        for got, want in zip(errors, case["errors"]):
            assert (got.line, got.offset) == (want["line"], want["offset"]), (size, str(got))
            assert want["contains"] in str(got), (size, str(got))
