//! Summaries (count and sum; no quantiles are computed): [`Summary`] (one series) and [`SummaryVec`]
//! (`Family<Summary>`).

use std::sync::atomic::{AtomicU64, Ordering};

use super::family::{atomic_add_f64, default_cell, metric_handle, Family};
use super::view::Point;

/// A summary metric (count and sum, no quantiles) with label names.
///
/// ```
/// let r = srekit::metrics::Registry::new();
/// let s = r.summary("req_bytes", "Request sizes.", &["route"]).unwrap();
/// s.labels(&["/"]).unwrap().observe(100.0);
/// assert_eq!(s.labels_by_name(&[("route", "/")]).unwrap().sum(), 100.0);
/// ```
pub type SummaryVec = Family<Summary>;

/// A summary's count and sum.
#[derive(Default)]
pub struct SummaryCell {
    count: AtomicU64,
    sum_bits: AtomicU64,
}

default_cell!(SummaryCell);

metric_handle! {
    /// One summary series.
    ///
    /// ```
    /// let s = srekit::metrics::Registry::new().summary("x", "X.", &[]).unwrap().labels(&[]).unwrap();
    /// s.observe(1.0);
    /// assert_eq!(s.count(), 1);
    /// ```
    Summary(SummaryCell): Summary, reserved &["quantile"], |cell| Point::Summary {
        sum: f64::from_bits(cell.sum_bits.load(Ordering::Relaxed)),
        count: cell.count.load(Ordering::Relaxed),
    }
}

impl Summary {
    /// Records one observation.
    ///
    /// ```
    /// let s = srekit::metrics::Registry::new().summary("x", "X.", &[]).unwrap().labels(&[]).unwrap();
    /// s.observe(2.0);
    /// assert_eq!(s.sum(), 2.0);
    /// ```
    pub fn observe(&self, value: f64) {
        atomic_add_f64(&self.child.cell.sum_bits, value);
        self.child.cell.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Number of observations.
    ///
    /// ```
    /// let s = srekit::metrics::Registry::new().summary("x", "X.", &[]).unwrap().labels(&[]).unwrap();
    /// assert_eq!(s.count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.child.cell.count.load(Ordering::Relaxed)
    }

    /// Sum of observations.
    ///
    /// ```
    /// let s = srekit::metrics::Registry::new().summary("x", "X.", &[]).unwrap().labels(&[]).unwrap();
    /// assert_eq!(s.sum(), 0.0);
    /// ```
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.child.cell.sum_bits.load(Ordering::Relaxed))
    }
}
