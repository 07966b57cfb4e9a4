//! Exemplars stored in the metric cells: the latest exemplar of a counter, or of each histogram bucket,
//! set by `Counter::inc_by_with_exemplar` / `Histogram::observe_with_exemplar` and written by the
//! OpenMetrics encoder (text 0.0.4 has no exemplars). The slots are allocated on a series' first
//! exemplar, so series that never get one pay one pointer.

use std::sync::{Mutex, OnceLock};

use super::names::is_valid_label_name;
use super::Exemplar;
use crate::error::MetricError;

/// OpenMetrics' limit on the combined length (in characters) of an exemplar's label names and values.
pub const MAX_EXEMPLAR_LABEL_CHARS: usize = 128;

/// Checks an exemplar's labels as OpenMetrics requires: valid label names, at most
/// [`MAX_EXEMPLAR_LABEL_CHARS`] characters in all names and values together.
pub(crate) fn check_labels(metric: &str, labels: &[(&str, &str)]) -> Result<(), MetricError> {
    let invalid = |reason: String| MetricError::InvalidExemplar { metric: metric.to_owned(), reason };
    let mut chars = 0;
    for (name, value) in labels {
        if !is_valid_label_name(name) {
            return Err(invalid(format!("{name:?} is not a valid label name")));
        }
        chars += name.chars().count() + value.chars().count();
    }
    if chars > MAX_EXEMPLAR_LABEL_CHARS {
        return Err(invalid(format!(
            "its labels have {chars} characters; OpenMetrics allows at most {MAX_EXEMPLAR_LABEL_CHARS}"
        )));
    }
    Ok(())
}

/// The latest exemplar of each of a series' slots (one for a counter, one per bucket for a histogram).
/// One latest exemplar per slot.
type Slots = [Mutex<Option<Exemplar>>];

/// Boxed twice, so a series that never gets an exemplar pays 16 bytes for it, not 24.
#[derive(Default)]
pub(crate) struct ExemplarSlots {
    #[allow(clippy::redundant_allocation)]
    slots: OnceLock<Box<Box<Slots>>>,
}

impl ExemplarSlots {
    /// Stores the exemplar of slot `index` of `len`, reusing the previous one's strings when it had the
    /// same label names (the usual case: a new `trace_id` each time).
    pub(crate) fn store(
        &self,
        len: usize,
        index: usize,
        labels: &[(&str, &str)],
        value: f64,
        timestamp: Option<f64>,
    ) {
        let slots = self.slots.get_or_init(|| Box::new((0..len).map(|_| Mutex::new(None)).collect()));
        let Some(slot) = slots.get(index) else { return };
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *slot {
            Some(old)
                if old.labels.len() == labels.len()
                    && old.labels.iter().zip(labels).all(|((a, _), (b, _))| a == b) =>
            {
                for ((_, old_value), (_, new_value)) in old.labels.iter_mut().zip(labels) {
                    old_value.clear();
                    old_value.push_str(new_value);
                }
                old.value = value;
                old.timestamp = timestamp;
            }
            _ => {
                let labels = labels.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
                *slot = Some(Exemplar { labels, value, timestamp });
            }
        }
    }

    /// Whether no exemplar was ever stored (the slots are made on the first).
    #[inline]
    pub(crate) fn never_set(&self) -> bool {
        self.slots.get().is_none()
    }

    /// Calls `f` with slot `index`'s exemplar, if it has one.
    pub(crate) fn with<R>(&self, index: usize, f: impl FnOnce(&Exemplar) -> R) -> Option<R> {
        let slot = self.slots.get()?.get(index)?.lock().unwrap_or_else(|e| e.into_inner());
        slot.as_ref().map(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_label_limit_counts_characters_not_bytes() {
        let at_limit = "é".repeat(MAX_EXEMPLAR_LABEL_CHARS - 2);
        assert!(check_labels("m", &[("id", &at_limit)]).is_ok());
        let over = "é".repeat(MAX_EXEMPLAR_LABEL_CHARS - 1);
        let err = check_labels("m", &[("id", &over)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid exemplar for metric \"m\": its labels have 129 characters; OpenMetrics allows at most 128"
        );
        assert!(check_labels("m", &[("0id", "x")]).is_err());
    }

    #[test]
    fn a_slot_keeps_the_latest_exemplar_and_reuses_its_strings() {
        let slots = ExemplarSlots::default();
        assert_eq!(slots.with(0, |e| e.value), None);
        slots.store(2, 1, &[("trace_id", "a")], 1.0, None);
        slots.store(2, 1, &[("trace_id", "bb")], 2.0, Some(5.0));
        assert_eq!(slots.with(0, |e| e.value), None);
        let latest = slots.with(1, Clone::clone).expect("slot 1");
        assert_eq!(
            latest,
            Exemplar { labels: vec![("trace_id".into(), "bb".into())], value: 2.0, timestamp: Some(5.0) }
        );
        slots.store(2, 1, &[("span_id", "c"), ("trace_id", "d")], 3.0, None);
        assert_eq!(slots.with(1, |e| e.labels.len()), Some(2));
        slots.store(2, 7, &[("x", "y")], 1.0, None);
    }
}
