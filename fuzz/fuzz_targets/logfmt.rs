//! Fuzz target: the logfmt parser never panics; whatever it accepts re-encodes to a line that parses
//! back to the same strings.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srekit::logs::{encode_logfmt, parse_logfmt, LogFormat, Parser, ParserOptions, Value};

fuzz_target!(|data: &[u8]| {
    let mut options = ParserOptions::new(LogFormat::Logfmt);
    options.lossy_utf8 = data.first().is_some_and(|b| b & 1 == 1);
    if let Ok(parser) = Parser::new(options) {
        parser.parse_many(data, |_, _| {});
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(record) = parse_logfmt(text) else { return };
    let mut line = String::new();
    encode_logfmt(&record.fields, &mut line);
    let again = parse_logfmt(&line).expect("our own logfmt output parses");
    assert_eq!(again.fields.len(), record.fields.len(), "{text:?} -> {line:?}");
    for ((k1, v1), (k2, v2)) in record.fields.iter().zip(&again.fields) {
        assert_eq!(k1, k2);
        match v1 {
            Value::Str(_) => assert_eq!(v1, v2, "{text:?} -> {line:?}"),
            Value::Bool(true) => assert_eq!(v2.as_str(), Some("true")),
            _ => unreachable!("logfmt only yields strings and true"),
        }
    }
});
