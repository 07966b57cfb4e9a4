//! The generic labelled family: one metric's description and its children (one per label set), with the
//! operations every metric type shares written once — [`Family::labels`], [`Family::labels_by_name`],
//! [`Family::series_count`], [`Family::remove`], [`Family::remove_by_name`] and [`Family::clear`].
//! [`CounterVec`](super::CounterVec) is `Family<Counter>`, and so on, as `Family<S, M>` is in the
//! prometheus-client crate.
//!
//! `labels(values)` finds or creates a child (one hash of the values under a read lock) and returns a
//! handle that can be kept: updates on a kept handle are single atomic operations on its cell.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use super::label_text::{label_values, labels_match, render_labels, SeriesIndex};
use super::names::legacy_label_name;
use super::view::{FamilyView, Point, SeriesView, Visitor};
use super::MetricType;
use crate::error::MetricError;

/// What a metric is: name, help, type and label names, all checked.
pub struct Desc {
    pub(crate) name: String,
    pub(crate) help: String,
    pub(crate) kind: MetricType,
    pub(crate) label_names: Box<[String]>,
}

impl Desc {
    /// Checks the name and label names (`reserved` are the type's own labels, such as `le`). A counter's
    /// trailing `_total` is dropped: the base name is stored.
    pub(crate) fn new(
        name: &str,
        help: &str,
        kind: MetricType,
        label_names: &[&str],
        reserved: &[&'static str],
    ) -> Result<Desc, MetricError> {
        if name.is_empty() {
            return Err(MetricError::InvalidMetricName(name.to_string()));
        }
        for (i, label) in label_names.iter().enumerate() {
            // Prometheus 3 names: any non-empty UTF-8 label name, written as it is to scrapers that
            // allow UTF-8 and escaped (by default with underscores) for the others, where two names
            // must not become one.
            let escaped = legacy_label_name(label);
            let reason = if label.is_empty() {
                Some("must not be empty")
            } else if label.starts_with("__") {
                Some("names starting with __ are reserved")
            } else if reserved.contains(label) {
                Some("reserved for this metric type")
            } else if label_names[..i].contains(label) {
                Some("given twice")
            } else if label_names[..i].iter().any(|l| legacy_label_name(l) == escaped) {
                Some("another label name of this metric escapes to the same name (UTF-8 names become `_`-escaped for scrapers that do not allow UTF-8)")
            } else {
                None
            };
            if let Some(reason) = reason {
                return Err(MetricError::InvalidLabelName {
                    metric: name.to_string(),
                    label: label.to_string(),
                    reason,
                });
            }
        }
        let base = match kind {
            MetricType::Counter => name.strip_suffix("_total").unwrap_or(name),
            _ => name,
        };
        Ok(Desc {
            name: base.to_string(),
            help: help.to_string(),
            kind,
            label_names: label_names.iter().map(|s| s.to_string()).collect(),
        })
    }
}

/// The per-series state of one metric type (atomics), made from the metric's configuration.
pub trait Cell: Send + Sync + 'static {
    /// What every cell of one metric shares (a histogram's bounds).
    type Config: Send + Sync + 'static;
    /// A new cell, all zero.
    fn new(config: &Self::Config) -> Self;
    /// The `le` label values of a histogram's buckets (`+Inf` last); empty for other types.
    fn bucket_labels(_config: &Self::Config) -> &[Box<str>] {
        &[]
    }
}

/// A metric type's handle on one series ([`Counter`](super::Counter), [`Gauge`](super::Gauge), ...):
/// what a [`Family`] hands out. Implemented by srekit's metric types only.
pub trait Metric: Clone + Send + Sync + 'static {
    /// The series' atomic state.
    #[doc(hidden)]
    type Cell: Cell;
    /// The OpenMetrics type of this metric.
    #[doc(hidden)]
    const KIND: MetricType;
    /// The label names the type reserves (`le` for histograms, `quantile` for summaries).
    #[doc(hidden)]
    const RESERVED_LABELS: &'static [&'static str];
    /// Wraps a child.
    #[doc(hidden)]
    fn from_child(child: Arc<Child<Self::Cell>>) -> Self;
    /// The wrapped child.
    #[doc(hidden)]
    fn child(&self) -> &Child<Self::Cell>;
    /// The cell's current values, as encoders see them.
    #[doc(hidden)]
    fn point(cell: &Self::Cell) -> Point<'_>;
}

