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

    /// Checks everything the pipeline would check at start, without touching log files or state,
    /// and that no rule takes a name of the host metrics (`node_*`) or the exporter's own (`srekit_*`).
    pub fn validate(&self, path: &Path) -> Result<(), String> {
        Pipeline::validate(&self.pipeline()).map_err(|e| format!("{}: {e}", path.display()))?;
        if let Some(rule) = self.metrics.iter().find(|rule| reserved_name(&rule.name)) {
            return Err(format!(
                "{}: [[metrics]] rule {:?}: names starting with node_ (host metrics) or srekit_ (the exporter's own), also once escaped for scrapers without UTF-8 names (`node.x` is written `node_x`), are reserved; choose another",
                path.display(),
                rule.name
            ));
        }
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

/// Whether a rule's metric name is in the host's (`node_`) or the exporter's (`srekit_`) namespace,
/// also once escaped for a scraper without UTF-8 names (`node.load1` is written `node_load1`).
fn reserved_name(name: &str) -> bool {
    let escaped = srekit::expfmt::NameEscaping::Underscores.escape_metric_name(name);
    escaped.starts_with("node_") || escaped.starts_with("srekit_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_named_like_host_or_exporter_metrics_are_refused() {
        for name in [
            "node_load1",
            "node_textfile_scrape_error",
            "srekit_exporter_build_info",
            "node.load1",
            "srekit-x",
        ] {
            let config: ExporterConfig =
                toml::from_str(&format!("[[metrics]]\nname = \"{name}\"\nkind = \"counter\"\n"))
                    .expect("toml");
            let err = config.validate(Path::new("c.toml")).unwrap_err();
            assert!(err.contains(name) && err.contains("reserved"), "{err}");
        }
        let fine: ExporterConfig =
            toml::from_str("[[metrics]]\nname = \"app_nodes_total\"\nkind = \"counter\"\n").expect("toml");
        assert_eq!(fine.validate(Path::new("c.toml")), Ok(()));
        let utf8: ExporterConfig = toml::from_str(
            "[[metrics]]\nname = \"app.requests\"\nkind = \"counter\"\nlabels = { \"service.name\" = \"svc\" }\n",
        )
        .expect("toml");
        assert_eq!(utf8.validate(Path::new("c.toml")), Ok(()));
    }
}
