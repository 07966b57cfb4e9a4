"""Log parsing from Python: one-line helpers, Parser.parse / parse_many / parse_file, field types,
error reporting (LogParseError with offset and line), str and bytes input, and the GIL released
while a buffer is tokenized."""

import threading
import time

import pytest

import srekit

LOGFMT = 'time=2026-11-25T12:00:00Z level=info msg="request done" method=GET path=/api status=200 duration=0.012'


def test_parse_logfmt_gives_string_fields_in_order():
    record = srekit.parse_logfmt(LOGFMT)
    assert record == {
        "time": "2026-11-25T12:00:00Z", "level": "info", "msg": "request done", "method": "GET",
        "path": "/api", "status": "200", "duration": "0.012",
    }
    assert list(record) == ["time", "level", "msg", "method", "path", "status", "duration"]


def test_str_bytes_and_bytearray_agree():
    assert srekit.parse_logfmt(LOGFMT) == srekit.parse_logfmt(LOGFMT.encode()) == srekit.parse_logfmt(
        bytearray(LOGFMT.encode()))


def test_parse_ltsv():
    assert srekit.parse_ltsv("host:10.0.0.1\tmethod:GET\tstatus:200\treqtime:0.5") == {
        "host": "10.0.0.1", "method": "GET", "status": "200", "reqtime": "0.5"}


def test_parse_json_keeps_json_types():
    record = srekit.parse_json(b'{"a": 1, "b": -2.5, "c": true, "d": null, "e": [1, "x"], "f": {"g": "h"}, "u": 18446744073709551615}')
    assert record == {"a": 1, "b": -2.5, "c": True, "d": None, "e": [1, "x"], "f": {"g": "h"}, "u": 2**64 - 1}
    assert type(record["a"]) is int and type(record["c"]) is bool


def test_parse_regex_with_named_groups_and_presets():
    assert srekit.parse_regex("GET /x 200", r"(?P<method>\S+) (?P<path>\S+) (?P<status>\d+)") == {
        "method": "GET", "path": "/x", "status": "200"}
    line = '203.0.113.9 - - [25/Nov/2026:12:00:00 +0000] "GET /index.html HTTP/1.1" 200 512 "-" "curl/8.5.0"'
    record = srekit.parse_regex(line, "nginx")
    assert "200" in record.values() or 200 in record.values()
    assert any(v == "/index.html" for v in record.values())


def test_bad_lines_raise_log_parse_error_with_offset():
    with pytest.raises(srekit.LogParseError) as info:
        srekit.parse_json('{"a": ')
    err = info.value
    assert isinstance(err, ValueError)
    assert isinstance(err.offset, int) and err.offset >= 0
    assert err.line is None
    assert "byte %d" % err.offset in str(err)


def test_types_option_converts_fields():
    parser = srekit.Parser("logfmt", types={"status": "int", "duration": "float", "cached": "bool"})
    record = parser.parse(LOGFMT + " cached=true")
    assert record["status"] == 200 and type(record["status"]) is int
    assert record["duration"] == pytest.approx(0.012)
    assert record["cached"] is True
    assert record["method"] == "GET"


def test_unknown_format_and_type_are_value_errors():
    with pytest.raises(ValueError, match="format"):
        srekit.Parser("xml")
    with pytest.raises(ValueError, match="type"):
        srekit.Parser("logfmt", types={"a": "decimal"})
    with pytest.raises(ValueError, match="needs `regex`"):
        srekit.Parser("regex")  # no pattern
    with pytest.raises(ValueError, match="invalid regex"):
        srekit.Parser("regex", regex="(unclosed")
    with pytest.raises(ValueError, match=r"only used with format \"regex\""):
        srekit.Parser("json", regex=r"(?P<a>.)")


def test_pattern_is_a_deprecated_alias_of_regex():
    with pytest.warns(DeprecationWarning, match="regex="):
        parser = srekit.Parser("regex", pattern=r"^(?P<level>\w+): (?P<msg>.*)$")
    assert parser.parse("warn: full") == {"level": "warn", "msg": "full"}
    with pytest.raises(ValueError, match="regex= only"):
        srekit.Parser("regex", regex="x", pattern="y")


def test_a_preset_name_is_accepted_as_the_regex():
    line = '10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.1" 200 5 "-" "curl"'
    assert srekit.Parser("regex", regex="nginx").parse(line) == srekit.Parser("nginx").parse(line)
    assert srekit.parse_regex(line, "nginx")["path"] == "/a"