/// Declares a metric type's series handle: the struct (one `Arc` of its child), its [`Metric`] impl
/// and its `Debug` (the metric's name and label values, never its internals).
macro_rules! metric_handle {
    ($(#[$doc:meta])* $handle:ident($cell:ident): $kind:ident, reserved $reserved:expr, |$c:ident| $point:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $handle {
            child: std::sync::Arc<$crate::metrics::family::Child<$cell>>,
        }

        impl $crate::metrics::family::Metric for $handle {
            type Cell = $cell;
            const KIND: $crate::metrics::MetricType = $crate::metrics::MetricType::$kind;
            const RESERVED_LABELS: &'static [&'static str] = $reserved;
            fn from_child(child: std::sync::Arc<$crate::metrics::family::Child<$cell>>) -> Self {
                $handle { child }
            }
            fn child(&self) -> &$crate::metrics::family::Child<$cell> {
                &self.child
            }
            fn point($c: &$cell) -> $crate::metrics::Point<'_> {
                $point
            }
        }

        impl std::fmt::Debug for $handle {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.child.debug(stringify!($handle), f)
            }
        }
    };
}
pub(crate) use metric_handle;

/// The [`Cell`] impl of a cell that needs no configuration (all zero is `Default`).
macro_rules! default_cell {
    ($cell:ident) => {
        impl $crate::metrics::family::Cell for $cell {
            type Config = ();
            fn new(_: &()) -> Self {
                Self::default()
            }
        }
    };
}
pub(crate) use default_cell;

/// One labelled series: its metric's description, label set, creation time and cell.
pub struct Child<C> {
    pub(crate) desc: Arc<Desc>,
    /// The label set as exposition text (`a="x",b="y"`, see `label_text`): the only copy of the
    /// series' label values, copied as is by encoders.
    pub(crate) labels: Box<str>,
    /// Unix seconds, written as `_created` at encode time.
    pub(crate) created: f64,
    pub(crate) cell: C,
}

/// The children in creation order (the order they are encoded in), indexed by the hash of their values.
struct Children<C> {
    index: SeriesIndex,
    list: Vec<Arc<Child<C>>>,
}

impl<C> Children<C> {
    fn find(&self, hash: u64, names: &[String], values: &[&str]) -> Option<usize> {
        self.index
            .find(hash, |i| self.list.get(i).is_some_and(|child| labels_match(&child.labels, names, values)))
    }
}

struct Shared<C: Cell> {
    desc: Arc<Desc>,
    config: C::Config,
    hasher: foldhash::fast::RandomState,
    children: RwLock<Children<C>>,
}

/// A metric with label names: a family of series, one per label set, each a `M` handle
/// ([`CounterVec`](super::CounterVec) is `Family<Counter>`). Cheap to clone: clones share the series.
///
/// ```
/// let r = srekit::metrics::Registry::new();
/// let requests = r.counter("requests_total", "Requests.", &["code"]).unwrap();
/// let ok = requests.labels(&["200"]).unwrap(); // keep this handle on hot paths
/// ok.inc();
/// requests.labels_by_name(&[("code", "200")]).unwrap().inc();
/// assert_eq!(ok.get(), 2.0);
/// assert_eq!(requests.series_count(), 1);
/// ```
pub struct Family<M: Metric> {
    shared: Arc<Shared<M::Cell>>,
}

impl<M: Metric> Clone for Family<M> {
    fn clone(&self) -> Self {
        Family { shared: self.shared.clone() }
    }
}

impl<M: Metric> std::fmt::Debug for Family<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Family").field("name", &self.shared.desc.name).finish()
    }
}

/// Now in Unix seconds, to the millisecond (the precision Prometheus keeps of a created time): a
/// whole number of milliseconds is written as `_created` by integer formatting
/// ([`write_openmetrics_seconds`](super::number::write_openmetrics_seconds)), not by the shortest-digits
/// float search that was most of what OpenMetrics cost over text 0.0.4 per series.
fn now_seconds() -> f64 {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    millis as f64 / 1000.0
}

/// Adds `delta` to the `f64` stored as bits in `bits`.
pub(crate) fn atomic_add_f64(bits: &AtomicU64, delta: f64) {
    let mut current = bits.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + delta).to_bits();
        match bits.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

impl<M: Metric> Family<M> {
    pub(crate) fn new(desc: Desc, config: <M::Cell as Cell>::Config) -> Family<M> {
        let children = Children { index: SeriesIndex::default(), list: Vec::new() };
        Family {
            shared: Arc::new(Shared {
                desc: Arc::new(desc),
                config,
                hasher: foldhash::fast::RandomState::default(),
                children: RwLock::new(children),
            }),
        }
    }

