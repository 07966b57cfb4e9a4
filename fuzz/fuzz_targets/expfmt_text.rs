//! Fuzz target: the exposition-format parser must never panic; whatever it accepts must encode with
//! its names kept (`allow-utf-8`) and parse again to the same number of families, and must encode
//! under the default escaping (underscores) to text that parses. Escaping may merge families whose
//! UTF-8 names differ only outside the legacy charset (`"\u{19} PE"` and `"  PE"` are both `__PE`),
//! so only the names-kept round trip keeps the count.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srekit::expfmt::{encode_body_with, encode_to_string, finish, parse, parse_text, Format, NameEscaping};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = parse(text, Format::OpenMetrics);
    if let Ok(families) = parse_text(text) {
        let mut kept = Vec::new();
        encode_body_with(&families, Format::OpenMetrics, NameEscaping::AllowUtf8, &mut kept);
        finish(Format::OpenMetrics, &mut kept);
        let kept = String::from_utf8(kept).expect("our output is UTF-8");
        let reparsed = parse_text(&kept).expect("our own OpenMetrics output (names kept) parses");
        assert_eq!(reparsed.len(), families.len(), "family count changed:\n{text:?}\n{kept}");
        let escaped = encode_to_string(&families, Format::OpenMetrics);
        let reparsed = parse_text(&escaped).expect("our own OpenMetrics output (escaped) parses");
        assert!(reparsed.len() <= families.len(), "escaping added families:\n{text:?}\n{escaped}");
    }
});
