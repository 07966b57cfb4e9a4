//! Log records into Python dicts, built straight from the record's ordered fields (a later duplicate
//! key replaces an earlier one, as the core's map view does).
//!
//! Lines of one log repeat their field names, usually in the same order, and many values (levels,
//! methods, messages) repeat too. A [`DictBuilder`] lives for one conversion call and exploits that:
//! each distinct name becomes one Python string; a record with the previous record's names in the
//! same order starts as a copy of a template dict (a memcpy of its key table instead of inserts and
//! resizes); and a string value equal to the previous record's value at the same position reuses
//! that Python string.

use std::collections::HashMap;

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use srekit::logs::{Record, Value};

/// Top-level field positions remembered by a [`DictBuilder`].
const POSITIONS: usize = 64;
/// Field names remembered by a [`DictBuilder`] (a log with ever-new names does not grow it without limit).
const NAMES: usize = 4096;
/// Longest string value worth remembering for reuse.
const REUSED_VALUE_MAX: usize = 64;

/// What a builder remembers about one top-level position of the previous record.
struct Slot<'py> {
    name: String,
    key: Bound<'py, PyString>,
    /// The previous string value at this position and its Python string, when short.
    value: Option<(String, Bound<'py, PyString>)>,
}

/// Builds dicts for the records of one conversion call (see the module comment).
#[derive(Default)]
pub(crate) struct DictBuilder<'py> {
    names: HashMap<String, Bound<'py, PyString>, foldhash::fast::RandomState>,
    slots: Vec<Slot<'py>>,
    /// A dict with exactly `slots`' names (values None), when the last record matched them all.
    template: Option<Bound<'py, PyDict>>,
}

impl<'py> DictBuilder<'py> {
    /// The Python string for a field name, one per distinct name.
    fn name(&mut self, py: Python<'py>, name: &str) -> Bound<'py, PyString> {
        if let Some(key) = self.names.get(name) {
            return key.clone();
        }
        let key = PyString::new(py, name);
        if self.names.len() < NAMES {
            self.names.insert(name.to_owned(), key.clone());
        }
        key
    }

    /// Whether `record`'s names are exactly the remembered ones, in order.
    fn same_names(&self, record: &Record<'_>) -> bool {
        record.fields.len() == self.slots.len()
            && record.fields.iter().zip(&self.slots).all(|((name, _), slot)| slot.name == name.as_ref())
    }

    /// Remembers `record`'s names by position (the template is rebuilt from them on the next match).
    fn remember_names(&mut self, py: Python<'py>, record: &Record<'_>) {
        self.template = None;
        self.slots.truncate(record.fields.len().min(POSITIONS));
        for (position, (name, _)) in record.fields.iter().enumerate().take(POSITIONS) {
            let key = self.name(py, name);
            match self.slots.get_mut(position) {
                Some(slot) if slot.name == name.as_ref() => {}
                Some(slot) => {
                    slot.name.clear();
                    slot.name.push_str(name);
                    slot.key = key;
                    slot.value = None;
                }
                None => self.slots.push(Slot { name: name.to_string(), key, value: None }),
            }
        }
    }

    /// A string value for top-level position `position`, reusing the previous record's equal value.
    fn top_string(&mut self, py: Python<'py>, position: usize, text: &str) -> Bound<'py, PyString> {
        let Some(slot) = self.slots.get_mut(position) else { return PyString::new(py, text) };
        if let Some((previous, value)) = &slot.value {
            if previous == text {
                return value.clone();
            }
        }
        let value = PyString::new(py, text);
        if text.len() <= REUSED_VALUE_MAX {
            match &mut slot.value {
                Some((previous, cached)) => {
                    previous.clear();
                    previous.push_str(text);
                    *cached = value.clone();
                }
                None => slot.value = Some((text.to_owned(), value.clone())),
            }
        }
        value
    }

    /// One record as a dict; its timestamp (when a time key is configured) is not a field.
    pub(crate) fn record(&mut self, py: Python<'py>, record: &Record<'_>) -> PyResult<Bound<'py, PyDict>> {
        let matched = record.fields.len() <= POSITIONS && self.same_names(record);
        if !matched {
            self.remember_names(py, record);
        }
        let dict = match (&self.template, matched) {
            (Some(template), true) => template.copy()?,
            (None, true) => {
                let template = PyDict::new(py);
                for slot in &self.slots {
                    template.set_item(&slot.key, py.None())?;
                }
                let dict = template.copy()?;
                self.template = Some(template);
                dict
            }
            (_, false) => PyDict::new(py),
        };
        for (position, (name, value)) in record.fields.iter().enumerate() {
            let key = match self.slots.get(position) {
                Some(slot) if slot.name == name.as_ref() => slot.key.clone(),
                _ => self.name(py, name),
            };
            let value = match value {
                Value::Str(text) => self.top_string(py, position, text).into_any(),
                other => self.value(py, other)?,
            };
            dict.set_item(key, value)?;
        }
        Ok(dict)
    }

    /// Any value (nested ones included) as a Python object.
    fn value(&mut self, py: Python<'py>, value: &Value<'_>) -> PyResult<Bound<'py, PyAny>> {
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
                    list.append(self.value(py, item)?)?;
                }
                list.into_any()
            }
            Value::Object(fields) => {
                let dict = PyDict::new(py);
                for (name, item) in fields {
                    let key = self.name(py, name);
                    dict.set_item(key, self.value(py, item)?)?;
                }
                dict.into_any()
            }
        })
    }
}
