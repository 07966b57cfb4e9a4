//! Python exceptions for core errors. Every one subclasses `ValueError` (bad input) and carries the
//! core's message as `str(err)`; parse errors also carry where the problem is as attributes.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

create_exception!(
    srekit,
    MetricError,
    PyValueError,
    "A registry error: bad metric or label name, duplicate metric, wrong label values, bad buckets."
);
create_exception!(
    srekit,
    ExpositionError,
    PyValueError,
    "Bad Prometheus / OpenMetrics text; `.line` and `.column` (1-based) say where."
);
create_exception!(
    srekit,
    LogParseError,
    PyValueError,
    "A log line that does not parse; `.offset` is the byte offset in the line, `.line` the 1-based line number in a buffer or file (None for a single line)."
);
create_exception!(
    srekit,
    HostError,
    PyValueError,
    "A bad host collection setting (an unknown collector name, an unusable root)."
);

/// A registry error as a Python `MetricError`.
pub(crate) fn metric_error(err: srekit::MetricError) -> PyErr {
    MetricError::new_err(err.to_string())
}

/// An exposition-text parse error as a Python `ExpositionError` with `line` and `column`.
pub(crate) fn exposition_error(py: Python<'_>, err: &srekit::ParseError) -> PyErr {
    let py_err = ExpositionError::new_err(err.to_string());
    let value = py_err.value(py);
    let attached = value.setattr("line", err.line).and_then(|()| value.setattr("column", err.column));
    match attached {
        Ok(()) => py_err,
        Err(other) => other,
    }
}

/// A log parse error as a Python `LogParseError` with `offset` and `line` (None for a lone line).
pub(crate) fn log_parse_error(py: Python<'_>, message: String, offset: usize, line: Option<usize>) -> PyErr {
    let py_err = LogParseError::new_err(message);
    let value = py_err.value(py);
    let attached = value.setattr("offset", offset).and_then(|()| value.setattr("line", line));
    match attached {
        Ok(()) => py_err,
        Err(other) => other,
    }
}

/// Adds the exception classes to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("MetricError", py.get_type::<MetricError>())?;
    module.add("ExpositionError", py.get_type::<ExpositionError>())?;
    module.add("LogParseError", py.get_type::<LogParseError>())?;
    module.add("HostError", py.get_type::<HostError>())?;
    Ok(())
}
