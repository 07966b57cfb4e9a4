//! The crate's error enums. Each names where the problem is: a metric or label name, a line and column
//! of exposition text, a byte offset in a log line.

use thiserror::Error;

/// Errors from the instrumentation registry: bad names, wrong label counts, clashing registrations.
///
/// ```
/// let err = srekit::metrics::Registry::new().counter("1bad", "x", &[]).unwrap_err();
/// assert!(err.to_string().contains("1bad"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MetricError {
    /// The metric name is outside `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    #[error("invalid metric name {0:?}: must match [a-zA-Z_:][a-zA-Z0-9_:]*")]
    InvalidMetricName(String),
    /// A label name is outside `[a-zA-Z_][a-zA-Z0-9_]*`, starts with `__`, or is reserved (`le`, `quantile`).
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
