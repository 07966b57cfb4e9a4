//! [`Parser`]: a log format plus options (field types, time key and format, UTF-8 policy, maximum line
//! length) applied to one line ([`Parser::parse`]) or a whole buffer ([`Parser::parse_many`]).

use std::borrow::Cow;

use super::batch::{self, BufferFormat};
use super::container::{ContainerFormat, Piece};
use super::error::{LineError, LogError};
use super::framing::{Framing, Message};
use super::multiline::MultilineSpec;
use super::record::Record;
use super::regex::{self as presets, RegexParser};
use super::split::{lines, text_lines, trim_line_end, DEFAULT_MAX_LINE_LENGTH};
use super::time::TimeFormat;
use super::types::FieldType;
use super::value::Value;
use super::{json, logfmt, ltsv};

/// A log line format.
///
/// ```
/// use srekit::logs::LogFormat;
///
/// assert_eq!(LogFormat::from_name("nginx"), Some(LogFormat::Nginx));
/// assert_eq!(LogFormat::from_name("syslog-rfc5424").map(|f| f.name().to_owned()), Some("syslog-rfc5424".to_owned()));
/// assert_eq!(LogFormat::from_name("xml"), None);
/// let custom = LogFormat::Regex(r"^(?<level>\w+): (?<msg>.*)$".into());
/// assert_eq!(custom.name(), "regex");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogFormat {
    /// logfmt, as go-logfmt decodes it.
    Logfmt,
    /// LTSV (ltsv.org).
    Ltsv,
    /// One JSON object per line.
    Json,
    /// nginx `combined` access log.
    Nginx,
    /// nginx `common` access log.
    NginxCommon,
    /// Apache `combined` access log (also matches `common` lines).
    Apache,
    /// Apache `common` access log.
    ApacheCommon,
    /// Syslog RFC 3164 (BSD syslog).
    SyslogRfc3164,
    /// Syslog RFC 5424.
    SyslogRfc5424,
    /// A user regex whose named groups become fields.
    Regex(String),
    /// No parsing: the whole line (or container message, or multi-line event) is the field `message`.
    Raw,
}

impl LogFormat {
    /// The format called `name`: `logfmt`, `ltsv`, `json`, `nginx` (alias `nginx-combined`),
    /// `nginx-common`, `apache` (alias `apache-combined`), `apache-common`, `syslog-rfc3164`,
    /// `syslog-rfc5424`. A regex is built with [`LogFormat::Regex`] instead.
    ///
    /// ```
    /// assert_eq!(srekit::logs::LogFormat::from_name("ltsv"), Some(srekit::logs::LogFormat::Ltsv));
    /// ```
    pub fn from_name(name: &str) -> Option<LogFormat> {
        Some(match name {
            "logfmt" => LogFormat::Logfmt,
            "ltsv" => LogFormat::Ltsv,
            "json" => LogFormat::Json,
            "nginx" | "nginx-combined" => LogFormat::Nginx,
            "nginx-common" => LogFormat::NginxCommon,
            "apache" | "apache-combined" => LogFormat::Apache,
            "apache-common" => LogFormat::ApacheCommon,
            "syslog-rfc3164" => LogFormat::SyslogRfc3164,
            "syslog-rfc5424" => LogFormat::SyslogRfc5424,
            "raw" => LogFormat::Raw,
            _ => return None,
        })
    }

