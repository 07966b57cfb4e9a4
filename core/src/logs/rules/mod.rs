//! Log -> metrics rules, as Fluent Bit's `log_to_metrics` filter: each rule selects records (by input,
//! `match` and `exclude` regexes on fields), takes labels from fields, and counts them, sets a gauge or
//! observes a histogram, in a [`Registry`]. Per-rule bounds (series count, label value length, label
//! bytes; see `limits.rs`) keep memory bounded; records without a usable value, with a label value over
//! the length bound, and new label sets over a bound are counted by reason, never silently lost. Counters and histograms
//! can carry the latest record's trace id as an OpenMetrics exemplar, kept in the registry's cells
//! (`Counter::inc_by_with_exemplar`, `Histogram::observe_with_exemplar`).
//!
//! ```
//! use srekit::logs::{config::RuleConfig, parse_logfmt, rules::RuleSet};
//! use srekit::metrics::Registry;
//!
//! let rules: Vec<RuleConfig> = vec![
//!     toml::from_str("name = \"http_requests_total\"\nhelp = \"Requests.\"\nkind = \"counter\"\nlabels = [\"status\"]").unwrap(),
//!     toml::from_str("name = \"http_request_seconds\"\nhelp = \"Latency.\"\nkind = \"histogram\"\nvalue = \"ms\"\nscale = 0.001\nbuckets = [0.1, 1]").unwrap(),
//! ];
//! let registry = Registry::new();
//! let mut rule_set = RuleSet::new(&rules, &registry).unwrap();
//! for line in ["status=200 ms=12", "status=500 ms=1500", "status=200 ms=oops"] {
//!     rule_set.apply_all(&parse_logfmt(line).unwrap());
//! }
//! let text = registry.encode_to_string(srekit::expfmt::Format::Text);
//! assert!(text.contains("http_requests_total{status=\"200\"} 2\n"));
//! assert!(text.contains("http_request_seconds_bucket{le=\"0.1\"} 1\n"));
//! assert!(text.contains("srekit_log_records_skipped_total{metric=\"http_request_seconds\",reason=\"value\"} 1\n"));
//! ```

mod expire;
mod lookup;
mod recent;
mod relabel;

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use regex::Regex;
use thiserror::Error;

pub use crate::metrics::MAX_EXEMPLAR_LABEL_CHARS;
pub use expire::Expiry;
pub use relabel::{RelabelAction, RelabelConfig, Relabeler};

use super::config::{RuleConfig, RuleKind};
use super::record::Record;
use crate::error::MetricError;

mod state;
use crate::metrics::label_text::{label_values, SeriesIndex};
use crate::metrics::{Counter, CounterVec, Gauge, GaugeVec, Histogram, HistogramVec, Metric, Registry};
use lookup::{
    field_matches, gather_values, hash_values, number_of, text_of, Fields, LabelShape, Matcher, SeriesHasher,
};
pub use state::{DiscardedState, RuleState, SeriesState};

mod limits;
use limits::{Refusal, RefusalCounters, SeriesLimits};
pub use limits::{DEFAULT_MAX_LABEL_VALUE_LENGTH, DEFAULT_MAX_SERIES, DEFAULT_MAX_SERIES_BYTES};

/// Why a rule could not be built.
///
/// ```
/// use srekit::logs::{config::RuleConfig, rules::{RuleError, RuleSet}};
/// let rule: RuleConfig = toml::from_str("name = \"g\"\nkind = \"gauge\"").unwrap();
/// let err = RuleSet::new(&[rule], &srekit::metrics::Registry::new()).unwrap_err();
/// assert!(matches!(err, RuleError::MissingValue { .. }));
/// assert_eq!(err.to_string(), "rule \"g\": a gauge needs `value` (the numeric field to read)");
/// ```
#[derive(Debug, Clone, PartialEq, Error)]
pub enum RuleError {
    /// A `match` or `exclude` regex does not compile.
    #[error("rule {rule:?}: invalid regex for field {field:?}: {message}")]
    InvalidRegex {
        /// The rule's metric name.
        rule: String,
        /// The field the regex is for.
        field: String,
        /// The regex crate's message.
        message: String,
    },
    /// A gauge or histogram without `value`.
    #[error("rule {rule:?}: a {kind} needs `value` (the numeric field to read)")]
    MissingValue {
        /// The rule's metric name.
        rule: String,
        /// `gauge` or `histogram`.
        kind: &'static str,
    },
    /// An option that does not fit the rule's kind (`buckets` on a counter, `exemplar` on a gauge, ...).
    #[error("rule {rule:?}: {message}")]
    Invalid {
        /// The rule's metric name.
        rule: String,
        /// What is wrong.
        message: String,
    },
    /// The registry refused the metric (bad name or label, duplicate, bad buckets).
    #[error("rule {rule:?}: {source}")]
    Metric {
        /// The rule's metric name.
        rule: String,
        /// The registry's error.
        source: MetricError,
    },
}

