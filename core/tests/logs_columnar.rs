//! Columnar output (`srekit::logs::columnar`, feature `arrow`) against `Parser::parse_many` on the shared
//! log vectors (tests/vectors/logs): the cases of each file that share a parser are parsed as one
//! buffer, and every row must equal the record `parse_many` gives that line, every error its error.
//! Then the typing rules (promotion, utf8 fallback, declared types), field lists, name clashes and IPC.
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::collections::BTreeMap;
use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float64Type, Int64Type, UInt64Type};
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use serde_json::{json, Value as Json};
use srekit::logs::columnar::{parse_columns, ColumnarOptions};
use srekit::logs::{Parser, ParserSpec};

fn parser(spec: Json) -> Parser {
    serde_json::from_value::<ParserSpec>(spec).unwrap().build().unwrap()
}

/// Row `row` of column `index` as JSON (`None` for a null).
fn cell(batch: &RecordBatch, index: usize, row: usize) -> Option<Json> {
    let array = batch.column(index);
    if array.is_null(row) || array.data_type() == &DataType::Null {
        return None;
    }
    Some(match array.data_type() {
        DataType::Int64 => json!(array.as_primitive::<Int64Type>().value(row)),
        DataType::UInt64 => json!(array.as_primitive::<UInt64Type>().value(row)),
        DataType::Float64 => json!(array.as_primitive::<Float64Type>().value(row)),
        DataType::Boolean => json!(array.as_boolean().value(row)),
        DataType::Utf8 => json!(array.as_string::<i32>().value(row)),
        other => panic!("unexpected column type {other}"),
    })
}

/// Whether a cell holds what the record's map view has: the same JSON, the same number once a column
/// of ints and floats became float64, or the value's text once a column of mixed kinds became utf8.
fn same(cell: &Option<Json>, expected: Option<&Json>, data_type: &DataType) -> bool {
    match (cell, expected) {
        (None, None | Some(Json::Null)) => true,
        (Some(got), Some(want)) if got == want => true,
        (Some(got), Some(want)) if *data_type == DataType::Float64 => got.as_f64() == want.as_f64(),
        (Some(Json::String(got)), Some(want)) => {
            // A text cell of a non-string value: compare with how the value reads as text.
            let want_text = match want {
                Json::String(s) => s.clone(),
                Json::Number(n) if n.is_f64() => {
                    srekit::logs::Value::Float(n.as_f64().unwrap()).to_label_string().into_owned()
                }
                other => other.to_string(),
            };
            *got == want_text
        }
        _ => false,
    }
}

/// Checks one buffer: the batch's rows and errors against `parse_many`'s records and errors.
fn check_buffer(parser: &Parser, data: &[u8], what: &str) -> usize {
    let columns = parse_columns(parser, data, &ColumnarOptions::default()).unwrap();
    let mut records = Vec::new();
    let mut errors = Vec::new();
    parser.parse_many(data, |line, result| match result {
        Ok(record) => records.push((line, record.to_json())),
        Err(err) => errors.push((line as u64, err)),
    });
    let batch = &columns.batch;
    assert_eq!(batch.num_rows(), records.len(), "{what}: rows");
    let got_errors: Vec<_> = columns.errors.iter().map(|f| (f.line, f.error.clone())).collect();
    assert_eq!(got_errors, errors, "{what}: errors");
    let schema = batch.schema();
    for (row, (line, record)) in records.iter().enumerate() {
        assert_eq!(cell(batch, 0, row), Some(json!(*line)), "{what}: line column");
        let object = record.as_object().unwrap();
        for (index, field) in schema.fields().iter().enumerate().skip(1) {
            let got = cell(batch, index, row);
            let want = object.get(field.name());
            assert!(
                same(&got, want, field.data_type()),
                "{what}: line {line} field {}: {got:?} vs {want:?}",
                field.name()
            );
        }
        for name in object.keys() {
            assert!(schema.field_with_name(name).is_ok(), "{what}: line {line}: no column {name}");
        }
    }
    records.len()
}

#[test]
fn every_shared_vector_file_parses_into_the_records_of_parse_many() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/logs");
    let mut rows = 0;
    let mut groups = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let cases: Vec<Json> = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // The cases of one file that share a parser, as one buffer of lines.
        let mut buffers: BTreeMap<String, (Json, Vec<u8>)> = BTreeMap::new();
        for case in &cases {
            let Some(input) = case["input"].as_str() else { continue };
            if input.trim_end_matches(['\r', '\n']).contains(['\n', '\r']) {
                continue; // a line with an inner line break is two lines in a buffer
            }
            let mut spec = case.get("options").cloned().unwrap_or_else(|| json!({}));
            spec["format"] = case["format"].clone();
            let buffer = &mut buffers.entry(spec.to_string()).or_insert_with(|| (spec, Vec::new())).1;
            buffer.extend_from_slice(input.trim_end_matches(['\r', '\n']).as_bytes());
            buffer.push(b'\n');
        }
        for (key, (spec, data)) in &buffers {
            let what = format!("{} {key}", path.file_name().unwrap().to_string_lossy());
            rows += check_buffer(&parser(spec.clone()), data, &what);
            groups += 1;
        }
    }
    assert!(groups > 20 && rows > 100, "only {groups} parsers and {rows} rows checked");
}

