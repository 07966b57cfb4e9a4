//! The OTLP metrics messages srekit sends, as `prost` structs with the field numbers of
//! opentelemetry-proto's `collector/metrics/v1/metrics_service.proto`, `metrics/v1/metrics.proto`,
//! `common/v1/common.proto` and `resource/v1/resource.proto`. Fields srekit never fills (exemplars,
//! exponential histograms, schema URLs) are left out: a receiver reads them as absent.

use prost::{Message, Oneof};

/// `ExportMetricsServiceRequest`: the body of an OTLP/HTTP `POST /v1/metrics`.
#[derive(Clone, PartialEq, Message)]
pub struct ExportMetricsServiceRequest {
    /// One entry per resource (srekit sends one).
    #[prost(message, repeated, tag = "1")]
    pub resource_metrics: Vec<ResourceMetrics>,
}

/// `ResourceMetrics`.
#[derive(Clone, PartialEq, Message)]
pub struct ResourceMetrics {
    /// The resource (host, service, external labels).
    #[prost(message, optional, tag = "1")]
    pub resource: Option<Resource>,
    /// Metrics grouped by instrumentation scope.
    #[prost(message, repeated, tag = "2")]
    pub scope_metrics: Vec<ScopeMetrics>,
}

/// `Resource`.
#[derive(Clone, PartialEq, Message)]
pub struct Resource {
    /// Resource attributes.
    #[prost(message, repeated, tag = "1")]
    pub attributes: Vec<KeyValue>,
}

/// `ScopeMetrics`.
#[derive(Clone, PartialEq, Message)]
pub struct ScopeMetrics {
    /// The instrumentation scope.
    #[prost(message, optional, tag = "1")]
    pub scope: Option<InstrumentationScope>,
    /// The metrics.
    #[prost(message, repeated, tag = "2")]
    pub metrics: Vec<Metric>,
}

/// `InstrumentationScope`.
#[derive(Clone, PartialEq, Message)]
pub struct InstrumentationScope {
    /// Scope name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Scope version.
    #[prost(string, tag = "2")]
    pub version: String,
}

/// `KeyValue` with a string value (`AnyValue.string_value`).
#[derive(Clone, PartialEq, Message)]
pub struct KeyValue {
    /// Attribute key.
    #[prost(string, tag = "1")]
    pub key: String,
    /// Attribute value.
    #[prost(message, optional, tag = "2")]
    pub value: Option<AnyValue>,
}

/// `AnyValue`, string variant only.
#[derive(Clone, PartialEq, Message)]
pub struct AnyValue {
    /// `string_value` (field 1 of the `value` oneof).
    #[prost(string, optional, tag = "1")]
    pub string_value: Option<String>,
}

/// `Metric`: name, description, unit and one kind of data.
#[derive(Clone, PartialEq, Message)]
pub struct Metric {
    /// Metric name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Description (help text).
    #[prost(string, tag = "2")]
    pub description: String,
    /// Unit.
    #[prost(string, tag = "3")]
    pub unit: String,
    /// The data.
    #[prost(oneof = "Data", tags = "5, 7, 9, 11")]
    pub data: Option<Data>,
}

/// `Metric.data`.
#[derive(Clone, PartialEq, Oneof)]
pub enum Data {
    /// A gauge.
    #[prost(message, tag = "5")]
    Gauge(Gauge),
    /// A sum (counters: monotonic, cumulative).
    #[prost(message, tag = "7")]
    Sum(Sum),
    /// An explicit-bucket histogram.
    #[prost(message, tag = "9")]
    Histogram(Histogram),
    /// A summary.
    #[prost(message, tag = "11")]
    Summary(Summary),
}

/// `AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE`.
pub const CUMULATIVE: i32 = 2;

/// `Gauge`.
#[derive(Clone, PartialEq, Message)]
pub struct Gauge {
    /// Points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<NumberDataPoint>,
}

/// `Sum`.
#[derive(Clone, PartialEq, Message)]
pub struct Sum {
    /// Points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<NumberDataPoint>,
    /// `AggregationTemporality` ([`CUMULATIVE`]).
    #[prost(int32, tag = "2")]
    pub aggregation_temporality: i32,
    /// Whether the sum only goes up.
    #[prost(bool, tag = "3")]
    pub is_monotonic: bool,
}

/// `Histogram`.
#[derive(Clone, PartialEq, Message)]
pub struct Histogram {
    /// Points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<HistogramDataPoint>,
    /// `AggregationTemporality` ([`CUMULATIVE`]).
    #[prost(int32, tag = "2")]
    pub aggregation_temporality: i32,
}

/// `Summary`.
#[derive(Clone, PartialEq, Message)]
pub struct Summary {
    /// Points.
    #[prost(message, repeated, tag = "1")]
    pub data_points: Vec<SummaryDataPoint>,
}

/// `NumberDataPoint` with a double value.
#[derive(Clone, PartialEq, Message)]
pub struct NumberDataPoint {
    /// Attributes (the series' labels).
    #[prost(message, repeated, tag = "7")]
    pub attributes: Vec<KeyValue>,
    /// Start of the cumulative interval (Unix nanoseconds; 0 when unknown).
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// Time of the value (Unix nanoseconds).
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// `as_double` (field 4 of the `value` oneof).
    #[prost(double, optional, tag = "4")]
    pub as_double: Option<f64>,
}

/// `HistogramDataPoint`.
#[derive(Clone, PartialEq, Message)]
pub struct HistogramDataPoint {
    /// Attributes (the series' labels, without `le`).
    #[prost(message, repeated, tag = "9")]
    pub attributes: Vec<KeyValue>,
    /// Start of the cumulative interval (Unix nanoseconds; 0 when unknown).
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// Time of the value (Unix nanoseconds).
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Number of observations.
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Sum of observations.
    #[prost(double, optional, tag = "5")]
    pub sum: Option<f64>,
    /// Per-bucket (not cumulative) counts, one more than `explicit_bounds`.
    #[prost(fixed64, repeated, tag = "6")]
    pub bucket_counts: Vec<u64>,
    /// Upper bounds of all buckets but the last (`+Inf`).
    #[prost(double, repeated, tag = "7")]
    pub explicit_bounds: Vec<f64>,
}

/// `SummaryDataPoint`.
#[derive(Clone, PartialEq, Message)]
pub struct SummaryDataPoint {
    /// Attributes (the series' labels, without `quantile`).
    #[prost(message, repeated, tag = "7")]
    pub attributes: Vec<KeyValue>,
    /// Start of the cumulative interval (Unix nanoseconds; 0 when unknown).
    #[prost(fixed64, tag = "2")]
    pub start_time_unix_nano: u64,
    /// Time of the value (Unix nanoseconds).
    #[prost(fixed64, tag = "3")]
    pub time_unix_nano: u64,
    /// Number of observations.
    #[prost(fixed64, tag = "4")]
    pub count: u64,
    /// Sum of observations.
    #[prost(double, tag = "5")]
    pub sum: f64,
    /// Quantiles.
    #[prost(message, repeated, tag = "6")]
    pub quantile_values: Vec<ValueAtQuantile>,
}

/// `SummaryDataPoint.ValueAtQuantile`.
#[derive(Clone, PartialEq, Message)]
pub struct ValueAtQuantile {
    /// The quantile (0..=1).
    #[prost(double, tag = "1")]
    pub quantile: f64,
    /// Its value.
    #[prost(double, tag = "2")]
    pub value: f64,
}
