//! The crate's error types and their stable codes. Each error names where the problem is (a metric or
//! label name, a line and column of exposition text, a byte offset in a log line) in its message, and
//! each has a stable, machine-readable [`code`](ErrorCode::code): `family.kind`, the same in Rust,
//! Python (`err.code`) and Node (`err.code` as `ERR_SREKIT_FAMILY_KIND`, see the Node README).
//! Messages may be reworded between releases; codes are not.
//!
//! ## Error codes
//!
//! | code | returned by | meaning |
//! |---|---|---|
//! | `metric.invalid_name` | [`MetricError`] | a metric or label name is not allowed |
//! | `metric.duplicate` | [`MetricError`] | a metric of that name is already registered |
//! | `metric.label_mismatch` | [`MetricError`] | label values do not fit the metric's label names |
//! | `metric.invalid_buckets` | [`MetricError`] | histogram buckets are empty, unsorted or not finite |
//! | `metric.invalid_value` | [`MetricError`] | a counter was asked to go down |
//! | `metric.invalid_exemplar` | [`MetricError`] | an exemplar's labels break OpenMetrics' rules |
//! | `exposition.parse` | [`ParseError`], [`PushError`](crate::push::PushError) | exposition text does not parse (line and column); a remote-write or OTLP body does not decode |
//! | `exposition.unknown_format` | [`UnknownFormatError`], [`PushError`](crate::push::PushError) | a format name other than text / openmetrics (remote_write / otlp for a push encoding) |
//! | `log.line` | [`LineError`](crate::logs::LineError) | a log line does not parse (byte offset) |
//! | `log.config` | [`LogError`](crate::logs::LogError) | a parser cannot be built from its options |
//! | `log.io` | [`PipelineError`](crate::logs::pipeline::PipelineError) | a log file or checkpoint cannot be read or written |
//! | `config.invalid` | [`RuleError`](crate::logs::rules::RuleError), [`PipelineError`](crate::logs::pipeline::PipelineError) | a rule or pipeline configuration is invalid |
//! | `host.unknown_collector` | [`HostError`](crate::host::HostError) | a collector name that does not exist |
//! | `host.unknown_option` | [`HostError`](crate::host::HostError) | a host option name that does not exist |
//! | `host.invalid_option` | [`HostError`](crate::host::HostError) | a host option has a bad value (regex, type, timeout) |
//! | `host.io` | [`HostError`](crate::host::HostError), [`CollectError`](crate::host::CollectError) | a file, system call or thread failed |
//! | `host.parse` | [`CollectError`](crate::host::CollectError) | a kernel file has unexpected contents |
//! | `host.bus` | [`CollectError`](crate::host::CollectError) | a D-Bus connection or call failed |
//! | `host.timeout` | [`CollectError`](crate::host::CollectError) | a collector did not finish in time |
//! | `internal.panic` | [`PipelineError`](crate::logs::pipeline::PipelineError), [`CollectError`](crate::host::CollectError) | a background thread panicked |
//!
//! ```
//! use srekit::error::{codes, ErrorCode};
//!
//! let err = srekit::metrics::Registry::new().counter("", "x", &[]).unwrap_err();
//! assert_eq!(err.code(), codes::METRIC_INVALID_NAME);
//! assert_eq!(err.code(), "metric.invalid_name");
//! assert!(codes::ALL.contains(&err.code()));
//! ```

use thiserror::Error;

/// The stable code of an error, for programs that branch on the kind of failure.
///
/// Every error type of the crate implements it (and has the same method inherent, so no import is
/// needed to call it). A binding maps an error through this trait once.
///
/// ```
/// use srekit::error::ErrorCode;
/// fn code_of(err: &dyn ErrorCode) -> &'static str {
///     err.code()
/// }
/// let err = srekit::expfmt::parse_text("up{ 1\n").unwrap_err();
/// assert_eq!(code_of(&err), "exposition.parse");
/// ```
pub trait ErrorCode: std::error::Error {
    /// The error's code, one of [`codes::ALL`].
    fn code(&self) -> &'static str;
}

/// Implements [`ErrorCode`] by the type's inherent `code()`.
macro_rules! impl_error_code {
    ($($ty:ty),* $(,)?) => {
        $(impl $crate::error::ErrorCode for $ty {
            fn code(&self) -> &'static str {
                <$ty>::code(self)
            }
        })*
    };
}
// Used by the feature-gated host and logs modules too.
#[cfg_attr(not(any(feature = "host", feature = "logs", feature = "push")), allow(unused_imports))]
pub(crate) use impl_error_code;

