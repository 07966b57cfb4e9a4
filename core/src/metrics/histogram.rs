//! Histograms: [`Histogram`] (one series) and [`HistogramVec`] (`Family<Histogram>`), with the latest
//! exemplar of each bucket kept in the cell.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use super::exemplar::{self, ExemplarSlots};
use super::family::{atomic_add_f64, metric_handle, Cell, Family};
use super::number::float_text;
use super::view::Point;
use super::Exemplar;
use crate::error::MetricError;

/// A histogram metric with label names; [`Family::labels`] gives the [`Histogram`] of one label set.
///
/// ```
/// use srekit::metrics::{HistogramVec, Registry};
/// let r = Registry::new();
/// let h = r.histogram("rpc_seconds", "RPC latency.", &["method"], HistogramVec::DEFAULT_BUCKETS).unwrap();
/// h.labels(&["Get"]).unwrap().observe(0.02);
/// assert!(r.encode_to_string(srekit::expfmt::Format::Text).contains("rpc_seconds_bucket{method=\"Get\",le=\"0.025\"} 1\n"));
/// ```
pub type HistogramVec = Family<Histogram>;

impl Family<Histogram> {
    /// Prometheus' default buckets (client_golang's `DefBuckets`).
    pub const DEFAULT_BUCKETS: &'static [f64] =
        &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
}

/// What every series of one histogram shares.
pub struct HistogramConfig {
    bounds: Arc<[f64]>,
    /// `le` label values for each bound and `+Inf`.
    le_text: Box<[Box<str>]>,
}

impl HistogramConfig {
    /// Checks `buckets` (sorted, finite; a trailing `+Inf` is implied and may be given).
    pub(crate) fn new(name: &str, buckets: &[f64]) -> Result<HistogramConfig, MetricError> {
        let bounds: &[f64] = match buckets.last() {
            Some(last) if *last == f64::INFINITY => &buckets[..buckets.len() - 1],
            _ => buckets,
        };
        let invalid = |reason| MetricError::InvalidBuckets { metric: name.to_string(), reason };
        if bounds.iter().any(|b| !b.is_finite()) {
            return Err(invalid("bucket bounds must be finite numbers"));
        }
        if bounds.windows(2).any(|w| w[0] >= w[1]) {
            return Err(invalid("bucket bounds must be strictly increasing"));
        }
        let le_text = bounds.iter().copied().chain([f64::INFINITY]).map(float_text).collect();
        Ok(HistogramConfig { bounds: bounds.into(), le_text })
    }
}

/// A histogram's per-bucket (not cumulative) counts, sum and count.
pub struct HistogramCell {
    bounds: Arc<[f64]>,
    /// The last is the `+Inf` bucket.
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_bits: AtomicU64,
    exemplars: ExemplarSlots,
}

impl Cell for HistogramCell {
    type Config = HistogramConfig;
    fn new(config: &HistogramConfig) -> Self {
        HistogramCell {
            bounds: config.bounds.clone(),
            buckets: (0..=config.bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_bits: AtomicU64::new(0f64.to_bits()),
            exemplars: ExemplarSlots::default(),
        }
    }
    fn bucket_labels(config: &HistogramConfig) -> &[Box<str>] {
        &config.le_text
    }
}

metric_handle! {
    /// One histogram series. Clone it freely; all clones share the buckets.
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &[], &[1.0]).unwrap().labels(&[]).unwrap();
    /// h.observe(0.5);
    /// h.observe(3.0);
    /// assert_eq!(h.count(), 2);
    /// assert_eq!(h.sum(), 3.5);
    /// ```
    Histogram(HistogramCell): Histogram, reserved &["le"], |cell| Point::Histogram(HistogramPoint { cell })
}