    /// The format's name, as [`LogFormat::from_name`] reads it (`regex` for a user regex).
    ///
    /// ```
    /// assert_eq!(srekit::logs::LogFormat::ApacheCommon.name(), "apache-common");
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            LogFormat::Logfmt => "logfmt",
            LogFormat::Ltsv => "ltsv",
            LogFormat::Json => "json",
            LogFormat::Nginx => "nginx",
            LogFormat::NginxCommon => "nginx-common",
            LogFormat::Apache => "apache",
            LogFormat::ApacheCommon => "apache-common",
            LogFormat::SyslogRfc3164 => "syslog-rfc3164",
            LogFormat::SyslogRfc5424 => "syslog-rfc5424",
            LogFormat::Regex(_) => "regex",
            LogFormat::Raw => "raw",
        }
    }

    /// The regex behind a preset or user regex format (`None` for logfmt, LTSV and JSON).
    ///
    /// ```
    /// assert!(srekit::logs::LogFormat::Nginx.pattern().is_some_and(|p| p.contains("(?<agent>")));
    /// ```
    pub fn pattern(&self) -> Option<&str> {
        match self {
            LogFormat::Logfmt | LogFormat::Ltsv | LogFormat::Json | LogFormat::Raw => None,
            LogFormat::Nginx => Some(presets::NGINX_COMBINED),
            LogFormat::NginxCommon => Some(presets::NGINX_COMMON),
            LogFormat::Apache => Some(presets::APACHE_COMBINED),
            LogFormat::ApacheCommon => Some(presets::APACHE_COMMON),
            LogFormat::SyslogRfc3164 => Some(presets::SYSLOG_RFC3164),
            LogFormat::SyslogRfc5424 => Some(presets::SYSLOG_RFC5424),
            LogFormat::Regex(pattern) => Some(pattern),
        }
    }

    /// The time key and format a preset uses when the options name none (`time`, with the access-log
    /// format for nginx/Apache, the RFC 3164 format, or RFC 3339 for RFC 5424).
    ///
    /// ```
    /// use srekit::logs::LogFormat;
    ///
    /// assert_eq!(LogFormat::Apache.default_time(), Some(("time", Some("%d/%b/%Y:%H:%M:%S %z"))));
    /// assert_eq!(LogFormat::SyslogRfc5424.default_time(), Some(("time", None)));
    /// assert_eq!(LogFormat::Json.default_time(), None);
    /// ```
    pub fn default_time(&self) -> Option<(&'static str, Option<&'static str>)> {
        match self {
            LogFormat::Nginx | LogFormat::NginxCommon | LogFormat::Apache | LogFormat::ApacheCommon => {
                Some(("time", Some(presets::ACCESS_LOG_TIME_FORMAT)))
            }
            LogFormat::SyslogRfc3164 => Some(("time", Some(presets::RFC3164_TIME_FORMAT))),
            LogFormat::SyslogRfc5424 => Some(("time", None)),
            _ => None,
        }
    }
}

/// How to parse: the format and what to do with the fields.
///
/// ```
/// use srekit::logs::{FieldType, LogFormat, ParserOptions};
///
/// let mut options = ParserOptions::new(LogFormat::Logfmt);
/// options.types.push(("status".into(), FieldType::Int));
/// options.set_type("duration", "float").unwrap();
/// options.time_key = Some("ts".into());
/// assert_eq!(options.max_line_length, 1 << 20);
/// assert!(options.set_type("x", "decimal").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParserOptions {
    /// The line format.
    pub format: LogFormat,
    /// Fields to convert (top-level field name, type), as Fluent Bit's `Types`.
    pub types: Vec<(String, FieldType)>,
    /// The field holding the record's time. Presets default to `time`.
    pub time_key: Option<String>,
    /// strptime-style format of the time field; `None` reads RFC 3339 or epoch seconds.
    pub time_format: Option<String>,
    /// Replace invalid UTF-8 with U+FFFD instead of rejecting the line.
    pub lossy_utf8: bool,
    /// Longest line accepted, in bytes (default 1 MiB); longer lines are errors. With a container
    /// envelope or multi-line grouping, also the longest joined message.
    pub max_line_length: usize,
    /// The container runtime's envelope to unwrap first (see [`Parser::framing`]).
    pub container: Option<ContainerFormat>,
    /// How lines are grouped into multi-line events.
    pub multiline: Option<MultilineSpec>,
}

impl ParserOptions {
    /// Options for `format` with no types, no time key, strict UTF-8 and a 1 MiB line limit.
    ///
    /// ```
    /// let options = srekit::logs::ParserOptions::new(srekit::logs::LogFormat::Json);
    /// assert!(options.types.is_empty() && !options.lossy_utf8);
    /// ```
    pub fn new(format: LogFormat) -> ParserOptions {
        ParserOptions {
            format,
            types: Vec::new(),
            time_key: None,
            time_format: None,
            lossy_utf8: false,
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            container: None,
            multiline: None,
        }
    }

