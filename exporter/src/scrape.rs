//! One scrape: host collection, log-derived and exporter metrics encoded into one body in the format
//! the client asked for, gzipped when it allows. Every scrape collects afresh (no response cache).

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::time::Instant;

use flate2::write::GzEncoder;
use flate2::Compression;
use srekit::expfmt::{self, Format, NameEscaping};
use srekit::host::HostCollector;
use srekit::logs::pipeline::{PipelineError, PipelineMetrics};
use srekit::metrics::{CounterVec, Histogram, MetricFamily, MetricType, Registry, Suffix};

use crate::host_log::HostLogState;

/// The exporter's own metrics.
pub struct SelfMetrics {
    pub scrape_duration: Histogram,
    pub http_requests: CounterVec,
}

impl SelfMetrics {
    /// Registers the exporter's own metrics in `registry`.
    pub fn register(registry: &Registry) -> Result<SelfMetrics, srekit::MetricError> {
        registry
            .gauge("srekit_exporter_build_info", "Build information of srekit-exporter.", &["version"])?
            .labels(&[env!("CARGO_PKG_VERSION")])?
            .set(1.0);
        let scrape_duration = registry
            .histogram(
                "srekit_exporter_scrape_duration_seconds",
                "Time taken to collect and encode one scrape.",
                &[],
                &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
            )?
            .labels(&[])?;
        let http_requests = registry.counter(
            "srekit_exporter_http_requests_total",
            "HTTP requests answered, by path class and status code.",
            &["handler", "code"],
        )?;
        Ok(SelfMetrics { scrape_duration, http_requests })
    }
}

/// Counts the log pipeline's runtime errors (a log file that cannot be read, a checkpoint that cannot be
/// written) in `srekit_log_errors_total{kind}` and logs each distinct problem at most once a minute, so
/// a persistent fault neither floods the log nor goes unseen. The pipeline keeps running either way.
pub struct PipelineErrorReporter {
    errors: CounterVec,
    last_logged: std::collections::HashMap<String, Instant>,
}

impl PipelineErrorReporter {
    const LOG_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

    pub fn register(registry: &Registry) -> Result<PipelineErrorReporter, srekit::MetricError> {
        let errors = registry.counter(
            "srekit_log_errors_total",
            "Errors reading log files (kind=read), writing tail checkpoints (kind=checkpoint) or reading a corrupt checkpoint, moved aside (kind=checkpoint_corrupt).",
            &["kind"],
        )?;
        for kind in ["read", "checkpoint", "checkpoint_corrupt"] {
            errors.labels(&[kind])?;
        }
        Ok(PipelineErrorReporter { errors, last_logged: std::collections::HashMap::new() })
    }

    pub fn report(&mut self, err: &PipelineError) {
        let kind = match err {
            PipelineError::Read { .. } => Some("read"),
            PipelineError::Checkpoint { .. } => Some("checkpoint"),
            PipelineError::CorruptCheckpoint { .. } => Some("checkpoint_corrupt"),
            // A rule changed since its state was saved: worth a log line, not an error.
            PipelineError::StateDiscarded(_) => None,
            _ => Some("other"),
        };
        if let Some(counter) = kind.and_then(|kind| self.errors.labels(&[kind]).ok()) {
            counter.inc();
        }
        let message = err.to_string();
        let now = Instant::now();
        let due =
            self.last_logged.get(&message).is_none_or(|at| now.duration_since(*at) >= Self::LOG_INTERVAL);
        if due {
            log::warn!("log pipeline: {message}");
            if self.last_logged.len() > 1000 {
                self.last_logged.clear();
            }
            self.last_logged.insert(message, now);
        }
    }
}

/// Builds scrape bodies; shared by every connection.
pub struct Scraper {
    host: Option<Arc<HostCollector>>,
    logs: Option<PipelineMetrics>,
    registry: Registry,
    pub self_metrics: SelfMetrics,
    last_size: AtomicUsize,
    host_log: Mutex<HostLogState>,
    reserved: Once,
}

impl Scraper {
    pub fn new(host: Option<HostCollector>, registry: Registry, self_metrics: SelfMetrics) -> Scraper {
        Scraper {
            host: host.map(Arc::new),
            logs: None,
            registry,
            self_metrics,
            last_size: AtomicUsize::new(64 * 1024),
            host_log: Mutex::new(HostLogState::default()),
            reserved: Once::new(),
        }
    }

