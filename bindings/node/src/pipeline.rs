//! `Pipeline` for JavaScript: the exporter's log pipeline (`inputs`, `metrics`, `state`, with the
//! exporter's config keys) run in-process over `srekit::logs::pipeline::Pipeline`, its metrics in the
//! application's `Registry`. `start()` runs it on a background thread, `stop()` ends it and writes the
//! checkpoints; `poll()` drives it by hand instead.

use std::sync::{Arc, Mutex};

use napi_derive::napi;
use srekit::error::codes::{CONFIG_INVALID, INTERNAL_PANIC};
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::{Pipeline, PipelineHandle};

use crate::errors::{coded_error, to_js_error, JsErrorCode};
use crate::registry::JsRegistry;

/// Errors from the background thread kept for `errors()` (the oldest go first).
const KEPT_ERRORS: usize = 100;

enum State {
    Ready(Box<Pipeline>),
    Running(PipelineHandle),
    Stopped,
}

/// What one `poll()` read.
#[napi(object)]
pub struct PipelinePoll {
    /// Lines read.
    pub lines: f64,
    /// Bytes of complete lines read.
    pub bytes: f64,
    /// Lines (or joined events) that failed to parse.
    pub parse_errors: f64,
}

/// The exporter's log pipeline in-process.
#[napi(js_name = "Pipeline")]
pub struct JsPipeline {
    state: Mutex<State>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl JsPipeline {
    fn state(&self) -> napi::Result<std::sync::MutexGuard<'_, State>, JsErrorCode> {
        self.state.lock().map_err(|_| coded_error(INTERNAL_PANIC, "Pipeline: poisoned"))
    }
}

#[napi]
impl JsPipeline {
    /// Builds the pipeline from the JSON text of the exporter's config (`inputs`, `metrics`, `state`),
    /// registering its metrics in `registry`; checkpoints in the state directory are resumed from.
    #[napi(constructor)]
    pub fn new(registry: &JsRegistry, config_json: String) -> napi::Result<Self, JsErrorCode> {
        let config: PipelineConfig = serde_json::from_str(&config_json)
            .map_err(|e| coded_error(CONFIG_INVALID, format!("invalid pipeline config: {e}")))?;
        let pipeline = Pipeline::with_registry(&config, registry.core().clone()).map_err(to_js_error)?;
        Ok(JsPipeline {
            state: Mutex::new(State::Ready(Box::new(pipeline))),
            errors: Arc::new(Mutex::new(Vec::new())),
        })
    }

    /// Reads what is new once (not while started); throws the first read or checkpoint error.
    #[napi]
    pub fn poll(&self) -> napi::Result<PipelinePoll, JsErrorCode> {
        let mut state = self.state()?;
        let State::Ready(pipeline) = &mut *state else {
            return Err(coded_error(CONFIG_INVALID, "Pipeline.poll: the pipeline is started or stopped"));
        };
        let summary = pipeline.poll();
        if let Some(err) = summary.errors.into_iter().next() {
            return Err(to_js_error(err));
        }
        Ok(PipelinePoll {
            lines: summary.lines as f64,
            bytes: summary.bytes as f64,
            parse_errors: summary.parse_errors as f64,
        })
    }

    /// Runs the pipeline on a background thread (new lines show up within a second).
    #[napi]
    pub fn start(&self) -> napi::Result<(), JsErrorCode> {
        let mut state = self.state()?;
        let pipeline = match std::mem::replace(&mut *state, State::Stopped) {
            State::Ready(pipeline) => pipeline,
            other => {
                *state = other;
                return Err(coded_error(CONFIG_INVALID, "Pipeline.start: already started or stopped"));
            }
        };
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

    /// Stops the pipeline (a last read, then the checkpoints are written). Safe to call again.
    #[napi]
    pub fn stop(&self) -> napi::Result<(), JsErrorCode> {
        match std::mem::replace(&mut *self.state()?, State::Stopped) {
            State::Running(handle) => handle.shutdown().map_err(to_js_error),
            State::Ready(pipeline) => pipeline.shutdown().map_err(to_js_error),
            State::Stopped => Ok(()),
        }
    }

    /// Read and checkpoint errors of the background thread (the latest 100).
    #[napi]
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().map(|kept| kept.clone()).unwrap_or_default()
    }
}
