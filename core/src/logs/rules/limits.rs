//! Per-rule bounds on what log records can make a rule hold, whatever the input: the longest label
//! value a record may carry (`max_label_value_length`, default 1 KiB; a longer one skips the record for
//! that rule), the number of series (`max_series`) and the label bytes of the live series
//! (`max_series_bytes`, default 8 MiB). What a bound refuses is counted under its own `reason`: in
//! `srekit_log_records_skipped_total{metric,reason}` (`value`, `label_too_long`) and
//! `srekit_log_series_dropped_total{metric,reason}` (`max_series`, `max_series_bytes`).
//!
//! ```
//! use srekit::logs::{config::RuleConfig, parse_logfmt, rules::{Outcome, RuleSet}};
//! let rule: RuleConfig = toml::from_str(
//!     "name = \"paths_total\"\nkind = \"counter\"\nlabels = [\"path\"]\nmax_label_value_length = 8\nmax_series_bytes = 12",
//! ).unwrap();
//! let registry = srekit::metrics::Registry::new();
//! let mut rules = RuleSet::new(&[rule], &registry).unwrap();
//! let outcomes: Vec<Outcome> = ["path=/a", "path=/much/too/long", "path=/bcdefgh", "path=/cdefgh"]
//!     .iter()
//!     .map(|line| rules.apply_all(&parse_logfmt(line).unwrap())[0])
//!     .collect();
//! // "/a" (2 bytes) and "/bcdefgh" (8) fit in 12 bytes; "/cdefgh" (7) would not.
//! assert_eq!(outcomes, [Outcome::Updated, Outcome::SkippedLabelTooLong, Outcome::Updated, Outcome::DroppedSeries]);
//! let text = registry.encode_to_string(srekit::expfmt::Format::Text);
//! assert!(text.contains("srekit_log_records_skipped_total{metric=\"paths_total\",reason=\"label_too_long\"} 1\n"));
//! assert!(text.contains("srekit_log_series_dropped_total{metric=\"paths_total\",reason=\"max_series_bytes\"} 1\n"));
//! ```

use super::RuleError;
use crate::logs::config::RuleConfig;
use crate::metrics::{Counter, CounterVec};

/// The default series cap per rule.
pub const DEFAULT_MAX_SERIES: usize = 10_000;
/// The default longest label value (bytes) a record may carry into a rule.
pub const DEFAULT_MAX_LABEL_VALUE_LENGTH: usize = 1024;
/// The default budget (bytes) for the label values of one rule's live series.
pub const DEFAULT_MAX_SERIES_BYTES: usize = 8 << 20;

/// Why a matched record did not update its rule's metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// The value field is missing or not a usable number.
    Value,
    /// A label value is longer than `max_label_value_length`.
    LabelTooLong,
    /// The label set is new and the rule holds `max_series` series.
    MaxSeries,
    /// The label set is new and its values would take the rule's series over `max_series_bytes`.
    MaxSeriesBytes,
}

/// A rule's bounds and the label bytes its live series hold.
#[derive(Debug)]
pub(super) struct SeriesLimits {
    max_series: usize,
    max_label_value_length: usize,
    max_series_bytes: usize,
    live_bytes: usize,
}

impl SeriesLimits {
    /// The bounds `config` asks for (defaults where it says nothing); zero is refused.
    pub(super) fn new(config: &RuleConfig) -> Result<SeriesLimits, RuleError> {
        let at_least_one = |value: Option<usize>, default: usize, key: &str| match value {
            Some(0) => Err(RuleError::Invalid {
                rule: config.name.clone(),
                message: format!("`{key}` must be at least 1"),
            }),
            other => Ok(other.unwrap_or(default)),
        };
        Ok(SeriesLimits {
            max_series: at_least_one(config.max_series, DEFAULT_MAX_SERIES, "max_series")?,
            max_label_value_length: at_least_one(
                config.max_label_value_length,
                DEFAULT_MAX_LABEL_VALUE_LENGTH,
                "max_label_value_length",
            )?,
            max_series_bytes: at_least_one(
                config.max_series_bytes,
                DEFAULT_MAX_SERIES_BYTES,
                "max_series_bytes",
            )?,
            live_bytes: 0,
        })
    }

    /// Whether a label value of `bytes` bytes may be used.
    pub(super) fn label_fits(&self, bytes: usize) -> bool {
        bytes <= self.max_label_value_length
    }

