//! Why a [`Pipeline`](super::pipeline::Pipeline) could not be built, or what went wrong (or is worth a
//! warning) while it runs: [`PipelineError`], re-exported from `logs::pipeline`. Its stable codes are
//! in `logs::error`.

use std::io;
use std::path::PathBuf;

use thiserror::Error;

use super::error::LogError;
use super::rules::{DiscardedState, RuleError};
use crate::error::MetricError;

/// Why the pipeline could not be built, or what went wrong while running it.
///
/// ```
/// use srekit::logs::{config::PipelineConfig, pipeline::{Pipeline, PipelineError}};
/// let config: PipelineConfig = toml::from_str("[[inputs]]\nname = \"a\"\npaths = []\nformat = \"xml\"").unwrap();
/// let err = Pipeline::new(&config).err().unwrap();
/// assert!(matches!(err, PipelineError::Parser { .. }));
/// assert!(err.to_string().starts_with("input \"a\": unknown log format \"xml\""));
/// ```
#[derive(Debug, Error)]
pub enum PipelineError {
    /// The input's parser options are invalid.
    #[error("input {input:?}: {source}")]
    Parser {
        /// The input's name.
        input: String,
        /// What is wrong.
        source: LogError,
    },
    /// A path pattern is not a valid glob.
    #[error("input {input:?}: invalid path pattern: {source}")]
    Pattern {
        /// The input's name.
        input: String,
        /// The glob crate's error.
        source: glob::PatternError,
    },
    /// An input setting is out of range or inconsistent.
    #[error("input {input:?}: {message}")]
    InvalidInput {
        /// The input's name.
        input: String,
        /// What is wrong.
        message: String,
    },
    /// Two inputs have the same name.
    #[error("two inputs are named {0:?}")]
    DuplicateInput(String),
    /// A rule names an input that does not exist.
    #[error("rule {rule:?} refers to unknown input {input:?}")]
    UnknownInput {
        /// The rule's metric name.
        rule: String,
        /// The unknown input name.
        input: String,
    },
    /// A rule is invalid.
    #[error(transparent)]
    Rule(#[from] RuleError),
    /// A built-in metric could not be registered (its name is taken in the registry).
    #[error("built-in metric: {0}")]
    Metric(#[from] MetricError),
    /// The state directory or a checkpoint file could not be read or written.
    #[error("checkpoint {path}: {source}")]
    Checkpoint {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// A checkpoint file was not a valid checkpoint (truncated, garbage, unknown version): it was moved
    /// aside and the inputs it covered started by their start policy.
    #[error("corrupt checkpoint {path} ({reason}); {}", match moved_to {
        Some(to) => format!("moved to {}; the inputs start afresh", to.display()),
        None => "it could not be moved aside; the inputs start afresh".to_owned(),
    })]
    CorruptCheckpoint {
        /// The file.
        path: PathBuf,
        /// Where it was moved.
        moved_to: Option<PathBuf>,
        /// What is wrong with it.
        reason: String,
    },
    /// A rule's saved state was not restored (the rule changed or is gone); it starts from zero.
    #[error("{0}")]
    StateDiscarded(DiscardedState),
    /// More files match than `max_open_files`: the others are read in turn (reported when it starts,
    /// then at most every [`WAITING_REPORT_INTERVAL`](super::pipeline::WAITING_REPORT_INTERVAL) while it lasts). A warning, not an error.
    #[error("input {input:?}: {waiting} files wait for their turn (more match than max_open_files = {max_open_files}); they are read in turn, raise max_open_files to keep them all open")]
    FilesWaiting {
        /// The input's name.
        input: String,
        /// Files followed but closed now.
        waiting: usize,
        /// The input's `max_open_files`.
        max_open_files: usize,
    },
    /// The inputs' directories cannot be watched (no inotify, or `fs.inotify.max_user_watches`
    /// reached): they are polled every `poll_interval` instead. A warning.
    #[error("watching the log directories failed, polling them instead: {source}")]
    Watch {
        /// Why.
        source: io::Error,
    },
    /// Reading one of an input's files failed (other files and inputs go on).
    #[error("input {input:?}: {path}: {source}")]
    Read {
        /// The input's name.
        input: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The background thread panicked.
    #[error("the pipeline thread panicked")]
    ThreadPanicked,
}
