//! The log pipeline's lifecycle and config reload: the pipeline is started from `--config.file`, and
//! SIGHUP or `POST /-/reload` (with `--web.enable-lifecycle`) re-read and validate the file. A file that
//! does not load or validate changes nothing (the running config keeps running; the error is logged
//! and `srekit_exporter_config_last_reload_successful` is 0). When `[state]`, `[[inputs]]` or
//! `[[metrics]]` changed, the pipeline is stopped (which writes its checkpoint) and started from the
//! new config with the state it stopped with (in memory, so no state directory is needed): inputs
//! keep their offsets and counters, and rules whose definition did not change keep their series.
//! Every reload also re-reads the web config file (`--web.config.file`, else `[web] config_file`) and
//! puts it in force once everything else applied: changed basic-auth users and passwords, and TLS
//! certificates renewed on disk, hold from the next request and connection, as exporter-toolkit
//! re-reads its file. A web config that does not load fails the reload like a bad config file.
//! Changed `[[outputs]]` apply too ([`crate::live_outputs`]: unchanged ones keep running, removed ones
//! stop, added ones start, changed ones restart on their queue); a bad `[[outputs]]` table fails the
//! reload and the old outputs keep pushing. `[web] serve` takes effect at the next start (said in
//! the log).

use std::path::PathBuf;
use std::sync::{mpsc, Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use srekit::logs::config::PipelineConfig;
use srekit::logs::pipeline::{Pipeline, PipelineError, PipelineHandle};
use srekit::logs::pipeline_state::PipelineState;
use srekit::metrics::{Gauge, Registry};

use crate::config::ExporterConfig;
use crate::live_outputs::LiveOutputs;
use crate::scrape::{PipelineErrorReporter, Scraper};
use crate::web_config::{LiveWeb, WebConfig};

/// What the reload thread is asked to do.
#[derive(Debug)]
pub enum Request {
    /// Reload the config; the outcome goes to the reply, if any (SIGHUP has none).
    Reload(Option<tokio::sync::oneshot::Sender<Result<(), String>>>),
    /// Stop the pipeline (writing its checkpoint) and end the thread.
    Stop,
}

/// Sends [`Request`]s to the reload thread.
pub type Requests = mpsc::Sender<Request>;

/// Why the pipeline could not start, with the process exit code it means at startup (1: the state
/// directory or checkpoint, the system; 2: the config).
#[derive(Debug)]
pub struct StartError {
    pub code: u8,
    pub message: String,
}

/// `srekit_exporter_config_last_reload_successful` and `..._success_timestamp_seconds`, as
/// Prometheus' own `prometheus_config_last_reload_*`.
struct ReloadMetrics {
    successful: Gauge,
    timestamp: Gauge,
}

impl ReloadMetrics {
    fn register(registry: &Registry) -> Result<ReloadMetrics, srekit::MetricError> {
        let successful = registry
            .gauge(
                "srekit_exporter_config_last_reload_successful",
                "Whether the last configuration reload attempt was successful.",
                &[],
            )?
            .labels(&[])?;
        let timestamp = registry
            .gauge(
                "srekit_exporter_config_last_reload_success_timestamp_seconds",
                "Timestamp of the last successful configuration reload.",
                &[],
            )?
            .labels(&[])?;
        Ok(ReloadMetrics { successful, timestamp })
    }

    fn succeeded(&self) {
        self.successful.set(1.0);
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        self.timestamp.set(now.floor());
    }
}

/// Owns the running log pipeline and the config it was started from.
pub struct Reloader {
    path: Option<PathBuf>,
    pipeline_config: PipelineConfig,
    /// `[web] serve` as started (Debug text), to say when a reload changed it.
    restart_only: String,
    /// The `[[outputs]]` pushing.
    outputs: LiveOutputs,
    /// `--web.config.file`, which wins over the config file's `[web] config_file`.
    web_flag: Option<PathBuf>,
    /// The web config in force, replaced by every successful reload.
    web: Arc<LiveWeb>,
    handle: Option<PipelineHandle>,
    scraper: Arc<Scraper>,
    reporter: Option<Arc<Mutex<PipelineErrorReporter>>>,
    metrics: ReloadMetrics,
}

impl Reloader {
    /// Starts the pipeline of `config` (read from `path`), if it has inputs or rules, serving its
    /// metrics through `scraper`, and its `outputs` (built from `config`) on `runtime`; reloads
    /// re-read the web config file (`web_flag`, else the config's) into `web`.
    pub fn start(
        path: Option<PathBuf>,
        config: Option<&ExporterConfig>,
        scraper: Arc<Scraper>,
        (web_flag, web): (Option<PathBuf>, Arc<LiveWeb>),
        (runtime, outputs): (tokio::runtime::Handle, Vec<srekit_push::Output>),
    ) -> Result<Reloader, StartError> {
        let system = |message: String| StartError { code: 1, message };
        let metrics =
            ReloadMetrics::register(scraper.exporter_registry()).map_err(|e| system(e.to_string()))?;
        let outputs = LiveOutputs::start(runtime, scraper.clone(), config, outputs).map_err(system)?;
        let mut reloader = Reloader {
            path,
            pipeline_config: config.map(ExporterConfig::pipeline).unwrap_or_default(),
            restart_only: config.map(restart_only).unwrap_or_default(),
            outputs,
            web_flag,
            web,
            handle: None,
            scraper,
            reporter: None,
            metrics,
        };
        reloader.handle = reloader.start_pipeline(&reloader.pipeline_config.clone(), None)?;
        reloader.metrics.succeeded();
        Ok(reloader)
    }

    /// Starts a pipeline for `config` (none without inputs and rules) from `state` (or the state
    /// directory's checkpoint) and serves its metrics.
    fn start_pipeline(
        &mut self,
        config: &PipelineConfig,
        state: Option<PipelineState>,
    ) -> Result<Option<PipelineHandle>, StartError> {
        let system = |message: String| StartError { code: 1, message };
        if config.inputs.is_empty() && config.metrics.is_empty() {
            self.scraper.set_logs(None);
            return Ok(None);
        }
        match &config.state.directory {
            None => log::warn!("no [state] directory: log offsets are not remembered across restarts"),
            Some(dir) if !dir.exists() => {
                log::info!("creating the [state] directory {}", dir.display());
                std::fs::create_dir_all(dir).map_err(|err| {
                    system(format!("cannot create the [state] directory {}: {err}", dir.display()))
                })?;
            }
            Some(_) => {}
        }
        let pipeline = match state {
            Some(state) => Pipeline::resume(config, state),
            None => Pipeline::new(config),
        };
        let pipeline = pipeline.map_err(|err| match err {
            // The state directory or a checkpoint could not be read (not a config mistake).
            err @ PipelineError::Checkpoint { .. } => system(format!("log pipeline state: {err}")),
            err => StartError { code: 2, message: format!("--config.file: {err}") },
        })?;
        let reporter = match &self.reporter {
            Some(reporter) => reporter.clone(),
            None => {
                let reporter = PipelineErrorReporter::register(self.scraper.registry())
                    .map_err(|err| system(err.to_string()))?;
                self.reporter.insert(Arc::new(Mutex::new(reporter))).clone()
            }
        };
        let handle = pipeline
            .spawn(move |err| reporter.lock().unwrap_or_else(PoisonError::into_inner).report(&err))
            .map_err(|err| system(format!("cannot start the log pipeline: {err}")))?;
        self.scraper.set_logs(Some(handle.metrics()));
        Ok(Some(handle))
    }

    /// Re-reads and validates the config file and applies it; on error nothing changed.
    pub fn reload(&mut self) -> Result<(), String> {
        let outcome = self.try_reload();
        match &outcome {
            Ok(()) => {
                self.metrics.succeeded();
                log::info!("configuration reloaded");
            }
            Err(message) => {
                self.metrics.successful.set(0.0);
                log::error!(
                    "configuration reload failed, the previous configuration keeps running: {message}"
                );
            }
        }
        outcome
    }

    fn try_reload(&mut self) -> Result<(), String> {
        let config = match &self.path {
            Some(path) => {
                let config = ExporterConfig::load(path)?;
                config.validate(path)?;
                if config.web.serve == Some(false) && config.outputs.is_empty() {
                    return Err(format!(
                        "{}: [web] serve = false needs at least one [[outputs]]",
                        path.display()
                    ));
                }
                if restart_only(&config) != self.restart_only {
                    log::warn!("{}: a change to [web] serve takes effect at the next start", path.display());
                }
                Some(config)
            }
            None => None,
        };
        // Read and checked before anything changes; put in force after the pipeline applied.
        let web_path = self.web_flag.clone().or_else(|| config.as_ref()?.web.config_file.clone());
        let web = match &web_path {
            Some(path) => WebConfig::load(path).map_err(|err| format!("web config: {err}"))?,
            None => WebConfig::none(),
        };
        if let Some(config) = &config {
            self.apply_pipeline(config.pipeline())?;
            self.outputs.apply(config)?;
        }
        self.web.replace(web).map_err(|err| format!("web config: {err}"))?;
        if let Some(path) = &web_path {
            log::info!("web config {} re-read", path.display());
        }
        Ok(())
    }

    /// Restarts the log pipeline for `new` with the state the old one stops with, unless it did not
    /// change; on error the old pipeline is started again.
    fn apply_pipeline(&mut self, new: PipelineConfig) -> Result<(), String> {
        if new == self.pipeline_config {
            return Ok(());
        }
        // The state the old pipeline stops with (also written to its checkpoint) is where the new one
        // goes on from.
        let state = self.handle.take().and_then(|handle| match handle.shutdown_with_state() {
            Ok(state) => Some(state),
            Err(err) => {
                log::error!("log pipeline: could not store checkpoints before the reload: {err}");
                None
            }
        });
        match self.start_pipeline(&new, state.clone()) {
            Ok(handle) => {
                self.handle = handle;
                self.pipeline_config = new;
                Ok(())
            }
            Err(err) => {
                let old = self.pipeline_config.clone();
                match self.start_pipeline(&old, state) {
                    Ok(handle) => self.handle = handle,
                    Err(again) => {
                        log::error!("could not restart the previous log pipeline: {}", again.message)
                    }
                }
                Err(err.message)
            }
        }
    }

    /// Stops the outputs (flushing their queues within a bound) and the pipeline, writing its
    /// checkpoint.
    pub fn shutdown(mut self) -> Result<(), PipelineError> {
        self.outputs.shutdown();
        self.handle.take().map_or(Ok(()), PipelineHandle::shutdown)
    }

    /// Runs reload requests on a thread of their own until [`Request::Stop`] (or every sender is
    /// gone); the thread's result is the pipeline's shutdown.
    pub fn spawn(
        mut self,
    ) -> std::io::Result<(Requests, std::thread::JoinHandle<Result<(), PipelineError>>)> {
        let (requests, inbox) = mpsc::channel();
        let thread = std::thread::Builder::new().name("srekit-reload".to_owned()).spawn(move || {
            while let Ok(Request::Reload(reply)) = inbox.recv() {
                let outcome = self.reload();
                if let Some(reply) = reply {
                    let _ = reply.send(outcome);
                }
            }
            self.shutdown()
        })?;
        Ok((requests, thread))
    }
}

/// The part of the config a reload does not apply.
fn restart_only(config: &ExporterConfig) -> String {
    format!("{:?}", config.web.serve)
}

/// Sends a reload request on every SIGHUP (registered now, so a SIGHUP from now on is not fatal).
pub fn reload_on_sighup(requests: Requests) -> std::io::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut hangup = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        while hangup.recv().await.is_some() {
            log::info!("SIGHUP: reloading the configuration");
            if requests.send(Request::Reload(None)).is_err() {
                break;
            }
        }
    });
    Ok(())
}
