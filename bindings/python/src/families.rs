//! The one conversion of core metric families into Python: `srekit.MetricFamily` and `srekit.Sample`
//! named tuples (defined in `srekit/_model.py`), with a sample's full name and labels as a dict.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyType};
use srekit::metrics::MetricFamily;

static FAMILY_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static SAMPLE_TYPE: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// Converts core families to a Python list of `srekit.MetricFamily`.
pub(crate) fn families_to_py<'py>(
    py: Python<'py>,
    families: &[MetricFamily],
) -> PyResult<Bound<'py, PyList>> {
    let family_type = FAMILY_TYPE.import(py, "srekit._model", "MetricFamily")?;
    let sample_type = SAMPLE_TYPE.import(py, "srekit._model", "Sample")?;
    let out = PyList::empty(py);
    for family in families {
        let samples = PyList::empty(py);
        for sample in &family.samples {
            let labels = PyDict::new(py);
            for (name, value) in &sample.labels {
                labels.set_item(name, value)?;
            }
            let name = family.sample_name(sample.suffix);
            samples.append(sample_type.call1((name, labels, sample.value, sample.timestamp))?)?;
        }
        let kind = family.kind.as_str();
        out.append(family_type.call1((&family.name, kind, &family.help, &family.unit, samples))?)?;
    }
    Ok(out)
}
