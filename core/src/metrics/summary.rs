//! Summaries (count and sum; no quantiles are computed): [`Summary`] (one series) and [`SummaryVec`]
//! (`Family<Summary>`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::family::{atomic_add_f64, Cell, Child, Family, Metric};
use super::view::Point;
use super::MetricType;

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

impl Cell for SummaryCell {
    type Config = ();
    fn new(_: &()) -> Self {
        SummaryCell::default()
    }
}

/// One summary series.
///
/// ```
/// let s = srekit::metrics::Registry::new().summary("x", "X.", &[]).unwrap().labels(&[]).unwrap();
/// s.observe(1.0);
/// assert_eq!(s.count(), 1);
/// ```
#[derive(Clone)]
pub struct Summary {
    child: Arc<Child<SummaryCell>>,
}

impl Metric for Summary {
    type Cell = SummaryCell;
    const KIND: MetricType = MetricType::Summary;
    const RESERVED_LABELS: &'static [&'static str] = &["quantile"];
    fn from_child(child: Arc<Child<SummaryCell>>) -> Self {
        Summary { child }
    }
    fn child(&self) -> &Child<SummaryCell> {
        &self.child
    }
    fn point(cell: &SummaryCell) -> Point<'_> {
        let sum = f64::from_bits(cell.sum_bits.load(Ordering::Relaxed));
        Point::Summary { sum, count: cell.count.load(Ordering::Relaxed) }
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

impl std::fmt::Debug for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.child.debug("Summary", f)
    }
}
