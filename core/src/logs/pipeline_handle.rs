//! What a spawned [`Pipeline`](super::pipeline::Pipeline) hands out: the handle that stops its thread
//! ([`PipelineHandle`]) and its metrics, readable and encodable while it runs ([`PipelineMetrics`]).

use std::sync::mpsc;
use std::thread;

use bytes::BufMut;

use super::pipeline::PipelineError;
use super::pipeline_state::PipelineState;
use crate::expfmt::{self, Format};
use crate::metrics::{MetricFamily, Registry};

/// A pipeline running on its own thread (see [`Pipeline::spawn`]).
///
/// ```
/// let handle = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().spawn(|_| {}).unwrap();
/// handle.shutdown().unwrap();
/// ```
pub struct PipelineHandle {
    pub(super) stop: mpsc::Sender<()>,
    pub(super) thread: thread::JoinHandle<Result<PipelineState, PipelineError>>,
    pub(super) metrics: PipelineMetrics,
}

impl std::fmt::Debug for PipelineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineHandle").field("thread", &self.thread).finish()
    }
}

impl PipelineHandle {
    /// The pipeline's metrics.
    ///
    /// ```
    /// let handle = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().spawn(|_| {}).unwrap();
    /// assert!(handle.metrics().gather().iter().any(|f| f.name == "srekit_log_lines"));
    /// handle.shutdown().unwrap();
    /// ```
    pub fn metrics(&self) -> PipelineMetrics {
        self.metrics.clone()
    }

    /// Stops the thread after a last poll and stores the checkpoints; returns once they are written.
    ///
    /// ```
    /// let handle = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().spawn(|_| {}).unwrap();
    /// assert!(handle.shutdown().is_ok());
    /// ```
    pub fn shutdown(self) -> Result<(), PipelineError> {
        self.shutdown_with_state().map(|_| ())
    }

    /// Like [`shutdown`](PipelineHandle::shutdown), returning the state stored: offsets, built-in
    /// counts and rule series, for [`Pipeline::resume`](super::pipeline::Pipeline::resume) with a
    /// changed config (it needs no state directory).
    ///
    /// ```
    /// let handle = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().spawn(|_| {}).unwrap();
    /// assert!(handle.shutdown_with_state().unwrap().inputs.is_empty());
    /// ```
    pub fn shutdown_with_state(self) -> Result<PipelineState, PipelineError> {
        let _ = self.stop.send(());
        self.thread.join().map_err(|_| PipelineError::ThreadPanicked)?
    }
}

/// The metrics of a pipeline: its registry (whose counters and histograms keep the rules' exemplars,
/// written only in OpenMetrics output). Cheap to clone; safe to encode while the pipeline runs.
///
/// ```
/// let metrics = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().metrics();
/// let mut buf = Vec::new();
/// metrics.encode(srekit::expfmt::Format::Text, &mut buf);
/// assert!(String::from_utf8(buf).unwrap().contains("# TYPE srekit_log_bytes_total counter"));
/// ```
#[derive(Debug, Clone)]
pub struct PipelineMetrics {
    pub(super) registry: Registry,
}

impl PipelineMetrics {
    /// The registry holding the metrics.
    ///
    /// ```
    /// let metrics = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().metrics();
    /// assert!(!metrics.registry().gather().is_empty());
    /// ```
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Encodes the metrics (with `# EOF` for OpenMetrics), appending to `buf`.
    ///
    /// ```
    /// let metrics = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().metrics();
    /// let mut buf = bytes::BytesMut::new();
    /// metrics.encode(srekit::expfmt::Format::OpenMetrics, &mut buf);
    /// assert!(buf.ends_with(b"# EOF\n"));
    /// ```
    pub fn encode<B: BufMut>(&self, format: Format, buf: &mut B) {
        self.encode_body(format, buf);
        expfmt::finish(format, buf);
    }

    /// Encodes the metrics without the closing `# EOF` (to combine with other sources; end with
    /// [`expfmt::finish`]).
    ///
    /// ```
    /// let metrics = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().metrics();
    /// let mut buf = Vec::new();
    /// metrics.encode_body(srekit::expfmt::Format::OpenMetrics, &mut buf);
    /// assert!(!String::from_utf8(buf).unwrap().contains("# EOF"));
    /// ```
    pub fn encode_body<B: BufMut>(&self, format: Format, buf: &mut B) {
        self.registry.encode_body(format, buf);
    }

    /// As [`encode_body`](Self::encode_body), with UTF-8 (Prometheus 3) rule names written as the
    /// scraper's negotiated `escaping` says (see [`Registry::encode_body_with`]).
    ///
    /// ```
    /// let metrics = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().metrics();
    /// let mut buf = Vec::new();
    /// metrics.encode_body_with(srekit::expfmt::Format::Text, srekit::expfmt::NameEscaping::AllowUtf8, &mut buf);
    /// assert!(String::from_utf8(buf).unwrap().contains("srekit_log_parse_errors_total"));
    /// ```
    pub fn encode_body_with<B: BufMut>(&self, format: Format, escaping: expfmt::NameEscaping, buf: &mut B) {
        self.registry.encode_body_with(format, escaping, buf);
    }

    /// Encodes the metrics into a `String`.
    ///
    /// ```
    /// let metrics = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().metrics();
    /// assert!(metrics.encode_to_string(srekit::expfmt::Format::Text).contains("srekit_log_parse_errors_total"));
    /// ```
    pub fn encode_to_string(&self, format: Format) -> String {
        let mut buf = Vec::new();
        self.encode(format, &mut buf);
        String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }

    /// A snapshot of the metrics as families, with exemplars attached.
    ///
    /// ```
    /// let metrics = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().metrics();
    /// assert!(metrics.gather().iter().any(|f| f.name == "srekit_log_bytes"));
    /// ```
    pub fn gather(&self) -> Vec<MetricFamily> {
        self.registry.gather()
    }
}