def test_parse_many_returns_one_dict_per_good_line_and_reports_bad_ones():
    data = '{"n": 1}\n{"n": 2}\r\nnot json\n{"n": 4}\n'
    parser = srekit.Parser("json")
    errors = []
    records = parser.parse_many(data, errors=errors)
    assert [r["n"] for r in records] == [1, 2, 4]
    assert len(errors) == 1
    (err,) = errors
    assert isinstance(err, srekit.LogParseError)
    assert err.line == 3
    assert str(err).startswith("line 3: ")
    assert parser.parse_many(data.encode()) == records  # bad lines skipped when no list is given
    with pytest.raises(srekit.LogParseError) as info:
        parser.parse_many(data, strict=True)
    assert info.value.line == 3


def test_parse_many_takes_a_last_line_without_newline_and_skips_empty_lines():
    parser = srekit.Parser("logfmt")
    assert parser.parse_many("a=1\n\nb=2") == [{"a": "1"}, {"b": "2"}]
    assert parser.parse_many("") == []


def test_parse_many_matches_parse_line_by_line():
    lines = [LOGFMT.replace("status=200", "status=%d" % (200 + i)) for i in range(500)]
    parser = srekit.Parser("logfmt")
    assert parser.parse_many("\n".join(lines)) == [parser.parse(l) for l in lines]


def test_parse_file_iterates_records_across_chunks(tmp_path):
    path = tmp_path / "app.log"
    lines = ["i=%d msg=\"%s\"" % (i, "x" * (i % 50)) for i in range(3000)]
    lines[1234] = 'i=1234 msg="unterminated'
    path.write_text("\n".join(lines) + "\n")
    parser = srekit.Parser("logfmt")
    errors = []
    records = list(parser.parse_file(str(path), errors=errors, chunk_size=4096))
    expected = parser.parse_many(path.read_bytes())
    assert records == expected
    assert [int(r["i"]) for r in records][:3] == [0, 1, 2]
    if errors:  # logfmt may accept the unterminated quote; if it reports it, the line number is right
        assert [e.line for e in errors] == [1235]


def test_parse_file_skips_lines_longer_than_the_limit(tmp_path):
    path = tmp_path / "long.log"
    path.write_bytes(b"a=1\nb=" + b"x" * 5000 + b"\nc=3\n")
    parser = srekit.Parser("logfmt", max_line_length=1000)
    errors = []
    assert list(parser.parse_file(path, errors=errors, chunk_size=512)) == [{"a": "1"}, {"c": "3"}]
    assert [e.line for e in errors] == [2]
    assert [e.offset for e in errors] == [1000]
    assert str(errors[0]) == "line 2: byte 1000: line too long (5002 bytes, maximum 1000); skipped"


def test_parse_many_releases_the_gil():
    """Another Python thread keeps running while a big buffer is tokenized."""
    parser = srekit.Parser("logfmt")
    data = ("\n".join([LOGFMT] * 200_000)).encode()
    ticks = []
    done = threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0)

    t = threading.Thread(target=ticker)
    t.start()
    try:
        start = time.perf_counter()
        parser.parse_many(data)
        elapsed = time.perf_counter() - start
    finally:
        done.set()
        t.join()
    during = [x for x in ticks if start <= x <= start + elapsed]
    assert len(during) > 10


def test_parse_many_builds_the_same_dicts_as_parse_whatever_the_field_order():
    """parse_many reuses key tables and repeated values between lines; the dicts (key order
    included) must still be exactly what a fresh one-line parse gives."""
    lines = [
        "a=1 b=2 c=3", "a=1 b=2 c=3", "a=9 b=2 c=3", "b=2 a=1 c=3", "a=1 b=2", "a=1 b=2 c=3 d=4",
        "a=1 a=2 b=3", "a=1 a=2 b=3", "a=x b= c=\"q q\"", "a=x b= c=\"q q\"", "", "z=1", "a=1 b=2 c=3",
    ]
    parser = srekit.Parser("logfmt")
    many = parser.parse_many("\n".join(lines))
    single = [parser.parse(line) for line in lines if line]
    assert [list(d.items()) for d in many] == [list(d.items()) for d in single]
    many[0]["a"] = "changed"  # each dict is its own object
    assert many[1]["a"] == "1"
