//! Metric and label name helpers: validation and sanitizing, straight from `srekit::metrics`.

use pyo3::prelude::*;

/// True when `name` is a valid Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`).
#[pyfunction]
fn is_valid_metric_name(name: &str) -> bool {
    srekit::metrics::is_valid_metric_name(name)
}

/// True when `name` is a valid Prometheus label name (`[a-zA-Z_][a-zA-Z0-9_]*`).
#[pyfunction]
fn is_valid_label_name(name: &str) -> bool {
    srekit::metrics::is_valid_label_name(name)
}

/// `name` with every character outside the metric-name charset replaced by `_`.
#[pyfunction]
fn sanitize_metric_name(name: &str) -> String {
    srekit::metrics::sanitize_metric_name(name)
}

/// `name` with every character outside the label-name charset replaced by `_`.
#[pyfunction]
fn sanitize_label_name(name: &str) -> String {
    srekit::metrics::sanitize_label_name(name)
}

/// Adds this file's functions to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(is_valid_metric_name, module)?)?;
    module.add_function(wrap_pyfunction!(is_valid_label_name, module)?)?;
    module.add_function(wrap_pyfunction!(sanitize_metric_name, module)?)?;
    module.add_function(wrap_pyfunction!(sanitize_label_name, module)?)?;
    Ok(())
}
