//! OTLP/HTTP protobuf: the encoder from [`MetricFamily`] values to an `ExportMetricsServiceRequest`
//! body (optionally gzip-compressed). No I/O: a caller posts the bytes to `.../v1/metrics`.
//!
//! Counters become monotonic cumulative sums (named without `_total`, start time from `_created`
//! when the family has it), gauges, untyped, info and state-set metrics gauges, histograms
//! explicit-bucket cumulative histograms (bucket counts per bucket, not cumulative), summaries
//! summaries. A series' labels become the point's attributes (`le` and `quantile` excepted).

use std::collections::HashMap;
use std::io::Write;

use prost::Message;

use super::otlp_proto::*;
use super::{millis, PushError};
use crate::metrics::{Label, MetricFamily, MetricType, Suffix};

/// What to add to the families when building an [`ExportMetricsServiceRequest`].
///
/// ```
/// let options = srekit::push::OtlpOptions {
///     resource: vec![("service.name".into(), "batch".into())],
///     ..Default::default()
/// };
/// assert_eq!(options.scope_name, "srekit");
/// ```
#[derive(Debug, Clone)]
pub struct OtlpOptions {
    /// Timestamp (Unix milliseconds) of samples that carry none of their own.
    pub timestamp_ms: i64,
    /// Start time (Unix milliseconds) of cumulative points whose family has no `_created` sample.
    pub start_time_ms: i64,
    /// Resource attributes (`service.name`, `host.name`, external labels).
    pub resource: Vec<Label>,
    /// The instrumentation scope's name.
    pub scope_name: String,
    /// Compress the body with gzip (to be sent with `Content-Encoding: gzip`).
    pub gzip: bool,
}

impl Default for OtlpOptions {
    fn default() -> Self {
        OtlpOptions {
            timestamp_ms: 0,
            start_time_ms: 0,
            resource: Vec::new(),
            scope_name: "srekit".to_owned(),
            gzip: false,
        }
    }
}

/// One series of a family, its samples gathered (a histogram's buckets, sum, count...).
#[derive(Default)]
struct Series {
    labels: Vec<Label>,
    value: f64,
    timestamp: Option<f64>,
    created: Option<f64>,
    sum: f64,
    count: f64,
    buckets: Vec<(f64, f64)>,
    quantiles: Vec<(f64, f64)>,
}

/// The family's samples grouped by series (labels without `le` / `quantile`), in first-seen order.
fn group(family: &MetricFamily) -> Vec<Series> {
    use std::hash::{Hash, Hasher};
    let histogram = matches!(family.kind, MetricType::Histogram | MetricType::GaugeHistogram);
    let summary = family.kind == MetricType::Summary;
    let kept = |(k, _): &&Label| !((histogram && k == "le") || (summary && k == "quantile"));
    let mut series: Vec<Series> = Vec::new();
    // Slots by a hash of the series' labels, consulted when a sample does not belong to the series
    // of the sample before it (the usual layout keeps a series' samples together).
    let mut index: HashMap<u64, Vec<usize>> = HashMap::new();
    for sample in &family.samples {
        let find = |key: &str| sample.labels.iter().find(|(k, _)| k == key).map(|(_, v)| parse_bound(v));
        let bound = if histogram { find("le") } else { None };
        let quantile = if summary { find("quantile") } else { None };
        let same = |s: &Series| s.labels.iter().eq(sample.labels.iter().filter(kept));
        let slot = match series.last() {
            Some(last) if same(last) => series.len() - 1,
            _ => {
                let mut hasher = std::collections::hash_map::DefaultHasher::new();
                for label in sample.labels.iter().filter(kept) {
                    label.hash(&mut hasher);
                }
                let slots = index.entry(hasher.finish()).or_default();
                match slots.iter().copied().find(|&slot| same(&series[slot])) {
                    Some(slot) => slot,
                    None => {
                        slots.push(series.len());
                        let labels = sample.labels.iter().filter(kept).cloned().collect();
                        series.push(Series { labels, ..Series::default() });
                        series.len() - 1
                    }
                }
            }
        };
        let entry = &mut series[slot];
        if sample.suffix != Suffix::Created && sample.timestamp.is_some() {
            entry.timestamp = sample.timestamp;
        }
        match (sample.suffix, bound, quantile) {
            (Suffix::Created, _, _) => entry.created = Some(sample.value),
            (Suffix::Bucket, Some(le), _) => entry.buckets.push((le, sample.value)),
            (Suffix::Sum | Suffix::Gsum, _, _) => entry.sum = sample.value,
            (Suffix::Count | Suffix::Gcount, _, _) => entry.count = sample.value,
            (_, _, Some(q)) => entry.quantiles.push((q, sample.value)),
            _ => entry.value = sample.value,
        }
    }
    series
}