/// Every error code, as constants (the table in the [module docs](self) says what each means).
///
/// ```
/// assert_eq!(srekit::error::codes::LOG_LINE, "log.line");
/// assert_eq!(srekit::error::codes::ALL.len(), 20);
/// ```
pub mod codes {
    /// A metric or label name is not allowed.
    pub const METRIC_INVALID_NAME: &str = "metric.invalid_name";
    /// A metric of that name is already registered.
    pub const METRIC_DUPLICATE: &str = "metric.duplicate";
    /// Label values do not fit the metric's label names (count, or an unknown name).
    pub const METRIC_LABEL_MISMATCH: &str = "metric.label_mismatch";
    /// Histogram buckets are empty, unsorted or not finite.
    pub const METRIC_INVALID_BUCKETS: &str = "metric.invalid_buckets";
    /// A counter was asked to go down (negative or NaN increment).
    pub const METRIC_INVALID_VALUE: &str = "metric.invalid_value";
    /// An exemplar's labels break OpenMetrics' rules (a bad label name, over 128 characters).
    pub const METRIC_INVALID_EXEMPLAR: &str = "metric.invalid_exemplar";
    /// Exposition text does not parse.
    pub const EXPOSITION_PARSE: &str = "exposition.parse";
    /// A format name other than text / openmetrics.
    pub const EXPOSITION_UNKNOWN_FORMAT: &str = "exposition.unknown_format";
    /// A log line does not parse.
    pub const LOG_LINE: &str = "log.line";
    /// A log parser cannot be built from its options.
    pub const LOG_CONFIG: &str = "log.config";
    /// A log file or checkpoint cannot be read or written.
    pub const LOG_IO: &str = "log.io";
    /// A rule or pipeline configuration is invalid.
    pub const CONFIG_INVALID: &str = "config.invalid";
    /// A host collector name that does not exist.
    pub const HOST_UNKNOWN_COLLECTOR: &str = "host.unknown_collector";
    /// A host option name that does not exist.
    pub const HOST_UNKNOWN_OPTION: &str = "host.unknown_option";
    /// A host option has a bad value.
    pub const HOST_INVALID_OPTION: &str = "host.invalid_option";
    /// A file, system call or thread of a host collector failed.
    pub const HOST_IO: &str = "host.io";
    /// A kernel file has unexpected contents.
    pub const HOST_PARSE: &str = "host.parse";
    /// A D-Bus connection or call failed.
    pub const HOST_BUS: &str = "host.bus";
    /// A host collector did not finish in time.
    pub const HOST_TIMEOUT: &str = "host.timeout";
    /// A background thread panicked (or a lock it held is poisoned).
    pub const INTERNAL_PANIC: &str = "internal.panic";

    /// Every code above.
    pub const ALL: &[&str] = &[
        METRIC_INVALID_NAME,
        METRIC_DUPLICATE,
        METRIC_LABEL_MISMATCH,
        METRIC_INVALID_BUCKETS,
        METRIC_INVALID_VALUE,
        METRIC_INVALID_EXEMPLAR,
        EXPOSITION_PARSE,
        EXPOSITION_UNKNOWN_FORMAT,
        LOG_LINE,
        LOG_CONFIG,
        LOG_IO,
        CONFIG_INVALID,
        HOST_UNKNOWN_COLLECTOR,
        HOST_UNKNOWN_OPTION,
        HOST_INVALID_OPTION,
        HOST_IO,
        HOST_PARSE,
        HOST_BUS,
        HOST_TIMEOUT,
        INTERNAL_PANIC,
    ];
}

/// Errors from the instrumentation registry: bad names, wrong label counts, clashing registrations.
///
/// ```
/// let err = srekit::metrics::Registry::new().counter("", "x", &[]).unwrap_err();
/// assert_eq!(err.to_string(), "invalid metric name \"\": must not be empty");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MetricError {
    /// The metric name is empty (any other UTF-8 name is a Prometheus 3 name; see
    /// [`NameEscaping`](crate::expfmt::NameEscaping) for how it is written).
    #[error("invalid metric name {0:?}: must not be empty")]
    InvalidMetricName(String),
    /// A label name is empty, starts with `__`, is reserved (`le`, `quantile`), is given twice, or escapes
    /// to the same name as another of the metric's label names.
    #[error("invalid label name {label:?} for metric {metric:?}: {reason}")]
    InvalidLabelName {
        /// The metric being registered.
        metric: String,
        /// The offending label name.
        label: String,
        /// Why it is not allowed.
        reason: &'static str,
    },
    /// A metric of this name is already registered.
    #[error("metric {0:?} is already registered")]
    Duplicate(String),
    /// Another metric's name escapes to the same name for scrapers that do not allow UTF-8 names
    /// (`http.requests` and `http_requests`), so one exposition would hold the family twice.
    #[error("metric {name:?} is written as {escaped:?} for scrapers without UTF-8 names, as the registered {existing:?} is")]
    EscapesAlike {
        /// The metric being registered.
        name: String,
        /// The registered metric it collides with.
        existing: String,
        /// The name both are written as.
        escaped: String,
    },
    /// `labels(...)` got a different number of values than the metric has label names.
    #[error("metric {metric:?} has {expected} label names but {got} values were given")]
    LabelCount {
        /// The metric.
        metric: String,
        /// Number of label names.
        expected: usize,
        /// Number of values given.
        got: usize,
    },
    /// A keyword label was given that the metric does not have.
    #[error("metric {metric:?} has no label named {label:?}")]
    UnknownLabel {
        /// The metric.
        metric: String,
        /// The unknown label.
        label: String,
    },
    /// Histogram buckets are empty, unsorted or not finite.
    #[error("invalid buckets for histogram {metric:?}: {reason}")]
    InvalidBuckets {
        /// The histogram.
        metric: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A counter was asked to go down.
    #[error("counter {0:?} cannot be decreased (got a negative or NaN increment)")]
    NegativeIncrement(String),
    /// An exemplar's labels break OpenMetrics' rules (a bad label name, over 128 characters).
    #[error("invalid exemplar for metric {metric:?}: {reason}")]
    InvalidExemplar {
        /// The metric.
        metric: String,
        /// What is wrong.
        reason: String,
    },
}

