//! copytruncate with a visible copy: when a followed file is found truncated, its fingerprint and the
//! offset reached are remembered for a while; a new file (matching `paths`, or the input's
//! `rotated_paths`) that starts with the same bytes is the rotated copy, and is read from that offset
//! to its end, so the lines written between our last read and the truncation are not lost. A new file
//! that repeats the first 1 KiB of a file still followed (and not truncated) is a copy in progress: it
//! is not read from its start (that would count its lines twice) but looked at again at the next poll.
//!
//! ```
//! use std::io::Write;
//! use srekit::logs::tail::{TailEvent, TailOptions, Tailer};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let log = dir.path().join("app.log");
//! std::fs::write(&log, "a=1\n").unwrap();
//! let mut options = TailOptions::new("app", vec![log.display().to_string()]);
//! options.read_from_head = true;
//! options.rotated_paths = vec![format!("{}/app.log.*", dir.path().display())];
//! let mut tailer = Tailer::new(options, None).unwrap();
//! let mut lines = Vec::new();
//! let mut poll = |t: &mut Tailer| t.poll(|e| if let TailEvent::Line(l) = e { lines.push(l.to_vec()) });
//! poll(&mut tailer);
//! // Written, then copied and truncated before the next poll (logrotate's copytruncate):
//! std::fs::OpenOptions::new().append(true).open(&log).unwrap().write_all(b"b=2\n").unwrap();
//! std::fs::copy(&log, dir.path().join("app.log.1")).unwrap();
//! std::fs::OpenOptions::new().write(true).open(&log).unwrap().set_len(0).unwrap();
//! poll(&mut tailer); // finds app.log truncated
//! let stats = poll(&mut tailer); // finds the copy and reads it from where app.log was left
//! assert_eq!(stats.copies, 1);
//! assert_eq!(lines, vec![b"a=1".to_vec(), b"b=2".to_vec()]);
//! ```

use std::fs::File;
use std::time::{Duration, Instant};

use super::identity::{read_prefix, Fingerprint, FINGERPRINT_BYTES};

/// How long a truncated file's fingerprint waits for its copy to show up (at least; `rotate_wait` when
/// longer).
const COPY_WAIT: Duration = Duration::from_secs(10);

/// A new file counts as a copy in progress only when it repeats a followed file's whole fingerprint of
/// this many leading bytes: a new file starting with all of a small followed file (a CSV header, a
/// banner) is not held back. A copy of a file shorter than this is read from its start.
const MIN_COPY_PREFIX: u64 = FINGERPRINT_BYTES as u64;

/// A followed file found truncated: what its copy would start with, and where we had got to.
#[derive(Debug, Clone, Copy)]
struct Truncated {
    fingerprint: Fingerprint,
    committed: u64,
    at: Instant,
}

/// What a newly found file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NewFile {
    /// The copy of a truncated file: read it from this offset.
    CopyOf { committed: u64 },
    /// It starts like a file still followed: a copy in progress (or a plain copy); not read for now.
    CopyInProgress,
    /// Unrelated to the files followed.
    New,
}

/// The truncations waiting for their copy.
#[derive(Debug, Default)]
pub(super) struct Copies {
    truncated: Vec<Truncated>,
}

impl Copies {
    /// Remembers that a file whose content started as `fingerprint` was truncated after we had handed
    /// out the lines before `committed`.
    pub(super) fn truncated(&mut self, fingerprint: Fingerprint, committed: u64) {
        if fingerprint.length > 0 {
            self.truncated.push(Truncated { fingerprint, committed, at: Instant::now() });
        }
    }

    /// Whether some truncation still waits for its copy (dropping those waiting longer than allowed).
    pub(super) fn waiting(&mut self, rotate_wait: Duration) -> bool {
        let limit = rotate_wait.max(COPY_WAIT);
        self.truncated.retain(|t| t.at.elapsed() < limit);
        !self.truncated.is_empty()
    }

    /// Classifies a newly found file by its first bytes against the truncated files (a match is used
    /// up) and then the `followed` fingerprints.
    pub(super) fn classify<'a>(
        &mut self,
        file: &File,
        followed: impl Iterator<Item = &'a Fingerprint>,
    ) -> NewFile {
        let mut prefix = [0u8; FINGERPRINT_BYTES];
        let Ok(length) = read_prefix(file, &mut prefix) else { return NewFile::New };
        let starts_like = |fingerprint: &Fingerprint| {
            let n = fingerprint.length as usize;
            n > 0 && n <= length && Fingerprint::of(&prefix[..n]) == *fingerprint
        };
        if let Some(index) = self.truncated.iter().position(|t| starts_like(&t.fingerprint)) {
            let truncated = self.truncated.swap_remove(index);
            return NewFile::CopyOf { committed: truncated.committed };
        }
        for fingerprint in followed {
            if fingerprint.length >= MIN_COPY_PREFIX && starts_like(fingerprint) {
                return NewFile::CopyInProgress;
            }
        }
        NewFile::New
    }
}