    /// The metric's name (a counter's without `_total`).
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// assert_eq!(r.counter("jobs_total", "Jobs.", &[]).unwrap().name(), "jobs");
    /// ```
    pub fn name(&self) -> &str {
        &self.shared.desc.name
    }

    /// The child for these label values (in label-name order), created on first use.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let c = r.counter("x_total", "X.", &["a"]).unwrap();
    /// assert!(c.labels(&["1"]).is_ok());
    /// assert!(c.labels(&["1", "2"]).is_err());
    /// ```
    pub fn labels(&self, values: &[&str]) -> Result<M, MetricError> {
        self.check_count(values.len())?;
        let shared = &*self.shared;
        let hash = self.hash_values(values);
        let names = &shared.desc.label_names;
        {
            let children = self.read();
            if let Some(found) = children.find(hash, names, values) {
                return Ok(M::from_child(children.list[found].clone()));
            }
        }
        let mut children = shared.children.write().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = children.find(hash, names, values) {
            return Ok(M::from_child(children.list[found].clone()));
        }
        let child = Arc::new(Child {
            desc: shared.desc.clone(),
            labels: render_labels(names, values.iter().copied()),
            created: now_seconds(),
            cell: M::Cell::new(&shared.config),
        });
        let index = children.list.len();
        // Past 2^32 series (hundreds of gigabytes) a child is handed out but not kept.
        if children.index.insert(hash, index) {
            children.list.push(child.clone());
        }
        Ok(M::from_child(child))
    }

    /// The child for these `(name, value)` pairs, in any order.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let s = r.summary("x", "X.", &["a", "b"]).unwrap();
    /// assert!(s.labels_by_name(&[("b", "2"), ("a", "1")]).is_ok());
    /// assert!(s.labels_by_name(&[("b", "2"), ("c", "1")]).is_err());
    /// ```
    pub fn labels_by_name(&self, pairs: &[(&str, &str)]) -> Result<M, MetricError> {
        self.labels(&self.ordered(pairs)?)
    }

    /// How many label sets (series) exist.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let g = r.gauge("x", "X.", &["a"]).unwrap();
    /// g.labels(&["1"]).unwrap().set(1.0);
    /// assert_eq!(g.series_count(), 1);
    /// ```
    pub fn series_count(&self) -> usize {
        self.read().list.len()
    }

    /// Removes the series of these label values; `Ok(false)` when there was none. A handle kept
    /// elsewhere goes on working but is no longer encoded; `labels` then makes a new series from zero.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let h = r.histogram("d", "D.", &["a"], &[1.0]).unwrap();
    /// h.labels(&["x"]).unwrap().observe(0.5);
    /// assert_eq!(h.remove(&["x"]), Ok(true));
    /// assert_eq!(h.remove(&["x"]), Ok(false));
    /// assert_eq!(h.series_count(), 0);
    /// assert!(h.remove(&[]).is_err());
    /// ```
    pub fn remove(&self, values: &[&str]) -> Result<bool, MetricError> {
        self.check_count(values.len())?;
        let hash = self.hash_values(values);
        let mut children = self.shared.children.write().unwrap_or_else(|e| e.into_inner());
        let Some(index) = children.find(hash, &self.shared.desc.label_names, values) else {
            return Ok(false);
        };
        children.list.remove(index);
        // Keep creation order: every later child moves down by one.
        children.index.remove(hash, index);
        children.index.shift_down_after(index);
        Ok(true)
    }

    /// Removes the series of these `(name, value)` pairs, in any order.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let c = r.counter("x_total", "X.", &["a", "b"]).unwrap();
    /// c.labels(&["1", "2"]).unwrap().inc();
    /// assert_eq!(c.remove_by_name(&[("b", "2"), ("a", "1")]), Ok(true));
    /// assert_eq!(c.series_count(), 0);
    /// ```
    pub fn remove_by_name(&self, pairs: &[(&str, &str)]) -> Result<bool, MetricError> {
        self.remove(&self.ordered(pairs)?)
    }

    /// Removes every series.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let g = r.gauge("x", "X.", &["a"]).unwrap();
    /// g.labels(&["1"]).unwrap().set(1.0);
    /// g.clear();
    /// assert_eq!(g.series_count(), 0);
    /// assert_eq!(r.encode_to_string(srekit::expfmt::Format::Text), "# HELP x X.\n# TYPE x gauge\n");
    /// ```
    pub fn clear(&self) {
        let mut children = self.shared.children.write().unwrap_or_else(|e| e.into_inner());
        children.list.clear();
        children.index.clear();
    }

