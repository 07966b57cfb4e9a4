//! [`PipelineRunner`]: a [`Pipeline`] an application starts and stops (the Python and Node `Pipeline`
//! classes are thin wrappers of it): driven by hand with [`PipelineRunner::poll`] until
//! [`PipelineRunner::start`] moves it to a background thread, whose read and checkpoint errors are
//! kept (the latest [`KEPT_ERRORS`]) for [`PipelineRunner::errors`]; [`PipelineRunner::stop`] ends it
//! and writes the checkpoints, once.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use thiserror::Error;

use super::pipeline::{Pipeline, PipelineError, PipelineHandle, PollSummary};
use crate::error::codes;

/// Background errors kept for [`PipelineRunner::errors`] (older ones are dropped).
pub const KEPT_ERRORS: usize = 100;

/// Why a runner call failed.
///
/// ```
/// let err = srekit::logs::runner::RunnerError::NotReady("poll");
/// assert_eq!(err.to_string(), "poll: the pipeline is started or stopped");
/// assert_eq!(err.code(), "config.invalid");
/// ```
#[derive(Debug, Error)]
pub enum RunnerError {
    /// `poll` or `start` on a pipeline already started or stopped.
    #[error("{0}: the pipeline is started or stopped")]
    NotReady(&'static str),
    /// The background thread could not be started.
    #[error("cannot start the pipeline thread: {0}")]
    Spawn(std::io::Error),
    /// The pipeline's own error.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl RunnerError {
    /// The stable code: `config.invalid` for a call in the wrong state, `internal.panic` for a thread
    /// that cannot start, the pipeline error's own code otherwise.
    pub fn code(&self) -> &'static str {
        match self {
            RunnerError::NotReady(_) => codes::CONFIG_INVALID,
            RunnerError::Spawn(_) => codes::INTERNAL_PANIC,
            RunnerError::Pipeline(err) => err.code(),
        }
    }
}

crate::error::impl_error_code!(RunnerError);

enum State {
    Ready(Box<Pipeline>),
    Running(PipelineHandle),
    Stopped,
}

/// A pipeline with a start/stop life cycle, shareable between threads (`&self` methods).
///
/// ```
/// use srekit::logs::{pipeline::Pipeline, runner::PipelineRunner};
///
/// let runner = PipelineRunner::new(Pipeline::new(&Default::default()).unwrap());
/// assert_eq!(runner.poll().unwrap().lines, 0);
/// runner.start().unwrap();
/// assert!(runner.poll().is_err());
/// runner.stop().unwrap();
/// runner.stop().unwrap(); // harmless
/// assert!(runner.errors().is_empty());
/// ```
pub struct PipelineRunner {
    state: Mutex<State>,
    errors: Arc<Mutex<VecDeque<String>>>,
}

impl std::fmt::Debug for PipelineRunner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PipelineRunner").finish_non_exhaustive()
    }
}

impl PipelineRunner {
    /// A runner for `pipeline`, not started.
    pub fn new(pipeline: Pipeline) -> PipelineRunner {
        PipelineRunner {
            state: Mutex::new(State::Ready(Box::new(pipeline))),
            errors: Arc::new(Mutex::new(VecDeque::new())),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a panic mid-call; the state itself is still consistent.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reads what is new once (before `start`); the first read or checkpoint error is returned.
    pub fn poll(&self) -> Result<PollSummary, RunnerError> {
        let mut state = self.state();
        let State::Ready(pipeline) = &mut *state else { return Err(RunnerError::NotReady("poll")) };
        let mut summary = pipeline.poll();
        // Waiting files are a warning (the background thread keeps it with the errors), not a failure.
        summary.errors.retain(|e| !matches!(e, PipelineError::FilesWaiting { .. }));
        if summary.errors.is_empty() {
            return Ok(summary);
        }
        Err(summary.errors.swap_remove(0).into())
    }

    /// Runs the pipeline on a background thread (new lines show up within a second).
    pub fn start(&self) -> Result<(), RunnerError> {
        let mut state = self.state();
        let pipeline = match std::mem::replace(&mut *state, State::Stopped) {
            State::Ready(pipeline) => pipeline,
            other => {
                *state = other;
                return Err(RunnerError::NotReady("start"));
            }
        };
        let errors = Arc::clone(&self.errors);
        let handle = pipeline
            .spawn(move |err| {
                let mut kept = errors.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if kept.len() >= KEPT_ERRORS {
                    kept.pop_front();
                }
                kept.push_back(err.to_string());
            })
            .map_err(RunnerError::Spawn)?;
        *state = State::Running(handle);
        Ok(())
    }

    /// Stops the pipeline (a last read, then the checkpoints are written); later calls do nothing.
    pub fn stop(&self) -> Result<(), RunnerError> {
        match std::mem::replace(&mut *self.state(), State::Stopped) {
            State::Running(handle) => Ok(handle.shutdown()?),
            State::Ready(pipeline) => Ok(pipeline.shutdown()?),
            State::Stopped => Ok(()),
        }
    }

    /// The background thread's read and checkpoint errors (the latest [`KEPT_ERRORS`]).
    pub fn errors(&self) -> Vec<String> {
        self.errors.lock().map(|kept| kept.iter().cloned().collect()).unwrap_or_default()
    }
}
