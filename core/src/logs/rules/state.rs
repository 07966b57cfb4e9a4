//! Saving and restoring what log -> metrics rules have counted: each rule's series (label values with
//! the counter or gauge value, or the histogram's per-bucket counts and sum) and its
//! refused-record counts, keyed by a fingerprint of the rule's definition. The
//! pipeline stores this in the same atomic write as the tail offsets it corresponds to, so after a
//! crash the restored counts and offsets agree: every line is counted once.
//!
//! ```
//! use srekit::logs::{config::RuleConfig, parse_logfmt, rules::RuleSet};
//! use srekit::metrics::Registry;
//!
//! let rule: RuleConfig = toml::from_str("name = \"hits_total\"\nkind = \"counter\"\nlabels = [\"code\"]").unwrap();
//! let mut before = RuleSet::new(&[rule.clone()], &Registry::new()).unwrap();
//! before.apply_all(&parse_logfmt("code=200").unwrap());
//! let saved = before.save_state();
//!
//! let registry = Registry::new();
//! let mut after = RuleSet::new(&[rule], &registry).unwrap();
//! assert!(after.restore_state(saved).is_empty());
//! assert!(registry.encode_to_string(srekit::expfmt::Format::Text).contains("hits_total{code=\"200\"} 1\n"));
//! ```

use serde::{Deserialize, Serialize};

use super::{Rule, RuleSet, Series};
use crate::logs::config::RuleConfig;
use crate::logs::tail::fnv1a;
use crate::metrics::label_text::label_values;

/// The saved state of one rule.
///
/// ```
/// let state: srekit::logs::rules::RuleState =
///     serde_json::from_str(r#"{"name":"a_total","fingerprint":"00","series":[{"labels":[],"value":3.0}]}"#).unwrap();
/// assert_eq!(state.series[0].value, Some(3.0));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleState {
    /// The rule's metric name.
    pub name: String,
    /// Hash of the rule's definition (kind, labels, buckets, value, scale, inputs, match, exclude,
    /// relabel, const_labels):
    /// state saved under another definition is discarded, never restored into a different shape.
    pub fingerprint: String,
    /// The rule's series.
    pub series: Vec<SeriesState>,
    /// `srekit_log_records_skipped_total` and `srekit_log_series_dropped_total` for this rule, by
    /// `reason` (`value`, `label_too_long`, `max_series`, `max_series_bytes`).
    #[serde(default)]
    pub refusals: std::collections::BTreeMap<String, f64>,
}

/// The saved state of one series: its label values (in the rule's label order) and either `value`
/// (counter, gauge) or `buckets` (per-bucket counts, `+Inf` last) and `sum` (histogram).
///
/// ```
/// let series = srekit::logs::rules::SeriesState { labels: vec!["200".into()], value: Some(2.0), buckets: None, sum: None };
/// assert_eq!(serde_json::to_string(&series).unwrap(), r#"{"labels":["200"],"value":2.0}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesState {
    /// Label values.
    pub labels: Vec<String>,
    /// A counter's or gauge's value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    /// A histogram's per-bucket counts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buckets: Option<Vec<u64>>,
    /// A histogram's sum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sum: Option<f64>,
}

/// A rule whose saved state was not restored, and why (to log).
///
/// ```
/// let d = srekit::logs::rules::DiscardedState { rule: "a_total".into(), reason: "its definition changed".into() };
/// assert_eq!(d.to_string(), "rule \"a_total\": saved state discarded: its definition changed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiscardedState {
    /// The rule's metric name.
    pub rule: String,
    /// Why.
    pub reason: String,
}

impl std::fmt::Display for DiscardedState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "rule {:?}: saved state discarded: {}", self.rule, self.reason)
    }
}

/// The fingerprint of a rule's definition: what decides the shape and meaning of its series. The help
/// text, `max_series` and `exemplar` are left out (changing them keeps the counts).
pub(super) fn definition_fingerprint(config: &RuleConfig) -> String {
    let definition = format!(
        "{:?}",
        (
            &config.name,
            config.kind,
            config.labels.pairs(),
            &config.buckets,
            &config.value,
            config.scale,
            &config.inputs,
            &config.match_fields,
            &config.exclude,
            &config.relabel,
            &config.const_labels,
        )
    );
    format!("{:016x}", fnv1a(definition.as_bytes()))
}

impl RuleSet {
    /// The state of every rule, to store with the offsets it corresponds to.
    ///
    /// ```
    /// use srekit::logs::{config::RuleConfig, parse_logfmt, rules::RuleSet};
    /// let rule: RuleConfig = toml::from_str("name = \"h\"\nkind = \"histogram\"\nvalue = \"v\"\nbuckets = [1]").unwrap();
    /// let mut rules = RuleSet::new(&[rule], &srekit::metrics::Registry::new()).unwrap();
    /// rules.apply_all(&parse_logfmt("v=0.5").unwrap());
    /// let state = rules.save_state();
    /// assert_eq!(state[0].series[0].buckets, Some(vec![1, 0]));
    /// assert_eq!(state[0].series[0].sum, Some(0.5));
    /// ```
    pub fn save_state(&self) -> Vec<RuleState> {
        self.rules.iter().map(Rule::save_state).collect()
    }