impl MetricError {
    /// The stable code: `metric.invalid_name`, `metric.duplicate`, `metric.label_mismatch`,
    /// `metric.invalid_buckets`, `metric.invalid_value` or `metric.invalid_exemplar`.
    ///
    /// ```
    /// let err = srekit::metrics::Registry::new().counter("a", "x", &["l"]).unwrap().labels(&[]).unwrap_err();
    /// assert_eq!(err.code(), "metric.label_mismatch");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            MetricError::InvalidMetricName(_) | MetricError::InvalidLabelName { .. } => {
                codes::METRIC_INVALID_NAME
            }
            MetricError::Duplicate(_) | MetricError::EscapesAlike { .. } => codes::METRIC_DUPLICATE,
            MetricError::LabelCount { .. } | MetricError::UnknownLabel { .. } => codes::METRIC_LABEL_MISMATCH,
            MetricError::InvalidBuckets { .. } => codes::METRIC_INVALID_BUCKETS,
            MetricError::NegativeIncrement(_) => codes::METRIC_INVALID_VALUE,
            MetricError::InvalidExemplar { .. } => codes::METRIC_INVALID_EXEMPLAR,
        }
    }
}

/// An error in Prometheus / OpenMetrics exposition text, with its 1-based line and column.
///
/// ```
/// let err = srekit::expfmt::parse_text("up{job=\"a\" 1\n").unwrap_err();
/// assert_eq!(err.line, 1);
/// assert!(err.to_string().starts_with("line 1, column"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}, column {column}: {message}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column (in bytes).
    pub column: usize,
    /// What was expected or found.
    pub message: String,
}

impl ParseError {
    /// The error for exposition text given as bytes that are not UTF-8, at the first bad byte.
    ///
    /// ```
    /// let text = b"up 1\nd\xffown 0\n";
    /// let utf8 = std::str::from_utf8(text).unwrap_err();
    /// let err = srekit::ParseError::invalid_utf8(text, utf8);
    /// assert_eq!((err.line, err.column), (2, 2));
    /// assert_eq!(err.to_string(), "line 2, column 2: invalid UTF-8");
    /// ```
    pub fn invalid_utf8(text: &[u8], err: std::str::Utf8Error) -> ParseError {
        let before = &text[..err.valid_up_to().min(text.len())];
        let line_start = before.iter().rposition(|&b| b == b'\n').map_or(0, |at| at + 1);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        ParseError { line, column: before.len() - line_start + 1, message: "invalid UTF-8".into() }
    }

    /// The stable code, `exposition.parse`.
    ///
    /// ```
    /// assert_eq!(srekit::expfmt::parse_text("up{\n").unwrap_err().code(), "exposition.parse");
    /// ```
    pub fn code(&self) -> &'static str {
        codes::EXPOSITION_PARSE
    }
}

/// A format name that is not an exposition format: what parsing a
/// [`Format`](crate::expfmt::Format) from a string returns for anything but the names
/// [`Format::from_name`](crate::expfmt::Format::from_name) knows.
///
/// ```
/// let err = "xml".parse::<srekit::expfmt::Format>().unwrap_err();
/// assert_eq!(err.to_string(), "unknown exposition format \"xml\" (expected \"text\" or \"openmetrics\")");
/// assert_eq!(err.code(), "exposition.unknown_format");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown exposition format {0:?} (expected \"text\" or \"openmetrics\")")]
pub struct UnknownFormatError(pub String);

impl UnknownFormatError {
    /// The stable code, `exposition.unknown_format`.
    pub fn code(&self) -> &'static str {
        codes::EXPOSITION_UNKNOWN_FORMAT
    }
}

impl_error_code!(MetricError, ParseError, UnknownFormatError);

#[cfg(all(test, feature = "host", feature = "logs"))]
mod tests;