/// The metric a rule updates.
#[derive(Clone)]
enum MetricVec {
    Counter(CounterVec),
    Gauge(GaugeVec),
    Histogram(HistogramVec),
}

/// One series of a rule: the registry handle (kept, so updates are single atomics; exemplars are
/// stored in its cell). Its label set lives in the registry's child, as exposition text: the rule's
/// index compares against that, so a series' label values are stored once.
enum Series {
    Counter(Counter),
    Gauge(Gauge),
    Histogram(Histogram),
}

impl Series {
    /// The series' label set as exposition text (`a="x",b="y"`), field labels then const labels.
    fn labels(&self) -> &str {
        match self {
            Series::Counter(counter) => &counter.child().labels,
            Series::Gauge(gauge) => &gauge.child().labels,
            Series::Histogram(histogram) => &histogram.child().labels,
        }
    }
}

/// One compiled rule.
struct Rule {
    name: String,
    kind: RuleKind,
    inputs: Vec<String>,
    /// `(label name, field path)`.
    labels: Vec<(String, String)>,
    /// The [`Fields`] slot of each label's field.
    label_slots: Vec<usize>,
    /// `(field, its slot, pattern)`.
    matches: Vec<(String, usize, Matcher)>,
    excludes: Vec<(String, usize, Matcher)>,
    /// The value field and its slot.
    value: Option<(String, usize)>,
    scale: f64,
    /// `(label name, field, its slot)`.
    exemplar: Option<(String, String, usize)>,
    limits: SeriesLimits,
    metric: MetricVec,
    /// Positions in `series` by the hash of their field label values (no key stored: a lookup
    /// compares the record's values against [`Series::labels`] through `shape`).
    series_index: SeriesIndex,
    /// Recently used series with their label text inline, tried before `series_index`.
    recent: recent::Recent,
    hasher: SeriesHasher,
    series: Vec<Series>,
    /// The fixed parts of the label text (set once the const labels are known).
    shape: LabelShape,
    refusals: RefusalCounters,
    /// Hash of the definition, so saved state is restored only into the same rule (see `state`).
    fingerprint: String,
    /// `relabel` steps and the fields they wrote for the current record.
    relabel: Option<Relabeler>,
    overlay: Vec<(String, String)>,
    /// `const_labels`, after the labels taken from fields.
    const_labels: Vec<(String, String)>,
    /// `expire_after`, and the counter of expired series.
    expiry: Option<(Expiry, Counter)>,
}

/// What applying one rule to one record did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The record does not match (input, `match` or `exclude`).
    NotMatched,
    /// The metric was updated.
    Updated,
    /// The record matched but its value field is missing or not a usable number.
    SkippedValue,
    /// The record's label set is new and the rule is at its series cap (`max_series`) or its label
    /// bytes budget (`max_series_bytes`).
    DroppedSeries,
    /// The record matched but a label value is longer than the rule's `max_label_value_length`.
    SkippedLabelTooLong,
}

