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
use crate::metrics::{Label as ModelLabel, MetricFamily, MetricType, Sample as ModelSample, Suffix};

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
    let mut none = Vec::new();
    for family in families {
        if options.metadata {
            request.metadata.push(family_metadata(family));
        }
        for sample in family.samples.iter().filter(|s| s.suffix != Suffix::Created) {
            let mut series = TimeSeries::default();
            fill_series(&mut series, family, sample, options, &mut none);
            request.timeseries.push(series);
        }
    }
    request
}

/// The `MetricMetadata` of a family.
fn family_metadata(family: &MetricFamily) -> MetricMetadata {
    MetricMetadata {
        r#type: metadata_type(family.kind),
        metric_family_name: metadata_name(family),
        help: family.help.clone(),
        unit: family.unit.clone(),
    }
}

/// Makes `series` the series of `sample`: `__name__`, the sample's labels and the external labels it
/// lacks, sorted by name (first of a name kept), and its one sample. The `Label` values already in
/// `series` and in `spare` are reused (their strings overwritten), so an encoder that keeps them
/// between series allocates nothing once warm.
fn fill_series(
    series: &mut TimeSeries,
    family: &MetricFamily,
    sample: &ModelSample,
    options: &RemoteWriteOptions,
    spare: &mut Vec<Label>,
) {
    spare.append(&mut series.labels);
    let mut put = |name: &str, first: &str, second: &str| {
        let mut label = spare.pop().unwrap_or_default();
        label.name.clear();
        label.name.push_str(name);
        label.value.clear();
        label.value.push_str(first);
        label.value.push_str(second);
        series.labels.push(label);
    };
    put("__name__", &family.name, sample.suffix.as_str());
    for (key, value) in &sample.labels {
        put(key, value, "");
    }
    for (key, value) in &options.external_labels {
        if !sample.labels.iter().any(|(k, _)| k == key) {
            put(key, value, "");
        }
    }
    // Stable, so of two labels of one name the first pushed (`__name__`, then the sample's) is kept.
    series.labels.sort_by(|a, b| a.name.cmp(&b.name));
    let mut index = 1;
    while index < series.labels.len() {
        if series.labels[index].name == series.labels[index - 1].name {
            spare.push(series.labels.remove(index));
        } else {
            index += 1;
        }
    }
    let timestamp = sample.timestamp.map(millis).unwrap_or(options.timestamp_ms);
    series.samples.clear();
    series.samples.push(Sample { value: sample.value, timestamp });
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
    let mut batches = RemoteWriteEncoder::new().encode(families, options, usize::MAX);
    batches.pop().map(|batch| batch.body).unwrap_or_default()
}

/// One request body made by [`RemoteWriteEncoder::encode`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// Samples in it (one per series).
    pub samples: u32,
    /// The snappy-compressed `WriteRequest`, ready to POST.
    pub body: Vec<u8>,
}

/// Encodes families straight to remote-write bodies of at most `max_samples` samples each (what
/// [`write_request`], [`split`] and [`compress`] make, byte for byte, metadata in the first body),
/// without building a [`WriteRequest`]: each series is filled into one reused [`TimeSeries`] whose
/// label strings keep their buffers, encoded with prost's codec into a reused buffer, and the buffer
/// compressed with a reused snappy encoder. Keep one encoder per push loop.
///
/// ```
/// use srekit::metrics::MetricFamily;
/// use srekit::push::remote_write::{decompress, RemoteWriteEncoder};
/// use srekit::push::RemoteWriteOptions;
/// let mut g = MetricFamily::gauge("g", "G.");
/// for i in 0..5 { g.push(vec![("i".into(), i.to_string())], 1.0); }
/// let mut encoder = RemoteWriteEncoder::new();
/// let batches = encoder.encode(&[g], &RemoteWriteOptions::default(), 2);
/// assert_eq!(batches.iter().map(|b| b.samples).collect::<Vec<_>>(), [2, 2, 1]);
/// let first = decompress(&batches[0].body).unwrap();
/// assert_eq!((first.timeseries.len(), first.metadata.len()), (2, 1));
/// assert!(decompress(&batches[1].body).unwrap().metadata.is_empty());
/// ```
pub struct RemoteWriteEncoder {
    series: TimeSeries,
    spare: Vec<Label>,
    metadata: Vec<u8>,
    raw: Vec<u8>,
    snappy: snap::raw::Encoder,
}

impl std::fmt::Debug for RemoteWriteEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWriteEncoder").field("buffer_capacity", &self.raw.capacity()).finish()
    }
}

impl Default for RemoteWriteEncoder {
    fn default() -> Self {
        RemoteWriteEncoder::new()
    }
}

impl RemoteWriteEncoder {
    /// An encoder with empty buffers (they grow to the largest request made).
    pub fn new() -> RemoteWriteEncoder {
        RemoteWriteEncoder {
            series: TimeSeries::default(),
            spare: Vec::new(),
            metadata: Vec::new(),
            raw: Vec::new(),
            snappy: snap::raw::Encoder::new(),
        }
    }

    /// The bodies for `families`, in order, each of at most `max_samples` samples (at least one
    /// body, even for no samples, so metadata-only and empty requests are sent as before).
    pub fn encode(
        &mut self,
        families: &[MetricFamily],
        options: &RemoteWriteOptions,
        max_samples: usize,
    ) -> Vec<Batch> {
        let max_samples = max_samples.clamp(1, u32::MAX as usize) as u32;
        self.metadata.clear();
        if options.metadata {
            for family in families {
                prost::encoding::message::encode(3, &family_metadata(family), &mut self.metadata);
            }
        }
        self.raw.clear();
        let mut batches = Vec::new();
        let mut count = 0;
        for family in families {
            for sample in family.samples.iter().filter(|s| s.suffix != Suffix::Created) {
                if count == max_samples {
                    self.close(&mut batches, count);
                    count = 0;
                }
                fill_series(&mut self.series, family, sample, options, &mut self.spare);
                prost::encoding::message::encode(1, &self.series, &mut self.raw);
                count += 1;
            }
        }
        if count > 0 || batches.is_empty() {
            self.close(&mut batches, count);
        }
        batches
    }

    /// Compresses the buffered series (and, in the first body, the metadata) into a batch.
    fn close(&mut self, batches: &mut Vec<Batch>, samples: u32) {
        if batches.is_empty() {
            self.raw.extend_from_slice(&self.metadata);
        }
        let mut body = vec![0; snap::raw::max_compress_len(self.raw.len())];
        // The output is `max_compress_len` long, so compressing cannot fail.
        let length = self.snappy.compress(&self.raw, &mut body).unwrap_or(0);
        body.truncate(length);
        batches.push(Batch { samples, body });
        self.raw.clear();
    }
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
