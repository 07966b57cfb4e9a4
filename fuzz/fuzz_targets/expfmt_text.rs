//! Fuzz target: the exposition-format parser must never panic, and whatever it accepts must encode
//! and parse again to the same number of families.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srekit::expfmt::{encode_to_string, parse, parse_text, Format};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse(text, Format::OpenMetrics);
    if let Ok(families) = parse_text(text) {
        let again = encode_to_string(&families, Format::OpenMetrics);
        let reparsed = parse_text(&again).expect("our own OpenMetrics output parses");
        assert_eq!(reparsed.len(), families.len(), "family count changed:\n{text:?}\n{again}");
    }
});
