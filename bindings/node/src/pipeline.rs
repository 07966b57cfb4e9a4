//! `Pipeline` for JavaScript: the exporter's log pipeline (`inputs`, `metrics`, `state`, with the
//! exporter's config keys) run in-process by the core's `PipelineRunner`, its metrics in the
//! application's `Registry`. `start()` runs it on a background thread, `stop()` ends it and writes the
//! checkpoints; `poll()` drives it by hand instead.

use napi_derive::napi;
use srekit::error::codes::CONFIG_INVALID;
use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::Pipeline;
use srekit::logs::runner::PipelineRunner;

use crate::errors::{coded_error, to_js_error, JsErrorCode};
use crate::registry::JsRegistry;

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
    runner: PipelineRunner,
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
        Ok(JsPipeline { runner: PipelineRunner::new(pipeline) })
    }

    /// Reads what is new once (not while started); throws the first read or checkpoint error.
    #[napi]
    pub fn poll(&self) -> napi::Result<PipelinePoll, JsErrorCode> {
        let summary = self.runner.poll().map_err(to_js_error)?;
        Ok(PipelinePoll {
            lines: summary.lines as f64,
            bytes: summary.bytes as f64,
            parse_errors: summary.parse_errors as f64,
        })
    }

    /// Runs the pipeline on a background thread (new lines show up within a second).
    #[napi]
    pub fn start(&self) -> napi::Result<(), JsErrorCode> {
        self.runner.start().map_err(to_js_error)
    }

    /// Stops the pipeline (a last read, then the checkpoints are written). Safe to call again.
    #[napi]
    pub fn stop(&self) -> napi::Result<(), JsErrorCode> {
        self.runner.stop().map_err(to_js_error)
    }

    /// Read and checkpoint errors of the background thread (the latest 100).
    #[napi]
    pub fn errors(&self) -> Vec<String> {
        self.runner.errors()
    }
}
