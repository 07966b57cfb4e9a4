//! Host metrics: `collect_host()` / `collect_host_text()`, the reusable `Host` class and the collector
//! catalog, over `srekit::host::HostCollector`. Collection runs with the GIL released.
//!
//! A core collector starts one worker thread per collector, so the one-shot functions keep the
//! collectors they built in a small cache keyed by their settings instead of starting threads on
//! every call.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};
use srekit::host::{HostCollector, HostConfig};

use crate::errors::HostError;
use crate::expfmt::format_from_name;
use crate::families::families_to_py;

/// Everything that selects a host collection: collectors (None: the defaults) and roots.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Settings {
    collectors: Option<Vec<String>>,
    procfs: PathBuf,
    sysfs: PathBuf,
    rootfs: PathBuf,
    textfile_directory: Option<PathBuf>,
    udev_data: Option<PathBuf>,
}

impl Settings {
    /// A started core collector for these settings, or a `HostError` with the core's message.
    fn build(&self) -> PyResult<HostCollector> {
        let mut config = HostConfig::with_roots(&self.procfs, &self.sysfs, &self.rootfs);
        config.textfile_directory = self.textfile_directory.clone();
        if let Some(udev_data) = &self.udev_data {
            config.udev_data = udev_data.clone();
        }
        if let Some(names) = &self.collectors {
            config.disable_defaults();
            for name in names {
                config.enable(name).map_err(|err| HostError::new_err(err.to_string()))?;
            }
        }
        HostCollector::new(config).map_err(|err| HostError::new_err(err.to_string()))
    }
}

static SHARED: OnceLock<Mutex<HashMap<Settings, Arc<HostCollector>>>> = OnceLock::new();
const SHARED_LIMIT: usize = 8;

/// The cached collector for `settings`, built on first use.
fn shared(settings: Settings) -> PyResult<Arc<HostCollector>> {
    let cache = SHARED.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&settings).cloned()) {
        return Ok(found);
    }
    let collector = Arc::new(settings.build()?);
    if let Ok(mut collectors) = cache.lock() {
        if collectors.len() >= SHARED_LIMIT {
            collectors.clear();
        }
        collectors.insert(settings, Arc::clone(&collector));
    }
    Ok(collector)
}

fn collect_families<'py>(py: Python<'py>, collector: &HostCollector) -> PyResult<Bound<'py, PyList>> {
    let families = py.detach(|| collector.collect());
    families_to_py(py, &families)
}

fn collect_encoded<'py>(
    py: Python<'py>,
    collector: &HostCollector,
    format: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let format = format_from_name(format)?;
    let buffer = py.detach(|| {
        let mut buffer = Vec::new();
        srekit::expfmt::encode(&collector.collect(), format, &mut buffer);
        buffer
    });
    Ok(PyBytes::new(py, &buffer))
}

/// A configured host collector, kept across collections.
#[pyclass(module = "srekit", name = "Host", frozen)]
pub(crate) struct PyHost {
    inner: Arc<HostCollector>,
}

#[pymethods]
impl PyHost {
    #[new]
    #[pyo3(signature = (collectors = None, procfs = PathBuf::from("/proc"), sysfs = PathBuf::from("/sys"),
                        rootfs = PathBuf::from("/"), textfile_directory = None, udev_data = None))]
    fn new(
        collectors: Option<Vec<String>>,
        procfs: PathBuf,
        sysfs: PathBuf,
        rootfs: PathBuf,
        textfile_directory: Option<PathBuf>,
        udev_data: Option<PathBuf>,
    ) -> PyResult<Self> {
        let settings = Settings { collectors, procfs, sysfs, rootfs, textfile_directory, udev_data };
        Ok(PyHost { inner: Arc::new(settings.build()?) })
    }

    /// The enabled collectors' names, sorted.
    #[getter]
    fn collectors(&self) -> Vec<&'static str> {
        self.inner.collectors()
    }

    /// One collection as a list of `srekit.MetricFamily`.
    fn collect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        collect_families(py, &self.inner)
    }

    /// One collection encoded as `bytes` ("text" or "openmetrics").
    #[pyo3(signature = (format = "text"))]
    fn collect_text<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        collect_encoded(py, &self.inner, format)
    }
}

/// Collects host metrics once (node_exporter's names) as a list of `srekit.MetricFamily`.
#[pyfunction]
#[pyo3(signature = (collectors = None, procfs = PathBuf::from("/proc"), sysfs = PathBuf::from("/sys"),
                    rootfs = PathBuf::from("/"), textfile_directory = None, udev_data = None))]
fn collect_host<'py>(
    py: Python<'py>,
    collectors: Option<Vec<String>>,
    procfs: PathBuf,
    sysfs: PathBuf,
    rootfs: PathBuf,
    textfile_directory: Option<PathBuf>,
    udev_data: Option<PathBuf>,
) -> PyResult<Bound<'py, PyList>> {
    let collector = shared(Settings { collectors, procfs, sysfs, rootfs, textfile_directory, udev_data })?;
    collect_families(py, &collector)
}

/// Collects host metrics once, encoded as `bytes` ("text" or "openmetrics").
#[pyfunction]
#[pyo3(signature = (format = "text", collectors = None, procfs = PathBuf::from("/proc"),
                    sysfs = PathBuf::from("/sys"), rootfs = PathBuf::from("/"), textfile_directory = None,
                    udev_data = None))]
#[allow(clippy::too_many_arguments)] // the Python keyword arguments, one to one
fn collect_host_text<'py>(
    py: Python<'py>,
    format: &str,
    collectors: Option<Vec<String>>,
    procfs: PathBuf,
    sysfs: PathBuf,
    rootfs: PathBuf,
    textfile_directory: Option<PathBuf>,
    udev_data: Option<PathBuf>,
) -> PyResult<Bound<'py, PyBytes>> {
    let collector = shared(Settings { collectors, procfs, sysfs, rootfs, textfile_directory, udev_data })?;
    collect_encoded(py, &collector, format)
}

/// Every collector name srekit knows.
#[pyfunction]
fn all_collectors() -> Vec<&'static str> {
    srekit::host::all_collectors().to_vec()
}

/// The collectors enabled when `collectors=None` (node_exporter's Linux defaults).
#[pyfunction]
fn default_collectors() -> Vec<&'static str> {
    srekit::host::default_collectors().to_vec()
}

/// Adds this file's functions and the `Host` class to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(collect_host, module)?)?;
    module.add_function(wrap_pyfunction!(collect_host_text, module)?)?;
    module.add_function(wrap_pyfunction!(all_collectors, module)?)?;
    module.add_function(wrap_pyfunction!(default_collectors, module)?)?;
    module.add_class::<PyHost>()?;
    Ok(())
}
