//! Python exceptions for core errors, and the one conversion every binding function uses.
//!
//! Every exception srekit raises is a `srekit.SrekitError`, a `ValueError` (bad input), with the
//! core's message as `str(err)` and the core's stable code as `err.code` (`srekit::error::codes`, e.g.
//! `"metric.duplicate"`). The subclass says the family: `MetricError` (`metric.*`), `ExpositionError`
//! (`exposition.parse`, with `.line` / `.column`), `LogParseError` (`log.line`, with `.offset` /
//! `.line`), `HostError` (`host.*`), `ConfigError` (`log.config`, `config.invalid`,
//! `exposition.unknown_format`: options, rules or format names that are not valid); anything else is
//! a plain `SrekitError`.

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use srekit::error::{codes, ErrorCode};

create_exception!(
    srekit,
    SrekitError,
    PyValueError,
    "Base of every srekit error (a ValueError); `.code` is the stable code, e.g. \"metric.duplicate\"."
);
create_exception!(
    srekit,
    MetricError,
    SrekitError,
    "A registry error: bad metric or label name, duplicate metric, wrong label values, bad buckets."
);
create_exception!(
    srekit,
    ExpositionError,
    SrekitError,
    "Bad Prometheus / OpenMetrics text; `.line` and `.column` (1-based) say where."
);
create_exception!(
    srekit,
    LogParseError,
    SrekitError,
    "A log line that does not parse; `.offset` is the byte offset in the line, `.line` the 1-based line number in a buffer or file (None for a single line)."
);
create_exception!(
    srekit,
    HostError,
    SrekitError,
    "A bad host collection setting (an unknown collector or option name, a bad option value)."
);
create_exception!(
    srekit,
    ConfigError,
    SrekitError,
    "Invalid options or configuration: log parser options, log -> metrics rules, a format name."
);

/// The one conversion of a core error into a Python exception: the class of its code's family, the
/// core's message, and `.code`.
pub(crate) fn to_py_err(err: impl ErrorCode) -> PyErr {
    coded_error(err.code(), err.to_string())
}

/// An error the binding finds itself (e.g. rules that do not deserialize) under one of the core's
/// codes, so it is raised like the core's own errors of that kind.
pub(crate) fn coded_error(code: &'static str, message: impl Into<String>) -> PyErr {
    Python::attach(|py| raise(py, code, message.into(), &[]))
}

/// An exposition-text parse error as a Python `ExpositionError` with `line` and `column`.
pub(crate) fn exposition_error(py: Python<'_>, err: &srekit::ParseError) -> PyErr {
    raise(py, err.code(), err.to_string(), &[("line", Some(err.line)), ("column", Some(err.column))])
}

/// A log parse error as a Python `LogParseError` with `offset` and `line` (None for a lone line).
pub(crate) fn log_parse_error(py: Python<'_>, message: String, offset: usize, line: Option<usize>) -> PyErr {
    raise(py, codes::LOG_LINE, message, &[("offset", Some(offset)), ("line", line)])
}

/// The exception class for a code.
fn class_for<'py>(py: Python<'py>, code: &str) -> Bound<'py, pyo3::types::PyType> {
    let family = code.split_once('.').map_or(code, |(family, _)| family);
    match (code, family) {
        (codes::LOG_LINE, _) => py.get_type::<LogParseError>(),
        (codes::EXPOSITION_PARSE, _) => py.get_type::<ExpositionError>(),
        (codes::LOG_CONFIG | codes::CONFIG_INVALID | codes::EXPOSITION_UNKNOWN_FORMAT, _) => {
            py.get_type::<ConfigError>()
        }
        (_, "metric") => py.get_type::<MetricError>(),
        (_, "host") => py.get_type::<HostError>(),
        _ => py.get_type::<SrekitError>(),
    }
}

/// Builds the exception of `code`'s class with `message`, `.code` and the given attributes.
fn raise(py: Python<'_>, code: &'static str, message: String, attributes: &[(&str, Option<usize>)]) -> PyErr {
    let value = match class_for(py, code).call1((message,)) {
        Ok(value) => value,
        Err(err) => return err,
    };
    let mut attached = value.setattr("code", code);
    for (name, attribute) in attributes {
        attached = attached.and_then(|()| value.setattr(*name, *attribute));
    }
    match attached {
        Ok(()) => PyErr::from_value(value),
        Err(err) => err,
    }
}

/// Adds the exception classes to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    module.add("SrekitError", py.get_type::<SrekitError>())?;
    module.add("MetricError", py.get_type::<MetricError>())?;
    module.add("ExpositionError", py.get_type::<ExpositionError>())?;
    module.add("LogParseError", py.get_type::<LogParseError>())?;
    module.add("HostError", py.get_type::<HostError>())?;
    module.add("ConfigError", py.get_type::<ConfigError>())?;
    // A LogParseError that Python code raises itself (srekit/_files.py) is always a bad line.
    py.get_type::<LogParseError>().setattr("code", codes::LOG_LINE)?;
    Ok(())
}
