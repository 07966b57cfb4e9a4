//! Gauges: [`Gauge`] (one series) and [`GaugeVec`] (`Family<Gauge>`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::family::{atomic_add_f64, Cell, Child, Family, Metric};
use super::view::Point;
use super::MetricType;

/// A gauge metric with label names; [`Family::labels`] gives the [`Gauge`] of one label set.
///
/// ```
/// let r = srekit::metrics::Registry::new();
/// let g = r.gauge("in_flight", "In flight.", &["route"]).unwrap();
/// g.labels(&["/"]).unwrap().inc();
/// assert_eq!(g.labels(&["/"]).unwrap().get(), 1.0);
/// ```
pub type GaugeVec = Family<Gauge>;

/// A gauge's value, as `f64` bits.
pub struct GaugeCell {
    bits: AtomicU64,
}

impl Cell for GaugeCell {
    type Config = ();
    fn new(_: &()) -> Self {
        GaugeCell { bits: AtomicU64::new(0f64.to_bits()) }
    }
}

/// One gauge series. Clone it freely; all clones share the value.
///
/// ```
/// let g = srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().labels(&[]).unwrap();
/// g.set(-3.5);
/// g.sub(0.5);
/// assert_eq!(g.get(), -4.0);
/// ```
#[derive(Clone)]
pub struct Gauge {
    child: Arc<Child<GaugeCell>>,
}

impl Metric for Gauge {
    type Cell = GaugeCell;
    const KIND: MetricType = MetricType::Gauge;
    const RESERVED_LABELS: &'static [&'static str] = &[];
    fn from_child(child: Arc<Child<GaugeCell>>) -> Self {
        Gauge { child }
    }
    fn child(&self) -> &Child<GaugeCell> {
        &self.child
    }
    fn point(cell: &GaugeCell) -> Point<'_> {
        Point::Gauge(f64::from_bits(cell.bits.load(Ordering::Relaxed)))
    }
}

impl Gauge {
    /// Sets the value.
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().labels(&[]).unwrap();
    /// g.set(7.0);
    /// assert_eq!(g.get(), 7.0);
    /// ```
    #[inline]
    pub fn set(&self, value: f64) {
        self.child.cell.bits.store(value.to_bits(), Ordering::Relaxed);
    }

    /// Adds `delta` (may be negative).
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().labels(&[]).unwrap();
    /// g.add(2.5);
    /// assert_eq!(g.get(), 2.5);
    /// ```
    #[inline]
    pub fn add(&self, delta: f64) {
        atomic_add_f64(&self.child.cell.bits, delta);
    }

    /// Subtracts `delta`.
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().labels(&[]).unwrap();
    /// g.sub(1.0);
    /// assert_eq!(g.get(), -1.0);
    /// ```
    #[inline]
    pub fn sub(&self, delta: f64) {
        self.add(-delta);
    }

    /// Adds one.
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().labels(&[]).unwrap();
    /// g.inc();
    /// assert_eq!(g.get(), 1.0);
    /// ```
    #[inline]
    pub fn inc(&self) {
        self.add(1.0);
    }

    /// Subtracts one.
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().labels(&[]).unwrap();
    /// g.dec();
    /// assert_eq!(g.get(), -1.0);
    /// ```
    #[inline]
    pub fn dec(&self) {
        self.add(-1.0);
    }

    /// The current value.
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().labels(&[]).unwrap();
    /// assert_eq!(g.get(), 0.0);
    /// ```
    pub fn get(&self) -> f64 {
        f64::from_bits(self.child.cell.bits.load(Ordering::Relaxed))
    }
}

impl std::fmt::Debug for Gauge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.child.debug("Gauge", f)
    }
}
