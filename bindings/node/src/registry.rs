//! The instrumentation registry for JavaScript: `Registry`, and the metric vectors and children it
//! hands out (`CounterVec` / `Counter`, `GaugeVec` / `Gauge`, `HistogramVec` / `Histogram`,
//! `SummaryVec` / `Summary`). The variadic `labels(...values)` and its child cache live in `index.js`
//! over the native `labelValues(values)` / `labelsByName(object)` defined here.

use std::cell::RefCell;
use std::collections::HashMap;

use napi::Env;
use napi_derive::napi;
use srekit::expfmt::Format;
use srekit::logs::rules::Exemplars;
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

/// A set of metrics encoded together as one exposition.
#[napi(js_name = "Registry")]
pub struct JsRegistry {
    inner: metrics::Registry,
    /// Exemplars of log rules registered here, attached to the OpenMetrics output.
    exemplars: RefCell<Vec<Exemplars>>,
}

impl JsRegistry {
    /// The core registry (shared: a clone sees the same metrics).
    pub fn core(&self) -> &metrics::Registry {
        &self.inner
    }

    /// Adds exemplars to attach to this registry's OpenMetrics output.
    pub fn add_exemplars(&self, exemplars: Exemplars) {
        self.exemplars.borrow_mut().push(exemplars);
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
        JsRegistry { inner: metrics::Registry::new(), exemplars: RefCell::new(Vec::new()) }
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
    /// `'openmetrics'`, which carries the exemplars of log rules).
    #[napi]
    pub fn encode(&self, format: Option<String>) -> napi::Result<String, JsErrorCode> {
        let format = format_from_name(format)?;
        let exemplars = self.exemplars.borrow();
        if format == Format::OpenMetrics && exemplars.iter().any(|e| !e.is_empty()) {
            let mut families = self.inner.gather();
            for set in exemplars.iter() {
                set.attach(&mut families);
            }
            return Ok(srekit::expfmt::encode_to_string(&families, format));
        }
        Ok(self.inner.encode_to_string(format))
    }

    /// The current values as metric families (`{ name, type, help, unit, samples }`).
    #[napi(ts_return_type = "MetricFamily[]")]
    pub fn gather(&self, env: Env) -> napi::Result<RawValue> {
        Ok(RawValue(families_to_js(Js::new(&env), &self.inner.gather())?))
    }
}

/// A counter with label names; `labels(...)` gives its children.
#[napi(js_name = "CounterVec")]
pub struct JsCounterVec {
    inner: metrics::CounterVec,
}

#[napi]
impl JsCounterVec {
    /// The child for these label values, in label-name order.
    #[napi]
    pub fn label_values(&self, values: Vec<String>) -> napi::Result<JsCounter, JsErrorCode> {
        let inner = self.inner.labels(&as_strs(&values)).map_err(to_js_error)?;
        Ok(JsCounter { inner })
    }

    /// The child for these `{ labelName: value }` pairs (any order).
    #[napi]
    pub fn labels_by_name(&self, pairs: HashMap<String, String>) -> napi::Result<JsCounter, JsErrorCode> {
        let inner = self.inner.labels_by_name(&as_pairs(&pairs)).map_err(to_js_error)?;
        Ok(JsCounter { inner })
    }

    /// Number of children created so far.
    #[napi]
    pub fn series_count(&self) -> u32 {
        self.inner.series_count() as u32
    }
}

/// One counter series.
#[napi(js_name = "Counter")]
pub struct JsCounter {
    inner: metrics::Counter,
}

#[napi]
impl JsCounter {
    /// Adds `amount` (1 when absent); throws on a negative or NaN amount.
    #[napi]
    pub fn inc(&self, amount: Option<f64>) -> napi::Result<(), JsErrorCode> {
        match amount {
            None => {
                self.inner.inc();
                Ok(())
            }
            Some(amount) => self.inner.inc_by(amount).map_err(to_js_error),
        }
    }

    /// The current value.
    #[napi]
    pub fn get(&self) -> f64 {
        self.inner.get()
    }
}

/// A gauge with label names; `labels(...)` gives its children.
#[napi(js_name = "GaugeVec")]
pub struct JsGaugeVec {
    inner: metrics::GaugeVec,
}

#[napi]
impl JsGaugeVec {
    /// The child for these label values, in label-name order.
    #[napi]
    pub fn label_values(&self, values: Vec<String>) -> napi::Result<JsGauge, JsErrorCode> {
        let inner = self.inner.labels(&as_strs(&values)).map_err(to_js_error)?;
        Ok(JsGauge { inner })
    }

    /// The child for these `{ labelName: value }` pairs (any order).
    #[napi]
    pub fn labels_by_name(&self, pairs: HashMap<String, String>) -> napi::Result<JsGauge, JsErrorCode> {
        let inner = self.inner.labels_by_name(&as_pairs(&pairs)).map_err(to_js_error)?;
        Ok(JsGauge { inner })
    }

    /// Number of children created so far.
    #[napi]
    pub fn series_count(&self) -> u32 {
        self.inner.series_count() as u32
    }
}

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

/// A histogram with label names; `labels(...)` gives its children.
#[napi(js_name = "HistogramVec")]
pub struct JsHistogramVec {
    inner: metrics::HistogramVec,
}

#[napi]
impl JsHistogramVec {
    /// The child for these label values, in label-name order.
    #[napi]
    pub fn label_values(&self, values: Vec<String>) -> napi::Result<JsHistogram, JsErrorCode> {
        let inner = self.inner.labels(&as_strs(&values)).map_err(to_js_error)?;
        Ok(JsHistogram { inner })
    }

    /// The child for these `{ labelName: value }` pairs (any order).
    #[napi]
    pub fn labels_by_name(&self, pairs: HashMap<String, String>) -> napi::Result<JsHistogram, JsErrorCode> {
        let inner = self.inner.labels_by_name(&as_pairs(&pairs)).map_err(to_js_error)?;
        Ok(JsHistogram { inner })
    }

    /// Number of children created so far.
    #[napi]
    pub fn series_count(&self) -> u32 {
        self.inner.series_count() as u32
    }
}

/// One histogram series.
#[napi(js_name = "Histogram")]
pub struct JsHistogram {
    inner: metrics::Histogram,
}

#[napi]
impl JsHistogram {
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

/// A summary (count and sum) with label names; `labels(...)` gives its children.
#[napi(js_name = "SummaryVec")]
pub struct JsSummaryVec {
    inner: metrics::SummaryVec,
}

#[napi]
impl JsSummaryVec {
    /// The child for these label values, in label-name order.
    #[napi]
    pub fn label_values(&self, values: Vec<String>) -> napi::Result<JsSummary, JsErrorCode> {
        let inner = self.inner.labels(&as_strs(&values)).map_err(to_js_error)?;
        Ok(JsSummary { inner })
    }
}

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
