//! `srekit.Registry` and its metrics: thin pyclasses over `srekit::metrics::Registry` and the core's
//! counter / gauge / histogram vectors and children. Updates go straight to the core's atomics, so
//! metrics are safe to update from many Python threads.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use srekit::error::codes::METRIC_LABEL_MISMATCH;
use srekit::metrics::{
    Counter, CounterVec, Gauge, GaugeVec, Histogram, HistogramVec, Registry, Summary, SummaryVec,
};

use crate::errors::{coded_error, to_py_err};
use crate::expfmt::encoded;
use crate::families::families_to_py;

/// A collection of metrics that encodes itself as Prometheus text or OpenMetrics.
#[pyclass(module = "srekit", name = "Registry", frozen)]
pub(crate) struct PyRegistry {
    inner: Registry,
}

impl PyRegistry {
    /// A Python registry sharing this core registry.
    pub(crate) fn from_core(inner: Registry) -> Self {
        PyRegistry { inner }
    }

    /// The core registry.
    pub(crate) fn registry(&self) -> &Registry {
        &self.inner
    }
}

#[pymethods]
impl PyRegistry {
    #[new]
    fn new() -> Self {
        PyRegistry { inner: Registry::new() }
    }

    /// Registers a counter (`name` with or without `_total`).
    #[pyo3(signature = (name, help, labelnames = Vec::new()))]
    fn counter(&self, name: &str, help: &str, labelnames: Vec<String>) -> PyResult<PyCounter> {
        let names: Vec<&str> = labelnames.iter().map(String::as_str).collect();
        let vec = self.inner.counter(name, help, &names).map_err(to_py_err)?;
        let unlabelled = if names.is_empty() { Some(vec.labels(&[]).map_err(to_py_err)?) } else { None };
        Ok(PyCounter { vec, unlabelled })
    }

    /// Registers a gauge.
    #[pyo3(signature = (name, help, labelnames = Vec::new()))]
    fn gauge(&self, name: &str, help: &str, labelnames: Vec<String>) -> PyResult<PyGauge> {
        let names: Vec<&str> = labelnames.iter().map(String::as_str).collect();
        let vec = self.inner.gauge(name, help, &names).map_err(to_py_err)?;
        let unlabelled = if names.is_empty() { Some(vec.labels(&[]).map_err(to_py_err)?) } else { None };
        Ok(PyGauge { vec, unlabelled })
    }

    /// Registers a histogram; `buckets` are the upper bounds (sorted, `+Inf` added by the encoder).
    #[pyo3(signature = (name, help, labelnames = Vec::new(), buckets = None))]
    fn histogram(
        &self,
        name: &str,
        help: &str,
        labelnames: Vec<String>,
        buckets: Option<Vec<f64>>,
    ) -> PyResult<PyHistogram> {
        let names: Vec<&str> = labelnames.iter().map(String::as_str).collect();
        let bounds = buckets.as_deref().unwrap_or(HistogramVec::DEFAULT_BUCKETS);
        let vec = self.inner.histogram(name, help, &names, bounds).map_err(to_py_err)?;
        let unlabelled = if names.is_empty() { Some(vec.labels(&[]).map_err(to_py_err)?) } else { None };
        Ok(PyHistogram { vec, unlabelled })
    }

    /// Registers a summary (count and sum; no quantiles are computed).
    #[pyo3(signature = (name, help, labelnames = Vec::new()))]
    fn summary(&self, name: &str, help: &str, labelnames: Vec<String>) -> PyResult<PySummary> {
        let names: Vec<&str> = labelnames.iter().map(String::as_str).collect();
        let vec = self.inner.summary(name, help, &names).map_err(to_py_err)?;
        let unlabelled = if names.is_empty() { Some(vec.labels(&[]).map_err(to_py_err)?) } else { None };
        Ok(PySummary { vec, unlabelled })
    }

