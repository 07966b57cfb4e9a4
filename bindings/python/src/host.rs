//! Host metrics: `collect_host()` / `collect_host_text()`, the reusable `Host` class and the collector
//! catalog, over `srekit::host::HostCollector`. Collection runs with the GIL released.
//!
//! A core collector runs its collectors on worker threads, so the one-shot functions take theirs from
//! the core's bounded cache (`srekit::host::shared_host_collector`) instead of starting threads on
//! every call. Threads do not survive `fork()` (gunicorn's preload, multiprocessing): a collector is
//! only used in the process that built it, and a forked child builds its own on first use.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};
use srekit::host::{
    HostCollector, HostCollectorCache, HostConfig, HostOption, HostOptionDefault, HostOptionKind,
};

use crate::errors::to_py_err;
use crate::expfmt::format_from_name;
use crate::families::families_to_py;

/// The core configuration for the Python arguments: collectors (None: the defaults), roots, the
/// per-collector deadline `collector_timeout` and the absent-path memory `absent_recheck` (seconds),
/// and the node_exporter collector options given as keywords (`str` for patterns, `bool` for
/// switches, as the core's option table says; a keyword given `None` keeps its default).
fn host_config(
    collectors: Option<Vec<String>>,
    roots: [PathBuf; 3],
    textfile_directory: Option<PathBuf>,
    udev_data: Option<PathBuf>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<HostConfig> {
    let [procfs, sysfs, rootfs] = roots;
    let mut config = HostConfig::with_roots(procfs, sysfs, rootfs);
    config.textfile_directory = textfile_directory;
    if let Some(udev_data) = udev_data {
        config.udev_data = udev_data;
    }
    for (key, value) in options.into_iter().flat_map(|dict| dict.iter()) {
        let name: String = key.extract()?;
        if value.is_none() {
            continue;
        }
        if let Some(set_seconds) = seconds_setter(&name) {
            let seconds = value
                .extract::<f64>()
                .ok()
                .filter(|_| !value.is_instance_of::<pyo3::types::PyBool>())
                .ok_or_else(|| {
                    pyo3::exceptions::PyTypeError::new_err(format!(
                        "{name} takes a number of seconds (int or float), not {}",
                        value.get_type().name().map(|n| n.to_string()).unwrap_or_default()
                    ))
                })?;
            set_seconds(&mut config, seconds).map_err(to_py_err)?;
            continue;
        }
        let set = if let Ok(on) = value.cast::<pyo3::types::PyBool>() {
            config.set_option(&name, HostOption::Switch(on.is_true()))
        } else if let Ok(text) = value.extract::<String>() {
            config.set_option(&name, HostOption::Text(&text))
        } else if let Some(bytes) = value.extract::<u64>().ok().filter(|_| takes_bytes(&name)) {
            config.set_option(&name, HostOption::Bytes(bytes))
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(format!(
                "host option {name:?} takes a str or a bool (the *_bytes sizes: an int), not {}",
                value.get_type().name()?
            )));
        };
        set.map_err(to_py_err)?;
    }
    if let Some(names) = &collectors {
        config.disable_defaults();
        for name in names {
            config.enable(name).map_err(to_py_err)?;
        }
    }
    Ok(config)
}

type SecondsSetter = fn(&mut HostConfig, f64) -> Result<(), srekit::host::HostError>;

/// The core setter of a keyword given in seconds (`collector_timeout`, `absent_recheck`), which are
/// collector settings rather than node_exporter collector options.
fn seconds_setter(name: &str) -> Option<SecondsSetter> {
    match name {
        "collector_timeout" => Some(HostConfig::set_collector_timeout_secs),
        "absent_recheck" => Some(HostConfig::set_absent_recheck_secs),
        _ => None,
    }
}

/// The process-wide cached collector for `config` (the core's bounded cache).
fn shared(config: &HostConfig) -> PyResult<Arc<HostCollector>> {
    srekit::host::shared_host_collector(config).map_err(to_py_err)
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
    config: HostConfig,
    /// This instance's collector, restarted once in a child after `fork()` (the core's cache of one
    /// keeps track of the process it was started in).
    started: HostCollectorCache,
}

impl PyHost {
    /// This process's collector (rebuilt once in a child after `fork()`).
    fn collector(&self) -> PyResult<Arc<HostCollector>> {
        self.started.get_or_start(&self.config).map_err(to_py_err)
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
        let config =
            host_config(collectors, [procfs, sysfs, rootfs], textfile_directory, udev_data, options)?;
        let host = PyHost { config, started: HostCollectorCache::new(1) };
        host.collector()?;
        Ok(host)
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

    /// One collection plus why each failed collector failed, as a `HostReport` (which still unpacks
    /// as the `(families, failures)` pair earlier versions returned).
    fn collect_report(&self, py: Python<'_>) -> PyResult<PyHostReport> {
        let collector = self.collector()?;
        let report = py.detach(|| collector.collect_report());
        let failures = PyDict::new(py);
        for (name, error) in &report.failures {
            failures.set_item(name, error.to_string())?;
        }
        Ok(PyHostReport {
            families: families_to_py(py, &report.families)?.unbind(),
            failures: failures.unbind(),
            no_data: report.no_data(),
            warnings: report.warnings,
        })
    }

    /// One collection encoded as `bytes` ("text" or "openmetrics").
    #[pyo3(signature = (format = "text"))]
    fn collect_text<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        let collector = self.collector()?;
        collect_encoded(py, &collector, format)
    }
}

