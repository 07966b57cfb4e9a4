//! The pipeline's state file (`<state directory>/checkpoint.json`, format version 2): every input's
//! tail offsets and built-in counters together with every rule's counted state, written in ONE atomic
//! replace, so after a crash at any moment the restored counts correspond exactly to the restored
//! offsets (every line counted once). Version 1 stored offsets only, one `tail-<input>.json` per
//! input; those still load (the rules then start empty). A file that cannot be read as a checkpoint is
//! moved aside (`<name>.corrupt-<unix time>`) and reported, and the inputs start by their start policy.
//!
//! ```
//! use srekit::logs::pipeline_state::PipelineState;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("checkpoint.json");
//! let state = PipelineState::default();
//! state.store(&path).unwrap();
//! assert_eq!(PipelineState::load(&path).unwrap(), Some(state));
//! ```

use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;

use serde::{Deserialize, Serialize};

use super::pipeline::PipelineError;
use super::rules::RuleState;
use super::tail::{self, Checkpoint, CheckpointEntry, CHECKPOINT_VERSION};

/// The state file's name in the state directory.
pub const STATE_FILE_NAME: &str = "checkpoint.json";

/// Everything a pipeline restores at start.
///
/// ```
/// let state = srekit::logs::pipeline_state::PipelineState::default();
/// assert_eq!(state.version, srekit::logs::tail::CHECKPOINT_VERSION);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineState {
    /// Format version ([`CHECKPOINT_VERSION`]).
    pub version: u32,
    /// Per input: offsets and built-in counters.
    pub inputs: Vec<InputState>,
    /// Per rule: what it counted up to those offsets.
    pub rules: Vec<RuleState>,
}

impl Default for PipelineState {
    fn default() -> PipelineState {
        PipelineState { version: CHECKPOINT_VERSION, inputs: Vec::new(), rules: Vec::new() }
    }
}

/// One input's offsets and built-in counters (`srekit_log_lines_total` and friends).
///
/// ```
/// let input = srekit::logs::pipeline_state::InputState { input: "app".into(), ..Default::default() };
/// assert_eq!(input.checkpoint().input, "app");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputState {
    /// The input's name.
    pub input: String,
    /// The files followed and their offsets.
    pub files: Vec<CheckpointEntry>,
    /// Lines read.
    #[serde(default)]
    pub lines: u64,
    /// Bytes of complete lines read.
    #[serde(default)]
    pub bytes: u64,
    /// Lines that failed to parse.
    #[serde(default)]
    pub parse_errors: u64,
    /// Lines skipped for being too long.
    #[serde(default)]
    pub too_long: u64,
}

impl InputState {
    /// The tail checkpoint part.
    ///
    /// ```
    /// let input = srekit::logs::pipeline_state::InputState::default();
    /// assert!(input.checkpoint().files.is_empty());
    /// ```
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint { version: CHECKPOINT_VERSION, input: self.input.clone(), files: self.files.clone() }
    }
}

impl PipelineState {
    /// Parses a state file's JSON text; the error says what is wrong (with line and column).
    ///
    /// ```
    /// use srekit::logs::pipeline_state::PipelineState;
    /// assert!(PipelineState::from_slice(br#"{"version":2,"inputs":[],"rules":[]}"#).is_ok());
    /// assert!(PipelineState::from_slice(br#"{"version":2,"inputs":["#).unwrap_err().contains("line 1"));
    /// assert!(PipelineState::from_slice(br#"{"version":7,"inputs":[],"rules":[]}"#).is_err());
    /// ```
    pub fn from_slice(text: &[u8]) -> Result<PipelineState, String> {
        let state: PipelineState = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        // Version 1 had no pipeline state file: only the current version is valid here.
        if state.version != CHECKPOINT_VERSION {
            tail::check_version(state.version)?;
            return Err(format!("a pipeline state file must be version {CHECKPOINT_VERSION}"));
        }
        Ok(state)
    }

    /// Reads the state file; `Ok(None)` when it does not exist, an error of kind `InvalidData` when it
    /// is not a valid state file.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("checkpoint.json");
    /// assert_eq!(srekit::logs::pipeline_state::PipelineState::load(&path).unwrap(), None);
    /// ```
    pub fn load(path: &Path) -> io::Result<Option<PipelineState>> {
        tail::read_checkpoint_file(path, PipelineState::from_slice)
    }

