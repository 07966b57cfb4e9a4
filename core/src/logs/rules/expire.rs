//! Series expiry (`expire_after`): when each series of a rule was last updated, and which have been idle
//! for longer than the limit, so the rule can remove them from its metric and free their slots under
//! `max_series` (Promtail's `max_idle_duration`).

use std::time::{Duration, Instant};

use super::{MetricVec, Rule};

/// The last update of every series of one rule, by series index.
///
/// ```
/// use std::time::{Duration, Instant};
/// use srekit::logs::rules::Expiry;
///
/// let start = Instant::now();
/// let mut expiry = Expiry::new(Duration::from_secs(60));
/// expiry.created(0, "k0".into(), vec!["200".into()], start);
/// expiry.created(1, "k1".into(), vec!["500".into()], start);
/// expiry.touch(1, start + Duration::from_secs(50));
/// assert_eq!(expiry.expired(start + Duration::from_secs(61)), [0]);
/// let (key, values) = expiry.swap_remove(0);
/// assert_eq!((key.as_str(), values), ("k0", vec!["200".to_owned()]));
/// assert_eq!(expiry.key(0), Some("k1"));
/// ```
#[derive(Debug, Clone)]
pub struct Expiry {
    after: Duration,
    entries: Vec<Entry>,
    last_sweep: Option<Instant>,
}

#[derive(Debug, Clone)]
struct Entry {
    key: String,
    values: Vec<String>,
    last: Instant,
}

impl Expiry {
    /// Series idle for longer than `after` expire.
    ///
    /// ```
    /// assert_eq!(srekit::logs::rules::Expiry::new(std::time::Duration::from_secs(1)).after().as_secs(), 1);
    /// ```
    pub fn new(after: Duration) -> Expiry {
        Expiry { after, entries: Vec::new(), last_sweep: None }
    }

    /// The idle limit.
    pub fn after(&self) -> Duration {
        self.after
    }

    /// Records a new series at `index` (the next index), with its key and label values.
    pub fn created(&mut self, index: usize, key: String, values: Vec<String>, now: Instant) {
        let entry = Entry { key, values, last: now };
        match self.entries.get_mut(index) {
            Some(slot) => *slot = entry,
            None => self.entries.push(entry),
        }
    }

    /// Marks the series at `index` as updated at `now`.
    pub fn touch(&mut self, index: usize, now: Instant) {
        if let Some(entry) = self.entries.get_mut(index) {
            entry.last = now;
        }
    }

    /// Whether a sweep is due (at most four per idle limit, and one a second).
    ///
    /// ```
    /// let mut expiry = srekit::logs::rules::Expiry::new(std::time::Duration::from_secs(60));
    /// let now = std::time::Instant::now();
    /// assert!(expiry.sweep_due(now));
    /// assert!(!expiry.sweep_due(now));
    /// ```
    pub fn sweep_due(&mut self, now: Instant) -> bool {
        let every = (self.after / 4).min(Duration::from_secs(1));
        if self.last_sweep.is_some_and(|last| now.saturating_duration_since(last) < every) {
            return false;
        }
        self.last_sweep = Some(now);
        true
    }

    /// Indexes of the series idle for longer than the limit at `now`, highest first (so they can be
    /// swap-removed in order).
    pub fn expired(&self, now: Instant) -> Vec<usize> {
        let mut expired: Vec<usize> = (0..self.entries.len())
            .filter(|&i| now.saturating_duration_since(self.entries[i].last) > self.after)
            .collect();
        expired.reverse();
        expired
    }

    /// Removes the series at `index` (the last one takes its place); returns its key and label values.
    pub fn swap_remove(&mut self, index: usize) -> (String, Vec<String>) {
        let entry = self.entries.swap_remove(index);
        (entry.key, entry.values)
    }

    /// The key of the series at `index`.
    pub fn key(&self, index: usize) -> Option<&str> {
        self.entries.get(index).map(|e| e.key.as_str())
    }
}

impl Rule {
    /// Marks the series at `index` (whose key `self.key` holds) as updated now (a no-op without
    /// `expire_after`), and sweeps idle series when a sweep is due. Returns the series' index after
    /// the sweep: removing others moves series, but never this one out of the index, as it was just
    /// touched.
    pub(super) fn touch(&mut self, index: usize) -> usize {
        let Some((expiry, _)) = &mut self.expiry else { return index };
        let now = Instant::now();
        expiry.touch(index, now);
        if expiry.sweep_due(now) && self.expire_idle(now) > 0 {
            return self.series_index.get(self.key.as_str()).copied().unwrap_or(index);
        }
        index
    }

    /// Removes the series idle for longer than `expire_after` at `now`; returns how many.
    pub(super) fn expire_idle(&mut self, now: Instant) -> usize {
        let Some((expiry, counter)) = &mut self.expiry else { return 0 };
        let expired = expiry.expired(now);
        for &index in &expired {
            let (key, values) = expiry.swap_remove(index);
            // The bytes the limits admitted: the values taken from fields, not the const labels.
            self.limits.release(values.iter().take(self.labels.len()).map(String::len).sum());
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            let _ = match &self.metric {
                MetricVec::Counter(vec) => vec.remove(&refs),
                MetricVec::Gauge(vec) => vec.remove(&refs),
                MetricVec::Histogram(vec) => vec.remove(&refs),
            };
            self.series_index.remove(&key);
            self.series.swap_remove(index);
            if let Some(moved) = expiry.key(index) {
                if let Some(slot) = self.series_index.get_mut(moved) {
                    *slot = index;
                }
            }
            counter.inc();
        }
        expired.len()
    }
}
