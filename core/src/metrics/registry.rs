//! The instrumentation registry: creates counters, gauges, histograms and summaries (each a labelled
//! [`Family`]) and shows them to a [`Visitor`] — the encoders in [`crate::expfmt`], which also give
//! the registry its `encode` methods, or [`Registry::gather`].

use std::sync::{Arc, RwLock};

use super::family::{Desc, Family, Metric};
use super::histogram::HistogramConfig;
use super::names::legacy_metric_name;
use super::view::{Gatherer, Visitor};
use super::{CounterVec, GaugeVec, HistogramVec, MetricFamily, SummaryVec};
use crate::error::MetricError;

/// A set of metrics that is encoded as one exposition. Cheap to clone (shared inside).
///
/// ```
/// use srekit::metrics::Registry;
/// use srekit::expfmt::Format;
/// let registry = Registry::new();
/// let temp = registry.gauge("room_temperature_celsius", "Room temperature.", &["room"]).unwrap();
/// temp.labels(&["lab"]).unwrap().set(21.5);
/// assert_eq!(
///     registry.encode_to_string(Format::Text),
///     "# HELP room_temperature_celsius Room temperature.\n# TYPE room_temperature_celsius gauge\nroom_temperature_celsius{room=\"lab\"} 21.5\n"
/// );
/// ```
#[derive(Clone, Default)]
pub struct Registry {
    metrics: Arc<RwLock<Vec<Registered>>>,
}

#[derive(Clone)]
enum Registered {
    Counter(CounterVec),
    Gauge(GaugeVec),
    Histogram(HistogramVec),
    Summary(SummaryVec),
}

impl Registered {
    fn name(&self) -> &str {
        match self {
            Registered::Counter(family) => family.name(),
            Registered::Gauge(family) => family.name(),
            Registered::Histogram(family) => family.name(),
            Registered::Summary(family) => family.name(),
        }
    }

    fn visit<V: Visitor>(&self, visitor: &mut V, in_place: bool) {
        match (self, in_place) {
            (Registered::Counter(family), false) => family.visit(visitor),
            (Registered::Counter(family), true) => family.visit_in_place(visitor),
            (Registered::Gauge(family), false) => family.visit(visitor),
            (Registered::Gauge(family), true) => family.visit_in_place(visitor),
            (Registered::Histogram(family), false) => family.visit(visitor),
            (Registered::Histogram(family), true) => family.visit_in_place(visitor),
            (Registered::Summary(family), false) => family.visit(visitor),
            (Registered::Summary(family), true) => family.visit_in_place(visitor),
        }
    }
}

impl Registry {
    /// An empty registry.
    ///
    /// ```
    /// assert_eq!(srekit::metrics::Registry::new().encode_to_string(srekit::expfmt::Format::Text), "");
    /// ```
    pub fn new() -> Registry {
        Registry::default()
    }

    fn register<M: Metric>(
        &self,
        name: &str,
        help: &str,
        label_names: &[&str],
        config: impl FnOnce() -> Result<<M::Cell as super::family::Cell>::Config, MetricError>,
        wrap: fn(Family<M>) -> Registered,
    ) -> Result<Family<M>, MetricError> {
        let desc = Desc::new(name, help, M::KIND, label_names, M::RESERVED_LABELS)?;
        let config = config()?;
        let mut metrics = self.metrics.write().unwrap_or_else(|e| e.into_inner());
        // `http.requests` and `http_requests` are two names, but one for a scraper that does not allow
        // UTF-8 (they escape alike): refused as duplicates, so no exposition holds one family twice.
        if metrics.iter().any(|m| m.name() == desc.name) {
            return Err(MetricError::Duplicate(desc.name));
        }
        let escaped = legacy_metric_name(&desc.name);
        if let Some(existing) = metrics.iter().find(|m| legacy_metric_name(m.name()) == escaped) {
            return Err(MetricError::EscapesAlike {
                name: desc.name.clone(),
                existing: existing.name().to_owned(),
                escaped: escaped.into_owned(),
            });
        }
        let family = Family::new(desc, config);
        metrics.push(wrap(family.clone()));
        Ok(family)
    }

    /// Creates a counter with the given label names. A trailing `_total` in `name` is optional.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let c = r.counter("jobs_total", "Jobs.", &["queue"]).unwrap();
    /// c.labels(&["default"]).unwrap().inc_by(2.0).unwrap();
    /// assert_eq!(c.labels(&["default"]).unwrap().get(), 2.0);
    /// assert!(r.counter("jobs", "Again.", &[]).is_err());
    /// ```
    pub fn counter(&self, name: &str, help: &str, label_names: &[&str]) -> Result<CounterVec, MetricError> {
        self.register(name, help, label_names, || Ok(()), Registered::Counter)
    }

    /// Creates a gauge with the given label names.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let g = r.gauge("queue_depth", "Depth.", &[]).unwrap();
    /// let depth = g.labels(&[]).unwrap();
    /// depth.add(5.0);
    /// depth.dec();
    /// assert_eq!(depth.get(), 4.0);
    /// ```
    pub fn gauge(&self, name: &str, help: &str, label_names: &[&str]) -> Result<GaugeVec, MetricError> {
        self.register(name, help, label_names, || Ok(()), Registered::Gauge)
    }

    /// Creates a histogram with the given label names and bucket upper bounds (sorted, finite; a
    /// trailing `+Inf` is implied and may be given).
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let h = r.histogram("latency_seconds", "Latency.", &[], &[0.1, 1.0]).unwrap();
    /// h.labels(&[]).unwrap().observe(0.5);
    /// assert!(r.histogram("bad_seconds", "Bad.", &[], &[1.0, 0.5]).is_err());
    /// ```
    pub fn histogram(
        &self,
        name: &str,
        help: &str,
        label_names: &[&str],
        buckets: &[f64],
    ) -> Result<HistogramVec, MetricError> {
        let config = || HistogramConfig::new(name, buckets);
        self.register(name, help, label_names, config, Registered::Histogram)
    }

