//! The instrumentation registry for JavaScript: `Registry`, and the metric vectors and children it
//! hands out (`CounterVec` / `Counter`, `GaugeVec` / `Gauge`, `HistogramVec` / `Histogram`,
//! `SummaryVec` / `Summary`). Every vector has the same family methods, over the core's generic
//! `Family` (`js_family!`). The variadic `labels(...values)` / `remove(...values)` and the child cache
//! live in `node/metrics.js` over the native `labelValues(values)` / `labelsByName(object)` /
//! `removeLabelValues(values)` / `removeByName(object)` / `clear()` defined here.

use std::collections::HashMap;

use napi::bindgen_prelude::Buffer;
use napi::Env;
use napi_derive::napi;
use srekit::expfmt::Format;
use srekit::metrics;

use crate::errors::{to_js_error, JsErrorCode};
use crate::families::families_to_js;
use crate::js::{Js, RawValue};

/// Reads an optional format name (`'text'` when absent).
pub fn format_from_name(format: Option<String>) -> napi::Result<Format, JsErrorCode> {
    match format {
        None => Ok(Format::Text),
        Some(name) => name.parse().map_err(to_js_error),
    }
}

fn as_strs(values: &[String]) -> Vec<&str> {
    values.iter().map(String::as_str).collect()
}

