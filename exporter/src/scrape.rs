//! One scrape: host collection, log-derived and exporter metrics encoded into one body in the format
//! the client asked for, gzipped when it allows. Every scrape collects afresh (no response cache).

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once, PoisonError, RwLock};
use std::time::Instant;

use flate2::write::GzEncoder;
use flate2::Compression;
use srekit::expfmt::{self, Format, NameEscaping};
use srekit::host::HostCollector;
use srekit::logs::pipeline::{PipelineError, PipelineMetrics};
use srekit::metrics::{CounterVec, Histogram, MetricFamily, MetricType, Registry, Suffix};

use crate::collect_filter::Selection;
use crate::host_log::HostLogState;
use crate::process_metrics::process_families;

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
            // More files than max_open_files: they are read in turn; a warning.
            PipelineError::FilesWaiting { .. } | PipelineError::Watch { .. } => None,
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
    /// The running log pipeline's metrics (replaced when a reload restarts the pipeline).
    logs: RwLock<Option<PipelineMetrics>>,
    registry: Registry,
    /// The `srekit_exporter_*` families (`SelfMetrics` and others registered in it).
    exporter: Registry,
    /// False with `--web.disable-exporter-metrics`: neither `exporter` nor the process metrics are
    /// written (node_exporter's flag drops its promhttp_*, process_* and go_* families alike).
    exporter_metrics: bool,
    pub self_metrics: SelfMetrics,
    last_size: AtomicUsize,
    host_log: Mutex<HostLogState>,
    reserved: Once,
}

impl Scraper {
    /// A scraper of `host` and the metrics of `registry`, with the exporter's own metrics (`exporter`,
    /// where `self_metrics` were registered, and the process metrics) unless `exporter_metrics` is false.
    pub fn new(
        host: Option<HostCollector>,
        registry: Registry,
        exporter: Registry,
        self_metrics: SelfMetrics,
        exporter_metrics: bool,
    ) -> Scraper {
        Scraper {
            host: host.map(Arc::new),
            logs: RwLock::new(None),
            registry,
            exporter,
            exporter_metrics,
            self_metrics,
            last_size: AtomicUsize::new(64 * 1024),
            host_log: Mutex::new(HostLogState::default()),
            reserved: Once::new(),
        }
    }

    /// The registry of the exporter's own metrics that are always served (log errors, pushes).
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The registry of the `srekit_exporter_*` families, left out with `--web.disable-exporter-metrics`.
    pub fn exporter_registry(&self) -> &Registry {
        &self.exporter
    }

    /// The process metrics and the `srekit_exporter_*` families, or nothing when they are disabled.
    fn exporter_families(&self) -> Vec<MetricFamily> {
        if !self.exporter_metrics {
            return Vec::new();
        }
        let mut families = process_families(Path::new("/proc"), Path::new("/proc/self"));
        families.extend(self.exporter.gather());
        families
    }

    /// Sets (or clears) the log pipeline's metrics (derived metrics and per-input counters) served with every scrape.
    pub fn set_logs(&self, logs: Option<PipelineMetrics>) {
        if let (Some(host), Some(logs)) = (&self.host, &logs) {
            // A reload may bring new rule names: reserved from now on, like those of the first scrape.
            if self.reserved.is_completed() {
                host.reserve_names(logs.registry().exposed_names());
            }
        }
        *self.logs.write().unwrap_or_else(PoisonError::into_inner) = logs;
    }

    /// The log pipeline's metrics now.
    fn logs(&self) -> Option<PipelineMetrics> {
        self.logs.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Collects every metric of a scrape as families (for the `[[outputs]]` pushes).
    pub fn families(&self) -> Vec<srekit::metrics::MetricFamily> {
        let mut families = self.host.as_ref().map(|host| host.collect()).unwrap_or_default();
        if let Some(logs) = &self.logs() {
            families.extend(logs.gather());
        }
        families.extend(self.registry.gather());
        families.extend(self.exporter_families());
        families
    }

    /// The enabled host collectors (what `collect[]` may name).
    pub fn host_collectors(&self) -> Vec<&'static str> {
        self.host.as_ref().map(|host| host.collectors()).unwrap_or_default()
    }

