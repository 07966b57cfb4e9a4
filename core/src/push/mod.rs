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
}

impl PushError {
    /// The error's stable code: `exposition.parse`.
    ///
    /// ```
    /// assert_eq!(srekit::push::PushError::Decode("x".into()).code(), "exposition.parse");
    /// ```
    pub fn code(&self) -> &'static str {
        codes::EXPOSITION_PARSE
    }
}

crate::error::impl_error_code!(PushError);

/// Unix seconds (a sample's timestamp) to milliseconds, rounded; out-of-range values saturate.
pub(crate) fn millis(seconds: f64) -> i64 {
    (seconds * 1000.0).round() as i64
}

#[cfg(test)]
mod tests;
