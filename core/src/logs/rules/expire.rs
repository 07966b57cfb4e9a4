//! Series expiry (`expire_after`): when each series of a rule was last updated, and which have been idle
//! for longer than the limit, so the rule can remove them from its metric and free their slots under
//! `max_series` (Promtail's `max_idle_duration`).

use std::time::{Duration, Instant};

use super::{MetricVec, Rule};
use crate::metrics::label_text::label_values;

/// The last update of every series of one rule, by series index.
///
/// ```
/// use std::time::{Duration, Instant};
/// use srekit::logs::rules::Expiry;
///
/// let start = Instant::now();
/// let mut expiry = Expiry::new(Duration::from_secs(60));
/// expiry.created(0, start);
/// expiry.created(1, start);
/// expiry.touch(1, start + Duration::from_secs(50));
/// assert_eq!(expiry.expired(start + Duration::from_secs(61)), [0]);
/// expiry.swap_remove(0);
/// assert!(expiry.expired(start + Duration::from_secs(61)).is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct Expiry {
    after: Duration,
    /// The clock's resolution: a millisecond, or a millionth of `after` when that is longer (so
    /// stamps stay far from the end of `u32`).
    tick: Duration,
    /// Time zero of the ticks (moved forward before they would overflow).
    base: Option<Instant>,
    /// The last update of each series, in ticks since `base` (4 bytes a series, not an `Instant`'s 16).
    entries: Vec<u32>,
    last_sweep: Option<Instant>,
}

impl Expiry {
    /// Series idle for longer than `after` expire.
    ///
    /// ```
    /// assert_eq!(srekit::logs::rules::Expiry::new(std::time::Duration::from_secs(1)).after().as_secs(), 1);
    /// ```
    pub fn new(after: Duration) -> Expiry {
        let tick = (after / (1 << 20)).max(Duration::from_millis(1));
        Expiry { after, tick, base: None, entries: Vec::new(), last_sweep: None }
    }

    /// Whole ticks from `base` to `now` (0 before it).
    fn ticks_at(&self, base: Instant, now: Instant) -> u128 {
        now.saturating_duration_since(base).as_nanos() / self.tick.as_nanos().max(1)
    }

    /// `now` as a stored tick count; when the count nears the end of `u32`, time zero moves forward
    /// (stamps older than twice the limit, long expired, become 0).
    fn stamp(&mut self, now: Instant) -> u32 {
        let base = *self.base.get_or_insert(now);
        let ticks = self.ticks_at(base, now);
        if ticks < u128::from(u32::MAX / 2) {
            return ticks as u32;
        }
        let keep = (self.ticks_at(base, base + self.after) as u32).saturating_mul(2).saturating_add(1);
        let shift = (ticks as u32).saturating_sub(keep);
        for entry in &mut self.entries {
            *entry = entry.saturating_sub(shift);
        }
        self.base = Some(base + self.tick * shift);
        (ticks as u32).saturating_sub(shift)
    }

    /// The idle limit.
    pub fn after(&self) -> Duration {
        self.after
    }

    /// Records a new series at `index` (the next index).
    pub fn created(&mut self, index: usize, now: Instant) {
        let now = self.stamp(now);
        match self.entries.get_mut(index) {
            Some(slot) => *slot = now,
            None => self.entries.push(now),
        }
    }

    /// Marks the series at `index` as updated at `now`.
    pub fn touch(&mut self, index: usize, now: Instant) {
        let now = self.stamp(now);
        if let Some(last) = self.entries.get_mut(index) {
            *last = now;
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
        let Some(base) = self.base else { return Vec::new() };
        let (now, after) = (self.ticks_at(base, now), self.ticks_at(base, base + self.after));
        let mut expired: Vec<usize> = (0..self.entries.len())
            .filter(|&i| now.saturating_sub(u128::from(self.entries[i])) > after)
            .collect();
        expired.reverse();
        expired
    }

    /// Removes the series at `index` (the last one takes its place).
    pub fn swap_remove(&mut self, index: usize) {
        if index < self.entries.len() {
            self.entries.swap_remove(index);
        }
    }
}

impl Rule {
    /// Marks the series at `index` as updated now (a no-op without `expire_after`), and sweeps idle
    /// series when a sweep is due. Returns the series' index, or `None` when the sweep removed series
    /// (others may have moved: the caller finds the record's series again; it stays, just touched).
    pub(super) fn touch(&mut self, index: usize) -> Option<usize> {
        let Some((expiry, _)) = &mut self.expiry else { return Some(index) };
        let now = Instant::now();
        expiry.touch(index, now);
        if expiry.sweep_due(now) && self.expire_idle(now) > 0 {
            return None;
        }
        Some(index)
    }

    /// Removes the series idle for longer than `expire_after` at `now`; returns how many.
    pub(super) fn expire_idle(&mut self, now: Instant) -> usize {
        let Some((expiry, counter)) = &mut self.expiry else { return 0 };
        let expired = expiry.expired(now);
        if !expired.is_empty() {
            self.recent.clear();
        }
        for &index in &expired {
            expiry.swap_remove(index);
            if index >= self.series.len() {
                continue;
            }
            let series = self.series.swap_remove(index);
            let hash = super::series_hash(&self.hasher, self.labels.len(), &series);
            self.series_index.remove(hash, index);
            if let Some(moved) = self.series.get(index) {
                let moved_hash = super::series_hash(&self.hasher, self.labels.len(), moved);
                self.series_index.moved(moved_hash, self.series.len(), index);
            }
            let values = label_values(series.labels());
            // The bytes the limits admitted: the values taken from fields, not the const labels.
            self.limits.release(values.iter().take(self.labels.len()).map(|v| v.len()).sum());
            let refs: Vec<&str> = values.iter().map(|v| v.as_ref()).collect();
            let _ = match &self.metric {
                MetricVec::Counter(vec) => vec.remove(&refs),
                MetricVec::Gauge(vec) => vec.remove(&refs),
                MetricVec::Histogram(vec) => vec.remove(&refs),
            };
            counter.inc();
        }
        expired.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_past_half_the_u32_range_move_time_zero_and_keep_recent_series() {
        let start = Instant::now();
        let mut expiry = Expiry::new(Duration::from_secs(1));
        expiry.created(0, start);
        // 30 days of milliseconds is past 2^31: time zero moves forward.
        let later = start + Duration::from_secs(30 * 86_400);
        expiry.created(1, later);
        expiry.created(2, later + Duration::from_millis(500));
        assert_eq!(expiry.expired(later + Duration::from_millis(900)), [0]);
        assert_eq!(expiry.expired(later + Duration::from_millis(1_200)), [1, 0]);
        assert_eq!(expiry.expired(later + Duration::from_millis(1_600)), [2, 1, 0]);
        expiry.touch(0, later + Duration::from_millis(1_500));
        assert_eq!(expiry.expired(later + Duration::from_millis(2_000)), [2, 1]);
    }
}