fn parse_bound(text: &str) -> f64 {
    match text {
        "+Inf" | "Inf" | "inf" => f64::INFINITY,
        "-Inf" | "-inf" => f64::NEG_INFINITY,
        _ => text.parse().unwrap_or(f64::INFINITY),
    }
}

fn attributes(labels: &[Label]) -> Vec<KeyValue> {
    labels.iter().map(|(k, v)| string_attribute(k, v)).collect()
}

/// A series' labels as attributes, its strings moved rather than copied.
fn take_attributes(series: &mut Series) -> Vec<KeyValue> {
    std::mem::take(&mut series.labels)
        .into_iter()
        .map(|(key, value)| KeyValue { key, value: Some(AnyValue { string_value: Some(value) }) })
        .collect()
}

fn string_attribute(key: &str, value: &str) -> KeyValue {
    KeyValue { key: key.to_owned(), value: Some(AnyValue { string_value: Some(value.to_owned()) }) }
}

fn nanos_of_millis(ms: i64) -> u64 {
    u64::try_from(ms).unwrap_or(0).saturating_mul(1_000_000)
}

fn nanos_of_seconds(seconds: f64) -> u64 {
    nanos_of_millis(millis(seconds))
}

/// Converts one family into an OTLP `Metric`.
fn metric(family: &MetricFamily, options: &OtlpOptions) -> Metric {
    let default_time = nanos_of_millis(options.timestamp_ms);
    let mut series = group(family);
    let time = |s: &Series| s.timestamp.map(nanos_of_seconds).unwrap_or(default_time);
    // Never after the point's time (when there is one): a series created within the millisecond the
    // collection was stamped with would otherwise start after its own point (the clock is read at two
    // precisions).
    let start = |s: &Series| {
        let start = s.created.map(nanos_of_seconds).unwrap_or_else(|| nanos_of_millis(options.start_time_ms));
        match time(s) {
            0 => start,
            time => start.min(time),
        }
    };
    let mut number_points = |with_start: bool| -> Vec<NumberDataPoint> {
        series
            .iter_mut()
            .map(|s| NumberDataPoint {
                start_time_unix_nano: if with_start { start(s) } else { 0 },
                time_unix_nano: time(s),
                as_double: Some(s.value),
                attributes: take_attributes(s),
            })
            .collect()
    };
    let data = match family.kind {
        MetricType::Counter => Data::Sum(Sum {
            data_points: number_points(true),
            aggregation_temporality: CUMULATIVE,
            is_monotonic: true,
        }),
        MetricType::Histogram | MetricType::GaugeHistogram => Data::Histogram(Histogram {
            data_points: series
                .iter_mut()
                .map(|s| {
                    let (time, start) = (time(s), start(s));
                    histogram_point(s, time, start)
                })
                .collect(),
            aggregation_temporality: CUMULATIVE,
        }),
        MetricType::Summary => Data::Summary(Summary {
            data_points: series
                .iter_mut()
                .map(|s| SummaryDataPoint {
                    start_time_unix_nano: start(s),
                    time_unix_nano: time(s),
                    count: s.count as u64,
                    sum: s.sum,
                    quantile_values: s
                        .quantiles
                        .iter()
                        .map(|&(quantile, value)| ValueAtQuantile { quantile, value })
                        .collect(),
                    attributes: take_attributes(s),
                })
                .collect(),
        }),
        MetricType::Gauge | MetricType::Unknown | MetricType::Info | MetricType::StateSet => {
            Data::Gauge(Gauge { data_points: number_points(false) })
        }
    };
    let name = match family.kind {
        MetricType::Info => format!("{}_info", family.name),
        _ => family.name.clone(),
    };
    Metric { name, description: family.help.clone(), unit: family.unit.clone(), data: Some(data) }
}

