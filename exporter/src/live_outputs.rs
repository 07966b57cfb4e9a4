//! The running `[[outputs]]` and how a reload changes them: each output is started from its built
//! settings ([`crate::outputs`]) with `srekit_push::start` on the exporter's runtime, and a reload
//! compares each output's table (and the state directory its queue defaults to) by name: unchanged
//! outputs keep running untouched, removed ones stop (and their `srekit_push_*` series go), added
//! ones start, changed ones stop and start
//! again on the same queue directory (what the old one did not get acknowledged is sent by the new
//! one; nothing acknowledged is sent again). Stopping posts what is queued within [`FLUSH`].

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use srekit_push::{Output, PushMetrics, RunningOutput};

use crate::config::ExporterConfig;
use crate::outputs::OutputConfig;
use crate::scrape::Scraper;

/// How long a stopping output may go on posting what is queued (reload and shutdown).
pub const FLUSH: Duration = Duration::from_secs(5);

/// One running output and the settings it runs with.
struct Running {
    /// Its `[[outputs]]` table, name and state directory, as text: equal text, same output.
    fingerprint: String,
    output: RunningOutput,
}

/// The outputs in force.
pub struct LiveOutputs {
    runtime: tokio::runtime::Handle,
    scraper: Arc<Scraper>,
    /// Registered with the first output (so a config without outputs has no `srekit_push_*`).
    metrics: Option<PushMetrics>,
    running: Vec<Running>,
    /// The tables and state directory in force, to start an output again when a reload fails.
    configs: Vec<OutputConfig>,
    state: Option<PathBuf>,
}

/// The fingerprints of `config`'s outputs, in the order `ExporterConfig::outputs` builds them.
fn fingerprints(configs: &[OutputConfig], state: Option<&PathBuf>, built: &[Output]) -> Vec<String> {
    configs
        .iter()
        .zip(built)
        .map(|(config, output)| format!("{} {config:?} {state:?}", output.name))
        .collect()
}

impl LiveOutputs {
    /// Starts `built` (the outputs of `config`, built by `ExporterConfig::outputs`) on `runtime`,
    /// pushing what `scraper` collects. An output whose queue does not open is an error naming it.
    pub fn start(
        runtime: tokio::runtime::Handle,
        scraper: Arc<Scraper>,
        config: Option<&ExporterConfig>,
        built: Vec<Output>,
    ) -> Result<LiveOutputs, String> {
        let mut live = LiveOutputs {
            runtime,
            scraper,
            metrics: None,
            running: Vec::new(),
            configs: config.map(|c| c.outputs.clone()).unwrap_or_default(),
            state: config.and_then(|c| c.state.directory.clone()),
        };
        let fingerprints = fingerprints(&live.configs, live.state.as_ref(), &built);
        for (fingerprint, output) in fingerprints.into_iter().zip(built) {
            live.launch(fingerprint, output)?;
        }
        Ok(live)
    }

    fn launch(&mut self, fingerprint: String, output: Output) -> Result<(), String> {
        let metrics = match &self.metrics {
            Some(metrics) => metrics.clone(),
            None => {
                let metrics = PushMetrics::register(self.scraper.registry()).map_err(|e| e.to_string())?;
                self.metrics.insert(metrics).clone()
            }
        };
        let name = output.name.clone();
        let source = self.scraper.clone();
        let collect: srekit_push::Collect = Arc::new(move || source.families());
        let _context = self.runtime.enter();
        let output =
            srekit_push::start(output, collect, metrics).map_err(|e| format!("output {name}: {e}"))?;
        self.running.push(Running { fingerprint, output });
        Ok(())
    }

    /// Stops `outputs` side by side, so each has the whole [`FLUSH`] and together no longer.
    fn stop(&self, outputs: Vec<Running>) {
        let stops: Vec<_> = outputs
            .into_iter()
            .map(|running| {
                log::info!("output {}: stopping", running.output.name());
                self.runtime.spawn(running.output.stop(FLUSH))
            })
            .collect();
        self.runtime.block_on(async {
            for stop in stops {
                if let Err(err) = stop.await {
                    log::error!("stopping an output failed: {err}");
                }
            }
        });
    }

    /// Applies `config`'s `[[outputs]]` (already validated): see the module header. When an output
    /// does not start (its queue does not open), the reload fails and the outputs it replaced start
    /// again as they were.
    pub fn apply(&mut self, config: &ExporterConfig) -> Result<(), String> {
        let built = config.outputs()?;
        let state = config.state.directory.clone();
        let wanted = fingerprints(&config.outputs, state.as_ref(), &built);
        let (kept, gone): (Vec<Running>, Vec<Running>) =
            std::mem::take(&mut self.running).into_iter().partition(|r| wanted.contains(&r.fingerprint));
        self.running = kept;
        // Stopped first, so a changed output's queue is closed before it opens again.
        let removed: Vec<String> = gone
            .iter()
            .map(|r| r.output.name().to_owned())
            .filter(|name| !built.iter().any(|output| &output.name == name))
            .collect();
        self.stop(gone);
        if let Some(metrics) = &self.metrics {
            removed.iter().for_each(|name| metrics.forget(name));
        }
        let mut failed = None;
        for (fingerprint, output) in wanted.into_iter().zip(built) {
            if self.running.iter().any(|r| r.fingerprint == fingerprint) {
                continue;
            }
            log::info!("output {}: starting", output.name);
            if let Err(err) = self.launch(fingerprint, output) {
                failed = Some(err);
                break;
            }
        }
        match failed {
            None => {
                self.configs = config.outputs.clone();
                self.state = state;
                Ok(())
            }
            Some(err) => {
                self.restore();
                Err(err)
            }
        }
    }

    /// Starts again the outputs in force before a failed reload whose names no longer run.
    fn restore(&mut self) {
        let old = match crate::outputs::build(&self.configs, self.state.as_deref()) {
            Ok(old) => old,
            Err(err) => return log::error!("could not restart the previous outputs: {err}"),
        };
        let fingerprints = fingerprints(&self.configs, self.state.as_ref(), &old);
        for (fingerprint, output) in fingerprints.into_iter().zip(old) {
            if self.running.iter().any(|r| r.output.name() == output.name) {
                continue;
            }
            if let Err(err) = self.launch(fingerprint, output) {
                log::error!("could not restart the previous output: {err}");
            }
        }
    }

    /// Stops every output (flushing within [`FLUSH`]).
    pub fn shutdown(&mut self) {
        let running = std::mem::take(&mut self.running);
        self.stop(running);
    }
}
