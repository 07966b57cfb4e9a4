//! Counters: [`Counter`] (one series) and [`CounterVec`] (`Family<Counter>`), with the latest exemplar
//! kept in the cell.

use std::sync::atomic::{AtomicU64, Ordering};

use super::exemplar::{self, ExemplarSlots};
use super::family::{atomic_add_f64, default_cell, metric_handle, Family};
use super::view::Point;
use super::Exemplar;
use crate::error::MetricError;

/// A counter metric with label names; [`Family::labels`] gives the [`Counter`] of one label set.
///
/// ```
/// let r = srekit::metrics::Registry::new();
/// let requests = r.counter("requests_total", "Requests.", &["code"]).unwrap();
/// requests.labels(&["200"]).unwrap().inc();
/// assert_eq!(requests.labels_by_name(&[("code", "200")]).unwrap().get(), 1.0);
/// ```
pub type CounterVec = Family<Counter>;

/// A float that is added to atomically: whole increments go to an integer, the rest to float bits.
#[derive(Default)]
pub struct CounterCell {
    whole: AtomicU64,
    fraction_bits: AtomicU64,
    exemplar: ExemplarSlots,
}

default_cell!(CounterCell);

metric_handle! {
    /// One counter series. Clone it freely; all clones share the value.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let c = r.counter("bytes_total", "Bytes.", &[]).unwrap().labels(&[]).unwrap();
    /// c.inc_by(1.5).unwrap();
    /// assert!(c.inc_by(-1.0).is_err());
    /// assert_eq!(c.get(), 1.5);
    /// ```
    Counter(CounterCell): Counter, reserved &[], |cell| Point::Counter(CounterPoint { cell })
}

impl Counter {
    /// Adds one.
    ///
    /// ```
    /// let c = srekit::metrics::Registry::new().counter("n_total", "N.", &[]).unwrap().labels(&[]).unwrap();
    /// c.inc();
    /// assert_eq!(c.get(), 1.0);
    /// ```
    #[inline]
    pub fn inc(&self) {
        self.child.cell.whole.fetch_add(1, Ordering::Relaxed);
    }

    /// Adds `amount`, which must be non-negative.
    ///
    /// ```
    /// let c = srekit::metrics::Registry::new().counter("n_total", "N.", &[]).unwrap().labels(&[]).unwrap();
    /// c.inc_by(0.25).unwrap();
    /// assert_eq!(c.get(), 0.25);
    /// ```
    #[inline]
    pub fn inc_by(&self, amount: f64) -> Result<(), MetricError> {
        if amount.is_nan() || amount < 0.0 {
            return Err(self.negative_increment());
        }
        let cell = &self.child.cell;
        // A whole amount below 2^53 goes to the integer cell. `as i64` truncates (one instruction,
        // exact below 2^53) and the round trip tells a whole amount; `fract()` calls libm's `trunc`.
        let whole = amount as i64;
        if amount < 9_007_199_254_740_992.0 && whole as f64 == amount {
            cell.whole.fetch_add(whole as u64, Ordering::Relaxed);
        } else {
            atomic_add_f64(&cell.fraction_bits, amount);
        }
        Ok(())
    }

    /// The error of a negative (or NaN) increment: out of line, so that [`Counter::inc_by`] is small
    /// enough to inline into the rules' update.
    #[cold]
    #[inline(never)]
    fn negative_increment(&self) -> MetricError {
        MetricError::NegativeIncrement(self.child.metric_name().to_owned())
    }

    /// Adds `amount` and keeps `exemplar` (label pairs such as `trace_id`, with `amount` as its value
    /// and an optional Unix `timestamp`) as the counter's latest exemplar, written in OpenMetrics
    /// output. The increment counts even when the exemplar is refused (a bad label name, or labels
    /// over [`MAX_EXEMPLAR_LABEL_CHARS`](super::MAX_EXEMPLAR_LABEL_CHARS) characters), as in
    /// client_golang and prometheus_client; a negative amount changes nothing.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let c = r.counter("hits_total", "Hits.", &[]).unwrap().labels(&[]).unwrap();
    /// c.inc_by_with_exemplar(1.0, &[("trace_id", "abc")], Some(1700000000.5)).unwrap();
    /// let text = r.encode_to_string(srekit::expfmt::Format::OpenMetrics);
    /// assert!(text.contains("hits_total 1.0 # {trace_id=\"abc\"} 1.0 1.7000000005e+09\n"));
    /// assert!(c.inc_by_with_exemplar(1.0, &[("trace_id", &"x".repeat(200))], None).is_err());
    /// assert_eq!(c.get(), 2.0);
    /// ```
    pub fn inc_by_with_exemplar(
        &self,
        amount: f64,
        exemplar: &[(&str, &str)],
        timestamp: Option<f64>,
    ) -> Result<(), MetricError> {
        self.inc_by(amount)?;
        exemplar::check_labels(self.child.metric_name(), exemplar)?;
        self.child.cell.exemplar.store(1, 0, exemplar, amount, timestamp);
        Ok(())
    }

