//! `srekit.Pipeline`: the exporter's log pipeline (`[[inputs]]`, `[[metrics]]`, `[state]` as TOML)
//! run in-process over `srekit::logs::pipeline::Pipeline`, feeding a `srekit.Registry` the application
//! already serves. `start()` runs it on a background thread, `stop()` ends it and writes the
//! checkpoints; `poll()` drives it by hand instead.

use std::sync::{Arc, Mutex};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use srekit::error::codes::{CONFIG_INVALID, INTERNAL_PANIC};
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::{Pipeline, PipelineHandle};
use srekit::metrics::Registry;

use crate::errors::{coded_error, to_py_err};
use crate::registry::PyRegistry;

/// Errors from the background thread kept for `errors()` (the oldest go first).
const KEPT_ERRORS: usize = 100;

enum State {
    Ready(Box<Pipeline>),
    Running(PipelineHandle),
    Stopped,
}

#[pyclass(module = "srekit", name = "Pipeline", frozen)]
pub(crate) struct PyPipeline {
    state: Mutex<State>,
    registry: Registry,
    errors: Arc<Mutex<Vec<String>>>,
}

impl PyPipeline {
    fn state(&self) -> PyResult<std::sync::MutexGuard<'_, State>> {
        self.state.lock().map_err(|_| coded_error(INTERNAL_PANIC, "Pipeline: poisoned"))
    }
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
        Ok(PyPipeline {
            state: Mutex::new(State::Ready(Box::new(pipeline))),
            registry,
            errors: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// The registry holding the pipeline's metrics.
    #[getter]
    fn registry(&self) -> PyRegistry {
        PyRegistry::from_core(self.registry.clone())
    }

    /// Reads what is new once (not while started); returns `{"lines", "bytes", "parse_errors"}` and
    /// raises the first read or checkpoint error, if any.
    fn poll<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let mut state = self.state()?;
        let State::Ready(pipeline) = &mut *state else {
            return Err(coded_error(CONFIG_INVALID, "Pipeline.poll: the pipeline is started or stopped"));
        };
        let summary = py.detach(|| pipeline.poll());
        if let Some(err) = summary.errors.into_iter().next() {
            return Err(to_py_err(err));
        }
        let out = PyDict::new(py);
        out.set_item("lines", summary.lines)?;
        out.set_item("bytes", summary.bytes)?;
        out.set_item("parse_errors", summary.parse_errors)?;
        Ok(out)
    }

    /// Runs the pipeline on a background thread (new lines show up within a second).
    fn start(&self) -> PyResult<()> {
        let mut state = self.state()?;
        let State::Ready(_) = &*state else {
            return Err(coded_error(CONFIG_INVALID, "Pipeline.start: already started or stopped"));
        };
        let State::Ready(pipeline) = std::mem::replace(&mut *state, State::Stopped) else { unreachable!() };
        let errors = Arc::clone(&self.errors);
        let handle = pipeline
            .spawn(move |err| {
                if let Ok(mut kept) = errors.lock() {
                    if kept.len() >= KEPT_ERRORS {
                        kept.remove(0);
                    }
                    kept.push(err.to_string());
                }
            })
            .map_err(|e| coded_error(INTERNAL_PANIC, format!("Pipeline.start: {e}")))?;
        *state = State::Running(handle);
        Ok(())
    }

    /// Stops the pipeline (a last read, then the checkpoints are written); a stopped pipeline stays
    /// stopped. Safe to call more than once.
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let taken = std::mem::replace(&mut *self.state()?, State::Stopped);
        match taken {
            State::Running(handle) => py.detach(|| handle.shutdown()).map_err(to_py_err),
            State::Ready(pipeline) => py.detach(|| pipeline.shutdown()).map_err(to_py_err),
            State::Stopped => Ok(()),
        }
    }

    /// Read and checkpoint errors of the background thread (the latest 100).
    fn errors(&self) -> Vec<String> {
        self.errors.lock().map(|kept| kept.clone()).unwrap_or_default()
    }

    fn __enter__(slf: Py<Self>, py: Python<'_>) -> PyResult<Py<Self>> {
        slf.get().start()?;
        let _ = py;
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
