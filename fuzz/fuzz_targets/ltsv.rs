//! Fuzz target: the LTSV parser never panics, and every field it returns is a slice of the line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srekit::logs::{LogFormat, Parser, ParserOptions};

fuzz_target!(|data: &[u8]| {
    let Ok(parser) = Parser::new(ParserOptions::new(LogFormat::Ltsv)) else { return };
    parser.parse_many(data, |_, result| {
        if let Ok(record) = result {
            for (label, value) in &record.fields {
                assert!(!label.is_empty() && !label.contains('\t') && !label.contains(':'));
                assert!(!value.as_str().unwrap_or_default().contains('\t'));
            }
        }
    });
});
