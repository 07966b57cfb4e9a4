//! Metrics: the data model ([`MetricFamily`], [`Sample`]) and the instrumentation [`Registry`].
//!
//! The registry is laid out as the prometheus-client crate's: one file per metric type (`counter.rs`,
//! `gauge.rs`, `histogram.rs`, `summary.rs`), each a handle on one series' atomic cell, and one
//! generic labelled [`Family`] (`family.rs`) giving every type `labels`, `labels_by_name`,
//! `series_count`, `remove` and `clear`. Exemplars live in the cells (`exemplar.rs`). The registry
//! shows its metrics to a [`Visitor`] (`view.rs`); the encoders in [`crate::expfmt`] are visitors, so
//! this module does not depend on them.
//!
//! ```
//! use srekit::metrics::Registry;
//! let registry = Registry::new();
//! let requests = registry.counter("http_requests_total", "Requests served.", &["method"]).unwrap();
//! requests.labels(&["GET"]).unwrap().inc();
//! let text = registry.encode_to_string(srekit::expfmt::Format::Text);
//! assert!(text.contains("http_requests_total{method=\"GET\"} 1\n"));
//! ```

mod counter;
mod exemplar;
mod family;
mod gauge;
mod histogram;
pub(crate) mod label_text;
mod model;
mod names;
pub(crate) mod number;
mod registry;
mod summary;
mod view;

pub use counter::{Counter, CounterPoint, CounterVec};
pub use exemplar::MAX_EXEMPLAR_LABEL_CHARS;
pub use family::{Family, Metric};
pub use gauge::{Gauge, GaugeVec};
pub use histogram::{Histogram, HistogramPoint, HistogramVec};
pub use model::{Exemplar, Label, MetricFamily, MetricType, Sample, Suffix};
pub use names::{is_valid_label_name, is_valid_metric_name, sanitize_label_name, sanitize_metric_name};
pub use registry::Registry;
pub use summary::{Summary, SummaryVec};
pub use view::{FamilyView, Point, SeriesView, Visitor};