    /// Writes the state file atomically, as compact JSON.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// srekit::logs::pipeline_state::PipelineState::default().store(&dir.path().join("c.json")).unwrap();
    /// ```
    pub fn store(&self, path: &Path) -> io::Result<()> {
        tail::write_atomically(path, &self.to_json()?)
    }

    /// The state file's contents: compact JSON.
    ///
    /// ```
    /// let text = srekit::logs::pipeline_state::PipelineState::default().to_json().unwrap();
    /// assert_eq!(text, br#"{"version":2,"inputs":[],"rules":[]}"#);
    /// ```
    pub fn to_json(&self) -> io::Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(io::Error::other)
    }
}

/// Loads the pipeline's state file. A corrupt one is moved aside and reported in `pending`, and an
/// empty state returned: the inputs then start by their start policy, not from version-1 files.
pub(crate) fn load_state(
    path: &Path,
    pending: &mut Vec<PipelineError>,
) -> Result<Option<PipelineState>, PipelineError> {
    load_reported(path, PipelineState::load, pending, Some(PipelineState::default()))
}

/// Loads a version-1 per-input checkpoint; a corrupt one is moved aside and reported.
pub(crate) fn load_legacy(
    path: &Path,
    pending: &mut Vec<PipelineError>,
) -> Result<Option<Checkpoint>, PipelineError> {
    load_reported(path, Checkpoint::load, pending, None)
}

/// Loads a checkpoint with `load`. A corrupt one (`InvalidData`) is moved aside, reported in `pending`,
/// and `if_corrupt` returned. Other I/O errors (permission denied) are errors: the file may be fine
/// and is not moved.
fn load_reported<T>(
    path: &Path,
    load: impl FnOnce(&Path) -> io::Result<Option<T>>,
    pending: &mut Vec<PipelineError>,
    if_corrupt: Option<T>,
) -> Result<Option<T>, PipelineError> {
    match load(path) {
        Ok(loaded) => Ok(loaded),
        Err(e) if e.kind() == io::ErrorKind::InvalidData => {
            let moved_to = tail::move_aside(path).ok();
            pending.push(PipelineError::CorruptCheckpoint {
                path: path.to_path_buf(),
                moved_to,
                reason: e.to_string(),
            });
            Ok(if_corrupt)
        }
        Err(source) => Err(PipelineError::Checkpoint { path: path.to_path_buf(), source }),
    }
}

/// `<dir>/tail-<input>.json` (version-1 checkpoints), the input name made safe for a file name.
pub(crate) fn checkpoint_path(dir: &Path, input: &str) -> PathBuf {
    let safe: String = input
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') { c } else { '_' })
        .collect();
    dir.join(format!("tail-{safe}.json"))
}

/// Writes checkpoints on a thread of its own (for [`Pipeline::spawn`](super::pipeline::Pipeline::spawn)),
/// so the polling thread only takes the snapshot and serialises it; the write, fsync and rename happen
/// meanwhile. One write at a time: a snapshot offered while the previous one is still being written is
/// refused, and the next second's snapshot replaces it.
pub(crate) struct CheckpointWriter {
    texts: Option<mpsc::SyncSender<Vec<u8>>>,
    outcomes: mpsc::Receiver<Result<(), PipelineError>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl CheckpointWriter {
    /// Starts the writer thread for the state file at `path`.
    pub(crate) fn spawn(path: PathBuf) -> io::Result<CheckpointWriter> {
        let (texts, received) = mpsc::sync_channel::<Vec<u8>>(0);
        let (done, outcomes) = mpsc::channel();
        let thread = thread::Builder::new().name("srekit-checkpoint".to_owned()).spawn(move || {
            for text in received {
                let outcome = tail::write_atomically(&path, &text)
                    .map_err(|source| PipelineError::Checkpoint { path: path.clone(), source });
                if done.send(outcome).is_err() {
                    break;
                }
            }
        })?;
        Ok(CheckpointWriter { texts: Some(texts), outcomes, thread: Some(thread) })
    }

    /// Hands `text` to the writer thread; false when it is busy with the previous one.
    pub(crate) fn offer(&self, text: Vec<u8>) -> bool {
        self.texts.as_ref().is_some_and(|texts| texts.try_send(text).is_ok())
    }

    /// The outcomes of the writes finished since the last call.
    pub(crate) fn finished(&self) -> Vec<Result<(), PipelineError>> {
        self.outcomes.try_iter().collect()
    }
}

impl Drop for CheckpointWriter {
    /// Lets the write in progress finish, then ends the thread.
    fn drop(&mut self) {
        self.texts = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
