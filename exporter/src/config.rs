//! The exporter's `--config.file` (TOML): the log pipeline's `[state]`, `[[inputs]]` and `[[metrics]]`
//! (their structs live in the core) plus an optional `[web]` table. Unknown keys are errors that name
//! the key, line and column.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use srekit::logs::config::{InputConfig, PipelineConfig, RuleConfig, StateConfig};
use srekit::logs::pipeline::Pipeline;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExporterConfig {
    #[serde(default)]
    pub state: StateConfig,
    #[serde(default)]
    pub inputs: Vec<InputConfig>,
    #[serde(default)]
    pub metrics: Vec<RuleConfig>,
    #[serde(default)]
    pub web: WebSection,
    /// `[[outputs]]`: remote write and OTLP pushes.
    #[serde(default)]
    pub outputs: Vec<crate::outputs::OutputConfig>,
}

/// `[web]`: the web config file (TLS and basic auth), as `--web.config.file` gives it.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebSection {
    pub config_file: Option<PathBuf>,
    /// `serve = false`: push only, no `/metrics` listener (default true).
    pub serve: Option<bool>,
}

impl ExporterConfig {
    /// Reads and parses the file; the message names the file and, for syntax and unknown keys, where.
    pub fn load(path: &Path) -> Result<ExporterConfig, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut config: ExporterConfig =
            toml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        // A relative web config path is relative to this file, like the paths inside the web config.
        if let Some(web) = config.web.config_file.as_mut() {
            if web.is_relative() {
                *web = path.parent().unwrap_or(Path::new(".")).join(&*web);
            }
        }
        Ok(config)
    }

    /// The log pipeline's part.
    pub fn pipeline(&self) -> PipelineConfig {
        PipelineConfig {
            inputs: self.inputs.clone(),
            metrics: self.metrics.clone(),
            state: self.state.clone(),
        }
    }

    /// Checks everything the pipeline would check at start, without touching log files or state.
    pub fn validate(&self, path: &Path) -> Result<(), String> {
        Pipeline::validate(&self.pipeline()).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(web) = &self.web.config_file {
            crate::web_config::WebConfig::load(web)
                .map_err(|e| format!("{}: [web] config_file: {e}", path.display()))?;
        }
        self.outputs()?;
        Ok(())
    }

    /// The `[[outputs]]`, built (files read, URLs and sizes checked); errors name the output and key.
    pub fn outputs(&self) -> Result<Vec<srekit_push::Output>, String> {
        crate::outputs::build(&self.outputs, self.state.directory.as_deref())
            .map_err(|e| format!("--config.file: {e}"))
    }
}
