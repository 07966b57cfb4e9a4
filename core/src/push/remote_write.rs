//! Prometheus remote write 1.0: the `prometheus.WriteRequest` protobuf messages (field numbers as in
//! Prometheus' `prompb/remote.proto` and `prompb/types.proto`) and the encoder from
//! [`MetricFamily`] values to a snappy-compressed request body. No I/O: a caller posts the bytes.
//!
//! Counters, gauges and untyped metrics are sent as they are; histograms and summaries as their
//! classic series (`_bucket`, `_sum`, `_count`, quantiles). `_created` samples are not sent (a
//! Prometheus scrape of text 0.0.4 does not make series of them either). Each series' labels are sorted
//! by name, as the protocol requires; external labels are added where a series lacks that label.

use prost::Message;

use super::{millis, PushError};
use crate::metrics::{Label as ModelLabel, MetricFamily, MetricType, Suffix};

/// `prometheus.WriteRequest`: series and, optionally, metadata.
#[derive(Clone, PartialEq, Message)]
pub struct WriteRequest {
    /// The series, each with its samples.
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
    /// One entry per metric family (type, help, unit).
    #[prost(message, repeated, tag = "3")]
    pub metadata: Vec<MetricMetadata>,
}

/// `prometheus.TimeSeries`: a label set (with `__name__`) and its samples in timestamp order.
#[derive(Clone, PartialEq, Message)]
pub struct TimeSeries {
    /// Labels sorted by name, `__name__` included.
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    /// Samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, Eq, Hash, Message)]
pub struct Label {
    /// Label name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Label value.
    #[prost(string, tag = "2")]
    pub value: String,
}

/// `prometheus.Sample`: a value at a time in milliseconds since the Unix epoch.
#[derive(Clone, PartialEq, Message)]
pub struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub value: f64,
    /// Unix time in milliseconds.
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// `prometheus.MetricMetadata`.
#[derive(Clone, PartialEq, Message)]
pub struct MetricMetadata {
    /// The type, as [`metadata_type`] numbers it.
    #[prost(int32, tag = "1")]
    pub r#type: i32,
    /// The family name as written in a text 0.0.4 `# TYPE` line (a counter's with `_total`).
    #[prost(string, tag = "2")]
    pub metric_family_name: String,
    /// Help text.
    #[prost(string, tag = "4")]
    pub help: String,
    /// Unit (may be empty).
    #[prost(string, tag = "5")]
    pub unit: String,
}

/// `MetricMetadata.MetricType` numbering of a model type.
///
/// ```
/// use srekit::metrics::MetricType;
/// assert_eq!(srekit::push::remote_write::metadata_type(MetricType::Counter), 1);
/// assert_eq!(srekit::push::remote_write::metadata_type(MetricType::Summary), 5);
/// ```
pub fn metadata_type(kind: MetricType) -> i32 {
    match kind {
        MetricType::Unknown => 0,
        MetricType::Counter => 1,
        MetricType::Gauge => 2,
        MetricType::Histogram => 3,
        MetricType::GaugeHistogram => 4,
        MetricType::Summary => 5,
        MetricType::Info => 6,
        MetricType::StateSet => 7,
    }
}

/// What to add to the families when building a [`WriteRequest`].
///
/// ```
/// let options = srekit::push::RemoteWriteOptions { timestamp_ms: 1_700_000_000_000, ..Default::default() };
/// assert!(options.metadata);
/// ```
#[derive(Debug, Clone)]
pub struct RemoteWriteOptions {
    /// Timestamp (Unix milliseconds) of samples that carry none of their own.
    pub timestamp_ms: i64,
    /// Labels added to every series that does not already have a label of that name.
    pub external_labels: Vec<ModelLabel>,
    /// Send one `MetricMetadata` per family.
    pub metadata: bool,
}

impl Default for RemoteWriteOptions {
    fn default() -> Self {
        RemoteWriteOptions { timestamp_ms: 0, external_labels: Vec::new(), metadata: true }
    }
}

/// Builds the `WriteRequest` for `families`: one series per sample (`_created` samples skipped).
///
/// ```
/// use srekit::metrics::MetricFamily;
/// use srekit::push::{remote_write::write_request, RemoteWriteOptions};
/// let mut up = MetricFamily::gauge("up", "Up.");
/// up.push(vec![("job".into(), "node".into())], 1.0);
/// let options = RemoteWriteOptions {
///     timestamp_ms: 1000,
///     external_labels: vec![("cluster".into(), "prod".into())],
///     ..Default::default()
/// };
/// let request = write_request(&[up], &options);
/// let names: Vec<&str> = request.timeseries[0].labels.iter().map(|l| l.name.as_str()).collect();
/// assert_eq!(names, ["__name__", "cluster", "job"]);
/// assert_eq!(request.timeseries[0].samples[0].timestamp, 1000);
/// ```
pub fn write_request(families: &[MetricFamily], options: &RemoteWriteOptions) -> WriteRequest {
    let mut request = WriteRequest::default();
    let mut name = String::new();
    for family in families {
        if options.metadata {
            request.metadata.push(MetricMetadata {
                r#type: metadata_type(family.kind),
                metric_family_name: metadata_name(family),
                help: family.help.clone(),
                unit: family.unit.clone(),
            });
        }
        for sample in &family.samples {
            if sample.suffix == Suffix::Created {
                continue;
            }
            name.clear();
            name.push_str(&family.name);
            name.push_str(sample.suffix.as_str());
            let mut labels = Vec::with_capacity(sample.labels.len() + options.external_labels.len() + 1);
            labels.push(Label { name: "__name__".to_owned(), value: name.clone() });
            for (key, value) in &sample.labels {
                labels.push(Label { name: key.clone(), value: value.clone() });
            }
            for (key, value) in &options.external_labels {
                if !sample.labels.iter().any(|(k, _)| k == key) {
                    labels.push(Label { name: key.clone(), value: value.clone() });
                }
            }
            labels.sort_by(|a, b| a.name.cmp(&b.name));
            labels.dedup_by(|a, b| a.name == b.name);
            let timestamp = sample.timestamp.map(millis).unwrap_or(options.timestamp_ms);
            request
                .timeseries
                .push(TimeSeries { labels, samples: vec![Sample { value: sample.value, timestamp }] });
        }
    }
    request
}

/// The name Prometheus gives a family in metadata: as written after `# TYPE` in text 0.0.4.
fn metadata_name(family: &MetricFamily) -> String {
    match family.kind {
        MetricType::Counter => family.sample_name(Suffix::Total),
        MetricType::Info => family.sample_name(Suffix::Info),
        _ => family.name.clone(),
    }
}

/// Serialises and snappy-compresses (block format) a request: the body of a remote-write POST.
///
/// ```
/// use srekit::push::remote_write::{compress, decompress, WriteRequest};
/// let body = compress(&WriteRequest::default());
/// assert_eq!(decompress(&body).unwrap(), WriteRequest::default());
/// ```
pub fn compress(request: &WriteRequest) -> Vec<u8> {
    let raw = request.encode_to_vec();
    // Compressing a slice into a buffer of `max_compress_len` cannot fail.
    snap::raw::Encoder::new().compress_vec(&raw).unwrap_or_default()
}

/// Reads a remote-write body back: snappy block decompression, then protobuf decoding.
///
/// ```
/// let err = srekit::push::remote_write::decompress(b"\xff\xff\xff").unwrap_err();
/// assert_eq!(err.code(), "exposition.parse");
/// ```
pub fn decompress(body: &[u8]) -> Result<WriteRequest, PushError> {
    let raw = snap::raw::Decoder::new()
        .decompress_vec(body)
        .map_err(|e| PushError::Decode(format!("snappy: {e}")))?;
    WriteRequest::decode(raw.as_slice()).map_err(|e| PushError::Decode(format!("protobuf: {e}")))
}

/// Encodes `families` as one remote-write 1.0 body (protobuf `WriteRequest`, snappy block format), to
/// be POSTed with `Content-Encoding: snappy`, `Content-Type: application/x-protobuf` and
/// `X-Prometheus-Remote-Write-Version: 0.1.0`.
///
/// ```
/// use srekit::metrics::MetricFamily;
/// use srekit::push::{encode_remote_write, remote_write::decompress, RemoteWriteOptions};
/// let mut jobs = MetricFamily::counter("jobs", "Jobs done.");
/// jobs.push(vec![], 3.0);
/// let body = encode_remote_write(&[jobs], &RemoteWriteOptions { timestamp_ms: 5, ..Default::default() });
/// let request = decompress(&body).unwrap();
/// assert_eq!(request.timeseries[0].labels[0].value, "jobs_total");
/// assert_eq!(request.timeseries[0].samples[0].value, 3.0);
/// assert_eq!(request.metadata[0].metric_family_name, "jobs_total");
/// ```
pub fn encode_remote_write(families: &[MetricFamily], options: &RemoteWriteOptions) -> Vec<u8> {
    compress(&write_request(families, options))
}

/// Splits a request into requests of at most `max_samples` samples each, series kept whole and in
/// order (metadata goes with the first), so batches stay bounded.
///
/// ```
/// use srekit::metrics::MetricFamily;
/// use srekit::push::remote_write::{split, write_request};
/// let mut g = MetricFamily::gauge("g", "G.");
/// for i in 0..5 { g.push(vec![("i".into(), i.to_string())], 1.0); }
/// let parts = split(write_request(&[g], &Default::default()), 2);
/// assert_eq!(parts.iter().map(|p| p.timeseries.len()).collect::<Vec<_>>(), [2, 2, 1]);
/// ```
pub fn split(request: WriteRequest, max_samples: usize) -> Vec<WriteRequest> {
    let max_samples = max_samples.max(1);
    let mut parts = Vec::new();
    let mut current = WriteRequest { timeseries: Vec::new(), metadata: request.metadata };
    let mut count = 0;
    for series in request.timeseries {
        if count > 0 && count + series.samples.len() > max_samples {
            parts.push(std::mem::take(&mut current));
            count = 0;
        }
        count += series.samples.len();
        current.timeseries.push(series);
    }
    if !current.timeseries.is_empty() || !current.metadata.is_empty() || parts.is_empty() {
        parts.push(current);
    }
    parts
}
