//! Host metrics: `collect_host()` / `collect_host_text()` and the reusable `Host` class over
//! `srekit::host::HostCollector`. Collection runs with the GIL released.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use srekit::host::{HostCollector, HostConfig};

use crate::errors::HostError;
use crate::expfmt::format_from_name;
use crate::families::families_to_py;

/// A core collector for these collectors (None: node_exporter's defaults) and roots.
fn build_collector(
    collectors: Option<Vec<String>>,
    procfs: PathBuf,
    sysfs: PathBuf,
    rootfs: PathBuf,
) -> PyResult<HostCollector> {
    let mut config = HostConfig::default();
    config.procfs = procfs;
    config.sysfs = sysfs;
    config.rootfs = rootfs;
    if let Some(names) = collectors {
        config.disable_defaults();
        for name in &names {
            config.enable(name).map_err(|err| HostError::new_err(err.to_string()))?;
        }
    }
    HostCollector::new(config).map_err(|err| HostError::new_err(err.to_string()))
}

/// A configured host collector, kept across collections (it reuses its read buffers).
#[pyclass(module = "srekit", name = "Host", frozen)]
pub(crate) struct PyHost {
    inner: HostCollector,
}

#[pymethods]
impl PyHost {
    #[new]
    #[pyo3(signature = (collectors = None, procfs = PathBuf::from("/proc"), sysfs = PathBuf::from("/sys"),
                        rootfs = PathBuf::from("/")))]
    fn new(collectors: Option<Vec<String>>, procfs: PathBuf, sysfs: PathBuf, rootfs: PathBuf) -> PyResult<Self> {
        Ok(PyHost { inner: build_collector(collectors, procfs, sysfs, rootfs)? })
    }

    /// One collection as a list of `srekit.MetricFamily`.
    fn collect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let families = py.detach(|| self.inner.collect());
        families_to_py(py, &families)
    }

    /// One collection encoded as `bytes` ("text" or "openmetrics").
    #[pyo3(signature = (format = "text"))]
    fn collect_text<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        let format = format_from_name(format)?;
        let buffer = py.detach(|| {
            let mut buffer = Vec::new();
            srekit::expfmt::encode(&self.inner.collect(), format, &mut buffer);
            buffer
        });
        Ok(PyBytes::new(py, &buffer))
    }
}

/// Collects host metrics once (node_exporter's names) as a list of `srekit.MetricFamily`.
#[pyfunction]
#[pyo3(signature = (collectors = None, procfs = PathBuf::from("/proc"), sysfs = PathBuf::from("/sys"),
                    rootfs = PathBuf::from("/")))]
fn collect_host<'py>(
    py: Python<'py>,
    collectors: Option<Vec<String>>,
    procfs: PathBuf,
    sysfs: PathBuf,
    rootfs: PathBuf,
) -> PyResult<Bound<'py, PyList>> {
    PyHost::new(collectors, procfs, sysfs, rootfs)?.collect(py)
}

/// Collects host metrics once, encoded as `bytes` ("text" or "openmetrics").
#[pyfunction]
#[pyo3(signature = (format = "text", collectors = None, procfs = PathBuf::from("/proc"),
                    sysfs = PathBuf::from("/sys"), rootfs = PathBuf::from("/")))]
fn collect_host_text<'py>(
    py: Python<'py>,
    format: &str,
    collectors: Option<Vec<String>>,
    procfs: PathBuf,
    sysfs: PathBuf,
    rootfs: PathBuf,
) -> PyResult<Bound<'py, PyBytes>> {
    PyHost::new(collectors, procfs, sysfs, rootfs)?.collect_text(py, format)
}

/// Adds this file's functions and the `Host` class to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(collect_host, module)?)?;
    module.add_function(wrap_pyfunction!(collect_host_text, module)?)?;
    module.add_class::<PyHost>()?;
    Ok(())
}
