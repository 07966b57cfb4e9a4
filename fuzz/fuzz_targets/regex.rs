//! Fuzz target: regex presets and a user regex built from the input never panic, whatever the line.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srekit::logs::{LogFormat, Parser, ParserOptions};

fuzz_target!(|data: &[u8]| {
    // The first line (if any) is tried as a user pattern; the whole input as log lines.
    let pattern = data.split(|b| *b == b'\n').next().and_then(|p| std::str::from_utf8(p).ok());
    let mut formats = vec![
        LogFormat::Nginx,
        LogFormat::NginxCommon,
        LogFormat::Apache,
        LogFormat::ApacheCommon,
        LogFormat::SyslogRfc3164,
        LogFormat::SyslogRfc5424,
    ];
    if let Some(p) = pattern.filter(|p| p.len() < 200) {
        formats.push(LogFormat::Regex(p.to_owned()));
    }
    for format in formats {
        let mut options = ParserOptions::new(format);
        options.time_format = if data.len() % 2 == 0 { None } else { Some("%d/%b/%Y:%H:%M:%S %z".into()) };
        if let Ok(parser) = Parser::new(options) {
            parser.parse_many(data, |_, result| {
                if let Ok(record) = result {
                    let _ = record.to_json();
                }
            });
        }
    }
});
