//! Errors of the log parsers: [`LineError`] for one bad line (with its byte offset), [`LogError`] for a
//! parser that cannot be built from its options; and the stable codes of every error of [`logs`](super)
//! (see the table in [`crate::error`]).

use thiserror::Error;

use super::pipeline::PipelineError;
use super::rules::RuleError;
use crate::error::{codes, impl_error_code};

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

    /// The stable code, `log.line`.
    ///
    /// ```
    /// assert_eq!(srekit::logs::parse_logfmt("a=\"open").unwrap_err().code(), "log.line");
    /// ```
    pub fn code(&self) -> &'static str {
        codes::LOG_LINE
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
    /// A `container` name that is not `cri`, `docker` or `auto`.
    #[error("unknown container format {0:?} (expected {names})", names = super::container::CONTAINER_NAMES)]
    UnknownContainer(String),
    /// The `multiline` settings are inconsistent or invalid.
    #[error("multiline: {0}")]
    InvalidMultiline(String),
}

impl LogError {
    /// The stable code, `log.config` for every variant (the message says which option is wrong).
    ///
    /// ```
    /// use srekit::logs::{LogFormat, Parser, ParserOptions};
    /// let err = Parser::new(ParserOptions::new(LogFormat::Regex("(".into()))).unwrap_err();
    /// assert_eq!(err.code(), "log.config");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            LogError::InvalidRegex(_)
            | LogError::RegexWithoutNames
            | LogError::UnknownType { .. }
            | LogError::InvalidTimeFormat { .. }
            | LogError::InvalidMaxLineLength
            | LogError::UnknownFormat(_)
            | LogError::MissingRegex
            | LogError::RegexWithoutRegexFormat(_)
            | LogError::UnknownContainer(_)
            | LogError::InvalidMultiline(_) => codes::LOG_CONFIG,
        }
    }
}

impl RuleError {
    /// The stable code, `config.invalid` for every variant (also when the registry refused the rule's
    /// metric: the rule is what the user has to change).
    ///
    /// ```
    /// use srekit::logs::{config::RuleConfig, rules::RuleSet};
    /// let rule: RuleConfig = toml::from_str("name = \"g\"\nkind = \"gauge\"").unwrap();
    /// let err = RuleSet::new(&[rule], &srekit::metrics::Registry::new()).unwrap_err();
    /// assert_eq!(err.code(), "config.invalid");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            RuleError::InvalidRegex { .. }
            | RuleError::MissingValue { .. }
            | RuleError::Invalid { .. }
            | RuleError::Metric { .. } => codes::CONFIG_INVALID,
        }
    }
}

impl PipelineError {
    /// The stable code: the wrapped error's code for a parser, rule or metric error, `config.invalid`
    /// for a bad input setting, `log.io` for a file or checkpoint, `internal.panic` for a dead thread.
    ///
    /// ```
    /// use srekit::logs::{config::PipelineConfig, pipeline::Pipeline};
    /// let config: PipelineConfig = toml::from_str("[[inputs]]\nname = \"a\"\npaths = []\nformat = \"xml\"").unwrap();
    /// assert_eq!(Pipeline::new(&config).err().unwrap().code(), "log.config");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            PipelineError::Parser { source, .. } => source.code(),
            PipelineError::Rule(source) => source.code(),
            PipelineError::Metric(source) => source.code(),
            PipelineError::Pattern { .. }
            | PipelineError::InvalidInput { .. }
            | PipelineError::DuplicateInput(_)
            | PipelineError::UnknownInput { .. } => codes::CONFIG_INVALID,
            PipelineError::Checkpoint { .. }
            | PipelineError::CorruptCheckpoint { .. }
            | PipelineError::StateDiscarded(_)
            | PipelineError::FilesWaiting { .. }
            | PipelineError::Watch { .. }
            | PipelineError::Read { .. } => codes::LOG_IO,
            PipelineError::ThreadPanicked => codes::INTERNAL_PANIC,
        }
    }
}

impl_error_code!(LineError, LogError, RuleError, PipelineError);