/// Compiled rules over one registry. Apply them to every record; the registry holds the results.
///
/// ```
/// use srekit::logs::{config::RuleConfig, parse_logfmt, rules::{Outcome, RuleSet}};
///
/// let rule: RuleConfig = toml::from_str(r#"
///     name = "errors_total"
///     kind = "counter"
///     inputs = ["api"]
///     labels = { lvl = "level" }
///     match = { level = "err" }
///     exclude = { msg = "^healthcheck" }
/// "#).unwrap();
/// let registry = srekit::metrics::Registry::new();
/// let mut rules = RuleSet::new(&[rule], &registry).unwrap();
/// let api = rules.selection("api");
/// let outcomes: Vec<Outcome> = ["level=error msg=boom", "level=info msg=ok", "level=error msg=healthcheck"]
///     .iter()
///     .map(|l| rules.apply(&api, &parse_logfmt(l).unwrap())[0])
///     .collect();
/// assert_eq!(outcomes, [Outcome::Updated, Outcome::NotMatched, Outcome::NotMatched]);
/// assert!(rules.selection("web").is_empty());
/// ```
pub struct RuleSet {
    rules: Vec<Rule>,
    outcomes: Vec<Outcome>,
    /// The fields the rules read, looked up once per record.
    fields: Fields,
}

impl std::fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.iter().map(|r| &r.name).collect::<Vec<_>>())
            .finish()
    }
}

/// The rules that apply to one input (see [`RuleSet::selection`]).
///
/// ```
/// let rules = srekit::logs::rules::RuleSet::new(&[], &srekit::metrics::Registry::new()).unwrap();
/// assert!(rules.selection("any").is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    indexes: Vec<usize>,
}

impl Selection {
    /// Whether no rule applies.
    ///
    /// ```
    /// assert!(srekit::logs::rules::Selection::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.indexes.is_empty()
    }
}

impl RuleSet {
    /// Compiles `configs` and registers their metrics, plus
    /// `srekit_log_series_dropped_total{metric,reason}` and
    /// `srekit_log_records_skipped_total{metric,reason}`, in `registry`.
    ///
    /// ```
    /// use srekit::logs::config::RuleConfig;
    /// let bad: RuleConfig = toml::from_str("name = \"x_total\"\nkind = \"counter\"\nmatch = { a = \"(\" }").unwrap();
    /// let err = srekit::logs::rules::RuleSet::new(&[bad], &srekit::metrics::Registry::new()).err().unwrap();
    /// assert!(err.to_string().contains("invalid regex for field \"a\""));
    /// ```
    pub fn new(configs: &[RuleConfig], registry: &Registry) -> Result<RuleSet, RuleError> {
        let internal = |source| RuleError::Metric { rule: "srekit_log".to_owned(), source };
        let series_dropped = registry
            .counter(
                "srekit_log_series_dropped_total",
                "Records not counted because their label set was new and their rule reached a series limit (reason: max_series or max_series_bytes).",
                &["metric", "reason"],
            )
            .map_err(internal)?;
        let records_skipped = registry
            .counter(
                "srekit_log_records_skipped_total",
                "Records a rule matched but skipped (reason: value, the value field was missing or not a number; label_too_long, a label value over max_label_value_length).",
                &["metric", "reason"],
            )
            .map_err(internal)?;
        // Registered only when a rule can expire series (outputs without expiry stay as they were).
        let series_expired = match configs.iter().any(|c| c.expire_after.is_some()) {
            true => Some(
                registry
                    .counter(
                        "srekit_log_series_expired_total",
                        "Series removed because no record updated them for the rule's expire_after.",
                        &["metric"],
                    )
                    .map_err(internal)?,
            ),
            false => None,
        };
        let mut fields = Fields::default();
        let rules = configs
            .iter()
            .map(|config| {
                let mut rule = Rule::new(config, registry, &series_dropped, &records_skipped, &mut fields)?;
                rule.add_options(config, series_expired.as_ref())?;
                rule.shape =
                    LabelShape::new(rule.labels.iter().map(|(name, _)| name.as_str()), &rule.const_labels);
                Ok(rule)
            })
            .collect::<Result<Vec<_>, RuleError>>()?;
        Ok(RuleSet { outcomes: Vec::with_capacity(rules.len()), rules, fields })
    }

