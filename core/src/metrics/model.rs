//! The metric data model: families, samples, labels and exemplars.
//!
//! This is the one shape every part of srekit speaks: host collectors produce it, the text-format
//! parser reads into it, and the encoders in [`crate::expfmt`] write it. Names follow OpenMetrics:
//! a family's `name` is its *base* name (a counter `http_requests` whose samples are
//! `http_requests_total`), and each [`Sample`] says which suffix it carries.

/// The type of a metric family, as OpenMetrics names them.
///
/// ```
/// use srekit::metrics::MetricType;
/// assert_eq!(MetricType::Counter.as_str(), "counter");
/// assert_eq!(MetricType::parse("gaugehistogram"), Some(MetricType::GaugeHistogram));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricType {
    /// A monotonically increasing total.
    Counter,
    /// A value that can go up and down.
    Gauge,
    /// Cumulative buckets, `_sum` and `_count`.
    Histogram,
    /// A histogram of a gauge (OpenMetrics only; written as a histogram-like gauge in text 0.0.4).
    GaugeHistogram,
    /// Quantiles, `_sum` and `_count`.
    Summary,
    /// Constant labels describing a target (`foo_info 1`).
    Info,
    /// A set of boolean states, one sample per state.
    StateSet,
    /// No type given (`untyped` in text 0.0.4).
    Unknown,
}

impl MetricType {
    /// The OpenMetrics spelling of this type.
    ///
    /// ```
    /// assert_eq!(srekit::metrics::MetricType::Unknown.as_str(), "unknown");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::GaugeHistogram => "gaugehistogram",
            MetricType::Summary => "summary",
            MetricType::Info => "info",
            MetricType::StateSet => "stateset",
            MetricType::Unknown => "unknown",
        }
    }

    /// Parses a type name as written in a `# TYPE` line of either text format
    /// (`untyped` is read as [`MetricType::Unknown`]).
    ///
    /// ```
    /// use srekit::metrics::MetricType;
    /// assert_eq!(MetricType::parse("untyped"), Some(MetricType::Unknown));
    /// assert_eq!(MetricType::parse("nonsense"), None);
    /// ```
    pub fn parse(text: &str) -> Option<MetricType> {
        Some(match text {
            "counter" => MetricType::Counter,
            "gauge" => MetricType::Gauge,
            "histogram" => MetricType::Histogram,
            "gaugehistogram" => MetricType::GaugeHistogram,
            "summary" => MetricType::Summary,
            "info" => MetricType::Info,
            "stateset" => MetricType::StateSet,
            "unknown" | "untyped" => MetricType::Unknown,
            _ => return None,
        })
    }
}

/// Which suffix a sample's name carries after its family's base name.
///
/// ```
/// use srekit::metrics::Suffix;
/// assert_eq!(Suffix::Bucket.as_str(), "_bucket");
/// assert_eq!(Suffix::None.as_str(), "");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suffix {
    /// The sample is named exactly as its family (gauges, unknown, summary quantiles, states).
    None,
    /// `_total` (counters).
    Total,
    /// `_created` (counters, histograms, summaries; OpenMetrics only).
    Created,
    /// `_bucket` (histograms).
    Bucket,
    /// `_sum`.
    Sum,
    /// `_count`.
    Count,
    /// `_gcount` (gauge histograms).
    Gcount,
    /// `_gsum` (gauge histograms).
    Gsum,
    /// `_info` (info metrics).
    Info,
}

