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


@pytest.mark.parametrize("case", cases())
def test_container_vector_through_parse_file_in_small_chunks(case, tmp_path):
    # Pieces, escapes, UTF-8 sequences and multi-line events straddle chunk boundaries: the native
    # feed carries them from chunk to chunk, so every chunk size gives the vector's result.
    spec = dict(case["spec"])
    parser = srekit.Parser(spec.pop("format"), **spec)
    data = input_bytes(case)
    path = tmp_path / "0.log"
    path.write_bytes(data)
    for size in (1, 2, 3, 7, 64, len(data)):
        errors = []
        records = list(parser.parse_file(path, errors=errors, chunk_size=size))
        assert records == [r["fields"] for r in case["records"]], size
        assert [e.line for e in errors] == [e["line"] for e in case["errors"]], (size, [str(e) for e in errors])
        for got, want in zip(errors, case["errors"]):
            assert want["contains"] in str(got)
        if case["errors"]:
            with pytest.raises(srekit.LogParseError) as raised:
                list(parser.parse_file(path, strict=True, chunk_size=size))
            assert raised.value.line == case["errors"][0]["line"]


def test_parse_many_of_a_framed_parser_numbers_lines_from_first_line():
    parser = srekit.Parser("logfmt", container="cri")
    data = b"2024-05-01T10:00:00Z stdout P a=\n2024-05-01T10:00:00Z stdout F 1\nbroken\n" * 40_000
    errors = []
    records = parser.parse_many(data, errors=errors, first_line=10)
    assert len(records) == 40_000 and records[-1]["a"] == "1"
    assert [e.line for e in errors[:2]] == [12, 15] and len(errors) == 40_000


MEMORY_CHILD = r"""
import sys, srekit

def peak_kib():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))

parser = srekit.Parser("raw", container="cri", multiline={"start": "^event"})
before = peak_kib()
count = length = 0
for record in parser.parse_file(sys.argv[1]):
    count += 1
    length += len(record["message"])
print(count, length, peak_kib() - before)
"""


def test_parse_file_of_a_framed_parser_streams_a_large_file_in_bounded_memory(tmp_path):
    # ~200 MB of CRI lines: each event is a partial piece, its final piece and a continuation line
    # (a multi-line event), so pieces and events straddle every 1 MiB chunk boundary.
    import subprocess
    import sys

    event = (
        b"2024-05-01T10:00:00.000000001Z stdout P event " + b"x" * 900 + b"\n"
        b"2024-05-01T10:00:00.000000002Z stdout F " + b"y" * 900 + b"\n"
        b"2024-05-01T10:00:00.000000003Z stdout F   continued\n"
    )
    block = event * 1000
    repeats = 200 * (1 << 20) // len(block)
    path = tmp_path / "big.log"
    with open(path, "wb") as f:
        for _ in range(repeats):
            f.write(block)
    size = path.stat().st_size
    done = subprocess.run([sys.executable, "-c", MEMORY_CHILD, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    count, length, growth_kib = map(int, done.stdout.split())
    assert count == repeats * 1000
    assert length == count * len("event " + "x" * 900 + "y" * 900 + "\n  continued")
    # The whole file read at once would need its 200 MB and more; the feed needs a few chunks.
    assert growth_kib * 1024 < size // 8, f"peak RSS grew {growth_kib} KiB for a {size}-byte file"


def test_a_slow_reader_of_parse_file_gets_whole_multiline_events(tmp_path):
    # `timeout` only matters to live tails: a consumer pausing between records (and chunks) still gets
    # each event whole, and the end of the file emits the last one.
    import time

    path = tmp_path / "0.log"
    path.write_bytes(b"S one\n more\nS two\n more\n and more\n")
    parser = srekit.Parser("raw", multiline={"start": "^S", "timeout": "1ms"})
    messages = []
    for record in parser.parse_file(path, chunk_size=4):
        time.sleep(0.01)
        messages.append(record["message"])
    assert messages == ["S one\n more", "S two\n more\n and more"]