    /// The registry of the exporter's own metrics.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Adds the log pipeline's metrics (derived metrics and per-input counters) to every scrape.
    pub fn with_logs(mut self, logs: PipelineMetrics) -> Scraper {
        self.logs = Some(logs);
        self
    }

    /// Collects every metric of a scrape as families (for the `[[outputs]]` pushes).
    pub fn families(&self) -> Vec<srekit::metrics::MetricFamily> {
        let mut families = self.host.as_ref().map(|host| host.collect()).unwrap_or_default();
        if let Some(logs) = &self.logs {
            families.extend(logs.gather());
        }
        families.extend(self.registry.gather());
        families
    }

    /// Collects and encodes one scrape, with names outside the legacy charset escaped by underscores.
    pub fn scrape(&self, format: Format) -> Vec<u8> {
        self.scrape_escaped(format, NameEscaping::default())
    }

    /// Collects and encodes one scrape; names outside the legacy charset (UTF-8 textfile names) are
    /// written as the scraper's `escaping` says: quoted only when it allows UTF-8.
    pub fn scrape_escaped(&self, format: Format, escaping: NameEscaping) -> Vec<u8> {
        let started = Instant::now();
        let mut body = Vec::with_capacity(self.last_size.load(Ordering::Relaxed) + 4096);
        if let Some(host) = &self.host {
            // Every family is registered before the first scrape; from then on no textfile may
            // forge one of the exporter's own or log-derived names.
            self.reserved.call_once(|| host.reserve_names(self.own_names()));
            let report = host.collect_report();
            if let Ok(mut state) = self.host_log.lock() {
                state.log(&report);
            }
            expfmt::encode_body_with(&report.families, format, escaping, &mut body);
        }
        if let Some(logs) = &self.logs {
            logs.encode_body(format, &mut body);
        }
        self.registry.encode_body(format, &mut body);
        expfmt::finish(format, &mut body);
        self.last_size.store(body.len(), Ordering::Relaxed);
        self.self_metrics.scrape_duration.observe(started.elapsed().as_secs_f64());
        body
    }
}

impl Scraper {
    /// The names the exporter writes besides host metrics (a counter also under its `_total` name).
    fn own_names(&self) -> Vec<String> {
        let mut families = self.registry.gather();
        if let Some(logs) = &self.logs {
            families.extend(logs.gather());
        }
        families.iter().flat_map(names_of).collect()
    }
}

fn names_of(family: &MetricFamily) -> Vec<String> {
    match family.kind {
        MetricType::Counter => vec![family.name.clone(), family.sample_name(Suffix::Total)],
        _ => vec![family.name.clone()],
    }
}

/// True when an `Accept-Encoding` header allows gzip (with a non-zero weight).
pub fn accepts_gzip(accept_encoding: &str) -> bool {
    accept_encoding.split(',').any(|coding| {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim();
        let weight = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        (name.eq_ignore_ascii_case("gzip") || name == "*") && weight > 0.0
    })
}

/// Gzips `body` (fast level: scrapes are latency-sensitive).
pub fn gzip(body: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(body.len() / 4), Compression::fast());
    encoder.write_all(body)?;
    encoder.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_negotiation() {
        assert!(accepts_gzip("gzip"));
        assert!(accepts_gzip("deflate, gzip;q=0.5"));
        assert!(!accepts_gzip("gzip;q=0"));
        assert!(!accepts_gzip("identity"));
        assert!(!accepts_gzip(""));
    }

    #[test]
    fn scrape_contains_own_metrics_and_ends_openmetrics_with_eof() {
        let registry = Registry::new();
        let own = SelfMetrics::register(&registry).expect("valid names");
        let scraper = Scraper::new(None, registry, own);
        let text = String::from_utf8(scraper.scrape(Format::OpenMetrics)).expect("utf-8");
        assert!(text.contains("srekit_exporter_build_info{version=\""));
        assert!(text.ends_with("# EOF\n"));
        assert_eq!(text.matches("# EOF").count(), 1);
    }
}
