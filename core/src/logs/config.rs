//! Configuration of the log pipeline as the exporter's TOML file spells it: `[[inputs]]` (files to
//! follow and how to parse them), `[[metrics]]` (log -> metrics rules) and `[state]` (where checkpoints
//! live). Every struct rejects unknown keys, so a typo is an error rather than a silently ignored option.
//!
//! ```
//! let config: srekit::logs::config::PipelineConfig = toml::from_str(r#"
//!     [state]
//!     directory = "/var/lib/srekit"
//!
//!     [[inputs]]
//!     name = "api"
//!     paths = ["/var/log/api/*.log"]
//!     format = "logfmt"
//!     types = { duration_ms = "float" }
//!
//!     [[metrics]]
//!     name = "api_requests_total"
//!     help = "Requests by status."
//!     kind = "counter"
//!     inputs = ["api"]
//!     labels = ["status", "method"]
//!     match = { path = "^/api/" }
//!
//!     [[metrics]]
//!     name = "api_request_duration_seconds"
//!     help = "Request latency."
//!     kind = "histogram"
//!     value = "duration_ms"
//!     scale = 0.001
//!     buckets = [0.01, 0.1, 1]
//!     labels = { route = "http.route" }
//!     exemplar = "trace_id"
//! "#).unwrap();
//! assert_eq!(config.inputs[0].parser.types.get("duration_ms").map(String::as_str), Some("float"));
//! assert_eq!(config.metrics[1].scale, Some(0.001));
//! assert!(toml::from_str::<srekit::logs::config::PipelineConfig>("[[inputs]]\nnmae = \"x\"\n").is_err());
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;

use super::pipeline::PipelineError;
use super::spec::ParserSpec;
use super::tail::TailOptions;

/// The whole pipeline: inputs, rules and state. The exporter may embed the three parts in its own
/// config struct instead.
///
/// ```
/// let config: srekit::logs::config::PipelineConfig = toml::from_str("").unwrap();
/// assert!(config.inputs.is_empty() && config.metrics.is_empty() && config.state.directory.is_none());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineConfig {
    /// `[[inputs]]`.
    #[serde(default)]
    pub inputs: Vec<InputConfig>,
    /// `[[metrics]]`.
    #[serde(default)]
    pub metrics: Vec<RuleConfig>,
    /// `[state]`.
    #[serde(default)]
    pub state: StateConfig,
}

/// One `[[inputs]]` table: which files to follow and how to parse their lines.
///
/// ```
/// let input: srekit::logs::config::InputConfig =
///     toml::from_str("name = \"web\"\npaths = [\"/var/log/nginx/access.log\"]\nformat = \"nginx\"").unwrap();
/// assert_eq!(input.parser.format, "nginx");
/// assert_eq!(input.parser.max_line_length, 1 << 20);
/// assert!(!input.read_from_head);
/// assert_eq!(input.rotate_wait, 5.0);
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputConfig {
    /// A unique name; the `input` label of the built-in metrics and what rules' `inputs` refer to.
    pub name: String,
    /// Paths and glob patterns (`*`, `?`, `[...]`, `**`).
    pub paths: Vec<String>,
    /// How lines are parsed: `format`, `regex`, `types`, `time_key`, `time_format`, `lossy_utf8` and
    /// `max_line_length` (also the longest line the tailer reads; longer lines are skipped and
    /// counted), as [`ParserSpec`] reads them, at the top level of the table.
    #[serde(flatten)]
    pub parser: ParserSpec,
    /// Read files present at the first start from their beginning instead of their end.
    #[serde(default)]
    pub read_from_head: bool,
    /// Seconds a rotated-away or deleted file stays open after its last new data (default 5).
    #[serde(default = "default_rotate_wait")]
    pub rotate_wait: f64,
    /// Most files this input keeps open (default 1024).
    #[serde(default = "default_max_open_files")]
    pub max_open_files: usize,
    /// Globs where copytruncate's rotated copies go, when `paths` does not match them (e.g.
    /// `["/var/log/app.log.*"]`): a copy of a file found truncated is recognised by its first bytes
    /// and read from the offset the file had reached, so nothing written before the truncation is
    /// lost. Such files are never read for themselves.
    #[serde(default)]
    pub rotated_paths: Vec<String>,
    /// Take `kubernetes.namespace`, `kubernetes.pod`, `kubernetes.container` and
    /// `kubernetes.container_id` from kubelet's log file names (see [`PodInfo`](super::PodInfo)).
    #[serde(default)]
    pub kubernetes: bool,
    /// Constant fields added to every record (`fields = { cluster = "prod" }`).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
    /// Adds the file's path as this field.
    #[serde(default)]
    pub path_field: Option<String>,
    /// Glob patterns of paths not to follow, though `paths` match them.
    #[serde(default)]
    pub exclude_paths: Vec<String>,
    /// Files not modified for longer than this (`24h`, `30m`) are not opened.
    #[serde(default)]
    pub ignore_older: Option<String>,
}

