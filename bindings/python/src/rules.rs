//! Log -> metrics rules from Python: `srekit.Rules` over `srekit::logs::rules::RuleSet`, configured
//! with the exporter's `[[metrics]]` keys (a list of dicts, or TOML text such as the exporter's config
//! file), applied to dicts or to raw lines (parsed and applied in the core with the GIL released).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use srekit::error::codes::{CONFIG_INVALID, INTERNAL_PANIC};
use srekit::logs::config::RuleConfig;
use srekit::logs::rules::{Outcome, RuleSet, Selection};
use srekit::logs::{LineError, Record, Value};
use srekit::metrics::Registry;

use crate::errors::{coded_error, log_parse_error};
use crate::input::Text;
use crate::logs::PyParser;
use crate::registry::PyRegistry;

/// The `[[metrics]]` tables of a TOML document (other tables, such as `[[inputs]]`, are ignored).
#[derive(serde::Deserialize)]
struct MetricsTables {
    #[serde(default)]
    metrics: Vec<RuleConfig>,
}

/// A bad rule configuration as a `ConfigError` (a ValueError) with the core's message.
fn config_error(message: impl std::fmt::Display) -> PyErr {
    coded_error(CONFIG_INVALID, format!("invalid rules: {message}"))
}

/// The Python name of an outcome.
fn outcome_name(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::NotMatched => "not_matched",
        Outcome::Updated => "updated",
        Outcome::SkippedValue => "skipped_value",
        Outcome::DroppedSeries => "dropped_series",
        Outcome::SkippedLabelTooLong => "skipped_label_too_long",
    }
}

/// The rule set and the selections already computed for input names.
struct State {
    rules: RuleSet,
    selections: HashMap<String, Selection>,
}

impl State {
    /// Applies the rules selected for `input` (every rule when None) to one record.
    fn apply(&mut self, input: Option<&str>, record: &Record<'_>) -> &[Outcome] {
        match input {
            None => self.rules.apply_all(record),
            Some(name) => {
                if !self.selections.contains_key(name) {
                    let selection = self.rules.selection(name);
                    self.selections.insert(name.to_owned(), selection);
                }
                match self.selections.get(name) {
                    Some(selection) => self.rules.apply(selection, record),
                    None => &[],
                }
            }
        }
    }
}

/// Log -> metrics rules writing into a registry.
#[pyclass(module = "srekit", name = "Rules", frozen)]
pub(crate) struct PyRules {
    state: Mutex<State>,
    registry: Registry,
}

#[pymethods]
impl PyRules {
    #[new]
    #[pyo3(signature = (rules = None, *, toml = None, registry = None))]
    fn new(
        py: Python<'_>,
        rules: Option<&Bound<'_, PyAny>>,
        toml: Option<&str>,
        registry: Option<&Bound<'_, PyRegistry>>,
    ) -> PyResult<Self> {
        let mut configs: Vec<RuleConfig> = Vec::new();
        if let Some(rules) = rules {
            // The same keys as the TOML config: read through JSON so serde applies the core's schema.
            let json: String = py.import("json")?.call_method1("dumps", (rules,))?.extract()?;
            configs.extend(serde_json::from_str::<Vec<RuleConfig>>(&json).map_err(config_error)?);
        }
        if let Some(text) = toml {
            configs.extend(toml::from_str::<MetricsTables>(text).map_err(config_error)?.metrics);
        }
        let registry = registry.map(|r| r.get().registry().clone()).unwrap_or_default();
        let rules = RuleSet::new(&configs, &registry).map_err(config_error)?;
        Ok(PyRules { state: Mutex::new(State { rules, selections: HashMap::new() }), registry })
    }

    /// The registry holding the rules' metrics (shared, not copied).
    #[getter]
    fn registry(&self) -> PyRegistry {
        PyRegistry::from_core(self.registry.clone())
    }

