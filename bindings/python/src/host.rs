//! Host metrics: `collect_host()` / `collect_host_text()`, the reusable `Host` class and the collector
//! catalog, over `srekit::host::HostCollector`. Collection runs with the GIL released.
//!
//! A core collector runs its collectors on worker threads, so the one-shot functions keep the
//! collectors they built in a small cache keyed by their settings instead of starting threads on
//! every call. Threads do not survive `fork()` (gunicorn's preload, multiprocessing): a collector is
//! only used in the process that built it, and a forked child builds its own on first use.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use srekit::error::codes::INTERNAL_PANIC;
use srekit::host::{HostCollector, HostConfig, HostOption};

use crate::errors::{coded_error, to_py_err};
use crate::expfmt::format_from_name;
use crate::families::families_to_py;

/// A keyword option's value: a pattern (or address) or a switch.
#[derive(Clone, PartialEq, Eq, Hash)]
enum OptionValue {
    Text(String),
    Switch(bool),
}

/// Everything that selects a host collection: collectors (None: the defaults), roots and the
/// node_exporter collector options given as keywords (sorted by name).
#[derive(Clone, PartialEq, Eq, Hash)]
struct Settings {
    collectors: Option<Vec<String>>,
    procfs: PathBuf,
    sysfs: PathBuf,
    rootfs: PathBuf,
    textfile_directory: Option<PathBuf>,
    udev_data: Option<PathBuf>,
    options: Vec<(String, OptionValue)>,
}

/// The `**options` keywords as option values: `str` for patterns, `bool` for switches; a keyword
/// given `None` keeps its default.
fn option_values(options: Option<&Bound<'_, PyDict>>) -> PyResult<Vec<(String, OptionValue)>> {
    let mut values = Vec::new();
    for (key, value) in options.into_iter().flat_map(|dict| dict.iter()) {
        let name: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        let value = if let Ok(on) = value.cast::<pyo3::types::PyBool>() {
            OptionValue::Switch(on.is_true())
        } else if let Ok(text) = value.extract::<String>() {
            OptionValue::Text(text)
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "host option {name:?} takes a str or a bool, not {}",
                value.get_type().name()?
            )));
        };
        values.push((name, value));
    }
    values.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(values)
}

impl Settings {
    /// A started core collector for these settings, or a `HostError` with the core's message.
    fn build(&self) -> PyResult<HostCollector> {
        let mut config = HostConfig::with_roots(&self.procfs, &self.sysfs, &self.rootfs);
        config.textfile_directory = self.textfile_directory.clone();
        if let Some(udev_data) = &self.udev_data {
            config.udev_data = udev_data.clone();
        }
        for (name, value) in &self.options {
            let value = match value {
                OptionValue::Text(text) => HostOption::Text(text),
                OptionValue::Switch(on) => HostOption::Switch(*on),
            };
            config.set_option(name, value).map_err(to_py_err)?;
        }
        if let Some(names) = &self.collectors {
            config.disable_defaults();
            for name in names {
                config.enable(name).map_err(to_py_err)?;
            }
        }
        HostCollector::new(config).map_err(to_py_err)
    }
}

/// A started collector and the process it was started in (its worker threads exist only there).
#[derive(Clone)]
struct Started {
    pid: u32,
    collector: Arc<HostCollector>,
}

impl Started {
    fn new(settings: &Settings) -> PyResult<Started> {
        Ok(Started { pid: std::process::id(), collector: Arc::new(settings.build()?) })
    }

    fn is_current(&self) -> bool {
        self.pid == std::process::id()
    }
}

static SHARED: OnceLock<Mutex<HashMap<Settings, Started>>> = OnceLock::new();
const SHARED_LIMIT: usize = 8;