/// The kind of metric a rule makes.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct K { kind: srekit::logs::config::RuleKind }
/// assert_eq!(toml::from_str::<K>("kind = \"histogram\"").unwrap().kind, srekit::logs::config::RuleKind::Histogram);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// Counts matching records, or adds the numeric field `value`.
    Counter,
    /// Sets the series to the numeric field `value`.
    Gauge,
    /// Observes the numeric field `value` (times `scale`) into `buckets`.
    Histogram,
}

/// A rule's labels: a list of field names (the label name is the field name made valid) or a map
/// `label = "field.path"`.
///
/// ```
/// use srekit::logs::config::LabelsConfig;
///
/// #[derive(serde::Deserialize)]
/// struct L { labels: LabelsConfig }
/// let list = toml::from_str::<L>("labels = [\"status\", \"http.method\"]").unwrap().labels;
/// assert_eq!(list.pairs(), vec![("status".to_owned(), "status".to_owned()), ("http_method".to_owned(), "http.method".to_owned())]);
/// let map = toml::from_str::<L>("labels = { code = \"status\" }").unwrap().labels;
/// assert_eq!(map.pairs(), vec![("code".to_owned(), "status".to_owned())]);
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum LabelsConfig {
    /// Field names.
    List(Vec<String>),
    /// `label = "field.path"`.
    Map(BTreeMap<String, String>),
}

impl Default for LabelsConfig {
    fn default() -> Self {
        LabelsConfig::List(Vec::new())
    }
}

impl LabelsConfig {
    /// `(label name, field path)` pairs in order; list entries get a valid label name derived from the
    /// field name (invalid characters become `_`).
    ///
    /// ```
    /// let labels = srekit::logs::config::LabelsConfig::List(vec!["1st-field".into()]);
    /// assert_eq!(labels.pairs()[0].0, "_1st_field");
    /// ```
    pub fn pairs(&self) -> Vec<(String, String)> {
        match self {
            LabelsConfig::List(fields) => {
                fields.iter().map(|f| (crate::metrics::sanitize_label_name(f), f.clone())).collect()
            }
            LabelsConfig::Map(map) => map.iter().map(|(l, f)| (l.clone(), f.clone())).collect(),
        }
    }
}

