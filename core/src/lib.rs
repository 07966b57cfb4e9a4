//! # srekit
//!
//! One fast, correct core for the three things an on-premise observability stack does on each host:
//!
//! 1. **encode metrics** in the Prometheus text format 0.0.4 and OpenMetrics 1.0 ([`expfmt`]), from an
//!    instrumentation [`metrics::Registry`] or from [`metrics::MetricFamily`] values;
//! 2. **collect host metrics** with node_exporter's names ([`host`]);
//! 3. **parse logs** (logfmt, LTSV, JSON, regex presets) and turn them into metrics ([`logs`]).
//!
//! ## Layout
//!
//! - [`metrics`]: the data model ([`metrics::MetricFamily`]) and the instrumentation registry, one
//!   file per metric type over one generic labelled [`metrics::Family`] (labels, removal, clear);
//!   exemplars live in the counter and histogram cells. The registry shows itself through borrowed
//!   views and does not know the encoders.
//! - [`expfmt`]: text 0.0.4 and OpenMetrics encoders (walking the model or a registry's views), the
//!   parser, and `Accept` negotiation.
//! - [`host`]: the collectors, one file each under `host/collectors/`, each declaring itself (name,
//!   default, placement, constructor) next to its code, and the machinery that imports no collector:
//!   the option table ([`host::host_options`]) every front end follows, config, runner, readers.
//! - [`logs`]: the parsers, built only from one [`logs::ParserSpec`] (format, regex or preset, types,
//!   time) and fed by one chunked [`logs::Feed`]; rules (log -> metrics), tail and the pipeline.
//! - [`error`]: every error enum has a stable code ([`ErrorCode`]) that the Python and Node bindings
//!   map in one place each.
//!
//! ## Cargo features
//!
//! | feature | default | what it adds |
//! |---|---|---|
//! | `host` | yes | [`host`]: the collectors (pulls in zbus for systemd, regex, libc) |
//! | `logs` | yes | [`logs`]: parsers, rules, tail, pipeline (pulls in simd-json, serde, regex, glob) |
//!
//! | `push` | yes | [`push`]: remote-write and OTLP encoders, no I/O (pulls in prost, snap, flate2) |
//!
//! With `default-features = false` the crate is the metric model, the registry and the exposition
//! formats only.
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
//!
//! ## Collecting host metrics
//! ```
//! # #[cfg(feature = "host")] {
//! use srekit::host::{HostCollector, HostConfig};
//!
//! let mut config = HostConfig::default();
//! config.disable_defaults();
//! config.enable("loadavg").unwrap();
//! let families = HostCollector::new(config).unwrap().collect();
//! assert!(families.iter().any(|f| f.name == "node_load1"));
//! # }
//! ```
//!
//! ## Parsing logs
//! ```
//! # #[cfg(feature = "logs")] {
//! use srekit::logs::{ParserSpec, Value};
//!
//! let mut spec = ParserSpec::new("logfmt");
//! spec.types.insert("status".into(), "int".into());
//! let parser = spec.build().unwrap();
//! let record = parser.parse(b"method=GET status=200 path=/api").unwrap();
//! assert_eq!(record.get("status"), Some(&Value::Int(200)));
//! # }
//! ```

pub mod duration;
pub mod error;
pub mod expfmt;
#[cfg(feature = "host")]
pub mod host;
#[cfg(feature = "logs")]
pub mod logs;
pub mod metrics;
#[cfg(feature = "push")]
pub mod push;
#[cfg(feature = "arrow")]
mod short_copy;
#[cfg(any(feature = "host", feature = "logs"))]
mod short_eq;

/// README.md's Rust blocks, run as doc tests (tests/readme/README.md says how every README block runs).
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
mod readme_doctests {}

pub use error::{ErrorCode, MetricError, ParseError, UnknownFormatError};