/// One collection's result: `families`, `failures` (`{collector: reason}` for each collector that
/// reported success 0), `no_data` (those of them whose subsystem the host lacks: node_exporter's
/// "collector returned no data") and `warnings` (data dropped without failing a collector, each
/// naming its file). Unpacks as `families, failures`.
#[pyclass(module = "srekit", name = "HostReport", frozen)]
pub(crate) struct PyHostReport {
    families: Py<PyList>,
    failures: Py<PyDict>,
    no_data: Vec<&'static str>,
    warnings: Vec<String>,
}

#[pymethods]
impl PyHostReport {
    /// The collection's `srekit.MetricFamily` list.
    #[getter]
    fn families(&self, py: Python<'_>) -> Py<PyList> {
        self.families.clone_ref(py)
    }

    /// `{collector: reason}` for each failed collector.
    #[getter]
    fn failures(&self, py: Python<'_>) -> Py<PyDict> {
        self.failures.clone_ref(py)
    }

    /// The failed collectors that only found their optional subsystem absent, in collection order.
    #[getter]
    fn no_data(&self) -> Vec<&'static str> {
        self.no_data.clone()
    }

    /// Data dropped without failing a collector (a skipped textfile, ...), each naming its file.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        self.warnings.clone()
    }

    /// `families, failures = host.collect_report()`, as when it returned a pair.
    fn __iter__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let pair = (self.families.clone_ref(py), self.failures.clone_ref(py)).into_pyobject(py)?;
        pair.try_iter().map(Bound::into_any)
    }

    fn __len__(&self) -> usize {
        2
    }

    /// `report[0]` is `families`, `report[1]` `failures`, as in the pair.
    fn __getitem__(&self, py: Python<'_>, index: isize) -> PyResult<Py<PyAny>> {
        match index {
            0 | -2 => Ok(self.families.clone_ref(py).into_any()),
            1 | -1 => Ok(self.failures.clone_ref(py).into_any()),
            _ => Err(pyo3::exceptions::PyIndexError::new_err("HostReport index out of range (0 or 1)")),
        }
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let no_data: Vec<String> = self.no_data.iter().map(|name| format!("'{name}'")).collect();
        format!(
            "HostReport(families={}, failures={}, no_data=[{}], warnings={})",
            self.families.bind(py).len(),
            self.failures.bind(py).len(),
            no_data.join(", "),
            self.warnings.len()
        )
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
    let config = host_config(collectors, [procfs, sysfs, rootfs], textfile_directory, udev_data, options)?;
    let collector = shared(&config)?;
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
    let config = host_config(collectors, [procfs, sysfs, rootfs], textfile_directory, udev_data, options)?;
    let collector = shared(&config)?;
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

/// Whether the option `name` is a size in bytes (an int).
fn takes_bytes(name: &str) -> bool {
    srekit::host::host_options().iter().any(|o| o.name == name && o.kind() == HostOptionKind::Bytes)
}

/// The node_exporter collector options the keyword arguments take, from the core's table: a list
/// of `{"name", "flag", "type" ("str", "bool" or "int"), "default", "help"}` dicts.
#[pyfunction]
fn host_options(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for option in srekit::host::host_options() {
        let entry = PyDict::new(py);
        entry.set_item("name", option.name)?;
        entry.set_item("flag", option.flag)?;
        match option.default {
            HostOptionDefault::Text(default) => {
                entry.set_item("type", "str")?;
                entry.set_item("default", default)?;
            }
            HostOptionDefault::Switch(default) => {
                entry.set_item("type", "bool")?;
                entry.set_item("default", default)?;
            }
            HostOptionDefault::Bytes(default) => {
                entry.set_item("type", "int")?;
                entry.set_item("default", default)?;
            }
        }
        entry.set_item("help", option.help)?;
        list.append(entry)?;
    }
    Ok(list)
}

/// Adds this file's functions and the `Host` class to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(collect_host, module)?)?;
    module.add_function(wrap_pyfunction!(collect_host_text, module)?)?;
    module.add_function(wrap_pyfunction!(all_collectors, module)?)?;
    module.add_function(wrap_pyfunction!(default_collectors, module)?)?;
    module.add_function(wrap_pyfunction!(host_options, module)?)?;
    module.add_class::<PyHost>()?;
    module.add_class::<PyHostReport>()?;
    Ok(())
}
