//! The exporter's log lines on stderr, as node_exporter's promlog flags make them: `--log.level`
//! (debug, info, warn, error) and `--log.format` (logfmt: `ts=... caller=file:line level=info
//! msg="..."`, or json: one object per line with the same keys).

use std::borrow::Cow;
use std::io::Write;

use clap::ValueEnum;
use srekit::logs::{encode_logfmt, Value};

/// `--log.level`: the least severe level written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

/// `--log.format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Logfmt,
    Json,
}

impl LogLevel {
    fn filter(self) -> log::LevelFilter {
        match self {
            LogLevel::Debug => log::LevelFilter::Debug,
            LogLevel::Info => log::LevelFilter::Info,
            LogLevel::Warn => log::LevelFilter::Warn,
            LogLevel::Error => log::LevelFilter::Error,
        }
    }
}

/// go-kit's `log.DefaultTimestampUTC` as promlog writes it: RFC 3339, milliseconds, UTC.
const TIMESTAMP: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// Installs the logger for the process (once, before anything logs).
pub fn init(level: LogLevel, format: LogFormat) {
    env_logger::Builder::new()
        .filter_level(level.filter())
        .format(move |buf, record| {
            let ts = time::OffsetDateTime::now_utc().format(TIMESTAMP).unwrap_or_default();
            let caller = format!(
                "{}:{}",
                record.file().and_then(|f| f.rsplit('/').next()).unwrap_or("?"),
                record.line().unwrap_or(0)
            );
            let level = record.level().as_str().to_ascii_lowercase();
            let msg = record.args().to_string();
            writeln!(buf, "{}", line(format, &ts, &caller, &level, &msg))
        })
        .init();
}

/// One log line (without its newline) in `format`.
fn line(format: LogFormat, ts: &str, caller: &str, level: &str, msg: &str) -> String {
    match format {
        LogFormat::Logfmt => {
            let fields: Vec<(Cow<'_, str>, Value<'_>)> =
                [("ts", ts), ("caller", caller), ("level", level), ("msg", msg)]
                    .into_iter()
                    .map(|(key, value)| (Cow::Borrowed(key), Value::Str(Cow::Borrowed(value))))
                    .collect();
            let mut out = String::with_capacity(64 + msg.len());
            encode_logfmt(&fields, &mut out);
            out
        }
        LogFormat::Json => {
            serde_json::json!({"ts": ts, "caller": caller, "level": level, "msg": msg}).to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logfmt_quotes_only_what_needs_it_and_json_is_one_object() {
        let text = line(LogFormat::Logfmt, "2026-01-02T03:04:05.678Z", "main.rs:7", "warn", "a \"b\" = c");
        assert_eq!(text, r#"ts=2026-01-02T03:04:05.678Z caller=main.rs:7 level=warn msg="a \"b\" = c""#);
        let json = line(LogFormat::Json, "t", "c:1", "info", "line\nbreak");
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value["msg"], "line\nbreak");
        assert!(!json.contains('\n'));
    }
}