impl Suffix {
    /// The suffix text, with its leading underscore (empty for [`Suffix::None`]).
    ///
    /// ```
    /// assert_eq!(srekit::metrics::Suffix::Total.as_str(), "_total");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Suffix::None => "",
            Suffix::Total => "_total",
            Suffix::Created => "_created",
            Suffix::Bucket => "_bucket",
            Suffix::Sum => "_sum",
            Suffix::Count => "_count",
            Suffix::Gcount => "_gcount",
            Suffix::Gsum => "_gsum",
            Suffix::Info => "_info",
        }
    }

    /// The suffixes a sample of a family of type `kind` may carry, in the order tried when parsing.
    pub(crate) fn allowed_for(kind: MetricType) -> &'static [Suffix] {
        match kind {
            MetricType::Counter => &[Suffix::Total, Suffix::Created, Suffix::None],
            MetricType::Histogram => &[Suffix::Bucket, Suffix::Sum, Suffix::Count, Suffix::Created],
            MetricType::GaugeHistogram => &[Suffix::Bucket, Suffix::Gcount, Suffix::Gsum],
            MetricType::Summary => &[Suffix::Sum, Suffix::Count, Suffix::Created, Suffix::None],
            MetricType::Info => &[Suffix::Info],
            MetricType::Gauge | MetricType::StateSet | MetricType::Unknown => &[Suffix::None],
        }
    }
}

/// A label pair: name and value.
pub type Label = (String, String);

/// An OpenMetrics exemplar attached to a counter or histogram bucket sample.
///
/// ```
/// use srekit::metrics::Exemplar;
/// let e = Exemplar { labels: vec![("trace_id".into(), "abc".into())], value: 0.3, timestamp: Some(1.5) };
/// assert_eq!(e.labels[0].1, "abc");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Exemplar {
    /// The exemplar's labels, typically `trace_id`.
    pub labels: Vec<Label>,
    /// The observed value.
    pub value: f64,
    /// Unix time in seconds, when known.
    pub timestamp: Option<f64>,
}

/// One sample line: suffix, labels, value, optional timestamp and exemplar.
///
/// ```
/// use srekit::metrics::{Sample, Suffix};
/// let s = Sample::new(Suffix::None, vec![("cpu".into(), "0".into())], 3.5);
/// assert_eq!(s.value, 3.5);
/// assert!(s.timestamp.is_none());
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Which suffix follows the family's name.
    pub suffix: Suffix,
    /// Label pairs in the order they are written (`le` and `quantile` included).
    pub labels: Vec<Label>,
    /// The value.
    pub value: f64,
    /// Unix time in seconds, when the sample carries one.
    pub timestamp: Option<f64>,
    /// An exemplar (OpenMetrics only).
    pub exemplar: Option<Exemplar>,
}

impl Sample {
    /// A sample with no timestamp and no exemplar.
    ///
    /// ```
    /// let s = srekit::metrics::Sample::new(srekit::metrics::Suffix::Total, vec![], 1.0);
    /// assert_eq!(s.labels.len(), 0);
    /// ```
    pub fn new(suffix: Suffix, labels: Vec<Label>, value: f64) -> Sample {
        Sample { suffix, labels, value, timestamp: None, exemplar: None }
    }

    /// The value of label `name`, if the sample has it.
    ///
    /// ```
    /// let s = srekit::metrics::Sample::new(srekit::metrics::Suffix::None, vec![("mode".into(), "idle".into())], 1.0);
    /// assert_eq!(s.label("mode"), Some("idle"));
    /// assert_eq!(s.label("cpu"), None);
    /// ```
    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A metric family: name, help, unit, type and its samples.
///
/// Build one with the typed constructors, then add samples:
///
/// ```
/// use srekit::metrics::{MetricFamily, MetricType};
/// let mut fam = MetricFamily::counter("node_context_switches_total", "Total number of context switches.");
/// assert_eq!(fam.name, "node_context_switches");
/// fam.push(vec![], 42.0);
/// assert_eq!(fam.samples[0].suffix.as_str(), "_total");
///
/// let mut load = MetricFamily::gauge("node_load1", "1m load average.");
/// load.push(vec![], 0.25);
/// assert_eq!(load.kind, MetricType::Gauge);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MetricFamily {
    /// Base name (for counters without `_total`, for info metrics without `_info`).
    pub name: String,
    /// Help text, unescaped.
    pub help: String,
    /// Unit (OpenMetrics `# UNIT`), empty when none.
    pub unit: String,
    /// The family's type.
    pub kind: MetricType,
    /// The samples, in the order they are written.
    pub samples: Vec<Sample>,
}