    /// The rules applying to records of the input called `input` (those with no `inputs` list, and those
    /// naming it).
    ///
    /// ```
    /// let rules = srekit::logs::rules::RuleSet::new(&[], &srekit::metrics::Registry::new()).unwrap();
    /// assert_eq!(rules.len(), 0);
    /// ```
    pub fn selection(&self, input: &str) -> Selection {
        let indexes = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, rule)| rule.inputs.is_empty() || rule.inputs.iter().any(|i| i == input))
            .map(|(index, _)| index)
            .collect();
        Selection { indexes }
    }

    /// Number of rules.
    ///
    /// ```
    /// assert!(srekit::logs::rules::RuleSet::new(&[], &srekit::metrics::Registry::new()).unwrap().is_empty());
    /// ```
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    ///
    /// ```
    /// assert!(srekit::logs::rules::RuleSet::new(&[], &srekit::metrics::Registry::new()).unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The input names the rules refer to (for checking them against the configured inputs).
    ///
    /// ```
    /// let rule: srekit::logs::config::RuleConfig = toml::from_str("name = \"a_total\"\nkind = \"counter\"\ninputs = [\"x\"]").unwrap();
    /// let rules = srekit::logs::rules::RuleSet::new(&[rule], &srekit::metrics::Registry::new()).unwrap();
    /// assert_eq!(rules.referenced_inputs(), vec![("a_total", "x")]);
    /// ```
    pub fn referenced_inputs(&self) -> Vec<(&str, &str)> {
        self.rules.iter().flat_map(|r| r.inputs.iter().map(|i| (r.name.as_str(), i.as_str()))).collect()
    }

    /// Applies the selected rules to `record`; returns each selected rule's outcome, in order.
    ///
    /// ```
    /// use srekit::logs::{config::RuleConfig, parse_logfmt, rules::{Outcome, RuleSet}};
    /// let rule: RuleConfig = toml::from_str("name = \"temp\"\nkind = \"gauge\"\nvalue = \"celsius\"").unwrap();
    /// let mut rules = RuleSet::new(&[rule], &srekit::metrics::Registry::new()).unwrap();
    /// let all = rules.selection("sensors");
    /// assert_eq!(rules.apply(&all, &parse_logfmt("celsius=21.5").unwrap()), [Outcome::Updated]);
    /// assert_eq!(rules.apply(&all, &parse_logfmt("celsius=warm").unwrap()), [Outcome::SkippedValue]);
    /// ```
    pub fn apply(&mut self, selection: &Selection, record: &Record<'_>) -> &[Outcome] {
        self.outcomes.clear();
        self.fields.reset();
        for &index in &selection.indexes {
            if let Some(rule) = self.rules.get_mut(index) {
                self.outcomes.push(rule.apply(record, &mut self.fields));
            }
        }
        &self.outcomes
    }

    /// Removes the series of rules with `expire_after` that no record updated for that long by `now`
    /// (the pipeline calls this at every poll; [`RuleSet::apply`] also does, at most once a second).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// use srekit::logs::{config::RuleConfig, parse_logfmt, rules::RuleSet};
    /// let rule: RuleConfig = toml::from_str("name = \"hits_total\"\nkind = \"counter\"\nlabels = [\"user\"]\nexpire_after = \"5m\"").unwrap();
    /// let registry = srekit::metrics::Registry::new();
    /// let mut rules = RuleSet::new(&[rule], &registry).unwrap();
    /// rules.apply_all(&parse_logfmt("user=ann").unwrap());
    /// assert_eq!(rules.expire_idle(Instant::now() + Duration::from_secs(301)), 1);
    /// let text = registry.encode_to_string(srekit::expfmt::Format::Text);
    /// assert!(!text.contains("user=\"ann\""));
    /// assert!(text.contains("srekit_log_series_expired_total{metric=\"hits_total\"} 1"));
    /// ```
    pub fn expire_idle(&mut self, now: Instant) -> usize {
        self.rules.iter_mut().map(|rule| rule.expire_idle(now)).sum()
    }

    /// Applies every rule to `record`, whatever its `inputs`.
    ///
    /// ```
    /// use srekit::logs::{config::RuleConfig, parse_logfmt, rules::RuleSet};
    /// let rule: RuleConfig = toml::from_str("name = \"lines_total\"\nkind = \"counter\"\ninputs = [\"a\"]").unwrap();
    /// let mut rules = RuleSet::new(&[rule], &srekit::metrics::Registry::new()).unwrap();
    /// assert_eq!(rules.apply_all(&parse_logfmt("x=1").unwrap()).len(), 1);
    /// ```
    pub fn apply_all(&mut self, record: &Record<'_>) -> &[Outcome] {
        self.outcomes.clear();
        self.fields.reset();
        for rule in &mut self.rules {
            self.outcomes.push(rule.apply(record, &mut self.fields));
        }
        &self.outcomes
    }
}