    /// Collects and encodes one scrape of every enabled collector, with names outside the legacy
    /// charset escaped by underscores.
    pub fn scrape(&self, format: Format) -> Vec<u8> {
        self.scrape_selected(format, NameEscaping::default(), &Selection::All)
    }

    /// Collects and encodes one scrape of the selected host collectors (and every other metric); names
    /// outside the legacy charset (UTF-8 textfile names) are written as the scraper's `escaping` says:
    /// quoted only when it allows UTF-8.
    pub fn scrape_selected(&self, format: Format, escaping: NameEscaping, selection: &Selection) -> Vec<u8> {
        let started = Instant::now();
        let mut body = Vec::with_capacity(self.last_size.load(Ordering::Relaxed) + 4096);
        if let Some(host) = &self.host {
            // Every family is registered before the first scrape; from then on no textfile may
            // forge one of the exporter's own or log-derived names.
            self.reserved.call_once(|| host.reserve_names(self.own_names()));
            let report = match selection {
                Selection::All => host.collect_report(),
                Selection::Only(names) => host.collect_report_of(names),
            };
            if let Ok(mut state) = self.host_log.lock() {
                state.log(&report);
            }
            expfmt::encode_body_with(&report.families, format, escaping, &mut body);
            // The next scrape fills these families in place instead of allocating them again.
            host.recycle(report.families);
        }
        if let Some(logs) = &self.logs() {
            logs.encode_body_with(format, escaping, &mut body);
        }
        self.registry.encode_body_with(format, escaping, &mut body);
        if self.exporter_metrics {
            expfmt::encode_body(
                &process_families(Path::new("/proc"), Path::new("/proc/self")),
                format,
                &mut body,
            );
            self.exporter.encode_body(format, &mut body);
        }
        expfmt::finish(format, &mut body);
        self.last_size.store(body.len(), Ordering::Relaxed);
        self.self_metrics.scrape_duration.observe(started.elapsed().as_secs_f64());
        body
    }
}

impl Scraper {
    /// The names the exporter writes besides host metrics (a counter also under its `_total` name).
    fn own_names(&self) -> Vec<String> {
        // Names only: no copy of the series (a log-derived registry may hold a million).
        let mut names = self.registry.exposed_names();
        if let Some(logs) = &self.logs() {
            names.extend(logs.registry().exposed_names());
        }
        // Reserved whether served or not: a textfile cannot take them when they are disabled either.
        names.extend(process_families(Path::new("/proc"), Path::new("/proc/self")).iter().flat_map(names_of));
        names.extend(self.exporter.exposed_names());
        names
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
        let exporter = Registry::new();
        let own = SelfMetrics::register(&exporter).expect("valid names");
        let scraper = Scraper::new(None, Registry::new(), exporter, own, true);
        let text = String::from_utf8(scraper.scrape(Format::OpenMetrics)).expect("utf-8");
        assert!(text.contains("srekit_exporter_build_info{version=\""));
        assert!(text.contains("\nprocess_open_fds "));
        assert!(text.ends_with("# EOF\n"));
        assert_eq!(text.matches("# EOF").count(), 1);
    }

    #[test]
    fn disabled_exporter_metrics_leave_out_process_and_exporter_families_only() {
        let (registry, exporter) = (Registry::new(), Registry::new());
        let own = SelfMetrics::register(&exporter).expect("valid names");
        PipelineErrorReporter::register(&registry).expect("valid names");
        let scraper = Scraper::new(None, registry, exporter, own, false);
        let text = String::from_utf8(scraper.scrape(Format::Text)).expect("utf-8");
        assert!(!text.contains("srekit_exporter_") && !text.contains("process_"), "{text}");
        assert!(text.contains("srekit_log_errors_total"), "{text}");
        let names: Vec<String> = scraper.families().into_iter().map(|f| f.name).collect();
        assert!(names.iter().all(|n| !n.starts_with("srekit_exporter_") && !n.starts_with("process_")));
    }
}
