//! # srekit
//!
//! One fast, correct core for the three things an on-premise observability stack does on each host:
//!
//! 1. **encode metrics** in the Prometheus text format 0.0.4 and OpenMetrics 1.0 ([`expfmt`]), from an
//!    instrumentation [`metrics::Registry`] or from [`metrics::MetricFamily`] values;
//! 2. **collect host metrics** with node_exporter's names ([`host`]);
//! 3. **parse logs** (logfmt, LTSV, JSON, regex presets) and turn them into metrics ([`logs`]).
//!
//! ## Encoding metrics
//! ```
//! use srekit::metrics::Registry;
//! use srekit::expfmt::Format;
//!
//! let registry = Registry::new();
//! let latency = registry
//!     .histogram("http_request_duration_seconds", "Request latency.", &["route"], &[0.1, 0.5, 1.0])
//!     .unwrap();
//! latency.labels(&["/api"]).unwrap().observe(0.3);
//! let text = registry.encode_to_string(Format::Text);
//! assert!(text.contains("http_request_duration_seconds_bucket{route=\"/api\",le=\"0.5\"} 1\n"));
//! let om = registry.encode_to_string(Format::OpenMetrics);
//! assert!(om.ends_with("# EOF\n"));
//! ```

pub mod error;
pub mod expfmt;
pub mod host;
pub mod logs;
pub mod metrics;

pub use error::{ErrorCode, MetricError, ParseError, UnknownFormatError};