/// A histogram point from cumulative `(le, count)` buckets: per-bucket counts, bounds without `+Inf`.
fn histogram_point(series: &mut Series, time: u64, start: u64) -> HistogramDataPoint {
    let mut buckets = std::mem::take(&mut series.buckets);
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut explicit_bounds = Vec::with_capacity(buckets.len());
    let mut bucket_counts = Vec::with_capacity(buckets.len() + 1);
    let mut previous = 0.0;
    for &(le, cumulative) in &buckets {
        if le.is_finite() {
            explicit_bounds.push(le);
        }
        bucket_counts.push((cumulative - previous).max(0.0) as u64);
        previous = cumulative;
    }
    let count = if series.count > 0.0 { series.count } else { previous };
    if buckets.last().is_none_or(|(le, _)| le.is_finite()) {
        // No `+Inf` bucket given: the rest of the count falls in the overflow bucket.
        bucket_counts.push((count - previous).max(0.0) as u64);
    }
    HistogramDataPoint {
        attributes: take_attributes(series),
        start_time_unix_nano: start,
        time_unix_nano: time,
        count: count as u64,
        sum: Some(series.sum),
        bucket_counts,
        explicit_bounds,
    }
}

/// Builds the OTLP request for `families`: one resource, one scope, one metric per family.
///
/// ```
/// use srekit::metrics::MetricFamily;
/// use srekit::push::otlp::export_request;
/// use srekit::push::otlp_proto::Data;
/// let mut jobs = MetricFamily::counter("jobs", "Jobs done.");
/// jobs.push(vec![("queue".into(), "a".into())], 3.0);
/// let request = export_request(&[jobs], &Default::default());
/// let metric = &request.resource_metrics[0].scope_metrics[0].metrics[0];
/// assert_eq!(metric.name, "jobs");
/// let Some(Data::Sum(sum)) = &metric.data else { panic!("not a sum") };
/// assert!(sum.is_monotonic);
/// assert_eq!(sum.data_points[0].as_double, Some(3.0));
/// ```
pub fn export_request(families: &[MetricFamily], options: &OtlpOptions) -> ExportMetricsServiceRequest {
    let metrics = families.iter().map(|family| metric(family, options)).collect();
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource { attributes: attributes(&options.resource) }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: options.scope_name.clone(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                }),
                metrics,
            }],
        }],
    }
}

/// Encodes `families` as an OTLP/HTTP protobuf body (`Content-Type: application/x-protobuf`), gzip
/// compressed when `options.gzip` is set.
///
/// ```
/// use srekit::metrics::MetricFamily;
/// use srekit::push::{encode_otlp, otlp::decode, OtlpOptions};
/// let mut up = MetricFamily::gauge("up", "Up.");
/// up.push(vec![], 1.0);
/// let body = encode_otlp(&[up], &OtlpOptions { gzip: true, ..Default::default() });
/// let request = decode(&body, true).unwrap();
/// assert_eq!(request.resource_metrics[0].scope_metrics[0].metrics[0].name, "up");
/// ```
pub fn encode_otlp(families: &[MetricFamily], options: &OtlpOptions) -> Vec<u8> {
    let raw = export_request(families, options).encode_to_vec();
    if !options.gzip {
        return raw;
    }
    let mut encoder =
        flate2::write::GzEncoder::new(Vec::with_capacity(raw.len() / 4), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    match encoder.write_all(&raw).and_then(|()| encoder.finish()) {
        Ok(body) => body,
        Err(_) => raw,
    }
}

/// Reads an OTLP body back (gunzipping first when `gzip`).
///
/// ```
/// let err = srekit::push::otlp::decode(b"\x0a\xff", false).unwrap_err();
/// assert_eq!(err.code(), "exposition.parse");
/// ```
pub fn decode(body: &[u8], gzip: bool) -> Result<ExportMetricsServiceRequest, PushError> {
    let raw;
    let bytes = if gzip {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(body), &mut out)
            .map_err(|e| PushError::Decode(format!("gzip: {e}")))?;
        raw = out;
        raw.as_slice()
    } else {
        body
    };
    ExportMetricsServiceRequest::decode(bytes).map_err(|e| PushError::Decode(format!("protobuf: {e}")))
}