impl Histogram {
    /// Records one observation. NaN is counted in the `+Inf` bucket, as client_golang does.
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &[], &[1.0]).unwrap().labels(&[]).unwrap();
    /// h.observe(1.0);
    /// assert_eq!(h.count(), 1);
    /// ```
    #[inline]
    pub fn observe(&self, value: f64) {
        self.observe_in(self.bucket_of(value), value);
    }

    /// Records one observation and keeps `exemplar` (label pairs such as `trace_id`, with `value` and
    /// an optional Unix `timestamp`) as the latest exemplar of the bucket it falls in, written in
    /// OpenMetrics output. The observation counts even when the exemplar is refused (a bad label
    /// name, or labels over [`MAX_EXEMPLAR_LABEL_CHARS`](super::MAX_EXEMPLAR_LABEL_CHARS) characters).
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let h = r.histogram("rpc_seconds", "RPC.", &[], &[0.1, 1.0]).unwrap().labels(&[]).unwrap();
    /// h.observe_with_exemplar(0.5, &[("trace_id", "abc")], None).unwrap();
    /// let text = r.encode_to_string(srekit::expfmt::Format::OpenMetrics);
    /// assert!(text.contains("rpc_seconds_bucket{le=\"1\"} 1 # {trace_id=\"abc\"} 0.5\n"));
    /// assert!(text.contains("rpc_seconds_bucket{le=\"+Inf\"} 1\n"));
    /// ```
    pub fn observe_with_exemplar(
        &self,
        value: f64,
        exemplar: &[(&str, &str)],
        timestamp: Option<f64>,
    ) -> Result<(), MetricError> {
        let bucket = self.bucket_of(value);
        self.observe_in(bucket, value);
        exemplar::check_labels(self.child.metric_name(), exemplar)?;
        let cell = &self.child.cell;
        cell.exemplars.store(cell.buckets.len(), bucket, exemplar, value, timestamp);
        Ok(())
    }

    /// The latest exemplar of each bucket (`+Inf` last).
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &[], &[1.0]).unwrap().labels(&[]).unwrap();
    /// h.observe_with_exemplar(5.0, &[("trace_id", "t")], None).unwrap();
    /// let exemplars = h.exemplars();
    /// assert!(exemplars[0].is_none());
    /// assert_eq!(exemplars[1].as_ref().unwrap().value, 5.0);
    /// ```
    pub fn exemplars(&self) -> Vec<Option<Exemplar>> {
        let cell = &self.child.cell;
        (0..cell.buckets.len()).map(|bucket| cell.exemplars.with(bucket, Clone::clone)).collect()
    }

    /// Number of observations.
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &[], &[1.0]).unwrap().labels(&[]).unwrap();
    /// assert_eq!(h.count(), 0);
    /// ```
    pub fn count(&self) -> u64 {
        self.child.cell.count.load(Ordering::Relaxed)
    }

    /// Sum of observations.
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &[], &[1.0]).unwrap().labels(&[]).unwrap();
    /// h.observe(2.0);
    /// assert_eq!(h.sum(), 2.0);
    /// ```
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.child.cell.sum_bits.load(Ordering::Relaxed))
    }

    /// Per-bucket (not cumulative) counts, `+Inf` last: with [`Histogram::sum`], what
    /// [`Histogram::add_counts`] takes to rebuild the histogram (e.g. from a checkpoint).
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &[], &[1.0]).unwrap().labels(&[]).unwrap();
    /// h.observe(0.5);
    /// h.observe(3.0);
    /// h.observe(4.0);
    /// assert_eq!(h.bucket_counts(), vec![1, 2]);
    /// ```
    pub fn bucket_counts(&self) -> Vec<u64> {
        self.child.cell.buckets.iter().map(|b| b.load(Ordering::Relaxed)).collect()
    }

    /// Adds per-bucket counts (`+Inf` last, as [`Histogram::bucket_counts`] gives them) and their
    /// sum, as if those observations had been made. Refused when the number of buckets differs.
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &[], &[1.0]).unwrap().labels(&[]).unwrap();
    /// h.add_counts(&[1, 2], 7.5).unwrap();
    /// assert_eq!((h.count(), h.sum()), (3, 7.5));
    /// assert!(h.add_counts(&[1], 1.0).is_err());
    /// ```
    pub fn add_counts(&self, buckets: &[u64], sum: f64) -> Result<(), MetricError> {
        let cell = &self.child.cell;
        if buckets.len() != cell.buckets.len() {
            return Err(MetricError::InvalidBuckets {
                metric: self.child.metric_name().to_string(),
                reason: "the number of buckets differs from the histogram's",
            });
        }
        let mut count = 0u64;
        for (bucket, &n) in cell.buckets.iter().zip(buckets) {
            bucket.fetch_add(n, Ordering::Relaxed);
            count = count.saturating_add(n);
        }
        atomic_add_f64(&cell.sum_bits, sum);
        cell.count.fetch_add(count, Ordering::Relaxed);
        Ok(())
    }

    #[inline]
    fn bucket_of(&self, value: f64) -> usize {
        let bounds = &self.child.cell.bounds;
        if value.is_nan() {
            bounds.len()
        } else {
            bounds.partition_point(|b| *b < value)
        }
    }

    #[inline]
    fn observe_in(&self, bucket: usize, value: f64) {
        let cell = &self.child.cell;
        cell.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        atomic_add_f64(&cell.sum_bits, value);
        cell.count.fetch_add(1, Ordering::Relaxed);
    }
}

/// A histogram's current buckets, sum and exemplars, as encoders see them.
pub struct HistogramPoint<'a> {
    cell: &'a HistogramCell,
}

impl<'a> HistogramPoint<'a> {
    /// Cumulative bucket counts, `+Inf` last (whose count is the `_count` consistent with them).
    pub fn cumulative_counts(&self) -> impl Iterator<Item = u64> + 'a {
        self.cell.buckets.iter().scan(0u64, |running, bucket| {
            *running += bucket.load(Ordering::Relaxed);
            Some(*running)
        })
    }

    /// Sum of observations.
    pub fn sum(&self) -> f64 {
        f64::from_bits(self.cell.sum_bits.load(Ordering::Relaxed))
    }

    /// Whether no bucket ever had an exemplar (so none has one now).
    #[inline]
    pub(crate) fn never_had_exemplars(&self) -> bool {
        self.cell.exemplars.never_set()
    }

    /// Calls `f` with the latest exemplar of bucket `bucket` (0-based, `+Inf` last), if it has one.
    #[inline]
    pub fn with_exemplar<R>(&self, bucket: usize, f: impl FnOnce(&Exemplar) -> R) -> Option<R> {
        self.cell.exemplars.with(bucket, f)
    }
}