#[test]
fn ints_and_floats_make_float64_and_other_mixes_fall_back_to_utf8() {
    let parser = parser(json!({"format": "json"}));
    let data = b"{\"n\":1,\"m\":1,\"b\":true,\"o\":{\"x\":[1]}}\n{\"n\":0.5,\"m\":\"two\",\"b\":null}\n{\"m\":2.5}\n";
    let batch = parse_columns(&parser, data, &ColumnarOptions::default()).unwrap().batch;
    let schema = batch.schema();
    let types: Vec<_> = schema.fields().iter().map(|f| (f.name().as_str(), f.data_type().clone())).collect();
    assert_eq!(
        types,
        [
            ("line", DataType::Int64),
            ("n", DataType::Float64),
            ("m", DataType::Utf8),
            ("b", DataType::Boolean),
            ("o", DataType::Utf8)
        ]
    );
    assert_eq!(batch.column(1).as_primitive::<Float64Type>().values().as_ref(), [1.0, 0.5, 0.0]);
    assert!(batch.column(1).is_null(2));
    let m = batch.column(2).as_string::<i32>();
    assert_eq!((m.value(0), m.value(1), m.value(2)), ("1", "two", "2.5"));
    assert_eq!(
        (batch.column(3).null_count(), batch.column(4).as_string::<i32>().value(0)),
        (2, "{\"x\":[1]}")
    );
}

#[test]
fn declared_types_type_columns_of_nulls_and_duplicates_keep_the_last_value() {
    let parser = parser(json!({"format": "logfmt", "types": {"status": "int", "ok": "bool"}}));
    let batch =
        parse_columns(&parser, b"a=1 a=2 a=3\na=x status=oops\n", &ColumnarOptions::default()).unwrap().batch;
    let a = batch.column(1).as_string::<i32>();
    assert_eq!((a.value(0), a.value(1)), ("3", "x"));
    assert_eq!(batch.schema().field(2).data_type(), &DataType::Utf8); // "oops" did not convert
    let options =
        ColumnarOptions { fields: Some(vec!["ok".into(), "a".into()]), ..ColumnarOptions::default() };
    let batch = parse_columns(&parser, b"a=1 b=2\n", &options).unwrap().batch;
    let names: Vec<_> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["line", "ok", "a"]);
    assert_eq!((batch.schema().field(1).data_type(), batch.column(1).null_count()), (&DataType::Boolean, 1));
}

#[test]
fn line_and_timestamp_columns_are_renamed_on_a_clash_and_count_from_first_line() {
    let parser = parser(json!({"format": "logfmt", "time_key": "ts"}));
    let options = ColumnarOptions {
        timestamp_column: Some("timestamp".into()),
        first_line: 10,
        ..ColumnarOptions::default()
    };
    let data = b"line=a ts=2023-11-14T22:13:20Z\n\nline=b timestamp=x\nbad=\"open\n";
    let columns = parse_columns(&parser, data, &options).unwrap();
    let batch = &columns.batch;
    let names: Vec<_> = batch.schema().fields().iter().map(|f| f.name().clone()).collect();
    assert_eq!(names, ["_line", "line", "ts", "timestamp", "_timestamp"]);
    assert_eq!(batch.column(0).as_primitive::<Int64Type>().values().as_ref(), [10, 12]);
    let timestamps = batch.column(4).as_primitive::<Float64Type>();
    assert_eq!((timestamps.value(0), timestamps.is_null(1)), (1_700_000_000.0, true));
    assert_eq!(columns.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [13]);
    assert_eq!(columns.errors[0].error.offset, 4);
}

#[test]
fn ipc_bytes_read_back_into_the_same_batch() {
    let parser = parser(json!({"format": "ltsv", "types": {"n": "int"}}));
    let columns = parse_columns(
        &parser,
        b"n:1\tk:v\nn:2\n",
        &ColumnarOptions { line_column: None, ..Default::default() },
    )
    .unwrap();
    let bytes = columns.to_ipc().unwrap();
    let read: Vec<RecordBatch> =
        arrow_ipc::reader::StreamReader::try_new(&bytes[..], None).unwrap().map(Result::unwrap).collect();
    assert_eq!(read, std::slice::from_ref(&columns.batch));
    assert_eq!(columns.batch.num_columns(), 2);
}

