//! `srekit.Pipeline`: the exporter's log pipeline (`[[inputs]]`, `[[metrics]]`, `[state]` as TOML)
//! run in-process by the core's `PipelineRunner`, feeding a `srekit.Registry` the application already
//! serves. `start()` runs it on a background thread, `stop()` ends it and writes the checkpoints;
//! `poll()` drives it by hand instead.

use pyo3::prelude::*;
use pyo3::types::PyDict;
use srekit::error::codes::CONFIG_INVALID;
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::Pipeline;
use srekit::logs::runner::PipelineRunner;
use srekit::metrics::Registry;

use crate::errors::{coded_error, to_py_err};
use crate::registry::PyRegistry;

#[pyclass(module = "srekit", name = "Pipeline", frozen)]
pub(crate) struct PyPipeline {
    runner: PipelineRunner,
    registry: Registry,
}

#[pymethods]
impl PyPipeline {
    /// Builds the pipeline from the exporter's TOML config, with its metrics in `registry` (a new one
    /// when None); checkpoints in the config's state directory are resumed from.
    #[new]
    #[pyo3(signature = (toml, *, registry = None))]
    fn new(toml: &str, registry: Option<&PyRegistry>) -> PyResult<Self> {
        let config: PipelineConfig = toml::from_str(toml)
            .map_err(|e| coded_error(CONFIG_INVALID, format!("invalid pipeline config: {e}")))?;
        let registry = registry.map_or_else(Registry::new, |r| r.registry().clone());
        let pipeline = Pipeline::with_registry(&config, registry.clone()).map_err(to_py_err)?;
        Ok(PyPipeline { runner: PipelineRunner::new(pipeline), registry })
    }

    /// The registry holding the pipeline's metrics.
    #[getter]
    fn registry(&self) -> PyRegistry {
        PyRegistry::from_core(self.registry.clone())
    }

    /// Reads what is new once (not while started); returns `{"lines", "bytes", "parse_errors"}`.
    fn poll<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let summary = py.detach(|| self.runner.poll()).map_err(to_py_err)?;
        let out = PyDict::new(py);
        out.set_item("lines", summary.lines)?;
        out.set_item("bytes", summary.bytes)?;
        out.set_item("parse_errors", summary.parse_errors)?;
        Ok(out)
    }

    /// Runs the pipeline on a background thread (new lines show up within a second).
    fn start(&self) -> PyResult<()> {
        self.runner.start().map_err(to_py_err)
    }

    /// Stops the pipeline (a last read, then the checkpoints are written); safe to call again.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        py.detach(|| self.runner.stop()).map_err(to_py_err)
    }

    /// Read and checkpoint errors of the background thread (the latest 100).
    fn errors(&self) -> Vec<String> {
        self.runner.errors()
    }

    fn __enter__(slf: Py<Self>) -> PyResult<Py<Self>> {
        slf.get().start()?;
        Ok(slf)
    }

    #[pyo3(signature = (*_args))]
    fn __exit__(&self, py: Python<'_>, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }
}

/// Adds `Pipeline` to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyPipeline>()
}