/// The cached collector for `settings` in this process, built on first use.
fn shared(settings: Settings) -> PyResult<Arc<HostCollector>> {
    let cache = SHARED.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&settings).filter(|s| s.is_current()).cloned())
    {
        return Ok(found.collector);
    }
    let started = Started::new(&settings)?;
    if let Ok(mut collectors) = cache.lock() {
        if collectors.len() >= SHARED_LIMIT {
            collectors.clear();
        }
        collectors.insert(settings, started.clone());
    }
    Ok(started.collector)
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
    settings: Settings,
    started: Mutex<Started>,
}

impl PyHost {
    /// This process's collector (rebuilt once in a child after `fork()`).
    fn collector(&self) -> PyResult<Arc<HostCollector>> {
        let mut started =
            self.started.lock().map_err(|_| coded_error(INTERNAL_PANIC, "host collector lock poisoned"))?;
        if !started.is_current() {
            *started = Started::new(&self.settings)?;
        }
        Ok(Arc::clone(&started.collector))
    }
}

#[pymethods]
impl PyHost {
    #[new]
    #[pyo3(signature = (collectors = None, procfs = PathBuf::from("/proc"), sysfs = PathBuf::from("/sys"),
                        rootfs = PathBuf::from("/"), textfile_directory = None, udev_data = None, **options))]
    fn new(
        collectors: Option<Vec<String>>,
        procfs: PathBuf,
        sysfs: PathBuf,
        rootfs: PathBuf,
        textfile_directory: Option<PathBuf>,
        udev_data: Option<PathBuf>,
        options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let options = option_values(options)?;
        let settings = Settings { collectors, procfs, sysfs, rootfs, textfile_directory, udev_data, options };
        let started = Mutex::new(Started::new(&settings)?);
        Ok(PyHost { settings, started })
    }

    /// The enabled collectors' names, sorted.
    #[getter]
    fn collectors(&self) -> PyResult<Vec<&'static str>> {
        Ok(self.collector()?.collectors())
    }

    /// One collection as a list of `srekit.MetricFamily`.
    fn collect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let collector = self.collector()?;
        collect_families(py, &collector)
    }

    /// One collection plus why each failed collector failed: `(families, {collector: reason})`.
    fn collect_report<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyDict>)> {
        let collector = self.collector()?;
        let report = py.detach(|| collector.collect_report());
        let failures = PyDict::new(py);
        for (name, error) in &report.failures {
            failures.set_item(name, error.to_string())?;
        }
        Ok((families_to_py(py, &report.families)?, failures))
    }

    /// One collection encoded as `bytes` ("text" or "openmetrics").
    #[pyo3(signature = (format = "text"))]
    fn collect_text<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        let collector = self.collector()?;
        collect_encoded(py, &collector, format)
    }
}

/// Collects host metrics once (node_exporter's names) as a list of `srekit.MetricFamily`.
#[pyfunction]
#[pyo3(signature = (collectors = None, procfs = PathBuf::from("/proc"), sysfs = PathBuf::from("/sys"),
                    rootfs = PathBuf::from("/"), textfile_directory = None, udev_data = None, **options))]
#[allow(clippy::too_many_arguments)] // the Python keyword arguments, one to one
fn collect_host<'py>(
    py: Python<'py>,
    collectors: Option<Vec<String>>,
    procfs: PathBuf,
    sysfs: PathBuf,
    rootfs: PathBuf,
    textfile_directory: Option<PathBuf>,
    udev_data: Option<PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Bound<'py, PyList>> {
    let options = option_values(options)?;
    let collector =
        shared(Settings { collectors, procfs, sysfs, rootfs, textfile_directory, udev_data, options })?;
    collect_families(py, &collector)
}

/// Collects host metrics once, encoded as `bytes` ("text" or "openmetrics").
#[pyfunction]
#[pyo3(signature = (format = "text", collectors = None, procfs = PathBuf::from("/proc"),
                    sysfs = PathBuf::from("/sys"), rootfs = PathBuf::from("/"), textfile_directory = None,
                    udev_data = None, **options))]
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
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Bound<'py, PyBytes>> {
    let options = option_values(options)?;
    let collector =
        shared(Settings { collectors, procfs, sysfs, rootfs, textfile_directory, udev_data, options })?;
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
