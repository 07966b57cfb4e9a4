//! Property tests for the log parsers: no panic on any bytes in any format, `parse_many` agreeing with
//! `parse` line by line, logfmt and LTSV encode -> parse round trips, JSON agreeing with serde_json on generated documents, and the streaming splitter
//! giving the same lines however the stream is cut into chunks.

use std::borrow::Cow;

use proptest::prelude::*;
use srekit::logs::{
    encode_logfmt, lines, parse_json, parse_logfmt, parse_ltsv, text_lines, FieldType, LineError,
    LineSplitter, LogFormat, Parser, ParserOptions, SplitEvent, Value,
};

fn all_parsers() -> &'static [Parser] {
    static PARSERS: std::sync::OnceLock<Vec<Parser>> = std::sync::OnceLock::new();
    PARSERS.get_or_init(build_parsers)
}

fn build_parsers() -> Vec<Parser> {
    let formats = [
        LogFormat::Logfmt,
        LogFormat::Ltsv,
        LogFormat::Json,
        LogFormat::Nginx,
        LogFormat::NginxCommon,
        LogFormat::Apache,
        LogFormat::ApacheCommon,
        LogFormat::SyslogRfc3164,
        LogFormat::SyslogRfc5424,
        LogFormat::Regex(r"^(?<a>\S*) (?<b>\d*)(?: (?<c>.*))?$".into()),
    ];
    formats
        .into_iter()
        .flat_map(|format| {
            let plain = ParserOptions::new(format.clone());
            let mut typed = ParserOptions::new(format);
            typed.types = vec![
                ("a".into(), FieldType::Int),
                ("b".into(), FieldType::Float),
                ("c".into(), FieldType::Bool),
                ("time".into(), FieldType::String),
            ];
            typed.time_key = Some("a".into());
            typed.lossy_utf8 = true;
            typed.max_line_length = 64;
            [plain, typed]
        })
        .map(|options| Parser::new(options).expect("valid options"))
        .collect()
}