#[test]
fn a_buffer_with_no_good_line_is_an_empty_batch_with_errors() {
    let parser = parser(json!({"format": "json"}));
    let columns = parse_columns(&parser, b"nope\n[1]\n", &ColumnarOptions::default()).unwrap();
    assert_eq!((columns.batch.num_rows(), columns.batch.num_columns(), columns.errors.len()), (0, 1, 2));
    assert!(!columns.to_ipc().unwrap().is_empty());
}

#[test]
fn the_null_bitmap_appears_with_the_first_null_and_duplicates_replace_values_before_and_after_it() {
    // A validity bitmap is built only once a column gets its first null (rows before it valid).
    let parser = parser(json!({"format": "logfmt", "types": {"n": "int", "f": "float"}}));
    let data = b"s=a n=1 f=0.5\ns=b n=2 n=3 f=1\ns=c\ns=d s=e n=4 f=2.5\nn=5 s=\n";
    let batch = parse_columns(&parser, data, &ColumnarOptions::default()).unwrap().batch;
    let s = batch.column(1).as_string::<i32>();
    let rows: Vec<_> = (0..5).map(|row| s.is_valid(row).then(|| s.value(row))).collect();
    assert_eq!(rows, [Some("a"), Some("b"), Some("c"), Some("e"), Some("")]);
    assert_eq!(s.null_count(), 0);
    assert!(s.nulls().is_none());
    let n = batch.column(2).as_primitive::<Int64Type>();
    let rows: Vec<_> = (0..5).map(|row| n.is_valid(row).then(|| n.value(row))).collect();
    assert_eq!(rows, [Some(1), Some(3), None, Some(4), Some(5)]);
    let f = batch.column(3).as_primitive::<Float64Type>();
    let rows: Vec<_> = (0..5).map(|row| f.is_valid(row).then(|| f.value(row))).collect();
    assert_eq!(rows, [Some(0.5), Some(1.0), None, Some(2.5), None]);
}

#[test]
fn columns_sized_from_the_first_rows_still_take_every_later_row() {
    // Past 1024 rows the columns reserve room from an estimate; later rows may be longer, missing,
    // of another type or of a new field.
    let parser = parser(json!({"format": "logfmt", "types": {"a": "int"}}));
    let mut data = String::new();
    for i in 0..3000 {
        let a = if i < 2000 { i.to_string() } else { format!("s{i}") };
        let b = if i % 7 == 0 { String::new() } else { format!(" b={}", "x".repeat(i / 100)) };
        let c = if i >= 1500 && i % 500 == 0 { " c=yes" } else { "" };
        data.push_str(&format!("a={a}{b}{c}\n"));
    }
    let batch = parse_columns(&parser, data.as_bytes(), &ColumnarOptions::default()).unwrap().batch;
    assert_eq!(batch.num_rows(), 3000);
    let a = batch.column(1).as_string::<i32>(); // ints, then strings: utf8
    let b = batch.column(2).as_string::<i32>();
    let c = batch.column(3).as_string::<i32>();
    for i in 0..3000 {
        let expected_a = if i < 2000 { i.to_string() } else { format!("s{i}") };
        assert_eq!(a.value(i), expected_a);
        assert_eq!(b.is_null(i), i % 7 == 0, "row {i}");
        if i % 7 != 0 {
            assert_eq!(b.value(i), "x".repeat(i / 100));
        }
        assert_eq!(c.is_valid(i), i >= 1500 && i % 500 == 0, "row {i}");
    }
}

#[test]
fn batches_built_in_recycled_memory_equal_those_built_in_fresh_memory() {
    // Each round recycles the previous round's columns (utf8 offsets and bytes, the int64 line
    // column), which the next, smaller and differently filled batch grows into: stale bytes must not
    // show.
    let parser = parser(json!({"format": "logfmt"}));
    let render = |round: usize| {
        let mut data = String::new();
        for i in 0..(4000 - round * 700) {
            data.push_str(&format!("k{}={} n={i}\n", round % 2, "v".repeat((i + round) % 13)));
        }
        data
    };
    let mut previous_ipc = None;
    for round in 0..4 {
        let data = render(round);
        let columns = parse_columns(&parser, data.as_bytes(), &ColumnarOptions::default()).unwrap();
        let ipc = columns.to_ipc().unwrap();
        assert_ne!(previous_ipc.as_ref(), Some(&ipc));
        let batch = &columns.batch;
        assert_eq!(batch.num_rows(), 4000 - round * 700);
        let lines = batch.column(0).as_primitive::<Int64Type>();
        let key = batch.column(1).as_string::<i32>();
        let n = batch.column(2).as_string::<i32>();
        for i in 0..batch.num_rows() {
            assert_eq!(lines.value(i), i as i64 + 1);
            assert_eq!(key.value(i), "v".repeat((i + round) % 13), "round {round}, row {i}");
            assert_eq!(n.value(i), i.to_string());
        }
        columns.recycle();
        previous_ipc = Some(ipc);
    }
}
