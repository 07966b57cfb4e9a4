"""The shared log-parsing vectors (tests/vectors/logs/*.json, also run by the Rust and Node tests):
Parser.parse must give the core's map view, types included (2 and 2.0 differ, as in serde_json),
the same error offsets and messages, and the same timestamps."""

import base64
import glob
import json
import os

import pytest

import srekit
from helpers import VECTORS

TIMESTAMP = "__srekit_vector_timestamp__"


def cases():
    out = []
    for path in sorted(glob.glob(str(VECTORS / "logs" / "*.json"))):
        with open(path, encoding="utf-8") as f:
            for case in json.load(f):
                out.append(pytest.param(case, id="%s: %s" % (os.path.basename(path), case["name"])))
    return out


CASES = cases()


def same(got, want):
    """Equal values of equal JSON types: int is not float, bool is not int."""
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    if isinstance(want, int) and not isinstance(want, bool):
        return type(got) is int and got == want
    if isinstance(want, float):
        return type(got) is float and got == want
    if isinstance(want, dict):
        return (isinstance(got, dict) and list(got) == list(want)
                and all(same(got[k], want[k]) for k in want))
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(same(g, w) for g, w in zip(got, want))
    return type(got) is type(want) and got == want


def parser_for(case):
    options = dict(case.get("options", {}))
    kwargs = {"timestamp_field": TIMESTAMP}
    if case["format"] == "regex":
        kwargs["regex"] = options.pop("regex")
    for key in ("types", "time_key", "time_format", "lossy_utf8", "max_line_length"):
        if key in options:
            kwargs[key] = options.pop(key)
    assert not options, "vector option not handled by this runner: %s" % sorted(options)
    return srekit.Parser(case["format"], **kwargs)


def test_vector_files_are_present():
    assert (VECTORS / "logs").is_dir(), "tests/vectors/logs is part of every checkout"
    assert len(CASES) > 100


@pytest.mark.parametrize("case", CASES)
def test_log_vector(case):
    parser = parser_for(case)
    line = base64.b64decode(case["input_base64"]) if "input_base64" in case else case["input"]
    if "error" in case:
        with pytest.raises(srekit.LogParseError) as info:
            parser.parse(line)
        expected = case["error"]
        assert expected["contains"] in str(info.value)
        if "offset" in expected:
            assert info.value.offset == expected["offset"]
        return
    record = parser.parse(line)
    timestamp = record.pop(TIMESTAMP)
    assert same(record, case["expect"]), (record, case["expect"])
    if "timestamp" in case:
        if case["timestamp"] is None:
            assert timestamp is None
        else:
            assert timestamp == pytest.approx(case["timestamp"], abs=1e-6)
    # The buffer call agrees with the one-line call on the same input (it skips empty lines).
    data = (line if isinstance(line, bytes) else line.encode()).rstrip(b"\r\n")
    many = parser.parse_many(data + b"\n")
    if data:
        assert len(many) == 1 and same(many[0], dict(record, **{TIMESTAMP: timestamp}))
    else:
        assert many == []