    /// The current value.
    ///
    /// ```
    /// let c = srekit::metrics::Registry::new().counter("n_total", "N.", &[]).unwrap().labels(&[]).unwrap();
    /// assert_eq!(c.get(), 0.0);
    /// ```
    pub fn get(&self) -> f64 {
        CounterPoint { cell: &self.child.cell }.value()
    }

    /// The latest exemplar, if one was set.
    ///
    /// ```
    /// let c = srekit::metrics::Registry::new().counter("n_total", "N.", &[]).unwrap().labels(&[]).unwrap();
    /// assert!(c.exemplar().is_none());
    /// c.inc_by_with_exemplar(2.0, &[("trace_id", "t")], None).unwrap();
    /// assert_eq!(c.exemplar().unwrap().value, 2.0);
    /// ```
    pub fn exemplar(&self) -> Option<Exemplar> {
        self.child.cell.exemplar.with(0, Clone::clone)
    }
}

/// A counter's current total and exemplar, as encoders see them.
pub struct CounterPoint<'a> {
    cell: &'a CounterCell,
}

impl CounterPoint<'_> {
    /// The total.
    pub fn value(&self) -> f64 {
        let whole = self.cell.whole.load(Ordering::Relaxed);
        whole as f64 + f64::from_bits(self.cell.fraction_bits.load(Ordering::Relaxed))
    }

    /// The total when it is a whole number (only whole increments so far), to write as an integer.
    #[inline]
    pub fn whole(&self) -> Option<u64> {
        let fraction = f64::from_bits(self.cell.fraction_bits.load(Ordering::Relaxed));
        (fraction == 0.0).then(|| self.cell.whole.load(Ordering::Relaxed))
    }

    /// Calls `f` with the latest exemplar, if there is one.
    #[inline]
    pub fn with_exemplar<R>(&self, f: impl FnOnce(&Exemplar) -> R) -> Option<R> {
        self.cell.exemplar.with(0, f)
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::Registry;

    /// Whole amounts below 2^53 are counted exactly as integers; any other amount goes to the
    /// floating-point part; the counter's value is their sum either way.
    #[test]
    fn whole_and_fractional_increments_land_in_the_right_part() {
        let limit = 9_007_199_254_740_992.0; // 2^53
        let cases: [(f64, Option<u64>, f64); 8] = [
            (0.0, Some(0), 0.0),
            (-0.0, Some(0), 0.0),
            (3.0, Some(3), 3.0),
            (0.5, None, 0.5),
            (2.75, None, 2.75),
            (limit - 1.0, Some(9_007_199_254_740_991), limit - 1.0),
            (limit, None, limit),
            (1e300, None, 1e300),
        ];
        for (amount, whole, value) in cases {
            let r = Registry::new();
            let c = r.counter("n_total", "N.", &[]).unwrap().labels(&[]).unwrap();
            c.inc_by(amount).unwrap();
            let cell = &c.child.cell;
            let point = super::CounterPoint { cell };
            assert_eq!(point.whole(), whole, "{amount}");
            assert_eq!(c.get(), value, "{amount}");
        }
        let r = Registry::new();
        let c = r.counter("n_total", "N.", &[]).unwrap().labels(&[]).unwrap();
        for amount in [f64::NAN, -1.0, f64::NEG_INFINITY] {
            assert!(c.inc_by(amount).is_err(), "{amount}");
        }
        c.inc_by(f64::INFINITY).unwrap();
        assert_eq!(c.get(), f64::INFINITY);
    }
}
