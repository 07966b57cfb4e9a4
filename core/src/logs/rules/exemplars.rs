//! The latest exemplar per series (and per histogram bucket) of rules with `exemplar = "field"`, shared
//! between the thread applying rules and the threads encoding, and attached to gathered families for
//! OpenMetrics output.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::metrics::{Exemplar, MetricFamily, Suffix};

/// OpenMetrics' limit on the combined length (in characters) of an exemplar's label names and values.
pub const MAX_EXEMPLAR_LABEL_CHARS: usize = 128;

/// One series' exemplar slots: one for a counter, one per bucket (`+Inf` last) for a histogram.
pub(crate) type Slots = Arc<Mutex<Vec<Option<Exemplar>>>>;

/// The exemplars of one rule: series label values -> slots.
#[derive(Debug)]
pub(crate) struct RuleExemplars {
    /// The family name as the registry gathers it (a counter's without `_total`).
    pub(crate) family: String,
    /// Histogram bucket bounds (empty for counters).
    pub(crate) bounds: Vec<f64>,
    pub(crate) series: RwLock<HashMap<Vec<String>, Slots>>,
}

impl RuleExemplars {
    pub(crate) fn new(family: String, bounds: Vec<f64>) -> RuleExemplars {
        RuleExemplars { family, bounds, series: RwLock::new(HashMap::new()) }
    }

    /// Slots for a new series.
    pub(crate) fn add_series(&self, values: Vec<String>) -> Slots {
        let slots: Slots = Arc::new(Mutex::new(vec![None; self.bounds.len() + 1]));
        self.series.write().unwrap_or_else(|e| e.into_inner()).insert(values, slots.clone());
        slots
    }
}

/// Stores `trace_id` as the latest exemplar of `slot`, reusing the slot's allocation.
pub(crate) fn record(slots: &Slots, slot: usize, label: &str, trace_id: &str, value: f64, timestamp: f64) {
    if label.chars().count() + trace_id.chars().count() > MAX_EXEMPLAR_LABEL_CHARS {
        return;
    }
    let mut slots = slots.lock().unwrap_or_else(|e| e.into_inner());
    let Some(entry) = slots.get_mut(slot) else { return };
    match entry {
        Some(exemplar) if exemplar.labels.len() == 1 => {
            exemplar.labels[0].1.clear();
            exemplar.labels[0].1.push_str(trace_id);
            exemplar.value = value;
            exemplar.timestamp = Some(timestamp);
        }
        _ => {
            *entry = Some(Exemplar {
                labels: vec![(label.to_owned(), trace_id.to_owned())],
                value,
                timestamp: Some(timestamp),
            })
        }
    }
}

/// The exemplars of every rule of a [`RuleSet`](super::RuleSet); cheap to clone, safe to use from an
/// encoding thread while rules are applied.
///
/// ```
/// use srekit::logs::rules::RuleSet;
/// use srekit::logs::config::RuleConfig;
///
/// let rule: RuleConfig = toml::from_str("name = \"hits_total\"\nkind = \"counter\"\nexemplar = \"trace_id\"").unwrap();
/// let registry = srekit::metrics::Registry::new();
/// let mut rules = RuleSet::new(&[rule], &registry).unwrap();
/// rules.apply_all(&srekit::logs::parse_logfmt("trace_id=abc123").unwrap());
/// let mut families = registry.gather();
/// rules.exemplars().attach(&mut families);
/// let text = srekit::expfmt::encode_to_string(&families, srekit::expfmt::Format::OpenMetrics);
/// assert!(text.contains("hits_total 1 # {trace_id=\"abc123\"} 1 "));
/// ```
#[derive(Debug, Clone, Default)]
pub struct Exemplars {
    pub(crate) rules: Arc<Vec<Arc<RuleExemplars>>>,
}

impl Exemplars {
    /// Whether any rule records exemplars.
    ///
    /// ```
    /// assert!(srekit::logs::rules::Exemplars::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Attaches the latest exemplars to the `_total` samples of counters and the `_bucket` samples of
    /// histograms in `families` (as gathered from the registry the rules were built on).
    ///
    /// ```
    /// let mut families = vec![srekit::metrics::MetricFamily::gauge("g", "G.")];
    /// srekit::logs::rules::Exemplars::default().attach(&mut families);
    /// assert!(families[0].samples.is_empty());
    /// ```
    pub fn attach(&self, families: &mut [MetricFamily]) {
        for rule in self.rules.iter() {
            let Some(family) = families.iter_mut().find(|f| f.name == rule.family) else { continue };
            let series = rule.series.read().unwrap_or_else(|e| e.into_inner());
            let mut values = Vec::new();
            for sample in &mut family.samples {
                let slot = match sample.suffix {
                    Suffix::Total | Suffix::None if rule.bounds.is_empty() => 0,
                    Suffix::Bucket if !rule.bounds.is_empty() => {
                        let Some((_, le)) = sample.labels.iter().find(|(name, _)| name == "le") else {
                            continue;
                        };
                        match parse_le(le) {
                            Some(bound) => rule.bounds.partition_point(|b| *b < bound),
                            None => continue,
                        }
                    }
                    _ => continue,
                };
                values.clear();
                let is_bucket = sample.suffix == Suffix::Bucket;
                values.extend(
                    sample
                        .labels
                        .iter()
                        .filter(|(name, _)| !(is_bucket && name == "le"))
                        .map(|(_, v)| v.clone()),
                );
                let Some(slots) = series.get(&values) else { continue };
                let slots = slots.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(Some(exemplar)) = slots.get(slot) {
                    sample.exemplar = Some(exemplar.clone());
                }
            }
        }
    }
}

fn parse_le(le: &str) -> Option<f64> {
    match le {
        "+Inf" | "Inf" => Some(f64::INFINITY),
        other => other.parse().ok(),
    }
}