    /// Creates a summary (count and sum; no quantiles are computed) with the given label names.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let s = r.summary("payload_bytes", "Payload sizes.", &[]).unwrap();
    /// s.labels(&[]).unwrap().observe(512.0);
    /// assert!(r.encode_to_string(srekit::expfmt::Format::Text).contains("payload_bytes_count 1\n"));
    /// ```
    pub fn summary(&self, name: &str, help: &str, label_names: &[&str]) -> Result<SummaryVec, MetricError> {
        self.register(name, help, label_names, || Ok(()), Registered::Summary)
    }

    /// Shows every metric, in registration order, and each of its series to `visitor` (see
    /// [`Visitor`]). This is how the encoders read the registry.
    ///
    /// ```
    /// use srekit::metrics::{FamilyView, Point, Registry, SeriesView, Visitor};
    /// struct Sum(f64);
    /// impl Visitor for Sum {
    ///     fn family(&mut self, _: &FamilyView<'_>) {}
    ///     fn series(&mut self, _: &FamilyView<'_>, series: &SeriesView<'_>) {
    ///         if let Point::Gauge(value) = series.point { self.0 += value; }
    ///     }
    /// }
    /// let r = Registry::new();
    /// let g = r.gauge("g", "G.", &["k"]).unwrap();
    /// g.labels(&["a"]).unwrap().set(1.5);
    /// g.labels(&["b"]).unwrap().set(2.0);
    /// let mut sum = Sum(0.0);
    /// r.visit(&mut sum);
    /// assert_eq!(sum.0, 3.5);
    /// ```
    pub fn visit<V: Visitor>(&self, visitor: &mut V) {
        let metrics = self.metrics.read().unwrap_or_else(|e| e.into_inner()).clone();
        for metric in &metrics {
            metric.visit(visitor, false);
        }
    }

    /// As [`visit`](Self::visit), holding the registry's and each family's read lock instead of
    /// copying their lists: for the crate's encoders, whose visitors never touch the registry.
    pub(crate) fn visit_in_place<V: Visitor>(&self, visitor: &mut V) {
        let metrics = self.metrics.read().unwrap_or_else(|e| e.into_inner());
        for metric in metrics.iter() {
            metric.visit(visitor, true);
        }
    }

    /// A snapshot of every metric as [`MetricFamily`] values (with `_created` samples and the latest
    /// exemplars).
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// r.gauge("g", "G.", &[]).unwrap().labels(&[]).unwrap().set(3.0);
    /// let families = r.gather();
    /// assert_eq!(families[0].samples[0].value, 3.0);
    /// ```
    pub fn gather(&self) -> Vec<MetricFamily> {
        let mut gatherer = Gatherer::default();
        self.visit(&mut gatherer);
        gatherer.families
    }

    /// The names each metric is exposed under, in registration order: a counter's base name and
    /// `<name>_total`, any other metric's name. Reads no series (where [`gather`](Self::gather)
    /// copies every one), so it stays cheap at any series count: for reserving names.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// r.counter("hits_total", "Hits.", &["k"]).unwrap().labels(&["a"]).unwrap().inc();
    /// r.gauge("depth", "Depth.", &[]).unwrap();
    /// assert_eq!(r.exposed_names(), ["hits", "hits_total", "depth"]);
    /// ```
    pub fn exposed_names(&self) -> Vec<String> {
        let metrics = self.metrics.read().unwrap_or_else(|e| e.into_inner());
        let mut names = Vec::with_capacity(metrics.len() * 2);
        for metric in metrics.iter() {
            names.push(metric.name().to_owned());
            if let Registered::Counter(_) = metric {
                names.push(format!("{}_total", metric.name()));
            }
        }
        names
    }
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let metrics = self.metrics.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Registry")
            .field("metrics", &metrics.iter().map(Registered::name).collect::<Vec<_>>())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::Suffix;

    #[test]
    fn a_bad_name_is_reported_before_bad_buckets() {
        let err = Registry::new().histogram("", "B.", &[], &[2.0, 1.0]).unwrap_err();
        assert_eq!(err, MetricError::InvalidMetricName("".into()));
    }

    #[test]
    fn gather_carries_the_exemplars_kept_in_the_cells() {
        let r = Registry::new();
        let c = r.counter("hits_total", "H.", &["k"]).expect("counter").labels(&["a"]).expect("child");
        c.inc_by_with_exemplar(2.0, &[("trace_id", "t1")], Some(5.0)).expect("exemplar");
        let h = r.histogram("d_seconds", "D.", &[], &[1.0]).expect("histogram").labels(&[]).expect("child");
        h.observe_with_exemplar(3.0, &[("trace_id", "t2")], None).expect("exemplar");
        let families = r.gather();
        let total = &families[0].samples[0];
        assert_eq!(total.suffix, Suffix::Total);
        assert_eq!(total.exemplar.as_ref().map(|e| (e.value, e.timestamp)), Some((2.0, Some(5.0))));
        let buckets: Vec<_> = families[1].samples.iter().filter(|s| s.suffix == Suffix::Bucket).collect();
        assert!(buckets[0].exemplar.is_none());
        assert_eq!(buckets[1].label("le"), Some("+Inf"));
        assert_eq!(buckets[1].exemplar.as_ref().map(|e| e.labels[0].1.as_str()), Some("t2"));
    }
}
