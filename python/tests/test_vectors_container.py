"""The shared container-envelope and multi-line vectors (tests/vectors/container/cases.json, also run
by the Rust and Node tests): ``Parser(format, container=..., multiline=...)`` and ``parse_many`` give
the same records (in the same order) and errors (with the line of their first piece) as the core."""

import pytest

import srekit
from helpers import load_vectors


def cases():
    return [pytest.param(case, id=case["name"]) for case in load_vectors("container/cases.json")]


def input_bytes(case):
    out = bytearray()
    for line in case["lines"]:
        out += line.encode() if isinstance(line, str) else bytes.fromhex(line["hex"])
        out += b"\n"
    return bytes(out)


@pytest.mark.parametrize("case", cases())
def test_container_vector(case):
    spec = dict(case["spec"])
    parser = srekit.Parser(spec.pop("format"), **spec)
    errors = []
    records = parser.parse_many(input_bytes(case), errors=errors)
    assert records == [r["fields"] for r in case["records"]]
    assert [e.line for e in errors] == [e["line"] for e in case["errors"]], [str(e) for e in errors]
    for got, want in zip(errors, case["errors"]):
        assert want["contains"] in str(got)


def test_bad_container_and_multiline_options_raise_with_the_core_message():
    with pytest.raises(ValueError, match="unknown container format"):
        srekit.Parser("raw", container="podman")
    with pytest.raises(ValueError, match="either `start` or `preset`"):
        srekit.Parser("raw", multiline={"max_lines": 3})
    with pytest.raises(ValueError, match="multiline: unknown field"):
        srekit.Parser("raw", multiline={"preset": "java", "maxlines": 3})


def test_single_line_parse_unwraps_the_envelope():
    parser = srekit.Parser("logfmt", container="auto")
    line = '{"log":"a=1\\n","stream":"stderr","time":"2024-05-01T10:00:00Z"}'
    assert parser.parse(line) == {"a": "1", "stream": "stderr", "time": "2024-05-01T10:00:00Z"}


def test_parse_file_joins_pieces_across_chunks(tmp_path):
    path = tmp_path / "0.log"
    path.write_bytes(b"2024-05-01T10:00:00Z stdout P " + b"a" * 5000 + b"\n2024-05-01T10:00:00Z stdout F b\n")
    parser = srekit.Parser("raw", container="cri")
    assert parser.framed and not srekit.Parser("raw").framed
    records = list(parser.parse_file(path, chunk_size=1024))
    assert [r["message"] for r in records] == ["a" * 5000 + "b"]