    /// Adds a type for `field` from its name (`int`, `float`, `bool`, `string`, ...).
    ///
    /// ```
    /// let mut options = srekit::logs::ParserOptions::new(srekit::logs::LogFormat::Ltsv);
    /// options.set_type("status", "int").unwrap();
    /// assert_eq!(options.types, vec![("status".to_owned(), srekit::logs::FieldType::Int)]);
    /// ```
    pub fn set_type(&mut self, field: &str, type_name: &str) -> Result<&mut Self, LogError> {
        let field_type = FieldType::parse(type_name).ok_or_else(|| LogError::UnknownType {
            field: field.to_owned(),
            type_name: type_name.to_owned(),
        })?;
        self.types.retain(|(name, _)| name != field);
        self.types.push((field.to_owned(), field_type));
        Ok(self)
    }
}

#[derive(Debug, Clone)]
enum Kind {
    Logfmt,
    Ltsv,
    Json,
    Raw,
    Regex(Box<RegexParser>),
}

/// A ready-to-use parser: cheap to share between threads (`Send + Sync`), reusable for any number of
/// lines.
///
/// ```
/// use srekit::logs::{LogFormat, Parser, ParserOptions, Value};
///
/// let mut options = ParserOptions::new(LogFormat::Logfmt);
/// options.set_type("status", "int").unwrap();
/// options.time_key = Some("ts".into());
/// let parser = Parser::new(options).unwrap();
///
/// let record = parser.parse(b"ts=2023-11-14T22:13:20Z status=200 msg=ok").unwrap();
/// assert_eq!(record.get("status"), Some(&Value::Int(200)));
/// assert_eq!(record.timestamp, Some(1700000000.0));
///
/// let mut good = 0;
/// let mut errors = Vec::new();
/// parser.parse_many(b"status=1\nstatus=\"open\nstatus=3\r\n", |line_no, result| match result {
///     Ok(_) => good += 1,
///     Err(e) => errors.push(format!("line {line_no}: {e}")),
/// });
/// assert_eq!(good, 2);
/// assert_eq!(errors, ["line 2: byte 7: unterminated quoted value"]);
/// ```
#[derive(Debug, Clone)]
pub struct Parser {
    options: ParserOptions,
    kind: Kind,
    time_key: Option<String>,
    time_format: TimeFormat,
    framing: Option<Framing>,
}

impl Parser {
    /// Builds a parser, compiling its regex and time format.
    ///
    /// ```
    /// use srekit::logs::{LogFormat, Parser, ParserOptions};
    ///
    /// assert!(Parser::new(ParserOptions::new(LogFormat::Nginx)).is_ok());
    /// assert!(Parser::new(ParserOptions::new(LogFormat::Regex("no groups".into()))).is_err());
    /// ```
    pub fn new(options: ParserOptions) -> Result<Parser, LogError> {
        if options.max_line_length == 0 {
            return Err(LogError::InvalidMaxLineLength);
        }
        let kind = match &options.format {
            LogFormat::Logfmt => Kind::Logfmt,
            LogFormat::Ltsv => Kind::Ltsv,
            LogFormat::Json => Kind::Json,
            LogFormat::Raw => Kind::Raw,
            other => Kind::Regex(Box::new(RegexParser::new(other.pattern().unwrap_or_default())?)),
        };
        let (time_key, time_format) = match (&options.time_key, options.format.default_time()) {
            (Some(key), _) => (Some(key.clone()), options.time_format.clone()),
            (None, Some((key, format))) => {
                (Some(key.to_owned()), options.time_format.clone().or(format.map(str::to_owned)))
            }
            (None, None) => (None, None),
        };
        let time_format = TimeFormat::new(time_format.as_deref())?;
        let framing = match (&options.container, &options.multiline) {
            (None, None) => None,
            (container, multiline) => Some(Framing {
                container: *container,
                multiline: multiline.as_ref().map(MultilineSpec::compile).transpose()?,
                max_length: options.max_line_length,
            }),
        };
        Ok(Parser { options, kind, time_key, time_format, framing })
    }

