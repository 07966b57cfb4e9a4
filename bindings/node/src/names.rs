//! Metric and label name helpers: validation and sanitizing (`isValidMetricName`, ...).

use napi_derive::napi;

/// True when `name` is a valid Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
#[napi]
pub fn is_valid_metric_name(name: String) -> bool {
    srekit::metrics::is_valid_metric_name(&name)
}

/// True when `name` is a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
#[napi]
pub fn is_valid_label_name(name: String) -> bool {
    srekit::metrics::is_valid_label_name(&name)
}

/// Turns arbitrary text (a log field, a device name) into a valid metric name.
#[napi]
pub fn sanitize_metric_name(name: String) -> String {
    srekit::metrics::sanitize_metric_name(&name)
}

/// Turns arbitrary text into a valid label name.
#[napi]
pub fn sanitize_label_name(name: String) -> String {
    srekit::metrics::sanitize_label_name(&name)
}
