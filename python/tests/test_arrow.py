"""Parser.parse_arrow: the shared log vectors (tests/vectors/logs, also run by the Rust and Node tests)
parsed into Arrow columns and read by pyarrow and polars through the Arrow PyCapsule interface must hold
what parse_many gives for the same buffer; then the typing rules, options and errors."""

import collections
import json

import pytest

import srekit
from helpers import load_vectors, VECTORS

pa = pytest.importorskip("pyarrow")
pl = pytest.importorskip("polars")

FILES = sorted(p.name for p in (VECTORS / "logs").glob("*.json"))


def buffers(file):
    """The file's cases grouped by parser, each group's lines as one buffer: (parser, bytes)."""
    groups = collections.OrderedDict()
    for case in load_vectors("logs/" + file):
        if "input" not in case:
            continue
        line = case["input"].rstrip("\r\n")
        if "\n" in line or "\r" in line:
            continue
        options = dict(case.get("options", {}))
        key = json.dumps([case["format"], options], sort_keys=True)
        groups.setdefault(key, (case["format"], options, []))[2].append(line)
    for fmt, options, lines in groups.values():
        yield srekit.Parser(fmt, **options), ("\n".join(lines) + "\n").encode()


def as_text(value):
    """How a non-string value reads in a column that fell back to utf8."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return repr(value).replace("e+", "e")  # shortest round trip, as Rust's ryu writes it
    if isinstance(value, (dict, list)):
        # compact JSON; object members in key order, as the core's serde_json map keeps them
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, sort_keys=True)
    return str(value)


def same_cell(got, want, arrow_type):
    if want is None:
        return got is None
    if got is None:
        return False
    if pa.types.is_floating(arrow_type):
        return isinstance(want, (int, float)) and not isinstance(want, bool) and float(want) == got
    if pa.types.is_string(arrow_type) and not isinstance(want, str):
        return got == as_text(want)
    return type(got) is type(want) and got == want


@pytest.mark.parametrize("file", FILES)
def test_vectors_into_pyarrow_equal_parse_many(file):
    checked = 0
    for parser, data in buffers(file):
        columns = parser.parse_arrow(data)
        errors = []
        records = parser.parse_many(data, errors=errors)
        table = pa.table(columns)
        assert table.num_rows == len(records) == columns.num_rows == len(columns)
        assert table.column_names == columns.column_names
        assert [(e.line, e.offset, str(e)) for e in columns.errors] == [(e.line, e.offset, str(e)) for e in errors]
        rows = table.to_pylist()
        for row, record in zip(rows, records):
            assert set(record) <= set(row)
            for name in table.column_names[1:]:
                field_type = table.schema.field(name).type
                assert same_cell(row[name], record.get(name), field_type), (file, name, row[name], record.get(name))
        checked += len(rows)
    assert checked > 0 or file in ("limits.json", "utf8.json")  # their cases are errors or raw bytes


@pytest.mark.parametrize("file", ["logfmt.json", "json.json", "types.json", "regex.json"])
def test_vectors_into_polars_equal_pyarrow(file):
    for parser, data in buffers(file):
        columns = parser.parse_arrow(data)
        expected = pa.table(columns)
        for frame in (pl.DataFrame(columns), pl.from_arrow(pa.table(columns))):
            assert frame.columns == expected.column_names
            assert frame.height == expected.num_rows
            assert frame.to_dicts() == expected.to_pylist()


def test_columns_are_typed_and_null_where_a_record_lacks_the_field():
    parser = srekit.Parser("logfmt", types={"status": "int", "duration": "float", "ok": "bool"})
    data = b"status=200 duration=0.25 ok=true path=/a\nstatus=503 path=/b\nmsg=\"open\nok=false\n"
    columns = parser.parse_arrow(data)
    table = pa.table(columns)
    assert table.schema.names == ["line", "status", "duration", "ok", "path"]
    assert [str(t) for t in table.schema.types] == ["int64", "int64", "double", "bool", "string"]
    assert table.column("line").to_pylist() == [1, 2, 4]
    assert table.column("status").to_pylist() == [200, 503, None]
    assert table.column("ok").to_pylist() == [True, None, False]
    assert [(e.line, e.offset) for e in columns.errors] == [(3, 4)]
    assert isinstance(columns.errors[0], srekit.LogParseError)
    frame = pl.DataFrame(columns)
    assert frame["duration"].to_list() == [0.25, None, None]
    assert "LogColumns(3 rows" in repr(columns)


def test_json_ints_and_floats_make_float64_other_mixes_utf8():
    columns = srekit.Parser("json").parse_arrow('{"n":1,"m":1}\n{"n":0.5,"m":"x","o":{"a":[1]}}\n')
    table = pa.table(columns)
    assert [str(t) for t in table.schema.types] == ["int64", "double", "string", "string"]
    assert table.to_pylist()[1] == {"line": 2, "n": 0.5, "m": "x", "o": '{"a":[1]}'}
    assert table.column("m").to_pylist() == ["1", "x"]


def test_fields_first_line_line_column_strict_and_timestamps():
    parser = srekit.Parser("logfmt", time_key="ts", timestamp_field="timestamp")
    data = "ts=2023-11-14T22:13:20Z a=1 b=2\nb=3\n"
    table = pa.table(parser.parse_arrow(data, fields=["b", "zzz"], first_line=10))
    assert table.column_names == ["line", "b", "zzz", "timestamp"]
    assert table.column("line").to_pylist() == [10, 11]
    assert table.column("zzz").null_count == 2
    assert table.column("timestamp").to_pylist() == [1700000000.0, None]
    assert pa.table(parser.parse_arrow(data, line_column=None)).column_names[0] == "ts"
    with pytest.raises(srekit.LogParseError) as info:
        parser.parse_arrow("a=1\nb=\"open\n", strict=True)
    assert info.value.line == 2


def test_capsules_stream_array_and_schema():
    columns = srekit.Parser("ltsv").parse_arrow("a:1\tb:x\na:2\n")
    batch = pa.record_batch(columns)  # __arrow_c_array__
    assert batch.num_rows == 2 and batch.column("b").to_pylist() == ["x", None]
    assert pa.schema(columns).names == ["line", "a", "b"]  # __arrow_c_schema__
    reader = pa.RecordBatchReader.from_stream(columns)  # __arrow_c_stream__, again
    assert reader.read_all().num_rows == 2
    assert pa.table(columns).equals(pa.table(columns))
    empty = srekit.Parser("json").parse_arrow(b"nope\n")
    assert pa.table(empty).num_rows == 0 and len(empty.errors) == 1
