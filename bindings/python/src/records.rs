//! Log records into Python dicts, built straight from the record's ordered fields (a later duplicate
//! key replaces an earlier one, as the core's map view does). Field names repeat on every line of a
//! log, so a [`KeyCache`] makes each distinct name one Python string per call.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use srekit::logs::{Record, Value};

/// Python strings for field names already seen during one conversion.
#[derive(Default)]
pub(crate) struct KeyCache<'py> {
    keys: HashMap<String, Bound<'py, PyString>, foldhash::fast::RandomState>,
}

impl<'py> KeyCache<'py> {
    fn key(&mut self, py: Python<'py>, name: &str) -> Bound<'py, PyString> {
        if let Some(key) = self.keys.get(name) {
            return key.clone();
        }
        let key = PyString::new(py, name);
        // Bounded: a log with ever-new field names does not grow the cache without limit.
        if self.keys.len() < 4096 {
            self.keys.insert(name.to_owned(), key.clone());
        }
        key
    }
}

/// One record as a dict; its timestamp (when a time key is configured) is not a field.
pub(crate) fn record_to_dict<'py>(
    py: Python<'py>,
    record: &Record<'_>,
    keys: &mut KeyCache<'py>,
) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    for (name, value) in &record.fields {
        dict.set_item(keys.key(py, name), value_to_py(py, value, keys)?)?;
    }
    Ok(dict)
}

fn value_to_py<'py>(
    py: Python<'py>,
    value: &Value<'_>,
    keys: &mut KeyCache<'py>,
) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Str(text) => PyString::new(py, text).into_any(),
        Value::Int(number) => number.into_pyobject(py)?.into_any(),
        Value::UInt(number) => number.into_pyobject(py)?.into_any(),
        Value::Float(number) => number.into_pyobject(py)?.into_any(),
        Value::Bool(flag) => flag.into_pyobject(py)?.to_owned().into_any(),
        Value::Null => py.None().into_bound(py),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(value_to_py(py, item, keys)?)?;
            }
            list.into_any()
        }
        Value::Object(fields) => {
            let dict = PyDict::new(py);
            for (name, item) in fields {
                dict.set_item(keys.key(py, name), value_to_py(py, item, keys)?)?;
            }
            dict.into_any()
        }
    })
}
