//! The instrumentation registry: counters, gauges, histograms and summaries with label vectors.
//!
//! Label names are fixed when a metric is created and checked then. `labels(values)` finds or creates a
//! child (one hash of the values under a read lock) and returns a handle that can be kept: increments
//! on a kept handle are single atomic operations. Each child keeps its label set pre-rendered as
//! exposition text, so encoding is mostly copying bytes.

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::BufMut;

use super::names::{is_valid_label_name, is_valid_metric_name};
use super::{MetricFamily, MetricType, Sample, Suffix};
use crate::error::MetricError;
use crate::expfmt::{self, write_float, write_label_value, write_metadata, write_u64, Format};

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
    Counter(Arc<Core<CounterCell>>),
    Gauge(Arc<Core<GaugeCell>>),
    Histogram(Arc<Core<HistogramCell>>),
    Summary(Arc<Core<SummaryCell>>),
}

impl Registered {
    fn name(&self) -> &str {
        match self {
            Registered::Counter(c) => &c.desc.name,
            Registered::Gauge(c) => &c.desc.name,
            Registered::Histogram(c) => &c.desc.name,
            Registered::Summary(c) => &c.desc.name,
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

    fn register<C: Cell>(
        &self,
        desc: Desc,
        config: C::Config,
        wrap: fn(Arc<Core<C>>) -> Registered,
    ) -> Result<Arc<Core<C>>, MetricError> {
        let mut metrics = self.metrics.write().unwrap_or_else(|e| e.into_inner());
        if metrics.iter().any(|m| m.name() == desc.name) {
            return Err(MetricError::Duplicate(desc.name));
        }
        let core = Arc::new(Core::new(desc, config));
        metrics.push(wrap(core.clone()));
        Ok(core)
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
        let desc = Desc::new(name, help, MetricType::Counter, label_names, &[])?;
        Ok(CounterVec { core: self.register(desc, (), Registered::Counter)? })
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
        let desc = Desc::new(name, help, MetricType::Gauge, label_names, &[])?;
        Ok(GaugeVec { core: self.register(desc, (), Registered::Gauge)? })
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
        let desc = Desc::new(name, help, MetricType::Histogram, label_names, &["le"])?;
        let bounds = check_buckets(name, buckets)?;
        let le_text = bounds
            .iter()
            .copied()
            .chain([f64::INFINITY])
            .map(|b| {
                let mut text = Vec::new();
                write_float(&mut text, b);
                String::from_utf8_lossy(&text).into_owned().into_boxed_str()
            })
            .collect();
        let config = HistogramConfig { bounds: bounds.into(), le_text };
        Ok(HistogramVec { core: self.register(desc, config, Registered::Histogram)? })
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
        let desc = Desc::new(name, help, MetricType::Summary, label_names, &["quantile"])?;
        Ok(SummaryVec { core: self.register(desc, (), Registered::Summary)? })
    }

    /// Encodes every metric in `format` (with `# EOF` for OpenMetrics), appending to `buf`.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// r.counter("a_total", "A.", &[]).unwrap().labels(&[]).unwrap().inc();
    /// let mut buf = bytes::BytesMut::new();
    /// r.encode(srekit::expfmt::Format::Text, &mut buf);
    /// assert_eq!(&buf[..], b"# HELP a_total A.\n# TYPE a_total counter\na_total 1\n");
    /// ```
    pub fn encode<B: BufMut>(&self, format: Format, buf: &mut B) {
        self.encode_body(format, buf);
        expfmt::finish(format, buf);
    }

    /// Encodes every metric without the closing `# EOF` (see [`expfmt::finish`]).
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let mut buf = Vec::new();
    /// r.encode_body(srekit::expfmt::Format::OpenMetrics, &mut buf);
    /// assert!(buf.is_empty());
    /// ```
    pub fn encode_body<B: BufMut>(&self, format: Format, buf: &mut B) {
        let metrics = self.metrics.read().unwrap_or_else(|e| e.into_inner()).clone();
        for metric in &metrics {
            match metric {
                Registered::Counter(core) => core.encode(format, buf),
                Registered::Gauge(core) => core.encode(format, buf),
                Registered::Histogram(core) => core.encode(format, buf),
                Registered::Summary(core) => core.encode(format, buf),
            }
        }
    }

    /// Encodes every metric into a `String`.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// assert_eq!(r.encode_to_string(srekit::expfmt::Format::OpenMetrics), "# EOF\n");
    /// ```
    pub fn encode_to_string(&self, format: Format) -> String {
        let mut buf = Vec::new();
        self.encode(format, &mut buf);
        String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// A snapshot of every metric as [`MetricFamily`] values (with `_created` samples).
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// r.gauge("g", "G.", &[]).unwrap().labels(&[]).unwrap().set(3.0);
    /// let families = r.gather();
    /// assert_eq!(families[0].samples[0].value, 3.0);
    /// ```
    pub fn gather(&self) -> Vec<MetricFamily> {
        let metrics = self.metrics.read().unwrap_or_else(|e| e.into_inner()).clone();
        metrics
            .iter()
            .map(|metric| match metric {
                Registered::Counter(core) => core.gather(),
                Registered::Gauge(core) => core.gather(),
                Registered::Histogram(core) => core.gather(),
                Registered::Summary(core) => core.gather(),
            })
            .collect()
    }
}

/// What a metric is: name, help, type and label names, all checked.
struct Desc {
    name: String,
    help: String,
    kind: MetricType,
    label_names: Box<[String]>,
}

impl Desc {
    fn new(
        name: &str,
        help: &str,
        kind: MetricType,
        label_names: &[&str],
        reserved: &[&'static str],
    ) -> Result<Desc, MetricError> {
        if !is_valid_metric_name(name) {
            return Err(MetricError::InvalidMetricName(name.to_string()));
        }
        for (i, label) in label_names.iter().enumerate() {
            let reason = if !is_valid_label_name(label) {
                Some("must match [a-zA-Z_][a-zA-Z0-9_]*")
            } else if label.starts_with("__") {
                Some("names starting with __ are reserved")
            } else if reserved.contains(label) {
                Some("reserved for this metric type")
            } else if label_names[..i].contains(label) {
                Some("given twice")
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

fn check_buckets(name: &str, buckets: &[f64]) -> Result<Vec<f64>, MetricError> {
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
    Ok(bounds.to_vec())
}

/// A hasher for keys that are already hashes.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

/// The per-child state of one metric type.
trait Cell: Send + Sync + 'static {
    type Config: Send + Sync + 'static;
    fn new(config: &Self::Config) -> Self;
}

/// One labelled child: its label values, pre-rendered label text, creation time and cell.
struct Child<C> {
    values: Box<[String]>,
    /// `a="x",b="y"` (no braces), escaped; empty without labels.
    label_text: Box<str>,
    created: f64,
    /// `created` as exposition text, rendered once (it never changes).
    created_text: Box<str>,
    cell: C,
}

struct Children<C> {
    by_hash: HashMap<u64, Vec<usize>, BuildHasherDefault<IdentityHasher>>,
    list: Vec<Arc<Child<C>>>,
}

/// A metric: its description, children and per-type configuration.
struct Core<C: Cell> {
    desc: Desc,
    config: C::Config,
    hasher: foldhash::fast::RandomState,
    children: RwLock<Children<C>>,
}

fn now_seconds() -> f64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

impl<C: Cell> Core<C> {
    fn new(desc: Desc, config: C::Config) -> Core<C> {
        Core {
            desc,
            config,
            hasher: foldhash::fast::RandomState::default(),
            children: RwLock::new(Children { by_hash: HashMap::default(), list: Vec::new() }),
        }
    }

    fn hash_values<S: AsRef<str>>(&self, values: &[S]) -> u64 {
        let mut hasher = self.hasher.build_hasher();
        for value in values {
            hasher.write(value.as_ref().as_bytes());
            hasher.write_u8(0xff);
        }
        hasher.finish()
    }

    fn child<S: AsRef<str>>(&self, values: &[S]) -> Result<Arc<Child<C>>, MetricError> {
        if values.len() != self.desc.label_names.len() {
            return Err(MetricError::LabelCount {
                metric: self.desc.name.clone(),
                expected: self.desc.label_names.len(),
                got: values.len(),
            });
        }
        let hash = self.hash_values(values);
        let same = |child: &Child<C>| child.values.iter().zip(values).all(|(a, b)| a == b.as_ref());
        {
            let children = self.children.read().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = Self::find(&children, hash, same) {
                return Ok(found);
            }
        }
        let mut children = self.children.write().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = Self::find(&children, hash, same) {
            return Ok(found);
        }
        let mut label_text = Vec::new();
        for (i, (name, value)) in self.desc.label_names.iter().zip(values).enumerate() {
            if i > 0 {
                label_text.push(b',');
            }
            label_text.extend_from_slice(name.as_bytes());
            label_text.extend_from_slice(b"=\"");
            write_label_value(&mut label_text, value.as_ref());
            label_text.push(b'"');
        }
        let created = now_seconds();
        let mut created_text = Vec::new();
        write_float(&mut created_text, created);
        let child = Arc::new(Child {
            values: values.iter().map(|v| v.as_ref().to_string()).collect(),
            label_text: String::from_utf8_lossy(&label_text).into(),
            created,
            created_text: String::from_utf8_lossy(&created_text).into(),
            cell: C::new(&self.config),
        });
        let index = children.list.len();
        children.list.push(child.clone());
        children.by_hash.entry(hash).or_default().push(index);
        Ok(child)
    }

    fn find(children: &Children<C>, hash: u64, same: impl Fn(&Child<C>) -> bool) -> Option<Arc<Child<C>>> {
        let indexes = children.by_hash.get(&hash)?;
        indexes.iter().map(|&i| &children.list[i]).find(|c| same(c)).cloned()
    }

    fn child_by_name(&self, pairs: &[(&str, &str)]) -> Result<Arc<Child<C>>, MetricError> {
        let names = &self.desc.label_names;
        if pairs.len() != names.len() {
            return Err(MetricError::LabelCount {
                metric: self.desc.name.clone(),
                expected: names.len(),
                got: pairs.len(),
            });
        }
        let mut values = vec![""; names.len()];
        for (key, value) in pairs {
            let slot = names.iter().position(|n| n == key).ok_or_else(|| MetricError::UnknownLabel {
                metric: self.desc.name.clone(),
                label: key.to_string(),
            })?;
            values[slot] = value;
        }
        self.child(&values)
    }

    fn snapshot(&self) -> Vec<Arc<Child<C>>> {
        self.children.read().unwrap_or_else(|e| e.into_inner()).list.clone()
    }

    fn series_count(&self) -> usize {
        self.children.read().unwrap_or_else(|e| e.into_inner()).list.len()
    }

    fn labels_of(&self, child: &Child<C>) -> Vec<(String, String)> {
        self.desc.label_names.iter().cloned().zip(child.values.iter().cloned()).collect()
    }

    fn family(&self) -> MetricFamily {
        MetricFamily {
            name: self.desc.name.clone(),
            help: self.desc.help.clone(),
            unit: String::new(),
            kind: self.desc.kind,
            samples: Vec::new(),
        }
    }
}

/// Writes `name<suffix>{labels[,extra]} ` — everything before the value.
#[inline]
fn write_series_prefix<B: BufMut>(
    buf: &mut B,
    name: &str,
    suffix: &[u8],
    label_text: &str,
    extra: Option<&str>,
) {
    buf.put_slice(name.as_bytes());
    buf.put_slice(suffix);
    match (label_text.is_empty(), extra) {
        (true, None) => {}
        (true, Some(extra)) => {
            buf.put_u8(b'{');
            buf.put_slice(extra.as_bytes());
            buf.put_u8(b'}');
        }
        (false, None) => {
            buf.put_u8(b'{');
            buf.put_slice(label_text.as_bytes());
            buf.put_u8(b'}');
        }
        (false, Some(extra)) => {
            buf.put_u8(b'{');
            buf.put_slice(label_text.as_bytes());
            buf.put_u8(b',');
            buf.put_slice(extra.as_bytes());
            buf.put_u8(b'}');
        }
    }
    buf.put_u8(b' ');
}

fn write_created<B: BufMut, C>(buf: &mut B, name: &str, child: &Child<C>) {
    write_series_prefix(buf, name, b"_created", &child.label_text, None);
    buf.put_slice(child.created_text.as_bytes());
    buf.put_u8(b'\n');
}

// ---------------------------------------------------------------------------------------------
// Counter

/// A float that is added to atomically: whole increments go to an integer, the rest to float bits.
#[derive(Default)]
struct CounterCell {
    whole: AtomicU64,
    fraction_bits: AtomicU64,
}

impl Cell for CounterCell {
    type Config = ();
    fn new(_: &()) -> Self {
        CounterCell::default()
    }
}

fn atomic_add_f64(bits: &AtomicU64, delta: f64) {
    let mut current = bits.load(Ordering::Relaxed);
    loop {
        let next = (f64::from_bits(current) + delta).to_bits();
        match bits.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return,
            Err(actual) => current = actual,
        }
    }
}

impl CounterCell {
    fn get(&self) -> f64 {
        self.whole.load(Ordering::Relaxed) as f64 + f64::from_bits(self.fraction_bits.load(Ordering::Relaxed))
    }

    #[inline]
    fn write_value<B: BufMut>(&self, buf: &mut B) {
        let fraction = f64::from_bits(self.fraction_bits.load(Ordering::Relaxed));
        let whole = self.whole.load(Ordering::Relaxed);
        if fraction == 0.0 {
            write_u64(buf, whole);
        } else {
            write_float(buf, whole as f64 + fraction);
        }
    }
}

/// A counter metric with label names; [`CounterVec::labels`] gives the child for one label set.
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
#[derive(Clone)]
pub struct CounterVec {
    core: Arc<Core<CounterCell>>,
}

/// One counter series. Clone it freely; all clones share the value.
///
/// ```
/// let r = srekit::metrics::Registry::new();
/// let c = r.counter("bytes_total", "Bytes.", &[]).unwrap().labels(&[]).unwrap();
/// c.inc_by(1.5).unwrap();
/// assert!(c.inc_by(-1.0).is_err());
/// assert_eq!(c.get(), 1.5);
/// ```
#[derive(Clone)]
pub struct Counter {
    child: Arc<Child<CounterCell>>,
    core: Arc<Core<CounterCell>>,
}

impl CounterVec {
    /// The child for these label values (in label-name order), created on first use.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let c = r.counter("x_total", "X.", &["a"]).unwrap();
    /// assert!(c.labels(&["1", "2"]).is_err());
    /// ```
    pub fn labels(&self, values: &[&str]) -> Result<Counter, MetricError> {
        Ok(Counter { child: self.core.child(values)?, core: self.core.clone() })
    }

    /// The child for these `(name, value)` pairs, in any order.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let c = r.counter("x_total", "X.", &["a", "b"]).unwrap();
    /// assert!(c.labels_by_name(&[("b", "2"), ("a", "1")]).is_ok());
    /// assert!(c.labels_by_name(&[("b", "2"), ("c", "1")]).is_err());
    /// ```
    pub fn labels_by_name(&self, pairs: &[(&str, &str)]) -> Result<Counter, MetricError> {
        Ok(Counter { child: self.core.child_by_name(pairs)?, core: self.core.clone() })
    }

    /// How many label sets (series) exist.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// assert_eq!(r.counter("x_total", "X.", &["a"]).unwrap().series_count(), 0);
    /// ```
    pub fn series_count(&self) -> usize {
        self.core.series_count()
    }
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
            return Err(MetricError::NegativeIncrement(self.core.desc.name.clone()));
        }
        let cell = &self.child.cell;
        if amount.fract() == 0.0 && amount < 9_007_199_254_740_992.0 {
            cell.whole.fetch_add(amount as u64, Ordering::Relaxed);
        } else {
            atomic_add_f64(&cell.fraction_bits, amount);
        }
        Ok(())
    }

    /// The current value.
    ///
    /// ```
    /// let c = srekit::metrics::Registry::new().counter("n_total", "N.", &[]).unwrap().labels(&[]).unwrap();
    /// assert_eq!(c.get(), 0.0);
    /// ```
    pub fn get(&self) -> f64 {
        self.child.cell.get()
    }
}

impl Core<CounterCell> {
    fn encode<B: BufMut>(&self, format: Format, buf: &mut B) {
        let children = self.snapshot();
        let name = &self.desc.name;
        let openmetrics = format == Format::OpenMetrics;
        if openmetrics {
            write_metadata(buf, name, &self.desc.help, "", "counter", format);
        } else {
            write_metadata(buf, &format!("{name}_total"), &self.desc.help, "", "counter", format);
        }
        for child in &children {
            write_series_prefix(buf, name, b"_total", &child.label_text, None);
            child.cell.write_value(buf);
            buf.put_u8(b'\n');
            if openmetrics {
                write_created(buf, name, child);
            }
        }
    }

    fn gather(&self) -> MetricFamily {
        let mut family = self.family();
        for child in self.snapshot() {
            let labels = self.labels_of(&child);
            family.samples.push(Sample::new(Suffix::Total, labels.clone(), child.cell.get()));
            family.samples.push(Sample::new(Suffix::Created, labels, child.created));
        }
        family
    }
}

// ---------------------------------------------------------------------------------------------
// Gauge

struct GaugeCell {
    bits: AtomicU64,
}

impl Cell for GaugeCell {
    type Config = ();
    fn new(_: &()) -> Self {
        GaugeCell { bits: AtomicU64::new(0f64.to_bits()) }
    }
}

/// A gauge metric with label names; [`GaugeVec::labels`] gives the child for one label set.
///
/// ```
/// let r = srekit::metrics::Registry::new();
/// let g = r.gauge("in_flight", "In flight.", &["route"]).unwrap();
/// g.labels(&["/"]).unwrap().inc();
/// assert_eq!(g.labels(&["/"]).unwrap().get(), 1.0);
/// ```
#[derive(Clone)]
pub struct GaugeVec {
    core: Arc<Core<GaugeCell>>,
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

impl GaugeVec {
    /// The child for these label values (in label-name order), created on first use.
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &["a"]).unwrap();
    /// assert!(g.labels(&["x"]).is_ok());
    /// ```
    pub fn labels(&self, values: &[&str]) -> Result<Gauge, MetricError> {
        Ok(Gauge { child: self.core.child(values)? })
    }

    /// The child for these `(name, value)` pairs, in any order.
    ///
    /// ```
    /// let g = srekit::metrics::Registry::new().gauge("t", "T.", &["a"]).unwrap();
    /// assert!(g.labels_by_name(&[("a", "x")]).is_ok());
    /// ```
    pub fn labels_by_name(&self, pairs: &[(&str, &str)]) -> Result<Gauge, MetricError> {
        Ok(Gauge { child: self.core.child_by_name(pairs)? })
    }

    /// How many label sets (series) exist.
    ///
    /// ```
    /// assert_eq!(srekit::metrics::Registry::new().gauge("t", "T.", &[]).unwrap().series_count(), 0);
    /// ```
    pub fn series_count(&self) -> usize {
        self.core.series_count()
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

impl Core<GaugeCell> {
    fn encode<B: BufMut>(&self, format: Format, buf: &mut B) {
        let children = self.snapshot();
        let name = &self.desc.name;
        write_metadata(buf, name, &self.desc.help, "", "gauge", format);
        for child in &children {
            write_series_prefix(buf, name, b"", &child.label_text, None);
            write_float(buf, f64::from_bits(child.cell.bits.load(Ordering::Relaxed)));
            buf.put_u8(b'\n');
        }
    }

    fn gather(&self) -> MetricFamily {
        let mut family = self.family();
        for child in self.snapshot() {
            let value = f64::from_bits(child.cell.bits.load(Ordering::Relaxed));
            family.samples.push(Sample::new(Suffix::None, self.labels_of(&child), value));
        }
        family
    }
}

// ---------------------------------------------------------------------------------------------
// Histogram

struct HistogramConfig {
    bounds: Arc<[f64]>,
    /// `le="..."` values for each bound and `+Inf`.
    le_text: Box<[Box<str>]>,
}

struct HistogramCell {
    bounds: Arc<[f64]>,
    /// Per-bucket (not cumulative) counts; the last is the `+Inf` bucket.
    buckets: Box<[AtomicU64]>,
    count: AtomicU64,
    sum_bits: AtomicU64,
}

impl Cell for HistogramCell {
    type Config = HistogramConfig;
    fn new(config: &HistogramConfig) -> Self {
        HistogramCell {
            bounds: config.bounds.clone(),
            buckets: (0..=config.bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum_bits: AtomicU64::new(0f64.to_bits()),
        }
    }
}

/// A histogram metric with label names; [`HistogramVec::labels`] gives the child for one label set.
///
/// ```
/// use srekit::metrics::{HistogramVec, Registry};
/// let r = Registry::new();
/// let h = r.histogram("rpc_seconds", "RPC latency.", &["method"], HistogramVec::DEFAULT_BUCKETS).unwrap();
/// h.labels(&["Get"]).unwrap().observe(0.02);
/// assert!(r.encode_to_string(srekit::expfmt::Format::Text).contains("rpc_seconds_bucket{method=\"Get\",le=\"0.025\"} 1\n"));
/// ```
#[derive(Clone)]
pub struct HistogramVec {
    core: Arc<Core<HistogramCell>>,
}

/// One histogram series. Clone it freely; all clones share the buckets.
///
/// ```
/// let h = srekit::metrics::Registry::new().histogram("d", "D.", &[], &[1.0]).unwrap().labels(&[]).unwrap();
/// h.observe(0.5);
/// h.observe(3.0);
/// assert_eq!(h.count(), 2);
/// assert_eq!(h.sum(), 3.5);
/// ```
#[derive(Clone)]
pub struct Histogram {
    child: Arc<Child<HistogramCell>>,
}

impl HistogramVec {
    /// Prometheus' default buckets (client_golang's `DefBuckets`).
    pub const DEFAULT_BUCKETS: &'static [f64] =
        &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

    /// The child for these label values (in label-name order), created on first use.
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &["a"], &[1.0]).unwrap();
    /// assert!(h.labels(&["x"]).is_ok());
    /// ```
    pub fn labels(&self, values: &[&str]) -> Result<Histogram, MetricError> {
        Ok(Histogram { child: self.core.child(values)? })
    }

    /// The child for these `(name, value)` pairs, in any order.
    ///
    /// ```
    /// let h = srekit::metrics::Registry::new().histogram("d", "D.", &["a"], &[1.0]).unwrap();
    /// assert!(h.labels_by_name(&[("a", "x")]).is_ok());
    /// ```
    pub fn labels_by_name(&self, pairs: &[(&str, &str)]) -> Result<Histogram, MetricError> {
        Ok(Histogram { child: self.core.child_by_name(pairs)? })
    }

    /// How many label sets (series) exist.
    ///
    /// ```
    /// assert_eq!(srekit::metrics::Registry::new().histogram("d", "D.", &[], &[]).unwrap().series_count(), 0);
    /// ```
    pub fn series_count(&self) -> usize {
        self.core.series_count()
    }
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
        let cell = &self.child.cell;
        let index =
            if value.is_nan() { cell.bounds.len() } else { cell.bounds.partition_point(|b| *b < value) };
        cell.buckets[index].fetch_add(1, Ordering::Relaxed);
        atomic_add_f64(&cell.sum_bits, value);
        cell.count.fetch_add(1, Ordering::Relaxed);
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
}

impl HistogramCell {
    /// Cumulative bucket counts, and a count consistent with them.
    fn cumulative(&self) -> (Vec<u64>, u64) {
        let mut running = 0;
        let counts: Vec<u64> = self
            .buckets
            .iter()
            .map(|b| {
                running += b.load(Ordering::Relaxed);
                running
            })
            .collect();
        (counts, running)
    }
}

impl Core<HistogramCell> {
    fn encode<B: BufMut>(&self, format: Format, buf: &mut B) {
        let children = self.snapshot();
        let name = &self.desc.name;
        write_metadata(buf, name, &self.desc.help, "", "histogram", format);
        let mut le = String::new();
        for child in &children {
            let (cumulative, count) = child.cell.cumulative();
            for (bucket_count, le_value) in cumulative.iter().zip(self.config.le_text.iter()) {
                le.clear();
                le.push_str("le=\"");
                le.push_str(le_value);
                le.push('"');
                write_series_prefix(buf, name, b"_bucket", &child.label_text, Some(&le));
                write_u64(buf, *bucket_count);
                buf.put_u8(b'\n');
            }
            write_series_prefix(buf, name, b"_sum", &child.label_text, None);
            write_float(buf, f64::from_bits(child.cell.sum_bits.load(Ordering::Relaxed)));
            buf.put_u8(b'\n');
            write_series_prefix(buf, name, b"_count", &child.label_text, None);
            write_u64(buf, count);
            buf.put_u8(b'\n');
            if format == Format::OpenMetrics {
                write_created(buf, name, child);
            }
        }
    }

    fn gather(&self) -> MetricFamily {
        let mut family = self.family();
        for child in self.snapshot() {
            let labels = self.labels_of(&child);
            let (cumulative, count) = child.cell.cumulative();
            for (bucket_count, le_value) in cumulative.iter().zip(self.config.le_text.iter()) {
                let mut bucket_labels = labels.clone();
                bucket_labels.push(("le".to_string(), le_value.to_string()));
                family.samples.push(Sample::new(Suffix::Bucket, bucket_labels, *bucket_count as f64));
            }
            let sum = f64::from_bits(child.cell.sum_bits.load(Ordering::Relaxed));
            family.samples.push(Sample::new(Suffix::Sum, labels.clone(), sum));
            family.samples.push(Sample::new(Suffix::Count, labels.clone(), count as f64));
            family.samples.push(Sample::new(Suffix::Created, labels, child.created));
        }
        family
    }
}

// ---------------------------------------------------------------------------------------------
// Summary (count and sum only)

#[derive(Default)]
struct SummaryCell {
    count: AtomicU64,
    sum_bits: AtomicU64,
}

impl Cell for SummaryCell {
    type Config = ();
    fn new(_: &()) -> Self {
        SummaryCell::default()
    }
}

/// A summary metric (count and sum, no quantiles) with label names.
///
/// ```
/// let r = srekit::metrics::Registry::new();
/// let s = r.summary("req_bytes", "Request sizes.", &["route"]).unwrap();
/// s.labels(&["/"]).unwrap().observe(100.0);
/// assert_eq!(s.labels(&["/"]).unwrap().sum(), 100.0);
/// ```
#[derive(Clone)]
pub struct SummaryVec {
    core: Arc<Core<SummaryCell>>,
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

impl SummaryVec {
    /// The child for these label values (in label-name order), created on first use.
    ///
    /// ```
    /// let s = srekit::metrics::Registry::new().summary("x", "X.", &["a"]).unwrap();
    /// assert!(s.labels(&["1"]).is_ok());
    /// ```
    pub fn labels(&self, values: &[&str]) -> Result<Summary, MetricError> {
        Ok(Summary { child: self.core.child(values)? })
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

impl Core<SummaryCell> {
    fn encode<B: BufMut>(&self, format: Format, buf: &mut B) {
        let children = self.snapshot();
        let name = &self.desc.name;
        write_metadata(buf, name, &self.desc.help, "", "summary", format);
        for child in &children {
            write_series_prefix(buf, name, b"_sum", &child.label_text, None);
            write_float(buf, f64::from_bits(child.cell.sum_bits.load(Ordering::Relaxed)));
            buf.put_u8(b'\n');
            write_series_prefix(buf, name, b"_count", &child.label_text, None);
            write_u64(buf, child.cell.count.load(Ordering::Relaxed));
            buf.put_u8(b'\n');
            if format == Format::OpenMetrics {
                write_created(buf, name, child);
            }
        }
    }

    fn gather(&self) -> MetricFamily {
        let mut family = self.family();
        for child in self.snapshot() {
            let labels = self.labels_of(&child);
            let sum = f64::from_bits(child.cell.sum_bits.load(Ordering::Relaxed));
            let count = child.cell.count.load(Ordering::Relaxed) as f64;
            family.samples.push(Sample::new(Suffix::Sum, labels.clone(), sum));
            family.samples.push(Sample::new(Suffix::Count, labels.clone(), count));
            family.samples.push(Sample::new(Suffix::Created, labels, child.created));
        }
        family
    }
}

// ---------------------------------------------------------------------------------------------
// Debug: handles show their metric's name (and label values), never their internals.

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let metrics = self.metrics.read().unwrap_or_else(|e| e.into_inner());
        f.debug_struct("Registry")
            .field("metrics", &metrics.iter().map(Registered::name).collect::<Vec<_>>())
            .finish()
    }
}

macro_rules! debug_handles {
    ($($vec:ident / $child:ident),*) => {$(
        impl std::fmt::Debug for $vec {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($vec)).field("name", &self.core.desc.name).finish()
            }
        }
        impl std::fmt::Debug for $child {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($child)).field("labels", &self.child.values).finish()
            }
        }
    )*};
}

debug_handles!(CounterVec / Counter, GaugeVec / Gauge, HistogramVec / Histogram, SummaryVec / Summary);