    /// Applies the rules to one record (a dict, e.g. from `Parser.parse`); `input` selects the rules
    /// whose `inputs` name it (None: every rule); `timestamp` (Unix seconds) dates its exemplars.
    /// Returns each applied rule's outcome: "updated", "not_matched", "skipped_value",
    /// "skipped_label_too_long" or "dropped_series".
    #[pyo3(signature = (record, input = None, timestamp = None))]
    fn apply(
        &self,
        record: &Bound<'_, PyDict>,
        input: Option<&str>,
        timestamp: Option<f64>,
    ) -> PyResult<Vec<&'static str>> {
        let mut record = dict_to_record(record)?;
        record.timestamp = timestamp;
        let mut state = self.lock()?;
        Ok(state.apply(input, &record).iter().map(|o| outcome_name(*o)).collect())
    }

    /// Parses `data` (str or bytes, many lines) with `parser` and applies the rules to every record,
    /// all in the core with the GIL released. Returns the number of records applied; bad lines are
    /// skipped and appended to `errors` (as `LogParseError` with `.line`) when a list is given.
    #[pyo3(signature = (parser, data, *, input = None, errors = None))]
    fn apply_lines(
        &self,
        py: Python<'_>,
        parser: &Bound<'_, PyParser>,
        data: Text,
        input: Option<&str>,
        errors: Option<&Bound<'_, PyList>>,
    ) -> PyResult<usize> {
        let parser = parser.get().core();
        let bytes = data.as_bytes();
        let (applied, bad) = py.detach(|| -> PyResult<_> {
            let mut state = self.lock()?;
            let mut applied = 0usize;
            let mut bad: Vec<(usize, LineError)> = Vec::new();
            parser.parse_many_ref(bytes, |line_no, result| match result {
                Ok(record) => {
                    state.apply(input, record);
                    applied += 1;
                }
                Err(err) => bad.push((line_no, err.clone())),
            });
            Ok((applied, bad))
        })?;
        if let Some(errors) = errors {
            for (line_no, err) in bad {
                let message = format!("line {line_no}: {err}");
                errors.append(log_parse_error(py, message, err.offset, Some(line_no)).into_value(py))?;
            }
        }
        Ok(applied)
    }

    /// The registry's metrics (`self.registry.encode(format)`): OpenMetrics shows the rules' latest
    /// exemplars, kept in the registry's counters and histograms; text 0.0.4 has no exemplars.
    #[pyo3(signature = (format = "text"))]
    fn encode<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        crate::expfmt::encoded(py, format, |format, buffer| self.registry.encode(format, buffer))
    }
}

impl PyRules {
    fn lock(&self) -> PyResult<std::sync::MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| coded_error(INTERNAL_PANIC, "rules state poisoned by an earlier panic"))
    }
}

/// A dict (string keys; values str, int, float, bool, None, lists, dicts, anything else as `str()`)
/// as a core record.
fn dict_to_record(dict: &Bound<'_, PyDict>) -> PyResult<Record<'static>> {
    let mut record = Record::with_capacity(dict.len());
    for (key, value) in dict.iter() {
        record.fields.push((Cow::Owned(text_of(&key)?), value_of(&value)?));
    }
    Ok(record)
}

fn text_of(object: &Bound<'_, PyAny>) -> PyResult<String> {
    match object.cast::<PyString>() {
        Ok(text) => Ok(text.to_cow()?.into_owned()),
        Err(_) => Ok(object.str()?.to_cow()?.into_owned()),
    }
}

fn value_of(object: &Bound<'_, PyAny>) -> PyResult<Value<'static>> {
    if object.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(flag) = object.cast::<PyBool>() {
        return Ok(Value::Bool(flag.is_true()));
    }
    if object.is_instance_of::<PyInt>() {
        if let Ok(number) = object.extract::<i64>() {
            return Ok(Value::Int(number));
        }
        if let Ok(number) = object.extract::<u64>() {
            return Ok(Value::UInt(number));
        }
        return Ok(Value::Float(object.extract::<f64>()?));
    }
    if let Ok(number) = object.cast::<PyFloat>() {
        return Ok(Value::Float(number.value()));
    }
    if let Ok(dict) = object.cast::<PyDict>() {
        return Ok(Value::Object(dict_to_record(dict)?.fields));
    }
    if object.is_instance_of::<PyList>() || object.is_instance_of::<PyTuple>() {
        let items = object.try_iter()?.map(|item| value_of(&item?)).collect::<PyResult<Vec<_>>>()?;
        return Ok(Value::Array(items));
    }
    Ok(Value::Str(Cow::Owned(text_of(object)?)))
}

/// Adds the `Rules` class to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyRules>()?;
    Ok(())
}