    /// Restores state saved by [`RuleSet::save_state`] into freshly built rules (adding to what they
    /// hold). A saved rule that no longer exists, whose definition changed, or whose series do not fit
    /// its shape is skipped whole and listed in the result; series beyond `max_series` are left out.
    ///
    /// ```
    /// use srekit::logs::{config::RuleConfig, rules::RuleSet};
    /// let old: RuleConfig = toml::from_str("name = \"a_total\"\nkind = \"counter\"\nlabels = [\"x\"]").unwrap();
    /// let new: RuleConfig = toml::from_str("name = \"a_total\"\nkind = \"counter\"\nlabels = [\"y\"]").unwrap();
    /// let saved = RuleSet::new(&[old], &srekit::metrics::Registry::new()).unwrap().save_state();
    /// let mut rules = RuleSet::new(&[new], &srekit::metrics::Registry::new()).unwrap();
    /// assert_eq!(rules.restore_state(saved)[0].reason, "its definition changed");
    /// ```
    pub fn restore_state(&mut self, saved: Vec<RuleState>) -> Vec<DiscardedState> {
        let mut discarded = Vec::new();
        for state in saved {
            let reason = match self.rules.iter_mut().find(|r| r.name == state.name) {
                None => Err("no rule of that name is configured any more".to_owned()),
                Some(rule) if rule.fingerprint != state.fingerprint => {
                    Err("its definition changed".to_owned())
                }
                Some(rule) => rule.restore_state(&state),
            };
            if let Err(reason) = reason {
                discarded.push(DiscardedState { rule: state.name, reason });
            }
        }
        discarded
    }
}

impl Rule {
    fn save_state(&self) -> RuleState {
        let mut series = Vec::with_capacity(self.series.len());
        for cell in &self.series {
            // The values taken from fields (the const labels follow them).
            let labels: Vec<String> =
                label_values(cell.labels()).into_iter().take(self.labels.len()).map(String::from).collect();
            let state = match cell {
                Series::Counter(counter) => SeriesState::value(labels, counter.get()),
                Series::Gauge(gauge) => SeriesState::value(labels, gauge.get()),
                Series::Histogram(histogram) => SeriesState {
                    labels,
                    value: None,
                    buckets: Some(histogram.bucket_counts()),
                    sum: Some(histogram.sum()),
                },
            };
            // JSON has no NaN or infinity; such a series (a sum that overflowed) is not worth a
            // checkpoint that cannot be read back.
            if state.value.into_iter().chain(state.sum).all(f64::is_finite) {
                series.push(state);
            }
        }
        RuleState {
            name: self.name.clone(),
            fingerprint: self.fingerprint.clone(),
            series,
            refusals: self.refusals.snapshot(),
        }
    }

    /// Checks every saved series against the rule's shape first, so a bad file restores nothing
    /// rather than half a rule.
    fn restore_state(&mut self, state: &RuleState) -> Result<(), String> {
        // Bucket counts must agree among the series (the fingerprint covers the bounds; a series whose
        // count still differs from the histogram's is refused by `add_counts`).
        let histogram = matches!(self.metric, super::MetricVec::Histogram(_));
        let buckets = state.series.first().and_then(|s| s.buckets.as_ref()).map(Vec::len);
        for series in &state.series {
            if series.labels.len() != self.labels.len() {
                return Err(format!(
                    "a series has {} label values, the rule {}",
                    series.labels.len(),
                    self.labels.len()
                ));
            }
            let fits = match (&series.value, &series.buckets, series.sum) {
                (Some(v), None, None) if !histogram => {
                    v.is_finite() && (self.kind != super::RuleKind::Counter || *v >= 0.0)
                }
                (None, Some(saved), Some(sum)) if histogram => {
                    Some(saved.len()) == buckets && sum.is_finite()
                }
                _ => false,
            };
            if !fits {
                return Err("a series does not fit the rule's kind or buckets".to_owned());
            }
        }
        self.refusals.restore(&state.refusals);
        for series in &state.series {
            let refs: Vec<&str> = series.labels.iter().map(String::as_str).collect();
            let hash = super::hash_values(&self.hasher, refs.iter().map(|v| v.as_bytes()));
            let index = match self.find_values(hash, &refs) {
                Some(index) => index,
                None => {
                    let label_bytes = refs.iter().map(|value| value.len()).sum();
                    if refs.iter().any(|value| !self.limits.label_fits(value.len()))
                        || self.limits.admit(self.series.len(), label_bytes).is_err()
                    {
                        continue;
                    }
                    match self.create_series(&refs, label_bytes) {
                        Ok(index) => index,
                        Err(_) => continue,
                    }
                }
            };
            match (&self.series[index], series.value, &series.buckets) {
                (Series::Counter(counter), Some(v), _) => drop(counter.inc_by(v)),
                (Series::Gauge(gauge), Some(v), _) => gauge.set(v),
                (Series::Histogram(histogram), _, Some(buckets)) => {
                    drop(histogram.add_counts(buckets, series.sum.unwrap_or(0.0)))
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl SeriesState {
    fn value(labels: Vec<String>, value: f64) -> SeriesState {
        SeriesState { labels, value: Some(value), buckets: None, sum: None }
    }
}
