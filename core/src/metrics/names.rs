//! Metric and label name rules: validation of the legacy charset, the legacy form of a Prometheus 3
//! (UTF-8) name as scrapers without UTF-8 see it by default, and sanitizing of arbitrary text (log
//! field names, device names) into valid names.

use std::borrow::Cow;

use crate::expfmt::NameEscaping;

/// True when `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`, the classic Prometheus metric name charset.
///
/// ```
/// use srekit::metrics::is_valid_metric_name;
/// assert!(is_valid_metric_name("node_cpu_seconds_total"));
/// assert!(is_valid_metric_name("job:rate5m"));
/// assert!(!is_valid_metric_name("1abc"));
/// assert!(!is_valid_metric_name(""));
/// ```
pub fn is_valid_metric_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' || *b == b':' => {}
        _ => return false,
    }
    bytes[1..].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b':')
}

/// True when `name` matches `[a-zA-Z_][a-zA-Z0-9_]*`, the classic Prometheus label name charset.
///
/// ```
/// use srekit::metrics::is_valid_label_name;
/// assert!(is_valid_label_name("method"));
/// assert!(!is_valid_label_name("http.method"));
/// ```
pub fn is_valid_label_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {}
        _ => return false,
    }
    bytes[1..].iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// The metric name a scraper that does not allow UTF-8 sees by default (underscores escaping):
/// where two registered names must not meet.
pub(crate) fn legacy_metric_name(name: &str) -> Cow<'_, str> {
    NameEscaping::Underscores.escape_metric_name(name)
}

/// The label name a scraper that does not allow UTF-8 sees by default (underscores escaping).
pub(crate) fn legacy_label_name(name: &str) -> Cow<'_, str> {
    NameEscaping::Underscores.escape_label_name(name)
}

fn sanitize(name: &str, allow_colon: bool) -> String {
    let mut out = String::with_capacity(name.len() + 1);
    for (i, c) in name.chars().enumerate() {
        let ok =
            c.is_ascii_alphabetic() || c == '_' || (allow_colon && c == ':') || (i > 0 && c.is_ascii_digit());
        if ok {
            out.push(c);
        } else if i == 0 && c.is_ascii_digit() {
            out.push('_');
            out.push(c);
        } else {
            out.push('_');
        }
    }
    if out.is_empty() {
        out.push('_');
    }
    out
}

/// Replaces every byte outside the label charset with `_` (and prefixes `_` before a leading digit).
///
/// ```
/// assert_eq!(srekit::metrics::sanitize_label_name("http.status-code"), "http_status_code");
/// assert_eq!(srekit::metrics::sanitize_label_name("2xx"), "_2xx");
/// ```
pub fn sanitize_label_name(name: &str) -> String {
    sanitize(name, false)
}

/// Replaces every byte outside the metric-name charset with `_` (and prefixes `_` before a leading digit).
///
/// ```
/// assert_eq!(srekit::metrics::sanitize_metric_name("app.requests"), "app_requests");
/// ```
pub fn sanitize_metric_name(name: &str) -> String {
    sanitize(name, true)
}
