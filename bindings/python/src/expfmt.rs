//! Exposition formats: parsing Prometheus / OpenMetrics text into `srekit.MetricFamily` values,
//! format names, content types and `Accept`-header negotiation, all from `srekit::expfmt`.

use pyo3::prelude::*;
use pyo3::types::PyList;
use srekit::expfmt::Format;
use srekit::ParseError;

use crate::errors::{exposition_error, to_py_err};
use crate::families::families_to_py;
use crate::input::Text;

/// The core format for a Python format name, or a `ConfigError` naming the allowed ones.
pub(crate) fn format_from_name(name: &str) -> PyResult<Format> {
    name.parse().map_err(to_py_err)
}

/// The Python name of a core format.
fn format_name(format: Format) -> &'static str {
    match format {
        Format::OpenMetrics => "openmetrics",
        Format::Text => "text",
    }
}

/// Parses exposition text (str or bytes, text 0.0.4 or OpenMetrics) into metric families.
#[pyfunction]
fn parse_text<'py>(py: Python<'py>, text: Text) -> PyResult<Bound<'py, PyList>> {
    let source =
        text.as_str().map_err(|err| exposition_error(py, &ParseError::invalid_utf8(text.as_bytes(), err)))?;
    let parsed = py.detach(|| srekit::expfmt::parse_text(source));
    match parsed {
        Ok(families) => families_to_py(py, &families),
        Err(err) => Err(exposition_error(py, &err)),
    }
}

/// The format Prometheus would get for this `Accept` header: "openmetrics" or "text".
#[pyfunction]
fn negotiate(accept: &str) -> &'static str {
    format_name(srekit::expfmt::negotiate(accept))
}

/// The HTTP `Content-Type` of a format ("text" or "openmetrics").
#[pyfunction]
fn content_type(format: &str) -> PyResult<&'static str> {
    Ok(format_from_name(format)?.content_type())
}

/// Adds this file's functions to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(parse_text, module)?)?;
    module.add_function(wrap_pyfunction!(negotiate, module)?)?;
    module.add_function(wrap_pyfunction!(content_type, module)?)?;
    Ok(())
}

/// What `encode` writes in the format named `format`, as `bytes`; the encoding runs with the GIL
/// released.
pub(crate) fn encoded<'py>(
    py: Python<'py>,
    format: &str,
    encode: impl FnOnce(Format, &mut Vec<u8>) + Send,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let format = format_from_name(format)?;
    let mut buffer = Vec::new();
    py.detach(|| encode(format, &mut buffer));
    Ok(pyo3::types::PyBytes::new(py, &buffer))
}
