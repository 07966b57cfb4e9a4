//! A borrowed view of a registry's metrics: [`Registry::visit`](super::Registry::visit) shows each
//! metric ([`FamilyView`]) and each of its series ([`SeriesView`], with its current [`Point`]) to a
//! [`Visitor`]. The encoders in [`crate::expfmt`] and [`Registry::gather`](super::Registry::gather)
//! are visitors, so the registry knows nothing of exposition formats and nothing is allocated per
//! sample to encode.

use super::{CounterPoint, HistogramPoint, Label, MetricFamily, MetricType, Sample, Suffix};

/// Receives a registry's metrics: `family` once per metric, then `series` once per label set.
///
/// ```
/// use srekit::metrics::{FamilyView, Registry, SeriesView, Visitor};
/// struct Names(Vec<String>);
/// impl Visitor for Names {
///     fn family(&mut self, family: &FamilyView<'_>) { self.0.push(family.name.to_string()); }
///     fn series(&mut self, _: &FamilyView<'_>, _: &SeriesView<'_>) {}
/// }
/// let r = Registry::new();
/// r.gauge("up", "Up.", &[]).unwrap();
/// let mut names = Names(Vec::new());
/// r.visit(&mut names);
/// assert_eq!(names.0, ["up"]);
/// ```
pub trait Visitor {
    /// The start of one metric.
    fn family(&mut self, family: &FamilyView<'_>);
    /// One series of the metric `family`.
    fn series(&mut self, family: &FamilyView<'_>, series: &SeriesView<'_>);
}

/// One metric's description, borrowed.
#[derive(Debug, Clone, Copy)]
pub struct FamilyView<'a> {
    /// Base name (a counter's without `_total`).
    pub name: &'a str,
    /// Help text, unescaped.
    pub help: &'a str,
    /// The metric's type.
    pub kind: MetricType,
    /// Label names, in the order of each series' values.
    pub label_names: &'a [String],
    /// A histogram's `le` label values, one per bucket, `+Inf` last (empty for other types).
    pub bucket_labels: &'a [Box<str>],
}

/// One series: label set, creation time and current values, borrowed.
pub struct SeriesView<'a> {
    /// The label set as exposition text, `a="x",b="y"` (values escaped; empty without labels), in the
    /// order of [`FamilyView::label_names`]. Kept with the series, so encoders copy it as is.
    pub labels: &'a str,
    /// When the series was created (Unix seconds), for `_created`.
    pub created: f64,
    /// The current values.
    pub point: Point<'a>,
}

impl<'a> SeriesView<'a> {
    /// The label values, unescaped, in the order of [`FamilyView::label_names`].
    ///
    /// ```
    /// use srekit::metrics::{FamilyView, Registry, SeriesView, Visitor};
    /// struct Values(Vec<String>);
    /// impl Visitor for Values {
    ///     fn family(&mut self, _: &FamilyView<'_>) {}
    ///     fn series(&mut self, _: &FamilyView<'_>, series: &SeriesView<'_>) {
    ///         assert_eq!(series.labels, r#"k="a\"b",n="1""#);
    ///         self.0.extend(series.label_values().into_iter().map(String::from));
    ///     }
    /// }
    /// let r = Registry::new();
    /// r.gauge("g", "G.", &["k", "n"]).unwrap().labels(&["a\"b", "1"]).unwrap();
    /// let mut values = Values(Vec::new());
    /// r.visit(&mut values);
    /// assert_eq!(values.0, ["a\"b", "1"]);
    /// ```
    pub fn label_values(&self) -> Vec<std::borrow::Cow<'a, str>> {
        super::label_text::label_values(self.labels)
    }
}

/// A series' current values.
pub enum Point<'a> {
    /// A counter's total (and its latest exemplar).
    Counter(CounterPoint<'a>),
    /// A gauge's value.
    Gauge(f64),
    /// A histogram's buckets, sum and count (and the latest exemplar of each bucket).
    Histogram(HistogramPoint<'a>),
    /// A summary's sum and count.
    Summary {
        /// Sum of observations.
        sum: f64,
        /// Number of observations.
        count: u64,
    },
}

/// A [`Visitor`] collecting owned [`MetricFamily`] values (what [`Registry::gather`](super::Registry::gather) returns).
#[derive(Default)]
pub(crate) struct Gatherer {
    pub(crate) families: Vec<MetricFamily>,
}

impl Visitor for Gatherer {
    fn family(&mut self, family: &FamilyView<'_>) {
        self.families.push(MetricFamily {
            name: family.name.to_owned(),
            help: family.help.to_owned(),
            unit: String::new(),
            kind: family.kind,
            samples: Vec::new(),
        });
    }

    fn series(&mut self, family: &FamilyView<'_>, series: &SeriesView<'_>) {
        let Some(out) = self.families.last_mut() else { return };
        let labels: Vec<Label> = family
            .label_names
            .iter()
            .cloned()
            .zip(series.label_values().into_iter().map(String::from))
            .collect();
        let samples = &mut out.samples;
        let count = match &series.point {
            Point::Gauge(value) => {
                samples.push(Sample::new(Suffix::None, labels, *value));
                return;
            }
            Point::Counter(counter) => {
                let mut total = Sample::new(Suffix::Total, labels.clone(), counter.value());
                total.exemplar = counter.with_exemplar(Clone::clone);
                samples.push(total);
                None
            }
            Point::Histogram(histogram) => {
                let mut count = 0;
                for (bucket, (cumulative, le)) in
                    histogram.cumulative_counts().zip(family.bucket_labels).enumerate()
                {
                    let mut bucket_labels = labels.clone();
                    bucket_labels.push(("le".to_owned(), le.to_string()));
                    let mut sample = Sample::new(Suffix::Bucket, bucket_labels, cumulative as f64);
                    sample.exemplar = histogram.with_exemplar(bucket, Clone::clone);
                    samples.push(sample);
                    count = cumulative;
                }
                Some((histogram.sum(), count))
            }
            Point::Summary { sum, count } => Some((*sum, *count)),
        };
        if let Some((sum, count)) = count {
            samples.push(Sample::new(Suffix::Sum, labels.clone(), sum));
            samples.push(Sample::new(Suffix::Count, labels.clone(), count as f64));
        }
        samples.push(Sample::new(Suffix::Created, labels, series.created));
    }
}
