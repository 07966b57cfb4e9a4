//! The one conversion of core metric families into Python: `srekit.MetricFamily` and `srekit.Sample`
//! named tuples (defined in `srekit/_model.py`), with a sample's full name and labels as a dict.
//!
//! The tuples are made with the builtin `tuple.__new__` (the named tuples' own `__new__` is Python
//! code), and within a family each sample name and label name becomes one Python string.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString, PyTuple, PyType};
use srekit::metrics::{MetricFamily, Suffix};

static FAMILY_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SAMPLE_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static TUPLE_NEW: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// Python strings already made for one family: sample names by suffix, label names.
#[derive(Default)]
struct FamilyStrings<'py> {
    sample_names: Vec<(Suffix, Bound<'py, PyString>)>,
    label_names: Vec<(String, Bound<'py, PyString>)>,
}

impl<'py> FamilyStrings<'py> {
    fn sample_name(
        &mut self,
        py: Python<'py>,
        family: &MetricFamily,
        suffix: Suffix,
    ) -> Bound<'py, PyString> {
        if let Some((_, name)) = self.sample_names.iter().find(|(s, _)| *s == suffix) {
            return name.clone();
        }
        let name = PyString::new(py, &family.sample_name(suffix));
        self.sample_names.push((suffix, name.clone()));
        name
    }

    fn label_name(&mut self, py: Python<'py>, label: &str) -> Bound<'py, PyString> {
        if let Some((_, name)) = self.label_names.iter().find(|(l, _)| l == label) {
            return name.clone();
        }
        let name = PyString::new(py, label);
        if self.label_names.len() < 32 {
            self.label_names.push((label.to_owned(), name.clone()));
        }
        name
    }
}

/// Converts core families to a Python list of `srekit.MetricFamily`.
pub(crate) fn families_to_py<'py>(
    py: Python<'py>,
    families: &[MetricFamily],
) -> PyResult<Bound<'py, PyList>> {
    let family_type = FAMILY_TYPE.import(py, "srekit._model", "MetricFamily")?;
    let sample_type = SAMPLE_TYPE.import(py, "srekit._model", "Sample")?;
    let tuple_new = TUPLE_NEW
        .get_or_try_init(py, || Ok::<_, PyErr>(py.get_type::<PyTuple>().getattr("__new__")?.unbind()))?
        .bind(py);
    let out = PyList::empty(py);
    for family in families {
        let mut strings = FamilyStrings::default();
        let samples = PyList::empty(py);
        for sample in &family.samples {
            let labels = PyDict::new(py);
            for (name, value) in &sample.labels {
                labels.set_item(strings.label_name(py, name), value)?;
            }
            let name = strings.sample_name(py, family, sample.suffix);
            let fields = (name, labels, sample.value, sample.timestamp).into_pyobject(py)?;
            samples.append(tuple_new.call1((sample_type, fields))?)?;
        }
        let fields =
            (&family.name, family.kind.as_str(), &family.help, &family.unit, samples).into_pyobject(py)?;
        out.append(tuple_new.call1((family_type, fields))?)?;
    }
    Ok(out)
}
