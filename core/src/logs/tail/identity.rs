//! File identity for tailing: `(device, inode)` plus a fingerprint (FNV-1a hash) of the file's first
//! bytes, so that an inode reused by a new file after the old one was deleted is not taken for the old
//! file.

use std::fs::File;
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt};

use serde::{Deserialize, Serialize};

/// How many leading bytes the fingerprint covers at most.
pub const FINGERPRINT_BYTES: usize = 1024;

/// A hash of a file's first `length` bytes (`length` <= [`FINGERPRINT_BYTES`]; shorter while the file is
/// smaller than that).
///
/// ```
/// use srekit::logs::tail::Fingerprint;
///
/// let a = Fingerprint::of(b"ts=1 msg=hello\n");
/// assert_eq!(a.length, 15);
/// assert_eq!(a, Fingerprint::of(b"ts=1 msg=hello\n"));
/// assert_ne!(a, Fingerprint::of(b"ts=2 msg=hello\n"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// Number of leading bytes hashed.
    pub length: u64,
    /// FNV-1a 64-bit hash of those bytes.
    pub hash: u64,
}

impl Fingerprint {
    /// The fingerprint of `prefix` (at most [`FINGERPRINT_BYTES`] of it are used).
    ///
    /// ```
    /// let long = vec![b'x'; 5000];
    /// assert_eq!(srekit::logs::tail::Fingerprint::of(&long).length, 1024);
    /// ```
    pub fn of(prefix: &[u8]) -> Fingerprint {
        let prefix = &prefix[..prefix.len().min(FINGERPRINT_BYTES)];
        Fingerprint { length: prefix.len() as u64, hash: fnv1a(prefix) }
    }

    /// Reads the first `length` bytes of `file` (fewer if it is shorter) and fingerprints them.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile().unwrap();
    /// file.write_all(b"abc\n").unwrap();
    /// let fp = srekit::logs::tail::Fingerprint::read(&file, 1024).unwrap();
    /// assert_eq!(fp, srekit::logs::tail::Fingerprint::of(b"abc\n"));
    /// ```
    pub fn read(file: &File, length: u64) -> io::Result<Fingerprint> {
        let mut buf = [0u8; FINGERPRINT_BYTES];
        let want = (length as usize).min(FINGERPRINT_BYTES);
        let filled = read_prefix(file, &mut buf[..want])?;
        Ok(Fingerprint::of(&buf[..filled]))
    }

    /// Whether `file` still starts with the bytes this fingerprint was taken from.
    ///
    /// ```
    /// use std::io::Write;
    /// let mut file = tempfile::tempfile().unwrap();
    /// file.write_all(b"abc\n").unwrap();
    /// let fp = srekit::logs::tail::Fingerprint::of(b"ab");
    /// assert!(fp.matches(&file).unwrap());
    /// assert!(!srekit::logs::tail::Fingerprint::of(b"xy").matches(&file).unwrap());
    /// ```
    pub fn matches(&self, file: &File) -> io::Result<bool> {
        Ok(Fingerprint::read(file, self.length)? == *self)
    }
}

/// Reads up to `buf.len()` leading bytes of `file` (fewer when it is shorter); returns how many.
pub(super) fn read_prefix(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The FNV-1a 64-bit hash of `bytes` (stable across versions and platforms: it is stored in
/// checkpoints).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// The `(device, inode)` of a file: stable across renames, different for a deleted and re-created file
/// (while the old one is open).
///
/// ```
/// let file = tempfile::NamedTempFile::new().unwrap();
/// let a = srekit::logs::tail::Inode::of(&file.as_file().metadata().unwrap());
/// let b = srekit::logs::tail::Inode::of(&std::fs::metadata(file.path()).unwrap());
/// assert_eq!(a, b);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Inode {
    /// Device number.
    pub device: u64,
    /// Inode number.
    pub inode: u64,
}

impl Inode {
    /// The inode of a file's metadata.
    ///
    /// ```
    /// let meta = std::fs::metadata("/").unwrap();
    /// assert!(srekit::logs::tail::Inode::of(&meta).inode > 0);
    /// ```
    pub fn of(meta: &std::fs::Metadata) -> Inode {
        Inode { device: meta.dev(), inode: meta.ino() }
    }
}
