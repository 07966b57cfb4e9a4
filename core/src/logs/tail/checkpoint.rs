//! The tail checkpoint: per input, per file, the identity and the offset just past the last line fully
//! processed. Stored as JSON and replaced atomically (temporary file, fsync, rename, fsync of the
//! directory), so a crash leaves either the old or the new checkpoint, never a torn one.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::identity::{Fingerprint, Inode};

/// The current checkpoint format version.
pub const CHECKPOINT_VERSION: u32 = 1;

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
        let text = match fs::read(path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let checkpoint: Checkpoint = serde_json::from_slice(&text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, format!("{}: {e}", path.display())))?;
        if checkpoint.version != CHECKPOINT_VERSION {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: unsupported checkpoint version {}", path.display(), checkpoint.version),
            ));
        }
        Ok(Some(checkpoint))
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
        let text = serde_json::to_vec_pretty(self).map_err(io::Error::other)?;
        let mut temp_name = path.as_os_str().to_owned();
        temp_name.push(".tmp");
        let temp = PathBuf::from(temp_name);
        {
            let mut file = File::create(&temp)?;
            file.write_all(&text)?;
            file.write_all(b"\n")?;
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
}
