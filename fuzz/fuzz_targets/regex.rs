//! Fuzz target: regex presets and a user regex built from the input never panic, whatever the line.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use srekit::logs::{LogFormat, Parser, ParserOptions};

fn presets() -> &'static [Parser] {
    static PRESETS: OnceLock<Vec<Parser>> = OnceLock::new();
    PRESETS.get_or_init(|| {
        let formats = [
            LogFormat::Nginx,
            LogFormat::NginxCommon,
            LogFormat::Apache,
            LogFormat::ApacheCommon,
            LogFormat::SyslogRfc3164,
            LogFormat::SyslogRfc5424,
        ];
        formats.into_iter().filter_map(|f| Parser::new(ParserOptions::new(f)).ok()).collect()
    })
}

fuzz_target!(|data: &[u8]| {
    for parser in presets() {
        parser.parse_many(data, |_, result| {
            if let Ok(record) = result {
                let _ = record.to_json();
            }
        });
    }
    // The first line (if any) is also tried as a user pattern over the rest of the input.
    let mut parts = data.splitn(2, |b| *b == b'\n');
    let (Some(pattern), Some(rest)) = (parts.next(), parts.next()) else { return };
    let Ok(pattern) = std::str::from_utf8(pattern) else { return };
    if pattern.len() > 100 {
        return;
    }
    let mut options = ParserOptions::new(LogFormat::Regex(pattern.to_owned()));
    options.time_key = Some("t".into());
    options.time_format = (rest.len() % 2 == 1).then(|| "%d/%b/%Y:%H:%M:%S %z".into());
    if let Ok(parser) = Parser::new(options) {
        parser.parse_many(rest, |_, _| {});
    }
});