impl Rule {
    fn new(
        config: &RuleConfig,
        registry: &Registry,
        series_dropped: &CounterVec,
        records_skipped: &CounterVec,
        fields: &mut Fields,
    ) -> Result<Rule, RuleError> {
        let name = config.name.clone();
        let invalid = |message: &str| RuleError::Invalid { rule: name.clone(), message: message.to_owned() };
        let mut compile = |map: &std::collections::BTreeMap<String, String>| {
            map.iter()
                .map(|(field, pattern)| {
                    let slot = fields.intern(field);
                    Regex::new(pattern).map(|re| (field.clone(), slot, Matcher::new(pattern, re))).map_err(
                        |e| RuleError::InvalidRegex {
                            rule: name.clone(),
                            field: field.clone(),
                            message: e.to_string(),
                        },
                    )
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let matches = compile(&config.match_fields)?;
        let excludes = compile(&config.exclude)?;
        let labels = config.labels.pairs();
        let mut label_names: Vec<&str> = labels.iter().map(|(l, _)| l.as_str()).collect();
        label_names.extend(config.const_labels.keys().map(String::as_str));
        let metric_error = |source| RuleError::Metric { rule: name.clone(), source };
        let scale = config.scale.unwrap_or(1.0);
        if !scale.is_finite() {
            return Err(invalid("`scale` must be a finite number"));
        }
        if config.buckets.is_some() && config.kind != RuleKind::Histogram {
            return Err(invalid("`buckets` is only for histograms"));
        }
        if config.exemplar.is_some() && config.kind == RuleKind::Gauge {
            return Err(invalid(
                "`exemplar` is only for counters and histograms (OpenMetrics allows no gauge exemplars)",
            ));
        }
        let limits = SeriesLimits::new(config)?;
        let help = if config.help.is_empty() {
            format!("Derived from logs by rule {name}.")
        } else {
            config.help.clone()
        };
        let metric = match config.kind {
            RuleKind::Counter => {
                MetricVec::Counter(registry.counter(&name, &help, &label_names).map_err(metric_error)?)
            }
            RuleKind::Gauge => {
                if config.value.is_none() {
                    return Err(RuleError::MissingValue { rule: name.clone(), kind: "gauge" });
                }
                MetricVec::Gauge(registry.gauge(&name, &help, &label_names).map_err(metric_error)?)
            }
            RuleKind::Histogram => {
                if config.value.is_none() {
                    return Err(RuleError::MissingValue { rule: name.clone(), kind: "histogram" });
                }
                let buckets = config.buckets.as_deref().unwrap_or(HistogramVec::DEFAULT_BUCKETS);
                MetricVec::Histogram(
                    registry.histogram(&name, &help, &label_names, buckets).map_err(metric_error)?,
                )
            }
        };
        let exemplar = config
            .exemplar
            .as_ref()
            .map(|field| (crate::metrics::sanitize_label_name(field), field.clone(), fields.intern(field)));
        let label_slots = labels.iter().map(|(_, field)| fields.intern(field)).collect();
        let value = config.value.as_ref().map(|field| (field.clone(), fields.intern(field)));
        Ok(Rule {
            refusals: RefusalCounters::new(&name, records_skipped, series_dropped).map_err(metric_error)?,
            fingerprint: state::definition_fingerprint(config),
            name,
            kind: config.kind,
            inputs: config.inputs.clone(),
            labels,
            label_slots,
            matches,
            excludes,
            value,
            scale,
            exemplar,
            limits,
            metric,
            series_index: SeriesIndex::default(),
            recent: recent::Recent::default(),
            hasher: SeriesHasher::default(),
            series: Vec::new(),
            shape: LabelShape::default(),
            relabel: None,
            overlay: Vec::new(),
            const_labels: Vec::new(),
            expiry: None,
        })
    }

    #[inline(always)]
    fn selects(&self, record: &Record<'_>, fields: &mut Fields) -> bool {
        let overlay = &self.overlay;
        for (field, slot, matcher) in &self.matches {
            if !field_matches(overlay, record, fields, *slot, field, matcher) {
                return false;
            }
        }
        for (field, slot, matcher) in &self.excludes {
            if field_matches(overlay, record, fields, *slot, field, matcher) {
                return false;
            }
        }
        true
    }

    fn apply(&mut self, record: &Record<'_>, fields: &mut Fields) -> Outcome {
        if !self.relabelled(record) {
            return Outcome::NotMatched;
        }
        if !self.selects(record, fields) {
            return Outcome::NotMatched;
        }
        let value = match &self.value {
            Some((field, slot)) => {
                match number_of(&self.overlay, record, fields, *slot, field).map(|v| v * self.scale) {
                    Some(v) if v.is_finite() && (self.kind != RuleKind::Counter || v >= 0.0) => Some(v),
                    _ => {
                        self.refusals.count(Refusal::Value);
                        return Outcome::SkippedValue;
                    }
                }
            }
            None => None,
        };
        let (index, hash) = match self.series_for(record, fields) {
            Ok(found) => found,
            Err(refusal) => {
                self.refusals.count(refusal);
                return if refusal == Refusal::LabelTooLong {
                    Outcome::SkippedLabelTooLong
                } else {
                    Outcome::DroppedSeries
                };
            }
        };
        // An expiry sweep may move series: the record's is then found again.
        let index = match self.touch(index) {
            Some(index) => index,
            None => self.find_record(hash, record, fields).unwrap_or(index),
        };
        let Some(series) = self.series.get(index) else { return Outcome::DroppedSeries };
        let observed = value.unwrap_or(1.0);
        let trace_id = self.exemplar.as_ref().and_then(|(label, field, slot)| {
            let trace_id = text_of(&self.overlay, record, fields, *slot, field)?;
            (!trace_id.is_empty()).then_some((label.as_str(), trace_id))
        });
        // Counter values are finite and non-negative, so increments cannot fail; an exemplar over
        // OpenMetrics' 128 characters is left out (the update still counts).
        match (series, trace_id) {
            (Series::Counter(counter), None) => match value {
                Some(v) => drop(counter.inc_by(v)),
                None => counter.inc(),
            },
            (Series::Counter(counter), Some((label, trace_id))) => {
                let timestamp = record.timestamp.unwrap_or_else(now_seconds);
                drop(counter.inc_by_with_exemplar(observed, &[(label, &trace_id)], Some(timestamp)));
            }
            (Series::Gauge(gauge), _) => gauge.set(observed),
            (Series::Histogram(histogram), None) => histogram.observe(observed),
            (Series::Histogram(histogram), Some((label, trace_id))) => {
                let timestamp = record.timestamp.unwrap_or_else(now_seconds);
                drop(histogram.observe_with_exemplar(observed, &[(label, &trace_id)], Some(timestamp)));
            }
        }
        Outcome::Updated
    }

    /// The series of the record's label set (created if new and within the rule's limits), and the
    /// hash of its label values. The values are read once, hashed as they are in the record, and
    /// compared with a recently used series' values: no label text is built unless a series is
    /// created, and a label set not among the recent ones goes to [`Rule::series_uncached`].
    #[inline(always)]
    fn series_for(&mut self, record: &Record<'_>, fields: &mut Fields) -> Result<(usize, u64), Refusal> {
        let (overlay, labels, slots) = (&self.overlay, &self.labels, &self.label_slots);
        let (limits, hasher, recent) = (&self.limits, &self.hasher, &self.recent);
        let cached = gather_values(overlay, record, fields, labels, slots, |values| {
            let hash = hash_values(hasher, values.iter().map(|v| v.as_bytes()));
            // A recent series' values are those of a series created (or restored) with every value
            // within the length limit: only values not among them are checked.
            if let Some(index) = recent.find(hash, values) {
                return Ok(Some((index, hash)));
            }
            if values.iter().any(|value| !limits.label_fits(value.len())) {
                return Err(Refusal::LabelTooLong);
            }
            Ok(None)
        })?;
        match cached {
            Some(found) => Ok(found),
            None => self.series_uncached(record, fields),
        }
    }

    /// [`Rule::series_for`] of a label set (its values' lengths within the limit) that is not among
    /// the recent ones: found in the index (then made recent), or created. The values are compared
    /// with a series' label text escaping on the fly. Out of line: the rare case.
    #[inline(never)]
    fn series_uncached(&mut self, record: &Record<'_>, fields: &mut Fields) -> Result<(usize, u64), Refusal> {
        let (overlay, labels, slots) = (&self.overlay, &self.labels, &self.label_slots);
        let (hash, found) = gather_values(overlay, record, fields, labels, slots, |values| {
            let label_bytes: usize = values.iter().map(|value| value.len()).sum();
            let hash = hash_values(&self.hasher, values.iter().map(|v| v.as_bytes()));
            // Owned when new: a value may come from the relabel overlay, which `create_series` may
            // not borrow across.
            let owned = || values.iter().map(|value| value.to_string()).collect::<Vec<String>>();
            (hash, self.find_values(hash, values).ok_or_else(|| (owned(), label_bytes)))
        });
        let (values, label_bytes) = match found {
            Ok(index) => {
                let (overlay, labels, slots, recent) =
                    (&self.overlay, &self.labels, &self.label_slots, &mut self.recent);
                gather_values(overlay, record, fields, labels, slots, |values| {
                    recent.put(hash, index, values)
                });
                return Ok((index, hash));
            }
            Err(new) => new,
        };
        self.limits.admit(self.series.len(), label_bytes)?;
        let refs: Vec<&str> = values.iter().map(String::as_str).collect();
        self.create_series(&refs, label_bytes).map(|index| (index, hash))
    }

    /// The series of the record's label values, whose [`hash_values`] is `hash`.
    fn find_record(&self, hash: u64, record: &Record<'_>, fields: &mut Fields) -> Option<usize> {
        let (overlay, labels, slots) = (&self.overlay, &self.labels, &self.label_slots);
        gather_values(overlay, record, fields, labels, slots, |values| self.find_values(hash, values))
    }

    /// The series of field label `values` (in the rule's label order), whose [`hash_values`] is `hash`.
    #[inline]
    fn find_values<V: AsRef<str>>(&self, hash: u64, values: &[V]) -> Option<usize> {
        let (series, shape) = (&self.series, &self.shape);
        self.series_index
            .find(hash, |i| series.get(i).is_some_and(|s| shape.matches(s.labels().as_bytes(), values)))
    }

    /// Creates the series of label `values`, whose `label_bytes` the limits already admitted.
    fn create_series(&mut self, field_values: &[&str], label_bytes: usize) -> Result<usize, Refusal> {
        let mut values: Vec<&str> = Vec::with_capacity(field_values.len() + self.const_labels.len());
        values.extend_from_slice(field_values);
        values.extend(self.const_labels.iter().map(|(_, value)| value.as_str()));
        let values = values.as_slice();
        let series = match &self.metric {
            MetricVec::Counter(vec) => vec.labels(values).map(Series::Counter),
            MetricVec::Gauge(vec) => vec.labels(values).map(Series::Gauge),
            MetricVec::Histogram(vec) => vec.labels(values).map(Series::Histogram),
        };
        let index = self.series.len();
        // The label count is the family's, so this cannot fail, nor can 2^32 series fit in memory;
        // were either to happen, the record is dropped.
        let hash = hash_values(&self.hasher, field_values.iter().map(|v| v.as_bytes()));
        let indexed = series.ok().filter(|_| self.series_index.insert(hash, index));
        let Some(series) = indexed else {
            self.limits.release(label_bytes);
            return Err(Refusal::MaxSeries);
        };
        self.series.push(series);
        if let Some((expiry, _)) = &mut self.expiry {
            expiry.created(index, Instant::now());
        }
        Ok(index)
    }
}

/// The index hash of a series of a rule with `field_labels` field labels: that of those values.
fn series_hash(hasher: &SeriesHasher, field_labels: usize, series: &Series) -> u64 {
    let values = label_values(series.labels());
    hash_values(hasher, values.iter().take(field_labels).map(|v| v.as_bytes()))
}

fn now_seconds() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}
