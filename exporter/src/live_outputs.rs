//! The running `[[outputs]]` and how a reload changes them: each output is started from its built
//! settings ([`crate::outputs`]) with `srekit_push::start` on the exporter's runtime, and a reload
//! compares each output's table (and the state directory its queue defaults to) by name: unchanged
//! outputs keep running untouched, removed ones stop (and their `srekit_push_*` series go), added
//! ones start, changed ones stop and start
//! again on the same queue directory (what the old one did not get acknowledged is sent by the new
//! one; nothing acknowledged is sent again). Stopping posts what is queued within [`FLUSH`].

use std::path::{Path, PathBuf};
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

/// The fingerprints of `config`'s outputs, in the order `ExporterConfig::outputs` builds them: the
/// table, the name, the state directory and what the TLS files held when they were read (a renewed
/// CA or client certificate behind an unchanged path restarts the output; the password and token
/// files are read again by the running output whenever they change, so they are not in it).
fn fingerprints(configs: &[OutputConfig], state: Option<&PathBuf>, built: &[Output]) -> Vec<String> {
    configs
        .iter()
        .zip(built)
        .map(|(config, output)| {
            format!("{} {config:?} {state:?} tls:{:016x}", output.name, tls_digest(config))
        })
        .collect()
}

/// A digest of the TLS files `config` names (their bytes, bounded as the output reads them; an
/// unreadable file digests its error, which fails the output's build anyway).
fn tls_digest(config: &OutputConfig) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for path in [&config.tls.ca_file, &config.tls.cert_file, &config.tls.key_file].into_iter().flatten() {
        match srekit_push::sender::read_bounded(path) {
            Ok(bytes) => bytes.hash(&mut hasher),
            Err(err) => err.to_string().hash(&mut hasher),
        }
    }
    hasher.finish()
}

/// Queue directories under `<state>/queue/` that no output of `built` uses and that still hold
/// unacknowledged data (an output renamed or removed before its queue drained), with their bytes.
/// At most [`ORPHAN_SCAN_LIMIT`] entries are looked at.
fn orphaned_queues(state: &Path, built: &[Output]) -> Vec<(PathBuf, u64)> {
    let root = state.join("queue");
    let Ok(entries) = std::fs::read_dir(&root) else { return Vec::new() };
    entries
        .take(ORPHAN_SCAN_LIMIT)
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|dir| dir.is_dir() && !built.iter().any(|output| &output.queue.directory == dir))
        .filter_map(|dir| match srekit_push::queue::unsent_bytes(&dir) {
            Ok(0) => None,
            Ok(bytes) => Some((dir, bytes)),
            Err(err) => {
                log::warn!("{err}");
                None
            }
        })
        .collect()
}

/// How many entries of `<state>/queue/` [`orphaned_queues`] looks at.
const ORPHAN_SCAN_LIMIT: usize = 1024;

/// Warns about each queue directory left with unsent data by an output that is no longer configured.
fn warn_orphaned_queues(state: Option<&Path>, built: &[Output]) {
    for (dir, bytes) in state.map(|state| orphaned_queues(state, built)).unwrap_or_default() {
        log::warn!(
            "push queue {}: {bytes} bytes were not sent and no configured output uses this directory any more (an output renamed or removed); give the output its old name (or set queue.directory to it) to send them, or delete the directory",
            dir.display()
        );
    }
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
        warn_orphaned_queues(live.state.as_deref(), &built);
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
        warn_orphaned_queues(state.as_deref(), &built);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn configs(text: &str) -> Vec<OutputConfig> {
        #[derive(serde::Deserialize)]
        struct File {
            outputs: Vec<OutputConfig>,
        }
        toml::from_str::<File>(text).expect("parses").outputs
    }

    fn self_signed_pem() -> String {
        let certified = rcgen::generate_simple_self_signed(vec!["localhost".into()]).expect("certificate");
        certified.cert.pem()
    }

    #[test]
    fn a_renewed_ca_behind_the_same_path_changes_the_fingerprint() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = dir.path().join("ca.pem");
        std::fs::write(&ca, self_signed_pem()).expect("write");
        let text = format!(
            "[[outputs]]\nkind = \"remote_write\"\nurl = \"https://127.0.0.1:1/api/v1/write\"\ntls = {{ ca_file = \"{}\" }}\n",
            ca.display()
        );
        let configs = configs(&text);
        let state = dir.path().to_path_buf();
        let fingerprint = || {
            let built = crate::outputs::build(&configs, Some(&state)).expect("builds");
            fingerprints(&configs, Some(&state), &built)
        };
        let before = fingerprint();
        assert_eq!(before, fingerprint(), "the same files give the same fingerprint");
        std::fs::write(&ca, self_signed_pem()).expect("renew");
        assert_ne!(before, fingerprint(), "a renewed CA must restart the output on reload");
    }

    #[test]
    fn queues_left_with_unsent_data_by_a_renamed_output_are_found() {
        let dir = tempfile::tempdir().expect("tempdir");
        let configs = configs(
            "[[outputs]]\nname = \"new\"\nkind = \"otlp\"\nurl = \"http://127.0.0.1:1/v1/metrics\"\n",
        );
        let built = crate::outputs::build(&configs, Some(dir.path())).expect("builds");
        let queue = |name: &str, body: &[u8], acked: bool| {
            let options = srekit_push::QueueOptions::new(dir.path().join("queue").join(name));
            let (mut queue, _) = srekit_push::DiskQueue::open(options).expect("opens");
            queue.append(0, 1, body).expect("appends");
            if acked {
                let record = queue.peek(0).expect("peeks").0.expect("a record");
                queue.ack(record.seq).expect("acks");
            }
            queue.sync().expect("syncs");
        };
        queue("new", b"in use", false);
        queue("old", b"never sent", false);
        queue("drained", b"sent", true);
        let orphans = orphaned_queues(dir.path(), &built);
        assert_eq!(orphans.len(), 1, "{orphans:?}");
        assert_eq!(orphans[0].0, dir.path().join("queue/old"));
        assert!(orphans[0].1 >= b"never sent".len() as u64, "{orphans:?}");
    }

    #[test]
    fn tls_files_are_read_with_a_bound() {
        let err = srekit_push::sender::read_bounded(Path::new("/dev/zero")).expect_err("endless");
        assert!(err.to_string().contains("larger than"), "{err}");
    }
}
