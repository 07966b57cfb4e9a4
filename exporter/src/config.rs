//! The exporter's `--config.file` (TOML): the log pipeline's `[state]`, `[[inputs]]` and `[[metrics]]`
//! (their structs live in the core) plus an optional `[web]` table. Unknown keys are errors that name
//! the key, line and column.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use srekit::expfmt::NameEscaping;
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
    /// and that no rule takes a name of the host metrics (`node_*`) or the exporter's own (`srekit_*`,
    /// `process_*`).
    pub fn validate(&self, path: &Path) -> Result<(), String> {
        Pipeline::validate(&self.pipeline()).map_err(|e| format!("{}: {e}", path.display()))?;
        let process: Vec<String> =
            crate::process_metrics::process_families(Path::new("/proc"), Path::new("/proc/self"))
                .into_iter()
                .map(|family| family.name)
                .collect();
        if let Some((rule, why)) =
            self.metrics.iter().find_map(|rule| Some((rule, reserved_name(&rule.name, &process)?)))
        {
            return Err(format!(
                "{}: [[metrics]] rule {:?}: {why}, also once escaped for scrapers without UTF-8 names (`node.x` is written `node_x`), are reserved; choose another",
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

/// Why a rule's metric name is reserved, if it is: in the host's (`node_`) or the exporter's
/// (`srekit_`) namespace, or one of the exporter's `process` family names (`process_open_fds`; a
/// counter's `_total` aside), under any escaping a scraper may ask for. Underscores decide the
/// namespaces (`node.x` is `node_x`): a dots-escaped name starting `node_` is `node` and then a
/// character both schemes write starting with `_`; a values-escaped one starts `U__`. Every scheme
/// is checked all the same.
fn reserved_name(name: &str, process: &[String]) -> Option<&'static str> {
    let schemes =
        [NameEscaping::AllowUtf8, NameEscaping::Underscores, NameEscaping::Dots, NameEscaping::Values];
    schemes.into_iter().find_map(|scheme| {
        let escaped = scheme.escape_metric_name(name);
        let base = escaped.strip_suffix("_total").unwrap_or(&escaped);
        if escaped.starts_with("node_") || escaped.starts_with("srekit_") {
            Some("names starting with node_ (host metrics) or srekit_ (the exporter's own)")
        } else if process.iter().any(|family| family == base || *family == escaped) {
            Some("the exporter's process metrics (process_cpu_seconds_total, process_open_fds, ...)")
        } else {
            None
        }
    })
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
            "process_open_fds",
            "process_cpu_seconds_total",
            "process.resident.memory.bytes",
        ] {
            let config: ExporterConfig =
                toml::from_str(&format!("[[metrics]]\nname = \"{name}\"\nkind = \"counter\"\n"))
                    .expect("toml");
            let err = config.validate(Path::new("c.toml")).unwrap_err();
            assert!(err.contains(name) && err.contains("reserved"), "{err}");
        }
        for fine in ["app_nodes_total", "U__node_x", "process_jobs_total", "nodes.x"] {
            let config: ExporterConfig =
                toml::from_str(&format!("[[metrics]]\nname = \"{fine}\"\nkind = \"counter\"\n"))
                    .expect("toml");
            assert_eq!(config.validate(Path::new("c.toml")), Ok(()), "{fine}");
        }
        let utf8: ExporterConfig = toml::from_str(
            "[[metrics]]\nname = \"app.requests\"\nkind = \"counter\"\nlabels = { \"service.name\" = \"svc\" }\n",
        )
        .expect("toml");
        assert_eq!(utf8.validate(Path::new("c.toml")), Ok(()));
    }
}
