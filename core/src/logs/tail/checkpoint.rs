//! The tail checkpoint: per input, per file, the identity and the offset just past the last line fully
//! processed. Stored as JSON and replaced atomically (temporary file, fsync, rename, fsync of the
//! directory), so a crash leaves either the old or the new checkpoint, never a torn one. A file that is
//! not a valid checkpoint is moved aside by [`move_aside`] so the input can start afresh.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::identity::{Fingerprint, Inode};

/// The current checkpoint format version. Version 2 adds the log-derived metrics' state to the
/// pipeline's state file (see `logs::pipeline`); version-1 files (offsets only) still load.
pub const CHECKPOINT_VERSION: u32 = 2;

/// The oldest checkpoint format version that still loads.
pub const OLDEST_CHECKPOINT_VERSION: u32 = 1;

/// One followed file in a checkpoint.
///
/// ```
/// use srekit::logs::tail::{CheckpointEntry, Fingerprint, Inode};
///
/// let entry = CheckpointEntry {
///     path: "/var/log/app.log".into(),
///     inode: Inode { device: 2049, inode: 1234 },
///     fingerprint: Fingerprint::of(b"first line\n"),
///     offset: 11,
/// };
/// assert_eq!(entry.offset, 11);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckpointEntry {
    /// The path the file was last seen under.
    pub path: PathBuf,
    /// Device and inode.
    pub inode: Inode,
    /// Fingerprint of the file's first bytes.
    pub fingerprint: Fingerprint,
    /// Byte offset just past the last line fully processed.
    pub offset: u64,
}

/// The checkpoint of one input.
///
/// ```
/// use srekit::logs::tail::Checkpoint;
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("app.json");
/// assert_eq!(Checkpoint::load(&path).unwrap(), None);
/// let checkpoint = Checkpoint::new("app");
/// checkpoint.store(&path).unwrap();
/// assert_eq!(Checkpoint::load(&path).unwrap(), Some(checkpoint));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// Format version ([`CHECKPOINT_VERSION`]).
    pub version: u32,
    /// The input's name.
    pub input: String,
    /// The files followed when the checkpoint was taken.
    pub files: Vec<CheckpointEntry>,
}

impl Checkpoint {
    /// An empty checkpoint for `input`.
    ///
    /// ```
    /// assert!(srekit::logs::tail::Checkpoint::new("x").files.is_empty());
    /// ```
    pub fn new(input: &str) -> Checkpoint {
        Checkpoint { version: CHECKPOINT_VERSION, input: input.to_owned(), files: Vec::new() }
    }

    /// Reads a checkpoint; `Ok(None)` when the file does not exist. A file that is not a valid
    /// checkpoint is an error of kind `InvalidData`.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("bad.json");
    /// std::fs::write(&path, "not json").unwrap();
    /// assert_eq!(srekit::logs::tail::Checkpoint::load(&path).unwrap_err().kind(), std::io::ErrorKind::InvalidData);
    /// ```
    pub fn load(path: &Path) -> io::Result<Option<Checkpoint>> {
        read_checkpoint_file(path, Checkpoint::from_slice)
    }

    /// Parses a checkpoint from its JSON text (any supported version); the error says what is wrong.
    ///
    /// ```
    /// use srekit::logs::tail::Checkpoint;
    /// let v1 = br#"{"version":1,"input":"a","files":[]}"#;
    /// assert_eq!(Checkpoint::from_slice(v1).unwrap().input, "a");
    /// let v9 = br#"{"version":9,"input":"a","files":[]}"#;
    /// assert!(Checkpoint::from_slice(v9).unwrap_err().contains("unsupported checkpoint version 9"));
    /// ```
    pub fn from_slice(text: &[u8]) -> Result<Checkpoint, String> {
        let checkpoint: Checkpoint = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        check_version(checkpoint.version)?;
        Ok(checkpoint)
    }

    /// Writes the checkpoint atomically: to `<path>.tmp`, fsync, rename over `path`, fsync the directory.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("cp.json");
    /// srekit::logs::tail::Checkpoint::new("a").store(&path).unwrap();
    /// assert!(!dir.path().join("cp.json.tmp").exists());
    /// ```
    pub fn store(&self, path: &Path) -> io::Result<()> {
        let mut text = serde_json::to_vec(self).map_err(io::Error::other)?;
        text.push(b'\n');
        write_atomically(path, &text)
    }
}

/// Reads a checkpoint file and parses it with `parse`: `Ok(None)` when it does not exist, an error of
/// kind `InvalidData` naming the file when `parse` refuses it.
pub(crate) fn read_checkpoint_file<T>(
    path: &Path,
    parse: impl FnOnce(&[u8]) -> Result<T, String>,
) -> io::Result<Option<T>> {
    let text = match fs::read(path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    parse(&text)
        .map(Some)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))
}

/// Refuses a format version this build cannot read.
///
/// ```
/// assert!(srekit::logs::tail::check_version(1).is_ok());
/// assert!(srekit::logs::tail::check_version(0).is_err());
/// ```
pub fn check_version(version: u32) -> Result<(), String> {
    if (OLDEST_CHECKPOINT_VERSION..=CHECKPOINT_VERSION).contains(&version) {
        Ok(())
    } else {
        Err(format!(
            "unsupported checkpoint version {version} (this build reads {OLDEST_CHECKPOINT_VERSION} to {CHECKPOINT_VERSION})"
        ))
    }
}

/// Replaces `path` with `contents` atomically: writes `<path>.tmp`, fsyncs it, renames it over `path`
/// and fsyncs the directory. A crash at any moment leaves the old or the new contents, never a mix.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("state.json");
/// srekit::logs::tail::write_atomically(&path, b"{}").unwrap();
/// assert_eq!(std::fs::read(&path).unwrap(), b"{}");
/// ```
pub fn write_atomically(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut temp_name = path.as_os_str().to_owned();
    temp_name.push(".tmp");
    let temp = PathBuf::from(temp_name);
    {
        let mut file = File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
    }
    fs::rename(&temp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Best effort: some filesystems cannot fsync a directory.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// Moves a corrupt checkpoint out of the way, to `<path>.corrupt-<unix time>`, so the next start does
/// not trip over it and an operator can look at it. Returns the new path.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("tail-app.json");
/// std::fs::write(&path, "garbage").unwrap();
/// let moved = srekit::logs::tail::move_aside(&path).unwrap();
/// assert!(!path.exists() && moved.exists());
/// assert!(moved.to_string_lossy().contains("tail-app.json.corrupt-"));
/// ```
pub fn move_aside(path: &Path) -> io::Result<PathBuf> {
    let now =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".corrupt-{now}"));
    let target = PathBuf::from(name);
    fs::rename(path, &target)?;
    Ok(target)
}