/// Bytes that look a bit like log lines, so the parsers get past their first checks.
fn loggy_bytes() -> impl Strategy<Value = Vec<u8>> {
    let pieces = prop_oneof![
        Just(b"a=".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"\\".to_vec()),
        Just(b"\\u".to_vec()),
        Just(b"\t".to_vec()),
        Just(b":".to_vec()),
        Just(b" ".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"[".to_vec()),
        Just(b"\"k\":".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"b=\"x y\" ".to_vec()),
        Just(b"key:value\t".to_vec()),
        Just(b"<34>".to_vec()),
        Just(b"[10/Oct/2000:13:55:36 -0700]".to_vec()),
        Just(b"2023-11-14T22:13:20Z".to_vec()),
        Just("é".as_bytes().to_vec()),
        Just(vec![0xff]),
        proptest::collection::vec(any::<u8>(), 0..8),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn no_parser_panics_on_any_bytes(data in prop_oneof![proptest::collection::vec(any::<u8>(), 0..300), loggy_bytes()]) {
        for parser in all_parsers() {
            let _ = parser.parse(&data);
            let mut lines_seen = 0;
            parser.parse_many(&data, |line_no, result| {
                lines_seen = line_no;
                if let Ok(record) = result {
                    let _ = record.to_json();
                    for (_, value) in &record.fields {
                        let _ = value.to_label_string();
                        let _ = value.as_f64();
                    }
                    let _ = record.get("a.b.0");
                }
            });
            prop_assert!(lines_seen <= data.iter().filter(|b| **b == b'\n').count() + 1);
        }
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = parse_logfmt(text);
            let _ = parse_ltsv(text);
            let _ = parse_json(text);
        }
    }

    /// `parse_many` (which walks a valid UTF-8 buffer whole for logfmt and LTSV) reports exactly what
    /// parsing each of its lines (split by `text_lines`) with `parse_str` reports, after the length
    /// check: same numbers, records, errors and offsets.
    #[test]
    fn parse_many_agrees_with_parsing_line_by_line(data in loggy_bytes()) {
        let Ok(text) = std::str::from_utf8(&data) else { return Ok(()) };
        for parser in all_parsers() {
            let max = parser.options().max_line_length;
            let expected: Vec<_> = text_lines(text)
                .enumerate()
                .filter(|(_, line)| !line.is_empty())
                .map(|(index, line)| {
                    let result = if line.len() > max {
                        Err(LineError {
                            offset: max,
                            message: format!("line too long ({} bytes, maximum {max}); skipped", line.len()),
                        })
                    } else {
                        parser.parse_str(line).map(|r| r.into_owned())
                    };
                    (index + 1, result)
                })
                .collect();
            let mut got = Vec::new();
            parser.parse_many(&data, |line_no, result| got.push((line_no, result.map(|r| r.into_owned()))));
            prop_assert_eq!(&got, &expected, "{:?} on {:?}", parser.options().format, String::from_utf8_lossy(&data));
            let mut lent = Vec::new();
            parser.parse_many_ref(&data, |line_no, result| {
                lent.push((line_no, result.map(|r| r.clone().into_owned()).map_err(Clone::clone)))
            });
            prop_assert_eq!(&lent, &expected);
        }
    }

    #[test]
    fn logfmt_encode_then_parse_round_trips(
        fields in proptest::collection::vec(("[^\\x00-\\x20=\"]{1,12}", any::<String>()), 0..8)
    ) {
        let fields: Vec<(Cow<'_, str>, Value<'_>)> =
            fields.iter().map(|(k, v)| (Cow::Borrowed(k.as_str()), Value::Str(Cow::Borrowed(v.as_str())))).collect();
        let mut line = String::new();
        encode_logfmt(&fields, &mut line);
        let record = parse_logfmt(&line).map_err(|e| TestCaseError::fail(format!("{e} in {line:?}")))?;
        prop_assert_eq!(record.fields, fields, "line {:?}", line);
    }

    #[test]
    fn ltsv_fields_round_trip(
        fields in proptest::collection::vec(("[^\\t\\r\\n:]{1,12}", "[^\\t\\r\\n]{0,20}"), 1..8)
    ) {
        let line = fields.iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join("\t");
        let record = parse_ltsv(&line).map_err(|e| TestCaseError::fail(format!("{e} in {line:?}")))?;
        let got: Vec<(String, String)> =
            record.fields.iter().map(|(k, v)| (k.to_string(), v.as_str().unwrap_or("?").to_owned())).collect();
        prop_assert_eq!(got, fields);
    }

    #[test]
    fn json_agrees_with_serde_json(doc in json_object()) {
        let line = doc.to_string();
        let record = parse_json(&line).map_err(|e| TestCaseError::fail(format!("{e} in {line}")))?;
        prop_assert_eq!(record.to_json(), doc);
    }

    #[test]
    fn splitter_output_does_not_depend_on_chunking(
        data in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), Just(b'a'), Just(b'b')], 0..200),
        cuts in proptest::collection::vec(0usize..200, 0..10),
        max in 1usize..12,
    ) {
        let expected: Vec<String> = lines(&data)
            .enumerate()
            .map(|(i, line)| if line.len() > max {
                format!("{}:too long {}", i + 1, line.len())
            } else {
                format!("{}:{}", i + 1, String::from_utf8_lossy(line))
            })
            .collect();
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
        cuts.sort_unstable();
        let mut splitter = LineSplitter::new(max);
        let mut got = Vec::new();
        let mut on_line = |event: SplitEvent<'_>| got.push(match event {
            SplitEvent::Line { number, line } => format!("{number}:{}", String::from_utf8_lossy(line)),
            SplitEvent::TooLong { number, length } => format!("{number}:too long {length}"),
        });
        let mut start = 0;
        for cut in cuts {
            splitter.push(&data[start..cut], &mut on_line);
            start = cut;
        }
        splitter.push(&data[start..], &mut on_line);
        splitter.finish(&mut on_line);
        prop_assert!(splitter.buffered() <= max + 1);
        prop_assert_eq!(got, expected);
    }
}

fn json_leaf() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<u64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(serde_json::Value::from),
        any::<String>().prop_map(serde_json::Value::String),
    ]
}

fn json_object() -> impl Strategy<Value = serde_json::Value> {
    let value = json_leaf().prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    proptest::collection::btree_map(any::<String>(), value, 0..8)
        .prop_map(|m| serde_json::Value::Object(m.into_iter().collect()))
}