    /// The registry's metrics as `bytes` in `format` ("text" for 0.0.4, "openmetrics" for 1.0), or
    /// as a push body: "remote_write" (snappy-compressed `WriteRequest`) or "otlp"
    /// (`ExportMetricsServiceRequest` protobuf), samples stamped with the current time.
    #[pyo3(signature = (format = "text"))]
    fn encode<'py>(&self, py: Python<'py>, format: &str) -> PyResult<Bound<'py, PyBytes>> {
        if let Ok(push) = format.parse::<srekit::push::PushFormat>() {
            let body = py.detach(|| push.encode_now(&self.inner.gather()));
            return Ok(PyBytes::new(py, &body));
        }
        encoded(py, format, |format, buffer| self.inner.encode(format, buffer))
    }

    /// Answers a scrape: `(body, content_type)` for the request's `Accept` header (`None` when it had
    /// none), with the format and name escaping negotiated as srekit-exporter negotiates them.
    #[pyo3(signature = (accept = None))]
    fn expose<'py>(&self, py: Python<'py>, accept: Option<&str>) -> (Bound<'py, PyBytes>, String) {
        let accept = accept.unwrap_or("");
        let (body, content_type) = py.detach(|| self.inner.expose(accept));
        (PyBytes::new(py, &body), content_type)
    }

    /// A snapshot of every metric as a list of `srekit.MetricFamily`.
    fn collect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let families = py.detach(|| self.inner.gather());
        families_to_py(py, &families)
    }
}

/// Label values from `labels(*values)` or `labels(**names)` (not both), as strings (`str()` of
/// non-string values, as prometheus_client does).
enum LabelArgs {
    Positional(Vec<String>),
    Named(Vec<(String, String)>),
}

fn label_args(values: &Bound<'_, PyTuple>, names: Option<&Bound<'_, PyDict>>) -> PyResult<LabelArgs> {
    let text = |item: &Bound<'_, PyAny>| -> PyResult<String> {
        match item.cast::<PyString>() {
            Ok(s) => Ok(s.to_cow()?.into_owned()),
            Err(_) => Ok(item.str()?.to_cow()?.into_owned()),
        }
    };
    match names {
        Some(names) if !names.is_empty() => {
            if !values.is_empty() {
                return Err(coded_error(
                    METRIC_LABEL_MISMATCH,
                    "labels() takes positional or keyword label values, not both",
                ));
            }
            let mut pairs = Vec::with_capacity(names.len());
            for (key, value) in names.iter() {
                pairs.push((text(&key)?, text(&value)?));
            }
            Ok(LabelArgs::Named(pairs))
        }
        _ => Ok(LabelArgs::Positional(values.iter().map(|v| text(&v)).collect::<PyResult<_>>()?)),
    }
}

/// Calls the core family's `$by_values` (positional values) or `$by_names` (keyword values) with a
/// Python method's `*values, **names`: `labels` / `labels_by_name`, `remove` / `remove_by_name`.
macro_rules! by_label_args {
    ($vec:expr, $by_values:ident, $by_names:ident, $values:expr, $names:expr) => {
        match label_args($values, $names)? {
            LabelArgs::Positional(values) => {
                let refs: Vec<&str> = values.iter().map(String::as_str).collect();
                $vec.$by_values(&refs).map_err(to_py_err)
            }
            LabelArgs::Named(pairs) => {
                let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                $vec.$by_names(&refs).map_err(to_py_err)
            }
        }
    };
}

/// The methods every metric family class has, over the core's generic `Family`: `labels(...)` (the
/// child), `remove(...)` (True when the series existed), `clear()` and `series_count()`. `$extra` are
/// the class's own methods.
macro_rules! family_methods {
    ($class:ident, $child:ident, { $($extra:tt)* }) => {
        #[pymethods]
        impl $class {
            /// The child for these label values (`labels("GET")` or `labels(method="GET")`).
            #[pyo3(signature = (*values, **names))]
            fn labels(&self, values: &Bound<'_, PyTuple>, names: Option<&Bound<'_, PyDict>>) -> PyResult<$child> {
                Ok($child { inner: by_label_args!(self.vec, labels, labels_by_name, values, names)? })
            }

            /// Removes the series of these label values; True when it existed.
            #[pyo3(signature = (*values, **names))]
            fn remove(&self, values: &Bound<'_, PyTuple>, names: Option<&Bound<'_, PyDict>>) -> PyResult<bool> {
                labelled_only(&self.unlabelled)?;
                by_label_args!(self.vec, remove, remove_by_name, values, names)
            }

            /// Removes every series.
            fn clear(&self) -> PyResult<()> {
                labelled_only(&self.unlabelled)?;
                self.vec.clear();
                Ok(())
            }

            /// Number of series (label sets).
            fn series_count(&self) -> usize {
                self.vec.series_count()
            }

            $($extra)*
        }
    };
}

