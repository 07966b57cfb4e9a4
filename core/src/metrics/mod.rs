//! Metrics: the data model ([`MetricFamily`], [`Sample`]) and the instrumentation [`Registry`].
//!
//! ```
//! use srekit::metrics::Registry;
//! let registry = Registry::new();
//! let requests = registry.counter("http_requests_total", "Requests served.", &["method"]).unwrap();
//! requests.labels(&["GET"]).unwrap().inc();
//! let text = registry.encode_to_string(srekit::expfmt::Format::Text);
//! assert!(text.contains("http_requests_total{method=\"GET\"} 1\n"));
//! ```

mod model;
mod names;
mod registry;

pub use model::{Exemplar, Label, MetricFamily, MetricType, Sample, Suffix};
pub use names::{is_valid_label_name, is_valid_metric_name, sanitize_label_name, sanitize_metric_name};
pub use registry::{
    Counter, CounterVec, Gauge, GaugeVec, Histogram, HistogramVec, Registry, Summary, SummaryVec,
};