fn as_pairs(pairs: &HashMap<String, String>) -> Vec<(&str, &str)> {
    pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Exemplar labels from an object, sorted by name (an object's keys come in no fixed order here).
fn sorted_pairs(pairs: &HashMap<String, String>) -> Vec<(&str, &str)> {
    let mut sorted = as_pairs(pairs);
    sorted.sort_unstable();
    sorted
}

/// A metric vector class (`CounterVec`, ...) over a core `Family`: `labelValues`, `labelsByName`,
/// `seriesCount`, `removeLabelValues`, `removeByName` and `clear`, the same for every metric type.
macro_rules! js_family {
    ($class:ident, $js_name:tt, $core:ty, $child:ident) => {
        #[doc = concat!("A ", $js_name, " with label names; `labels(...)` gives its children.")]
        #[napi(js_name = $js_name)]
        pub struct $class {
            inner: $core,
        }

        #[napi]
        impl $class {
            /// The child for these label values, in label-name order.
            #[napi]
            pub fn label_values(&self, values: Vec<String>) -> napi::Result<$child, JsErrorCode> {
                let inner = self.inner.labels(&as_strs(&values)).map_err(to_js_error)?;
                Ok($child { inner })
            }

            /// The child for these `{ labelName: value }` pairs (any order).
            #[napi]
            pub fn labels_by_name(
                &self,
                pairs: HashMap<String, String>,
            ) -> napi::Result<$child, JsErrorCode> {
                let inner = self.inner.labels_by_name(&as_pairs(&pairs)).map_err(to_js_error)?;
                Ok($child { inner })
            }

            /// Number of children (label sets).
            #[napi]
            pub fn series_count(&self) -> u32 {
                self.inner.series_count() as u32
            }

            /// Removes the child of these label values; true when it existed.
            #[napi]
            pub fn remove_label_values(&self, values: Vec<String>) -> napi::Result<bool, JsErrorCode> {
                self.inner.remove(&as_strs(&values)).map_err(to_js_error)
            }

            /// Removes the child of these `{ labelName: value }` pairs; true when it existed.
            #[napi]
            pub fn remove_by_name(&self, pairs: HashMap<String, String>) -> napi::Result<bool, JsErrorCode> {
                self.inner.remove_by_name(&as_pairs(&pairs)).map_err(to_js_error)
            }

            /// Removes every child.
            #[napi]
            pub fn clear(&self) {
                self.inner.clear();
            }
        }
    };
}

/// A set of metrics encoded together as one exposition.
#[napi(js_name = "Registry")]
pub struct JsRegistry {
    inner: metrics::Registry,
}

impl JsRegistry {
    /// The core registry (shared: a clone sees the same metrics).
    pub fn core(&self) -> &metrics::Registry {
        &self.inner
    }
}

impl Default for JsRegistry {
    fn default() -> Self {
        JsRegistry::new()
    }
}

#[napi]
impl JsRegistry {
    /// An empty registry.
    #[napi(constructor)]
    pub fn new() -> Self {
        JsRegistry { inner: metrics::Registry::new() }
    }

    /// Registers a counter (`name` with or without `_total`) with these label names.
    #[napi]
    pub fn counter(
        &self,
        name: String,
        help: String,
        label_names: Option<Vec<String>>,
    ) -> napi::Result<JsCounterVec, JsErrorCode> {
        let labels = label_names.unwrap_or_default();
        let inner = self.inner.counter(&name, &help, &as_strs(&labels)).map_err(to_js_error)?;
        Ok(JsCounterVec { inner })
    }

    /// Registers a gauge with these label names.
    #[napi]
    pub fn gauge(
        &self,
        name: String,
        help: String,
        label_names: Option<Vec<String>>,
    ) -> napi::Result<JsGaugeVec, JsErrorCode> {
        let labels = label_names.unwrap_or_default();
        let inner = self.inner.gauge(&name, &help, &as_strs(&labels)).map_err(to_js_error)?;
        Ok(JsGaugeVec { inner })
    }

    /// Registers a histogram; `buckets` are the upper bounds (sorted, finite; `+Inf` is implied),
    /// Prometheus' default buckets when absent.
    #[napi]
    pub fn histogram(
        &self,
        name: String,
        help: String,
        label_names: Option<Vec<String>>,
        buckets: Option<Vec<f64>>,
    ) -> napi::Result<JsHistogramVec, JsErrorCode> {
        let labels = label_names.unwrap_or_default();
        let bounds = buckets.as_deref().unwrap_or(metrics::HistogramVec::DEFAULT_BUCKETS);
        let inner = self.inner.histogram(&name, &help, &as_strs(&labels), bounds).map_err(to_js_error)?;
        Ok(JsHistogramVec { inner })
    }

    /// Registers a summary (count and sum, no quantiles) with these label names.
    #[napi]
    pub fn summary(
        &self,
        name: String,
        help: String,
        label_names: Option<Vec<String>>,
    ) -> napi::Result<JsSummaryVec, JsErrorCode> {
        let labels = label_names.unwrap_or_default();
        let inner = self.inner.summary(&name, &help, &as_strs(&labels)).map_err(to_js_error)?;
        Ok(JsSummaryVec { inner })
    }

    /// The exposition of every registered metric in `format` (`'text'` 0.0.4 by default, or
    /// `'openmetrics'`, which carries the exemplars kept in counters and histograms, e.g. by log rules).
    #[napi]
    pub fn encode(&self, format: Option<String>) -> napi::Result<String, JsErrorCode> {
        Ok(self.inner.encode_to_string(format_from_name(format)?))
    }

    /// Answers a scrape: the body and `Content-Type` for the request's `Accept` header (absent or
    /// empty when it had none), with the format and name escaping negotiated as srekit-exporter
    /// negotiates them.
    #[napi]
    pub fn expose(&self, accept: Option<String>) -> Exposed {
        let (body, content_type) = self.inner.expose(accept.as_deref().unwrap_or(""));
        // The encoder writes only UTF-8 (names and values come from strings).
        let body =
            String::from_utf8(body).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        Exposed { body, content_type }
    }

    /// The registry's metrics as a push body (`Buffer`): `"remote_write"` (snappy-compressed
    /// `WriteRequest`) or `"otlp"` (`ExportMetricsServiceRequest` protobuf), stamped with the current time.
    #[napi(ts_args_type = "format: 'remote_write' | 'otlp'")]
    pub fn encode_push(&self, format: String) -> napi::Result<Buffer, JsErrorCode> {
        let push: srekit::push::PushFormat = format.parse().map_err(to_js_error)?;
        Ok(Buffer::from(push.encode_now(&self.inner.gather())))
    }

    /// The current values as metric families (`{ name, type, help, unit, samples }`).
    #[napi(ts_return_type = "MetricFamily[]")]
    pub fn gather(&self, env: Env) -> napi::Result<RawValue> {
        Ok(RawValue(families_to_js(Js::new(&env), &self.inner.gather())?))
    }
}

/// What `Registry.expose` answers a scrape with.
#[napi(object)]
pub struct Exposed {
    /// The exposition text in the negotiated format.
    pub body: String,
    /// The response's `Content-Type` (format, version, charset and the escaping the scraper named).
    pub content_type: String,
}

js_family!(JsCounterVec, "CounterVec", metrics::CounterVec, JsCounter);

/// One counter series.
#[napi(js_name = "Counter")]
pub struct JsCounter {
    inner: metrics::Counter,
}

#[napi]
impl JsCounter {
    /// Adds `amount` (1 when absent); throws on a negative or NaN amount. `exemplar`
    /// (`{ trace_id: '...' }`) becomes the counter's latest exemplar (OpenMetrics output).
    #[napi]
    pub fn inc(
        &self,
        amount: Option<f64>,
        exemplar: Option<HashMap<String, String>>,
    ) -> napi::Result<(), JsErrorCode> {
        match (amount, exemplar) {
            (None, None) => {
                self.inner.inc();
                Ok(())
            }
            (Some(amount), None) => self.inner.inc_by(amount),
            (amount, Some(labels)) => {
                self.inner.inc_by_with_exemplar(amount.unwrap_or(1.0), &sorted_pairs(&labels), None)
            }
        }
        .map_err(to_js_error)
    }

    /// The current value.
    #[napi]
    pub fn get(&self) -> f64 {
        self.inner.get()
    }
}

js_family!(JsGaugeVec, "GaugeVec", metrics::GaugeVec, JsGauge);

/// One gauge series.
#[napi(js_name = "Gauge")]
pub struct JsGauge {
    inner: metrics::Gauge,
}

#[napi]
impl JsGauge {
    /// Sets the value.
    #[napi]
    pub fn set(&self, value: f64) {
        self.inner.set(value);
    }

    /// Adds `amount` (1 when absent).
    #[napi]
    pub fn inc(&self, amount: Option<f64>) {
        match amount {
            None => self.inner.inc(),
            Some(amount) => self.inner.add(amount),
        }
    }

    /// Subtracts `amount` (1 when absent).
    #[napi]
    pub fn dec(&self, amount: Option<f64>) {
        match amount {
            None => self.inner.dec(),
            Some(amount) => self.inner.sub(amount),
        }
    }

    /// The current value.
    #[napi]
    pub fn get(&self) -> f64 {
        self.inner.get()
    }
}

js_family!(JsHistogramVec, "HistogramVec", metrics::HistogramVec, JsHistogram);

/// One histogram series.
#[napi(js_name = "Histogram")]
pub struct JsHistogram {
    inner: metrics::Histogram,
}

#[napi]
impl JsHistogram {
    /// Records one observation; `exemplar` (`{ trace_id: '...' }`) becomes the latest exemplar of its
    /// bucket (OpenMetrics output).
    #[napi]
    pub fn observe(
        &self,
        value: f64,
        exemplar: Option<HashMap<String, String>>,
    ) -> napi::Result<(), JsErrorCode> {
        match exemplar {
            None => {
                self.inner.observe(value);
                Ok(())
            }
            Some(labels) => {
                self.inner.observe_with_exemplar(value, &sorted_pairs(&labels), None).map_err(to_js_error)
            }
        }
    }

    /// Records several observations in one call.
    #[napi]
    pub fn observe_many(&self, values: Vec<f64>) {
        for value in values {
            self.inner.observe(value);
        }
    }

    /// Number of observations.
    #[napi]
    pub fn count(&self) -> f64 {
        self.inner.count() as f64
    }

    /// Sum of observations.
    #[napi]
    pub fn sum(&self) -> f64 {
        self.inner.sum()
    }
}

js_family!(JsSummaryVec, "SummaryVec", metrics::SummaryVec, JsSummary);

/// One summary series.
#[napi(js_name = "Summary")]
pub struct JsSummary {
    inner: metrics::Summary,
}

#[napi]
impl JsSummary {
    /// Records one observation.
    #[napi]
    pub fn observe(&self, value: f64) {
        self.inner.observe(value);
    }

    /// Records several observations in one call.
    #[napi]
    pub fn observe_many(&self, values: Vec<f64>) {
        for value in values {
            self.inner.observe(value);
        }
    }

    /// Number of observations.
    #[napi]
    pub fn count(&self) -> f64 {
        self.inner.count() as f64
    }

    /// Sum of observations.
    #[napi]
    pub fn sum(&self) -> f64 {
        self.inner.sum()
    }
}