impl MetricFamily {
    /// A family of any type with no samples. Counter names lose a trailing `_total` and info names a
    /// trailing `_info`, so the base name is stored.
    ///
    /// ```
    /// use srekit::metrics::{MetricFamily, MetricType};
    /// let f = MetricFamily::new("build_info", "Build.", MetricType::Info);
    /// assert_eq!(f.name, "build");
    /// ```
    pub fn new(name: &str, help: &str, kind: MetricType) -> MetricFamily {
        let base = match kind {
            MetricType::Counter => name.strip_suffix("_total").unwrap_or(name),
            MetricType::Info => name.strip_suffix("_info").unwrap_or(name),
            _ => name,
        };
        MetricFamily {
            name: base.to_string(),
            help: help.to_string(),
            unit: String::new(),
            kind,
            samples: Vec::new(),
        }
    }

    /// A counter family (`name` with or without `_total`).
    ///
    /// ```
    /// assert_eq!(srekit::metrics::MetricFamily::counter("x_total", "X.").name, "x");
    /// ```
    pub fn counter(name: &str, help: &str) -> MetricFamily {
        MetricFamily::new(name, help, MetricType::Counter)
    }

    /// A gauge family.
    ///
    /// ```
    /// assert_eq!(srekit::metrics::MetricFamily::gauge("up", "Up.").name, "up");
    /// ```
    pub fn gauge(name: &str, help: &str) -> MetricFamily {
        MetricFamily::new(name, help, MetricType::Gauge)
    }

    /// An untyped family (`untyped` in text 0.0.4, `unknown` in OpenMetrics).
    ///
    /// ```
    /// let f = srekit::metrics::MetricFamily::untyped("node_vmstat_pgfault", "/proc/vmstat information field pgfault.");
    /// assert_eq!(f.kind, srekit::metrics::MetricType::Unknown);
    /// ```
    pub fn untyped(name: &str, help: &str) -> MetricFamily {
        MetricFamily::new(name, help, MetricType::Unknown)
    }

    /// Sets the unit (builder style).
    ///
    /// ```
    /// let f = srekit::metrics::MetricFamily::gauge("x_seconds", "X.").with_unit("seconds");
    /// assert_eq!(f.unit, "seconds");
    /// ```
    pub fn with_unit(mut self, unit: &str) -> MetricFamily {
        self.unit = unit.to_string();
        self
    }

    /// Adds the family's main sample: `_total` for counters, `_info` for info, the bare name otherwise.
    ///
    /// ```
    /// let mut f = srekit::metrics::MetricFamily::gauge("temp_celsius", "T.");
    /// f.push(vec![("chip".into(), "0".into())], 41.0);
    /// assert_eq!(f.samples.len(), 1);
    /// ```
    pub fn push(&mut self, labels: Vec<Label>, value: f64) {
        let suffix = match self.kind {
            MetricType::Counter => Suffix::Total,
            MetricType::Info => Suffix::Info,
            _ => Suffix::None,
        };
        self.samples.push(Sample::new(suffix, labels, value));
    }

    /// The full name of a sample of this family (`name` + suffix).
    ///
    /// ```
    /// use srekit::metrics::{MetricFamily, Suffix};
    /// let f = MetricFamily::counter("a_total", "A.");
    /// assert_eq!(f.sample_name(Suffix::Total), "a_total");
    /// ```
    pub fn sample_name(&self, suffix: Suffix) -> String {
        let mut s = String::with_capacity(self.name.len() + 8);
        s.push_str(&self.name);
        s.push_str(suffix.as_str());
        s
    }
}
