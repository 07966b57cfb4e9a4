//! Errors of the log parsers: [`LineError`] for one bad line (with its byte offset), [`LogError`] for a
//! parser that cannot be built from its options.

use thiserror::Error;

/// Why one line could not be parsed. `offset` is the 0-based byte offset in the line of the first byte
/// that is wrong (for an unterminated quote: the opening quote; for an over-long line: the limit).
///
/// ```
/// let err = srekit::logs::parse_logfmt("a=1 b=\"open").unwrap_err();
/// assert_eq!(err.offset, 6);
/// assert_eq!(err.to_string(), "byte 6: unterminated quoted value");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("byte {offset}: {message}")]
pub struct LineError {
    /// 0-based byte offset in the line where the problem is.
    pub offset: usize,
    /// What is wrong, in words (stable enough to match on a substring, e.g. "unterminated").
    pub message: String,
}

impl LineError {
    /// Builds an error at `offset` with `message`.
    ///
    /// ```
    /// let err = srekit::logs::LineError::new(3, "empty key");
    /// assert_eq!(err.to_string(), "byte 3: empty key");
    /// ```
    pub fn new(offset: usize, message: impl Into<String>) -> Self {
        LineError { offset, message: message.into() }
    }
}

/// Why a [`Parser`](super::Parser) could not be built from its options.
///
/// ```
/// use srekit::logs::{LogError, LogFormat, Parser, ParserOptions};
///
/// let err = Parser::new(ParserOptions::new(LogFormat::Regex("(?<open".into()))).unwrap_err();
/// assert!(matches!(err, LogError::InvalidRegex(_)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LogError {
    /// The user regex does not compile.
    #[error("invalid regex: {0}")]
    InvalidRegex(String),
    /// The user regex has no named capture group, so it could never produce a field.
    #[error("regex has no named capture group (use (?<name>...))")]
    RegexWithoutNames,
    /// A `types` entry names an unknown type.
    #[error("unknown field type {type_name:?} for field {field:?} (expected int, float, bool or string)")]
    UnknownType {
        /// The field the type was given for.
        field: String,
        /// The type name that was not recognised.
        type_name: String,
    },
    /// The time format has an unsupported or dangling `%` directive.
    #[error("invalid time format {format:?}: {reason}")]
    InvalidTimeFormat {
        /// The format given.
        format: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `max_line_length` is zero.
    #[error("max_line_length must be at least 1")]
    InvalidMaxLineLength,
    /// A format name that [`LogFormat::from_name`](super::LogFormat::from_name) does not know.
    #[error("unknown log format {0:?} (expected {formats})", formats = super::spec::FORMAT_NAMES)]
    UnknownFormat(String),
    /// `format = "regex"` without a `regex`.
    #[error("format \"regex\" needs `regex` (a pattern with named groups, or a preset name)")]
    MissingRegex,
    /// A `regex` given with a format other than `regex` (it would be ignored).
    #[error("`regex` is only used with format \"regex\" (the format is {0:?})")]
    RegexWithoutRegexFormat(String),
}
