//! Regex parsing as Fluent Bit's regex parser does it: each named group of a user pattern (the `regex`
//! crate's syntax, `(?<name>...)`) becomes a field; groups that did not take part in the match are left
//! out. Also the built-in presets: nginx and apache (combined and common) and syslog RFC 3164 / 5424,
//! with Fluent Bit's field names.

use std::borrow::Cow;

use super::error::{LineError, LogError};
use super::record::Record;
use super::value::Value;

/// nginx `combined` (Fluent Bit's `nginx` parser).
pub const NGINX_COMBINED: &str = r#"^(?<remote>[^ ]*) (?<host>[^ ]*) (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^"]*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>[^"]*)" "(?<agent>[^"]*)")"#;
/// nginx `common` (no referer and user agent).
pub const NGINX_COMMON: &str = r#"^(?<remote>[^ ]*) (?<host>[^ ]*) (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^"]*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)$"#;
/// Apache `combined` (Fluent Bit's `apache` parser; referer and agent optional, so `common` lines match too).
pub const APACHE_COMBINED: &str = r#"^(?<host>[^ ]*) [^ ]* (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^"]*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)(?: "(?<referer>[^"]*)" "(?<agent>[^"]*)")?$"#;
/// Apache `common`.
pub const APACHE_COMMON: &str = r#"^(?<host>[^ ]*) [^ ]* (?<user>[^ ]*) \[(?<time>[^\]]*)\] "(?<method>\S+)(?: +(?<path>[^"]*?)(?: +\S*)?)?" (?<code>[^ ]*) (?<size>[^ ]*)$"#;
/// Syslog RFC 3164 (Fluent Bit's `syslog-rfc3164`).
pub const SYSLOG_RFC3164: &str = r"^<(?<pri>[0-9]+)>(?<time>[^ ]* {1,2}[^ ]* [^ ]*) (?<host>[^ ]*) (?<ident>[a-zA-Z0-9_/.\-]*)(?:\[(?<pid>[0-9]+)\])?(?:[^:]*:)? *(?<message>.*)$";
/// Syslog RFC 5424 (Fluent Bit's `syslog-rfc5424`).
pub const SYSLOG_RFC5424: &str = r"^<(?<pri>[0-9]{1,5})>1 (?<time>[^ ]+) (?<host>[^ ]+) (?<ident>[^ ]+) (?<pid>[-0-9]+) (?<msgid>[^ ]+) (?<extradata>(\[(.*?)\]|-)) (?<message>.+)$";
/// The access-log time format of nginx and Apache (`10/Oct/2000:13:55:36 -0700`).
pub const ACCESS_LOG_TIME_FORMAT: &str = "%d/%b/%Y:%H:%M:%S %z";
/// The RFC 3164 time format (`Oct 11 22:14:15`, no year: the current year is assumed).
pub const RFC3164_TIME_FORMAT: &str = "%b %d %H:%M:%S";

/// A compiled pattern and its named groups (capture index, name), in pattern order.
#[derive(Debug, Clone)]
pub(crate) struct RegexParser {
    regex: regex::Regex,
    names: Vec<(usize, String)>,
}

impl RegexParser {
    pub(crate) fn new(pattern: &str) -> Result<RegexParser, LogError> {
        let regex = regex::RegexBuilder::new(pattern)
            .size_limit(16 << 20)
            .build()
            .map_err(|e| LogError::InvalidRegex(e.to_string()))?;
        let names: Vec<(usize, String)> = regex
            .capture_names()
            .enumerate()
            .filter_map(|(i, name)| name.map(|n| (i, n.to_owned())))
            .collect();
        if names.is_empty() {
            return Err(LogError::RegexWithoutNames);
        }
        Ok(RegexParser { regex, names })
    }

    pub(crate) fn parse_into<'a>(&self, line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
        let mut locations = self.regex.capture_locations();
        if self.regex.captures_read(&mut locations, line).is_none() {
            return Err(LineError::new(0, "line does not match the regex"));
        }
        for (index, name) in &self.names {
            if let Some((start, end)) = locations.get(*index) {
                if let Some(text) = line.get(start..end) {
                    record.fields.push((Cow::Owned(name.clone()), Value::Str(Cow::Borrowed(text))));
                }
            }
        }
        Ok(())
    }
}