/// Reads an optional `exemplar={"trace_id": "..."}` as label pairs.
fn exemplar_labels(exemplar: Option<&Bound<'_, PyDict>>) -> PyResult<Option<Vec<(String, String)>>> {
    let Some(exemplar) = exemplar else { return Ok(None) };
    let text = |item: &Bound<'_, PyAny>| -> PyResult<String> { Ok(item.str()?.to_cow()?.into_owned()) };
    exemplar.iter().map(|(k, v)| Ok((text(&k)?, text(&v)?))).collect::<PyResult<_>>().map(Some)
}

fn as_pairs(labels: &[(String, String)]) -> Vec<(&str, &str)> {
    labels.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

/// Refuses `remove` / `clear` on a metric without label names (its one series is kept by the class,
/// so removing it would lose later updates), as prometheus_client refuses `remove`.
fn labelled_only<T>(unlabelled: &Option<T>) -> PyResult<()> {
    match unlabelled {
        Some(_) => Err(coded_error(
            METRIC_LABEL_MISMATCH,
            "this metric has no label names: remove() and clear() are for labelled metrics",
        )),
        None => Ok(()),
    }
}

fn needs_labels<T>(unlabelled: &Option<T>) -> PyResult<&T> {
    unlabelled.as_ref().ok_or_else(|| {
        coded_error(METRIC_LABEL_MISMATCH, "this metric has label names: call .labels(...) first")
    })
}

/// A counter family (a vector of children by label values).
#[pyclass(module = "srekit", name = "Counter", frozen)]
pub(crate) struct PyCounter {
    vec: CounterVec,
    unlabelled: Option<Counter>,
}

family_methods!(PyCounter, PyCounterChild, {
    /// Adds `amount` (>= 0) to an unlabelled counter; `exemplar` (e.g. `{"trace_id": "..."}`) becomes
    /// its latest exemplar.
    #[pyo3(signature = (amount = 1.0, exemplar = None))]
    fn inc(&self, amount: f64, exemplar: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        counter_inc(needs_labels(&self.unlabelled)?, amount, exemplar)
    }

    /// The value of an unlabelled counter.
    fn get(&self) -> PyResult<f64> {
        Ok(needs_labels(&self.unlabelled)?.get())
    }
});

fn counter_inc(counter: &Counter, amount: f64, exemplar: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
    match exemplar_labels(exemplar)? {
        Some(labels) => counter.inc_by_with_exemplar(amount, &as_pairs(&labels), None),
        None if amount == 1.0 => {
            counter.inc();
            Ok(())
        }
        None => counter.inc_by(amount),
    }
    .map_err(to_py_err)
}

/// One labelled counter; keep it to skip the label lookup on hot paths.
#[pyclass(module = "srekit", name = "CounterChild", frozen)]
pub(crate) struct PyCounterChild {
    inner: Counter,
}

#[pymethods]
impl PyCounterChild {
    /// Adds `amount` (>= 0); `exemplar` (e.g. `{"trace_id": "..."}`) becomes its latest exemplar.
    #[pyo3(signature = (amount = 1.0, exemplar = None))]
    fn inc(&self, amount: f64, exemplar: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        counter_inc(&self.inner, amount, exemplar)
    }

    /// The current value.
    fn get(&self) -> f64 {
        self.inner.get()
    }
}

/// A gauge family.
#[pyclass(module = "srekit", name = "Gauge", frozen)]
pub(crate) struct PyGauge {
    vec: GaugeVec,
    unlabelled: Option<Gauge>,
}

family_methods!(PyGauge, PyGaugeChild, {
    /// Sets an unlabelled gauge.
    fn set(&self, value: f64) -> PyResult<()> {
        needs_labels(&self.unlabelled)?.set(value);
        Ok(())
    }

    /// Adds `amount` to an unlabelled gauge.
    #[pyo3(signature = (amount = 1.0))]
    fn inc(&self, amount: f64) -> PyResult<()> {
        needs_labels(&self.unlabelled)?.add(amount);
        Ok(())
    }

    /// Subtracts `amount` from an unlabelled gauge.
    #[pyo3(signature = (amount = 1.0))]
    fn dec(&self, amount: f64) -> PyResult<()> {
        needs_labels(&self.unlabelled)?.sub(amount);
        Ok(())
    }

    /// The value of an unlabelled gauge.
    fn get(&self) -> PyResult<f64> {
        Ok(needs_labels(&self.unlabelled)?.get())
    }
});

/// One labelled gauge.
#[pyclass(module = "srekit", name = "GaugeChild", frozen)]
pub(crate) struct PyGaugeChild {
    inner: Gauge,
}

#[pymethods]
impl PyGaugeChild {
    /// Sets the value.
    fn set(&self, value: f64) {
        self.inner.set(value);
    }

    /// Adds `amount`.
    #[pyo3(signature = (amount = 1.0))]
    fn inc(&self, amount: f64) {
        self.inner.add(amount);
    }

    /// Subtracts `amount`.
    #[pyo3(signature = (amount = 1.0))]
    fn dec(&self, amount: f64) {
        self.inner.sub(amount);
    }

    /// The current value.
    fn get(&self) -> f64 {
        self.inner.get()
    }
}

/// A histogram family.
#[pyclass(module = "srekit", name = "Histogram", frozen)]
pub(crate) struct PyHistogram {
    vec: HistogramVec,
    unlabelled: Option<Histogram>,
}

family_methods!(PyHistogram, PyHistogramChild, {
    /// Records one observation in an unlabelled histogram; `exemplar` (e.g. `{"trace_id": "..."}`)
    /// becomes the latest exemplar of its bucket.
    #[pyo3(signature = (value, exemplar = None))]
    fn observe(&self, value: f64, exemplar: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        histogram_observe(needs_labels(&self.unlabelled)?, value, exemplar)
    }
});

fn histogram_observe(
    histogram: &Histogram,
    value: f64,
    exemplar: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    match exemplar_labels(exemplar)? {
        Some(labels) => histogram.observe_with_exemplar(value, &as_pairs(&labels), None).map_err(to_py_err),
        None => {
            histogram.observe(value);
            Ok(())
        }
    }
}

/// One labelled histogram.
#[pyclass(module = "srekit", name = "HistogramChild", frozen)]
pub(crate) struct PyHistogramChild {
    inner: Histogram,
}

#[pymethods]
impl PyHistogramChild {
    /// Records one observation; `exemplar` (e.g. `{"trace_id": "..."}`) becomes the latest exemplar
    /// of its bucket.
    #[pyo3(signature = (value, exemplar = None))]
    fn observe(&self, value: f64, exemplar: Option<&Bound<'_, PyDict>>) -> PyResult<()> {
        histogram_observe(&self.inner, value, exemplar)
    }

    /// Number of observations.
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// Sum of observations.
    fn sum(&self) -> f64 {
        self.inner.sum()
    }
}

/// A summary family (count and sum).
#[pyclass(module = "srekit", name = "Summary", frozen)]
pub(crate) struct PySummary {
    vec: SummaryVec,
    unlabelled: Option<Summary>,
}

family_methods!(PySummary, PySummaryChild, {
    /// Records one observation in an unlabelled summary.
    fn observe(&self, value: f64) -> PyResult<()> {
        needs_labels(&self.unlabelled)?.observe(value);
        Ok(())
    }
});

/// One labelled summary.
#[pyclass(module = "srekit", name = "SummaryChild", frozen)]
pub(crate) struct PySummaryChild {
    inner: Summary,
}

#[pymethods]
impl PySummaryChild {
    /// Records one observation.
    fn observe(&self, value: f64) {
        self.inner.observe(value);
    }

    /// Number of observations.
    fn count(&self) -> u64 {
        self.inner.count()
    }

    /// Sum of observations.
    fn sum(&self) -> f64 {
        self.inner.sum()
    }
}

/// Adds the registry classes to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<PyRegistry>()?;
    module.add_class::<PyCounter>()?;
    module.add_class::<PyCounterChild>()?;
    module.add_class::<PyGauge>()?;
    module.add_class::<PyGaugeChild>()?;
    module.add_class::<PyHistogram>()?;
    module.add_class::<PyHistogramChild>()?;
    module.add_class::<PySummary>()?;
    module.add_class::<PySummaryChild>()?;
    Ok(())
}
