//! Running a [`Pipeline`] on a background thread ([`Pipeline::spawn`]), and how that thread waits
//! between polls: where inotify watches every directory the inputs' files are in (see
//! [`DirWatcher`]), it sleeps until one changes (polling anyway every idle interval, 10 s by default, as
//! a safety net), so thousands of idle files cost next to nothing and a new line is still read at once;
//! otherwise (no inotify, or `fs.inotify.max_user_watches` reached: reported once as
//! [`PipelineError::Watch`]) it polls every `poll_interval`, as before. Polls woken by changes are at
//! least `poll_interval` apart, so a busy directory costs no more than polling.
//! `srekit_log_watched_directories` says how many directories are watched (0: polling).

use std::io;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::thread;
use std::time::{Duration, Instant};

use super::pipeline::{Pipeline, PipelineError, PipelineHandle};
use super::pipeline_state::CheckpointWriter;
use super::tail::DirWatcher;
use crate::metrics::Gauge;

/// How often a pipeline whose directories are all watched polls when nothing changed.
pub const DEFAULT_IDLE_POLL_INTERVAL: Duration = Duration::from_secs(10);
/// Longest wait for changes between two looks for a stop request.
const STOP_CHECK: Duration = Duration::from_millis(200);

impl Pipeline {
    /// Runs the pipeline on a background thread: polls when a watched directory changes (at most
    /// every `poll_interval`; every idle interval anyway), or every `poll_interval` where directories
    /// cannot be watched, and at once again when a file has more data; stores checkpoints every
    /// second when something changed (serialised on that thread, written, fsynced and renamed on
    /// another); [`PipelineHandle::shutdown`] stops it cleanly.
    /// `on_error` is called on that thread for read and checkpoint errors and for warnings.
    ///
    /// ```
    /// let pipeline = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap();
    /// let handle = pipeline.spawn(|err| eprintln!("srekit: {err}")).unwrap();
    /// let _text = handle.metrics().encode_to_string(srekit::expfmt::Format::Text);
    /// handle.shutdown().unwrap();
    /// ```
    pub fn spawn(
        mut self,
        mut on_error: impl FnMut(PipelineError) + Send + 'static,
    ) -> io::Result<PipelineHandle> {
        let metrics = self.metrics();
        let watched = metrics
            .registry()
            .gauge(
                "srekit_log_watched_directories",
                "Directories watched for changes to log files (0: the files are polled).",
                &[],
            )
            .and_then(|family| family.labels(&[]))
            .ok();
        self.writer = self.state_path.clone().map(CheckpointWriter::spawn).transpose()?;
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = thread::Builder::new().name("srekit-logs".to_owned()).spawn(move || {
            let mut waiter = Waiter { watcher: DirWatcher::new(), version: None, failed: false, watched };
            loop {
                let started = Instant::now();
                let summary = self.poll();
                let (more, waiting) = (summary.more, summary.waiting_for_turn);
                summary.errors.into_iter().for_each(&mut on_error);
                if let Some(err) = waiter.watch(&self) {
                    on_error(err);
                }
                let idle = if waiting { self.poll_interval } else { self.idle_poll_interval };
                if !waiter.wait(started, more, self.poll_interval, idle, self.due(), &stopped) {
                    break;
                }
            }
            self.finish()
        })?;
        Ok(PipelineHandle { stop, thread, metrics })
    }
}

/// The background thread's wait between polls.
struct Waiter {
    watcher: DirWatcher,
    /// The inputs' watch version the watches were set for.
    version: Option<u64>,
    /// The last attempt to watch failed (reported once until it works again).
    failed: bool,
    watched: Option<Gauge>,
}

impl Waiter {
    /// Brings the watches up to date with the inputs' files; an error when watching stops working.
    fn watch(&mut self, pipeline: &Pipeline) -> Option<PipelineError> {
        let version = pipeline.watch_version();
        if self.version == Some(version) {
            return None;
        }
        self.version = Some(version);
        let dirs = pipeline.watch_dirs();
        let count = dirs.len();
        let outcome = self.watcher.watch(dirs);
        if let Some(gauge) = &self.watched {
            gauge.set(if outcome.is_ok() { count as f64 } else { 0.0 });
        }
        match outcome {
            Ok(()) => {
                self.failed = false;
                None
            }
            Err(source) if !self.failed => {
                self.failed = true;
                Some(PipelineError::Watch { source })
            }
            Err(_) => None,
        }
    }

    /// Waits until the next poll is due; false when asked to stop.
    fn wait(
        &mut self,
        started: Instant,
        more: bool,
        poll_interval: Duration,
        idle_interval: Duration,
        due: Option<Instant>,
        stopped: &mpsc::Receiver<()>,
    ) -> bool {
        if more {
            return matches!(stopped.try_recv(), Err(TryRecvError::Empty));
        }
        if !self.watcher.is_complete() {
            return matches!(stopped.recv_timeout(poll_interval), Err(RecvTimeoutError::Timeout));
        }
        let idle = started + idle_interval.max(poll_interval);
        let mut deadline = due.map_or(idle, |due| due.min(idle));
        loop {
            if !matches!(stopped.try_recv(), Err(TryRecvError::Empty)) {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            if self.watcher.wait((deadline - now).min(STOP_CHECK)) {
                deadline = deadline.min(started + poll_interval);
            }
        }
    }
}