    /// The parser's framing (container envelope, multi-line grouping), if it has any. Lines of a
    /// framed parser are read through a [`Framer`](super::Framer) per stream: [`Feed::parse`],
    /// [`Parser::parse_many`] and the pipeline do this; [`Parser::parse`] reads one line as one whole
    /// message (its envelope unwrapped, a partial piece parsed as it is).
    ///
    /// [`Feed::parse`]: super::Feed::parse
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec { container: Some("cri".into()), ..srekit::logs::ParserSpec::new("json") }.build().unwrap();
    /// let record = parser.parse(b"2024-05-01T10:00:00Z stderr F {\"level\":\"error\"}").unwrap();
    /// assert_eq!(record.to_json(), serde_json::json!({"level": "error", "stream": "stderr", "time": "2024-05-01T10:00:00Z"}));
    /// ```
    pub fn framing(&self) -> Option<&Framing> {
        self.framing.as_ref()
    }

    /// Parses a framed message: its text with the format, then the envelope's `stream` and `time`
    /// fields (when the payload has no field of that name).
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("raw").build().unwrap();
    /// let message = srekit::logs::Message { line: 1, offset: 0, stream: Some(srekit::logs::Stream::Stdout), time: Some("t"), text: b"hello" };
    /// let mut record = srekit::logs::Record::default();
    /// parser.parse_message_into(&message, &mut record).unwrap();
    /// assert_eq!(record.to_json(), serde_json::json!({"message": "hello", "stream": "stdout", "time": "t"}));
    /// ```
    pub fn parse_message_into<'a>(
        &self,
        message: &Message<'a>,
        record: &mut Record<'a>,
    ) -> Result<(), LineError> {
        self.parse_unframed_into(message.text, record)?;
        if message.stream.is_none() && message.time.is_none() {
            return Ok(());
        }
        // One pass over the top-level keys (the names have no dots, so this is `record.get`).
        let (mut has_stream, mut has_time) = (false, false);
        for (key, _) in &record.fields {
            has_stream |= key == "stream";
            has_time |= key == "time";
        }
        if let (Some(stream), false) = (message.stream, has_stream) {
            record.push_borrowed("stream", stream.as_str());
        }
        if let (Some(time), false) = (message.time, has_time) {
            record.push_borrowed("time", time);
        }
        Ok(())
    }

    /// Parses one line of a framed parser without stream state (see [`Parser::framing`]).
    fn parse_framed_line<'a>(
        &self,
        framing: &Framing,
        line: &'a [u8],
        record: &mut Record<'a>,
    ) -> Result<(), LineError> {
        let line = trim_line_end(line);
        let Some(container) = framing.container else { return self.parse_unframed_into(line, record) };
        let piece = Piece::parse(container.resolve(line), line)?;
        let stream = Some(piece.stream);
        if let (Cow::Borrowed(text), Cow::Borrowed(time)) = (&piece.message, &piece.time) {
            let message = Message { line: 1, offset: 0, stream, time: Some(time), text };
            return self.parse_message_into(&message, record);
        }
        let message = Message { line: 1, offset: 0, stream, time: Some(&piece.time), text: &piece.message };
        let mut owned = Record::default();
        self.parse_message_into(&message, &mut owned)?;
        *record = owned.into_owned();
        Ok(())
    }

    /// The options this parser was built from.
    ///
    /// ```
    /// let parser = srekit::logs::Parser::new(srekit::logs::ParserOptions::new(srekit::logs::LogFormat::Json)).unwrap();
    /// assert_eq!(parser.options().format.name(), "json");
    /// ```
    pub fn options(&self) -> &ParserOptions {
        &self.options
    }

    /// Parses one line (a trailing `\n` or `\r\n` is ignored). Values borrow from `line` where they can.
    ///
    /// ```
    /// use srekit::logs::{LogFormat, Parser, ParserOptions};
    ///
    /// let parser = Parser::new(ParserOptions::new(LogFormat::Ltsv)).unwrap();
    /// let record = parser.parse(b"status:200\tpath:/\r\n").unwrap();
    /// assert_eq!(record.get("path").and_then(|v| v.as_str()), Some("/"));
    /// let err = parser.parse(b"status:200\t\xff").unwrap_err();
    /// assert_eq!((err.offset, err.message.as_str()), (11, "invalid UTF-8"));
    /// ```
    pub fn parse<'a>(&self, line: &'a [u8]) -> Result<Record<'a>, LineError> {
        let mut record = Record::with_capacity(16);
        self.parse_into(line, &mut record)?;
        Ok(record)
    }

    /// Like [`Parser::parse`], but fills `record` (cleared first), reusing its buffer: the loop of a
    /// caller that handles each record before the next line pays no allocation per line.
    ///
    /// ```
    /// use srekit::logs::{LogFormat, Parser, ParserOptions, Record};
    ///
    /// let parser = Parser::new(ParserOptions::new(LogFormat::Logfmt)).unwrap();
    /// let mut record = Record::default();
    /// let mut total = 0;
    /// for line in srekit::logs::lines(b"a=1 b=2\nc=3\n") {
    ///     parser.parse_into(line, &mut record).unwrap();
    ///     total += record.fields.len();
    /// }
    /// assert_eq!(total, 3);
    /// ```
    pub fn parse_into<'a>(&self, line: &'a [u8], record: &mut Record<'a>) -> Result<(), LineError> {
        match &self.framing {
            Some(framing) => self.parse_framed_line(framing, line, record),
            None => self.parse_unframed_into(line, record),
        }
    }

    /// [`Parser::parse_into`] of the payload alone (no envelope).
    fn parse_unframed_into<'a>(&self, line: &'a [u8], record: &mut Record<'a>) -> Result<(), LineError> {
        record.clear();
        let line = trim_line_end(line);
        if line.len() > self.options.max_line_length {
            return Err(too_long(self.options.max_line_length, line.len()));
        }
        // simdutf8 validates fast; std's validator only runs on the rare invalid line, for the offset.
        if let Ok(text) = simdutf8::basic::from_utf8(line) {
            return self.parse_str_into(text, record);
        }
        match std::str::from_utf8(line) {
            Ok(text) => self.parse_str_into(text, record),
            Err(e) if self.options.lossy_utf8 => {
                let text = String::from_utf8_lossy(line).into_owned();
                let owned = self.parse_str(&text).map(Record::into_owned).map_err(|err| LineError {
                    offset: err.offset.min(e.valid_up_to()),
                    message: err.message,
                })?;
                *record = owned;
                Ok(())
            }
            Err(e) => Err(LineError::new(e.valid_up_to(), "invalid UTF-8")),
        }
    }

    /// Parses one line that is already a `&str` (no length check, no line-ending trimming beyond what
    /// the format itself does).
    ///
    /// ```
    /// let parser = srekit::logs::Parser::new(srekit::logs::ParserOptions::new(srekit::logs::LogFormat::Json)).unwrap();
    /// assert_eq!(parser.parse_str(r#"{"a":[1]}"#).unwrap().to_json(), serde_json::json!({"a": [1]}));
    /// ```
    pub fn parse_str<'a>(&self, line: &'a str) -> Result<Record<'a>, LineError> {
        let mut record = Record::with_capacity(16);
        self.parse_str_into(line, &mut record)?;
        Ok(record)
    }

    /// [`Parser::parse_into`] for a line already known to be UTF-8 (from a validated buffer).
    fn parse_valid_into<'a>(&self, line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
        record.clear();
        if line.len() > self.options.max_line_length {
            return Err(too_long(self.options.max_line_length, line.len()));
        }
        self.parse_str_into(line, record)
    }

    fn parse_str_into<'a>(&self, line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
        match &self.kind {
            Kind::Logfmt => logfmt::parse_into(line, record)?,
            Kind::Ltsv => ltsv::parse_into(line, record)?,
            Kind::Json => json::parse_into(line, record)?,
            Kind::Raw => {
                record.fields.clear();
                record.fields.push((Cow::Borrowed("message"), Value::Str(Cow::Borrowed(line))));
            }
            Kind::Regex(regex) => regex.parse_into(line, record)?,
        }
        self.finish_record(line, record)
    }

    /// Whether [`Parser::finish_record`] has anything to do (types to apply or a time key).
    #[inline(always)]
    pub(super) fn finishes_records(&self) -> bool {
        !self.options.types.is_empty() || self.time_key.is_some()
    }

    /// Applies the types and reads the timestamp of a record just parsed from `line`.
    #[inline]
    pub(super) fn finish_record<'a>(&self, line: &'a str, record: &mut Record<'a>) -> Result<(), LineError> {
        if !self.options.types.is_empty() {
            self.apply_types(record);
        }
        if let Some(key) = &self.time_key {
            record.timestamp = self.timestamp(line, record, key)?;
        }
        Ok(())
    }

    /// The format's buffer walker, if it has one (see [`batch`]).
    pub(super) fn buffer_format(&self) -> Option<BufferFormat> {
        match self.kind {
            Kind::Logfmt => Some(BufferFormat::Logfmt),
            Kind::Ltsv => Some(BufferFormat::Ltsv),
            _ => None,
        }
    }

    /// Parses every line of `data` (split at `\n`, a trailing `\r` removed, a last line without a
    /// newline included). Empty lines are skipped; too-long and invalid lines are reported to `on_line`
    /// as errors with their 1-based line number and parsing goes on.
    ///
    /// ```
    /// use srekit::logs::{LogFormat, Parser, ParserOptions};
    ///
    /// let parser = Parser::new(ParserOptions::new(LogFormat::Json)).unwrap();
    /// let mut seen = Vec::new();
    /// parser.parse_many(b"{\"a\":1}\n\n[2]\n{\"a\":3}", |line_no, result| seen.push((line_no, result.is_ok())));
    /// assert_eq!(seen, [(1, true), (3, false), (4, true)]);
    /// ```
    pub fn parse_many<'d>(
        &self,
        data: &'d [u8],
        mut on_line: impl FnMut(usize, Result<Record<'d>, LineError>),
    ) {
        if self.framing.is_some() {
            return self.parse_many_framed(data, |line_no, result| {
                on_line(line_no, result.map(|r| r.clone().into_owned()).map_err(LineError::clone))
            });
        }
        // One UTF-8 check of the whole buffer (fast in bulk) spares one per line; a buffer with an
        // invalid byte somewhere goes line by line so that only the bad line is an error.
        if let Ok(text) = simdutf8::basic::from_utf8(data) {
            let mut record = Record::with_capacity(16);
            let walked = batch::try_parse_lines(self, text, &mut record, |line_no, result, record| {
                let record = std::mem::replace(record, Record::with_capacity(16));
                on_line(line_no, result.map(|()| record));
            });
            if walked.is_some() {
                return;
            }
            for (index, line) in text_lines(text).enumerate() {
                if !line.is_empty() {
                    let mut record = Record::with_capacity(16);
                    let result = self.parse_valid_into(line, &mut record).map(|()| record);
                    on_line(index + 1, result);
                }
            }
            return;
        }
        for (index, line) in lines(data).enumerate() {
            if !line.is_empty() {
                on_line(index + 1, self.parse(line));
            }
        }
    }

    /// Like [`Parser::parse_many`], but lends each record to `on_line` instead of giving it away, and
    /// reuses one record buffer for every line: the fastest way through a buffer when each record is
    /// consumed (counted, converted, turned into metrics) before the next line.
    ///
    /// ```
    /// use srekit::logs::{LogFormat, Parser, ParserOptions};
    ///
    /// let parser = Parser::new(ParserOptions::new(LogFormat::Ltsv)).unwrap();
    /// let mut statuses = Vec::new();
    /// parser.parse_many_ref(b"status:200\nbad\nstatus:503\n", |line_no, result| match result {
    ///     Ok(record) => statuses.push(record.get("status").and_then(|v| v.as_f64())),
    ///     Err(err) => assert_eq!((line_no, err.offset), (2, 0)),
    /// });
    /// assert_eq!(statuses, [Some(200.0), Some(503.0)]);
    /// ```
    pub fn parse_many_ref<'d>(
        &self,
        data: &'d [u8],
        on_line: impl FnMut(usize, Result<&Record<'d>, &LineError>),
    ) {
        self.parse_many_ref_counted(data, on_line);
    }

    /// [`Parser::parse_many_ref`], returning the number of lines when a buffer walk (see [`batch`])
    /// counted them (for `data` ending with `\n`, its newlines); `None` otherwise.
    pub(crate) fn parse_many_ref_counted<'d>(
        &self,
        data: &'d [u8],
        mut on_line: impl FnMut(usize, Result<&Record<'d>, &LineError>),
    ) -> Option<usize> {
        if self.framing.is_some() {
            // Framed records borrow the feed's buffers: each is lent as an owned copy.
            self.parse_many_framed(data, |line_no, result| match result {
                Ok(record) => on_line(line_no, Ok(&record.clone().into_owned())),
                Err(err) => on_line(line_no, Err(err)),
            });
            return None;
        }
        let mut record = Record::with_capacity(16);
        let mut report = |line_no: usize, result: Result<(), LineError>, record: &Record<'d>| match result {
            Ok(()) => on_line(line_no, Ok(record)),
            Err(err) => on_line(line_no, Err(&err)),
        };
        if let Ok(text) = simdutf8::basic::from_utf8(data) {
            let walked = batch::try_parse_lines(self, text, &mut record, |line_no, result, record| {
                report(line_no, result, record)
            });
            if walked.is_some() {
                return walked;
            }
            for (index, line) in text_lines(text).enumerate() {
                if !line.is_empty() {
                    let result = self.parse_valid_into(line, &mut record);
                    report(index + 1, result, &record);
                }
            }
            return None;
        }
        for (index, line) in lines(data).enumerate() {
            if !line.is_empty() {
                let result = self.parse_into(line, &mut record);
                report(index + 1, result, &record);
            }
        }
        None
    }

    /// `parse_many` of a framed parser: one [`Feed`](super::Feed) over the whole buffer (pieces joined,
    /// events grouped, the last ones emitted at its end); records are numbered by their first line.
    fn parse_many_framed(
        &self,
        data: &[u8],
        mut on_line: impl FnMut(usize, Result<&Record<'_>, &LineError>),
    ) {
        let mut feed = super::Feed::for_parser(self);
        let mut report = |item: super::FeedItem<'_>| {
            on_line(usize::try_from(item.line).unwrap_or(usize::MAX), item.result)
        };
        feed.parse(self, data, &mut report);
        feed.finish_parse(self, &mut report);
    }

    fn apply_types(&self, record: &mut Record<'_>) {
        for (key, value) in record.fields.iter_mut() {
            if let Some((_, field_type)) = self.options.types.iter().find(|(name, _)| name == key) {
                let taken = std::mem::replace(value, super::Value::Null);
                *value = field_type.convert(taken);
            }
        }
    }

    fn timestamp(&self, line: &str, record: &Record<'_>, key: &str) -> Result<Option<f64>, LineError> {
        let Some(value) = record.get(key) else { return Ok(None) };
        if let super::Value::Str(s) = value {
            let trimmed = s.trim();
            if trimmed.is_empty() || trimmed == "-" {
                return Ok(None);
            }
        }
        self.time_format.parse(value).map(Some).map_err(|message| {
            let offset = match value {
                super::Value::Str(s) => offset_in(line, s).unwrap_or(0),
                _ => 0,
            };
            LineError::new(offset, message)
        })
    }
}

/// Where `part` starts in `line` when it is a slice of it.
fn offset_in(line: &str, part: &str) -> Option<usize> {
    let offset = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    (offset + part.len() <= line.len()).then_some(offset)
}

/// How [`too_long`]'s message begins, which [`is_too_long`] recognises.
const TOO_LONG: &str = "line too long";

/// The error of a line over the maximum length (the same whether a parser or a feed finds it).
pub(crate) fn too_long(max: usize, length: usize) -> LineError {
    LineError::new(max, format!("{TOO_LONG} ({length} bytes, maximum {max}); skipped"))
}

/// Whether `error` is [`too_long`]'s (the pipeline counts those lines apart from unparsable ones).
pub(crate) fn is_too_long(error: &LineError) -> bool {
    error.message.starts_with(TOO_LONG)
}