/// One `[[metrics]]` table: a log -> metrics rule.
///
/// ```
/// let rule: srekit::logs::config::RuleConfig =
///     toml::from_str("name = \"errors_total\"\nkind = \"counter\"\nmatch = { level = \"^error$\" }").unwrap();
/// assert_eq!(rule.match_fields.get("level").map(String::as_str), Some("^error$"));
/// assert_eq!(rule.max_series, None);
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The metric name (a counter's `_total` is optional).
    pub name: String,
    /// The metric's help text.
    #[serde(default)]
    pub help: String,
    /// `counter`, `gauge` or `histogram`.
    pub kind: RuleKind,
    /// Names of the inputs the rule applies to; empty means every input.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Labels taken from fields.
    #[serde(default)]
    pub labels: LabelsConfig,
    /// `field = "regex"`: every one must match (unanchored, Rust regex syntax).
    #[serde(default, rename = "match")]
    pub match_fields: BTreeMap<String, String>,
    /// `field = "regex"`: none may match.
    #[serde(default)]
    pub exclude: BTreeMap<String, String>,
    /// The numeric field a gauge sets, a histogram observes, or a counter adds (instead of counting).
    #[serde(default)]
    pub value: Option<String>,
    /// Multiplier applied to `value` (e.g. 0.001 for milliseconds to seconds).
    #[serde(default)]
    pub scale: Option<f64>,
    /// Histogram bucket upper bounds (default: Prometheus' default buckets).
    #[serde(default)]
    pub buckets: Option<Vec<f64>>,
    /// Field path of a trace id attached as an OpenMetrics exemplar (counters and histograms).
    #[serde(default)]
    pub exemplar: Option<String>,
    /// Most label sets this metric keeps (default 10,000); new ones beyond it are dropped and counted.
    #[serde(default)]
    pub max_series: Option<usize>,
    /// Longest label value (bytes) a record may carry into this rule (default 1024); a record with a
    /// longer one is skipped and counted (`reason="label_too_long"`).
    #[serde(default)]
    pub max_label_value_length: Option<usize>,
    /// Budget (bytes) for the label values of this rule's live series (default 8 MiB); new label sets
    /// beyond it are dropped and counted (`reason="max_series_bytes"`).
    #[serde(default)]
    pub max_series_bytes: Option<usize>,
    /// Prometheus-style relabel steps run on the record's fields before the rule matches and takes
    /// its labels (see [`RelabelConfig`](super::rules::RelabelConfig)).
    #[serde(default)]
    pub relabel: Vec<super::rules::RelabelConfig>,
    /// A series no record updated for this long (`5m`) is removed and frees its `max_series` slot.
    #[serde(default)]
    pub expire_after: Option<String>,
    /// Constant labels on every series (`const_labels = { team = "payments" }`).
    #[serde(default)]
    pub const_labels: BTreeMap<String, String>,
}

/// `[state]`: where checkpoints are kept.
///
/// ```
/// let state: srekit::logs::config::StateConfig = toml::from_str("directory = \"/var/lib/srekit\"").unwrap();
/// assert_eq!(state.directory.as_deref(), Some(std::path::Path::new("/var/lib/srekit")));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateConfig {
    /// Directory for the per-input checkpoint files; without it nothing is remembered across restarts.
    #[serde(default)]
    pub directory: Option<PathBuf>,
}

fn default_rotate_wait() -> f64 {
    5.0
}

fn default_max_open_files() -> usize {
    1024
}

/// The tail options of an input, checked.
pub(crate) fn tail_options(config: &InputConfig) -> Result<TailOptions, PipelineError> {
    let invalid = |message: &str| PipelineError::InvalidInput {
        input: config.name.clone(),
        message: message.to_owned(),
    };
    if config.name.is_empty() {
        return Err(invalid("the input name must not be empty"));
    }
    if !(config.rotate_wait.is_finite() && config.rotate_wait >= 0.0) {
        return Err(invalid("rotate_wait must be a non-negative number of seconds"));
    }
    if config.max_open_files == 0 {
        return Err(invalid("max_open_files must be at least 1"));
    }
    if config.parser.max_line_length == 0 {
        return Err(invalid("max_line_length must be at least 1"));
    }
    let mut options = TailOptions::new(&config.name, config.paths.clone());
    options.read_from_head = config.read_from_head;
    options.rotate_wait = Duration::from_secs_f64(config.rotate_wait.min(1e9));
    options.max_line_length = config.parser.max_line_length;
    options.max_open_files = config.max_open_files;
    options.rotated_paths = config.rotated_paths.clone();
    options.exclude_paths = config.exclude_paths.clone();
    if let Some(text) = &config.ignore_older {
        let age = crate::duration::parse(text).map_err(|e| invalid(&format!("ignore_older: {e}")))?;
        options.ignore_older = Some(age);
    }
    Ok(options)
}