    /// Shows the family and each series to `visitor` (a snapshot: series added meanwhile wait for the
    /// next visit).
    pub(crate) fn visit<V: Visitor>(&self, visitor: &mut V) {
        let children = self.read().list.clone();
        self.show(&children, visitor);
    }

    /// As [`visit`](Self::visit), but under the read lock instead of on a copy of the series list (the
    /// copy and its drop were ~20% of encoding 10k series): for the crate's encoders, which never touch
    /// the registry from the visitor. A series created meanwhile waits for the visit to end.
    pub(crate) fn visit_in_place<V: Visitor>(&self, visitor: &mut V) {
        let children = self.read();
        self.show(&children.list, visitor);
    }

    fn show<V: Visitor>(&self, children: &[Arc<Child<M::Cell>>], visitor: &mut V) {
        let shared = &*self.shared;
        let family = FamilyView {
            name: &shared.desc.name,
            help: &shared.desc.help,
            kind: shared.desc.kind,
            label_names: &shared.desc.label_names,
            bucket_labels: M::Cell::bucket_labels(&shared.config),
        };
        visitor.family(&family);
        for child in children {
            let series =
                SeriesView { labels: &child.labels, created: child.created, point: M::point(&child.cell) };
            visitor.series(&family, &series);
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Children<M::Cell>> {
        self.shared.children.read().unwrap_or_else(|e| e.into_inner())
    }

    fn check_count(&self, got: usize) -> Result<(), MetricError> {
        let expected = self.shared.desc.label_names.len();
        if got != expected {
            return Err(MetricError::LabelCount { metric: self.shared.desc.name.clone(), expected, got });
        }
        Ok(())
    }

    fn hash_values(&self, values: &[&str]) -> u64 {
        let mut hasher = self.shared.hasher.build_hasher();
        for value in values {
            hasher.write(value.as_bytes());
            hasher.write_u8(0xff);
        }
        hasher.finish()
    }

    /// `(name, value)` pairs as values in label-name order.
    fn ordered<'v>(&self, pairs: &[(&str, &'v str)]) -> Result<Vec<&'v str>, MetricError> {
        let names = &self.shared.desc.label_names;
        self.check_count(pairs.len())?;
        let mut values = vec![""; names.len()];
        for (key, value) in pairs {
            let slot = names.iter().position(|n| n == key).ok_or_else(|| MetricError::UnknownLabel {
                metric: self.shared.desc.name.clone(),
                label: key.to_string(),
            })?;
            values[slot] = value;
        }
        Ok(values)
    }
}

impl<C> Child<C> {
    /// The metric's name (for errors and `Debug`).
    pub(crate) fn metric_name(&self) -> &str {
        &self.desc.name
    }

    /// `Debug` of a handle: its metric's name and label values, never its internals.
    pub(crate) fn debug(&self, handle: &str, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct(handle)
            .field("name", &self.desc.name)
            .field("labels", &label_values(&self.labels))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use crate::metrics::Registry;

    #[test]
    fn removal_keeps_creation_order_and_lookups_of_the_rest() {
        let r = Registry::new();
        let g = r.gauge("g", "G.", &["k"]).expect("gauge");
        for (i, k) in ["a", "b", "c", "d"].iter().enumerate() {
            g.labels(&[k]).expect("child").set(i as f64);
        }
        assert_eq!(g.remove(&["b"]), Ok(true));
        let text = r.encode_to_string(crate::expfmt::Format::Text);
        assert!(text.ends_with("g{k=\"a\"} 0\ng{k=\"c\"} 2\ng{k=\"d\"} 3\n"), "{text}");
        assert_eq!(g.labels(&["d"]).expect("d").get(), 3.0);
        assert_eq!(g.labels(&["c"]).expect("c").get(), 2.0);
        assert_eq!(g.series_count(), 3);
        g.labels(&["b"]).expect("b again");
        assert_eq!(g.labels(&["b"]).expect("b").get(), 0.0, "a removed series starts again from zero");
        assert_eq!(g.series_count(), 4);
    }

    #[test]
    fn a_kept_handle_of_a_removed_series_is_not_encoded() {
        let r = Registry::new();
        let c = r.counter("c_total", "C.", &["k"]).expect("counter");
        let kept = c.labels(&["x"]).expect("child");
        c.clear();
        kept.inc();
        assert_eq!(kept.get(), 1.0);
        assert!(!r.encode_to_string(crate::expfmt::Format::Text).contains("c_total{"));
    }
}
