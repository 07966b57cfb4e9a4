//! Gauges: [`Gauge`] (one series) and [`GaugeVec`] (`Family<Gauge>`).

use std::sync::atomic::{AtomicU64, Ordering};

use super::family::{atomic_add_f64, default_cell, metric_handle, Family};
use super::view::Point;

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
#[derive(Default)]
pub struct GaugeCell {
    bits: AtomicU64,
}

default_cell!(GaugeCell);

metric_handle! {
    /// One gauge series. Clone it freely; all clones share the value.
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().labels(&[]).unwrap();
    /// g.set(-3.5);
    /// g.sub(0.5);
    /// assert_eq!(g.get(), -4.0);
    /// ```
    Gauge(GaugeCell): Gauge, reserved &[], |cell| Point::Gauge(f64::from_bits(cell.bits.load(Ordering::Relaxed)))
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
