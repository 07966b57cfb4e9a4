//! Push encoders, no I/O: metric families to a Prometheus remote write 1.0 body
//! ([`encode_remote_write`], snappy-compressed `WriteRequest`) and to an OTLP/HTTP protobuf body
//! ([`encode_otlp`], `ExportMetricsServiceRequest`, optionally gzip). A Rust service posts the bytes
//! with its own HTTP client; the exporter's `[[outputs]]` do it through a disk queue (crate
//! `srekit-push`).
//!
//! The protobuf messages are `prost` structs with the official field numbers
//! ([`remote_write`], [`otlp_proto`]), so a receiver (or a test) decodes what was sent with
//! [`remote_write::decompress`] or [`otlp::decode`].
//!
//! ```
//! use srekit::metrics::Registry;
//! use srekit::push::{encode_remote_write, remote_write::decompress, RemoteWriteOptions};
//!
//! let registry = Registry::new();
//! registry.counter("jobs_total", "Jobs done.", &["queue"]).unwrap().labels(&["a"]).unwrap().inc();
//! let options = RemoteWriteOptions { timestamp_ms: 1_700_000_000_000, ..Default::default() };
//! let body = encode_remote_write(&registry.gather(), &options);
//! let request = decompress(&body).unwrap();
//! assert_eq!(request.timeseries[0].labels[0].value, "jobs_total");
//! assert_eq!(request.timeseries[0].samples[0].value, 1.0);
//! ```

pub mod otlp;
pub mod otlp_proto;
pub mod remote_write;

pub use otlp::{encode_otlp, OtlpOptions};
pub use remote_write::{encode_remote_write, RemoteWriteOptions};

use thiserror::Error;

use crate::error::codes;

/// A push body that does not decode (what [`remote_write::decompress`] and [`otlp::decode`] return).
///
/// ```
/// let err = srekit::push::remote_write::decompress(b"nonsense").unwrap_err();
/// assert!(err.to_string().starts_with("push body does not decode"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PushError {
    /// Decompression or protobuf decoding failed; the message names the layer and the byte offset
    /// where the decoder says.
    #[error("push body does not decode: {0}")]
    Decode(String),
    /// A push format name other than `remote_write` / `otlp`.
    #[error("unknown push format {0:?} (expected \"remote_write\" or \"otlp\")")]
    UnknownFormat(String),
}

impl PushError {
    /// The error's stable code: `exposition.parse` for a body that does not decode,
    /// `exposition.unknown_format` for a format name.
    ///
    /// ```
    /// use srekit::push::PushError;
    /// assert_eq!(PushError::Decode("x".into()).code(), "exposition.parse");
    /// assert_eq!(PushError::UnknownFormat("x".into()).code(), "exposition.unknown_format");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            PushError::Decode(_) => codes::EXPOSITION_PARSE,
            PushError::UnknownFormat(_) => codes::EXPOSITION_UNKNOWN_FORMAT,
        }
    }
}

crate::error::impl_error_code!(PushError);

/// The two push encodings, by the names the bindings take.
///
/// ```
/// use srekit::push::PushFormat;
/// assert_eq!("otlp".parse::<PushFormat>(), Ok(PushFormat::Otlp));
/// assert_eq!("xml".parse::<PushFormat>().unwrap_err().code(), "exposition.unknown_format");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushFormat {
    /// Prometheus remote write 1.0 (snappy-compressed protobuf).
    RemoteWrite,
    /// OTLP/HTTP protobuf (uncompressed).
    Otlp,
}

impl std::str::FromStr for PushFormat {
    type Err = PushError;

    fn from_str(name: &str) -> Result<PushFormat, PushError> {
        match name.to_ascii_lowercase().as_str() {
            "remote_write" | "remote-write" | "prometheus_remote_write" => Ok(PushFormat::RemoteWrite),
            "otlp" => Ok(PushFormat::Otlp),
            _ => Err(PushError::UnknownFormat(name.to_owned())),
        }
    }
}

impl PushFormat {
    /// Encodes `families` with default options and samples stamped `timestamp_ms` (what the
    /// bindings' `encode("remote_write" | "otlp")` return, with the current time).
    ///
    /// ```
    /// use srekit::metrics::MetricFamily;
    /// use srekit::push::{otlp, PushFormat};
    /// let mut up = MetricFamily::gauge("up", "Up.");
    /// up.push(vec![], 1.0);
    /// let body = PushFormat::Otlp.encode(&[up], 1_000);
    /// let request = otlp::decode(&body, false).unwrap();
    /// assert_eq!(request.resource_metrics[0].scope_metrics[0].metrics[0].name, "up");
    /// ```
    pub fn encode(self, families: &[crate::metrics::MetricFamily], timestamp_ms: i64) -> Vec<u8> {
        match self {
            PushFormat::RemoteWrite => {
                encode_remote_write(families, &RemoteWriteOptions { timestamp_ms, ..Default::default() })
            }
            PushFormat::Otlp => encode_otlp(families, &OtlpOptions { timestamp_ms, ..Default::default() }),
        }
    }

    /// [`encode`](Self::encode) with the current time.
    ///
    /// ```
    /// let body = srekit::push::PushFormat::RemoteWrite.encode_now(&[]);
    /// assert!(srekit::push::remote_write::decompress(&body).unwrap().timeseries.is_empty());
    /// ```
    pub fn encode_now(self, families: &[crate::metrics::MetricFamily]) -> Vec<u8> {
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        self.encode(families, now.as_millis() as i64)
    }
}

/// Unix seconds (a sample's timestamp) to milliseconds, rounded; out-of-range values saturate.
pub(crate) fn millis(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

#[cfg(test)]
mod tests;