    /// Admits a new series whose label values take `bytes` bytes, next to `live` series, and counts
    /// its bytes; or says which bound refuses it.
    pub(super) fn admit(&mut self, live: usize, bytes: usize) -> Result<(), Refusal> {
        if live >= self.max_series {
            return Err(Refusal::MaxSeries);
        }
        let total = self.live_bytes.saturating_add(bytes);
        if total > self.max_series_bytes {
            return Err(Refusal::MaxSeriesBytes);
        }
        self.live_bytes = total;
        Ok(())
    }

    /// Gives back the bytes of a series that was removed (expired or cleared).
    pub(super) fn release(&mut self, bytes: usize) {
        self.live_bytes = self.live_bytes.saturating_sub(bytes);
    }
}

/// A rule's counters of refused records, one per [`Refusal`] (all created up front, so each shows 0).
pub(super) struct RefusalCounters {
    value: Counter,
    label_too_long: Counter,
    max_series: Counter,
    max_series_bytes: Counter,
}

impl RefusalCounters {
    /// The rule `rule`'s series of `srekit_log_records_skipped_total` (`skipped`) and
    /// `srekit_log_series_dropped_total` (`dropped`).
    pub(super) fn new(
        rule: &str,
        skipped: &CounterVec,
        dropped: &CounterVec,
    ) -> Result<RefusalCounters, crate::error::MetricError> {
        Ok(RefusalCounters {
            value: skipped.labels(&[rule, "value"])?,
            label_too_long: skipped.labels(&[rule, "label_too_long"])?,
            max_series: dropped.labels(&[rule, "max_series"])?,
            max_series_bytes: dropped.labels(&[rule, "max_series_bytes"])?,
        })
    }

    /// Each counter's value by its `reason` label, for a checkpoint.
    pub(super) fn snapshot(&self) -> std::collections::BTreeMap<String, f64> {
        self.by_reason().map(|(reason, counter)| (reason.to_owned(), counter.get())).collect()
    }

    /// Adds the saved counts of `saved` (from [`snapshot`](Self::snapshot)); unknown reasons and
    /// values that are not finite and non-negative are ignored.
    pub(super) fn restore(&self, saved: &std::collections::BTreeMap<String, f64>) {
        for (reason, counter) in self.by_reason() {
            if let Some(&value) = saved.get(reason).filter(|v| v.is_finite() && **v >= 0.0) {
                let _ = counter.inc_by(value);
            }
        }
    }

    fn by_reason(&self) -> impl Iterator<Item = (&'static str, &Counter)> {
        [
            ("value", &self.value),
            ("label_too_long", &self.label_too_long),
            ("max_series", &self.max_series),
            ("max_series_bytes", &self.max_series_bytes),
        ]
        .into_iter()
    }

    /// Counts one refused record.
    pub(super) fn count(&self, refusal: Refusal) {
        match refusal {
            Refusal::Value => self.value.inc(),
            Refusal::LabelTooLong => self.label_too_long.inc(),
            Refusal::MaxSeries => self.max_series.inc(),
            Refusal::MaxSeriesBytes => self.max_series_bytes.inc(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &str) -> RuleConfig {
        toml::from_str(&format!("name = \"r_total\"\nkind = \"counter\"\n{extra}")).unwrap()
    }

    #[test]
    fn defaults_and_zero_refused() {
        let limits = SeriesLimits::new(&config("")).unwrap();
        assert!(limits.label_fits(1024) && !limits.label_fits(1025));
        for key in ["max_series", "max_label_value_length", "max_series_bytes"] {
            let err = SeriesLimits::new(&config(&format!("{key} = 0"))).unwrap_err();
            assert_eq!(err.to_string(), format!("rule \"r_total\": `{key}` must be at least 1"));
        }
    }

    #[test]
    fn bytes_budget_counts_admitted_series_and_release_gives_back() {
        let mut limits = SeriesLimits::new(&config("max_series_bytes = 10\nmax_series = 3")).unwrap();
        assert_eq!(limits.admit(0, 6), Ok(()));
        assert_eq!(limits.admit(1, 5), Err(Refusal::MaxSeriesBytes));
        assert_eq!(limits.admit(1, 4), Ok(()));
        assert_eq!(limits.admit(3, 0), Err(Refusal::MaxSeries));
        limits.release(6);
        assert_eq!(limits.admit(2, 5), Ok(()));
    }
}
