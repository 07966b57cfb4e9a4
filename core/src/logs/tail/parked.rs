//! Files beyond `max_open_files`: followed, but closed. A parked file keeps its identity and the offset
//! just past its last complete line (so it is in the checkpoint like an open one); each poll looks at
//! its size and modification time, and one with something new takes its turn: an open file is parked
//! to free a slot (an idle one first, else the one open longest), the waiting file is opened, read
//! (bounded per poll like every file) and parked again when another needs the slot. Waiting files are
//! served in the order they started waiting, so no file is starved however many there are.
//!
//! ```
//! use std::io::Write;
//! use srekit::logs::tail::{TailEvent, TailOptions, Tailer};
//!
//! let dir = tempfile::tempdir().unwrap();
//! for i in 0..3 {
//!     std::fs::write(dir.path().join(format!("{i}.log")), format!("file={i}\n")).unwrap();
//! }
//! let mut options = TailOptions::new("app", vec![format!("{}/*.log", dir.path().display())]);
//! options.read_from_head = true;
//! options.max_open_files = 1;
//! let mut tailer = Tailer::new(options, None).unwrap();
//! let mut lines = Vec::new();
//! for _ in 0..3 {
//!     tailer.poll(|e| if let TailEvent::Line(l) = e { lines.push(l.to_vec()) });
//! }
//! assert_eq!(lines.len(), 3); // one file a turn
//! assert_eq!((tailer.open_files().len(), tailer.waiting_files()), (1, 2));
//! assert_eq!(tailer.checkpoint().files.len(), 3);
//! ```

use std::collections::HashMap;
use std::collections::{BTreeSet, VecDeque};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::identity::{Fingerprint, Inode};
use super::{find_inode, stamp, FileStamp, Followed, PollStats, Tailer};
use crate::logs::split::LineSplitter;

/// A followed file closed to stay within `max_open_files`.
#[derive(Debug)]
pub(super) struct Parked {
    pub(super) path: PathBuf,
    pub(super) inode: Inode,
    pub(super) fingerprint: Fingerprint,
    /// Offset just past the last complete line handed out: where its next turn starts.
    pub(super) committed: u64,
    /// Size and modification time when it was closed at its end; `None` when it has more to read.
    seen: Option<FileStamp>,
    discard_to_newline: bool,
    /// Since when no matching path leads to it (renamed away or deleted).
    rotated_since: Option<Instant>,
    /// It had something new at its last look but found no free slot.
    unserved: bool,
}

/// What a parked file needs.
enum Turn {
    /// Nothing new.
    Wait(Parked),
    /// Something new: open it.
    Due(Parked),
    /// Gone, or rotated away and idle for `rotate_wait`.
    Drop,
}

impl Parked {
    /// Closes `followed`, keeping where it is (a partial last line is read again on its next turn).
    pub(super) fn park(followed: Followed) -> Parked {
        let at_end = followed.file.metadata().ok().filter(|meta| followed.read_pos >= meta.len());
        Parked {
            seen: at_end.map(|meta| stamp(&meta)),
            discard_to_newline: followed.discard_to_newline,
            rotated_since: followed.rotated.then_some(followed.last_activity),
            path: followed.path,
            inode: followed.inode,
            fingerprint: followed.fingerprint,
            committed: followed.committed,
            unserved: false,
        }
    }

    /// Whether it has something to read and waits for a slot.
    pub(super) fn needs_turn(&self) -> bool {
        self.unserved || self.seen.is_none()
    }

    /// Looks at the file: as the scan saw it at a matching path (`scanned`), else with a `stat` (or a
    /// directory listing when it was renamed away).
    fn turn(mut self, scanned: Option<&FileStamp>, rotate_wait: std::time::Duration) -> Turn {
        if let Some(scanned) = scanned {
            self.rotated_since = None;
            self.unserved = false;
            return if self.seen.as_ref() == Some(scanned) { Turn::Wait(self) } else { Turn::Due(self) };
        }
        let meta = match fs::metadata(&self.path) {
            Ok(meta) if Inode::of(&meta) == self.inode => Some(meta),
            _ => match find_inode(&self.path, self.inode) {
                Some(path) => {
                    self.path = path;
                    self.rotated_since.get_or_insert_with(Instant::now);
                    fs::metadata(&self.path).ok()
                }
                None => None,
            },
        };
        let Some(meta) = meta else { return Turn::Drop };
        self.unserved = false;
        if self.seen != Some(stamp(&meta)) {
            return Turn::Due(self);
        }
        match self.rotated_since {
            Some(since) if since.elapsed() >= rotate_wait => Turn::Drop,
            _ => Turn::Wait(self),
        }
    }

    /// Opens the file again where it was left (`None` when it is no longer the same file).
    fn reopen(&self, max_line_length: usize) -> Option<Followed> {
        let file = File::open(&self.path).ok()?;
        let meta = file.metadata().ok()?;
        if Inode::of(&meta) != self.inode {
            return None;
        }
        let now = Instant::now();
        Some(Followed {
            path: self.path.clone(),
            file,
            inode: self.inode,
            fingerprint: self.fingerprint,
            read_pos: self.committed,
            committed: self.committed,
            splitter: LineSplitter::new(max_line_length),
            max_line_length,
            discard_to_newline: self.discard_to_newline,
            rotated: self.rotated_since.is_some(),
            last_activity: self.rotated_since.unwrap_or(now),
            opened_at: now,
            busy: false,
            idle_at: None,
        })
    }
}

impl Tailer {
    /// Parks a new file when `max_open_files` are open, else keeps it open.
    pub(super) fn add_followed(&mut self, followed: Followed, stats: &mut PollStats) {
        // A symlink's writes show up in its target's directory (kubelet's /var/log/containers).
        if let Ok(target) = fs::canonicalize(&followed.path) {
            if target.parent() != followed.path.parent() {
                if let Some(dir) = target.parent() {
                    self.target_dirs.insert(followed.inode, dir.to_path_buf());
                }
            }
        }
        self.watch_version += 1;
        if self.files.len() < self.options.max_open_files {
            self.files.push(followed);
            stats.opened += 1;
        } else {
            self.parked.push_back(Parked::park(followed));
        }
    }

    /// The paths of every file followed, open or waiting for its turn.
    ///
    /// ```
    /// let t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec![]), None).unwrap();
    /// assert!(t.followed_files().is_empty());
    /// ```
    pub fn followed_files(&self) -> Vec<&Path> {
        let open = self.files.iter().map(|f| f.path.as_path());
        open.chain(self.parked.iter().map(|f| f.path.as_path())).collect()
    }

    /// How many files are followed but closed, waiting for a turn (more than `max_open_files` match).
    ///
    /// ```
    /// let t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec![]), None).unwrap();
    /// assert_eq!(t.waiting_files(), 0);
    /// ```
    pub fn waiting_files(&self) -> usize {
        self.parked.len()
    }

    /// The directories to watch for changes to this tailer's files (see [`DirWatcher`]): where its
    /// patterns start and look, where its files are and where their symlinks lead.
    ///
    /// ```
    /// let t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec!["/srv/*.log".into()]), None).unwrap();
    /// assert!(t.watch_dirs().contains(std::path::Path::new("/srv")));
    /// ```
    ///
    /// [`DirWatcher`]: super::DirWatcher
    pub fn watch_dirs(&self) -> BTreeSet<PathBuf> {
        let mut dirs: BTreeSet<PathBuf> = self.patterns.roots().into_iter().collect();
        dirs.extend(self.scan_dirs.iter().cloned());
        let open = self.files.iter().map(|f| (&f.path, f.inode));
        for (path, inode) in open.chain(self.parked.iter().map(|f| (&f.path, f.inode))) {
            dirs.extend(path.parent().filter(|dir| !dir.as_os_str().is_empty()).map(Path::to_path_buf));
            dirs.extend(self.target_dirs.get(&inode).cloned());
        }
        dirs
    }

    /// A number that changes when [`Tailer::watch_dirs`] may have.
    ///
    /// ```
    /// let t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec![]), None).unwrap();
    /// assert_eq!(t.watch_version(), 0);
    /// ```
    pub fn watch_version(&self) -> u64 {
        self.watch_version
    }

    /// Gives the parked files with something new a turn, parking open ones to free their slots.
    /// `stamps`: the matching files as this poll's scan saw them; files opened since `poll_started`
    /// (not read yet) keep their slots.
    pub(super) fn take_turns(
        &mut self,
        stamps: &HashMap<Inode, FileStamp>,
        poll_started: Instant,
        stats: &mut PollStats,
    ) {
        if self.parked.is_empty() {
            return;
        }
        let rotate_wait = self.options.rotate_wait;
        let mut due = Vec::new();
        let mut waiting = VecDeque::with_capacity(self.parked.len());
        for parked in self.parked.drain(..) {
            let scanned = stamps.get(&parked.inode);
            match parked.turn(scanned, rotate_wait) {
                Turn::Wait(parked) => waiting.push_back(parked),
                Turn::Due(parked) => due.push(parked),
                Turn::Drop => stats.closed += 1,
            }
        }
        let free = self.options.max_open_files.saturating_sub(self.files.len());
        let evictable = |f: &Followed| !f.rotated && f.opened_at < poll_started;
        let mut evict: Vec<usize> = (0..self.files.len()).filter(|&i| evictable(&self.files[i])).collect();
        // Idle files first, then the ones open longest.
        evict.sort_by_key(|&i| (self.files[i].busy, self.files[i].opened_at));
        evict.truncate(due.len().saturating_sub(free));
        evict.sort_unstable_by(|a, b| b.cmp(a));
        for index in evict {
            waiting.push_back(Parked::park(self.files.swap_remove(index)));
        }
        let mut unserved = VecDeque::new();
        for parked in due {
            if self.files.len() >= self.options.max_open_files {
                unserved.push_back(Parked { unserved: true, ..parked });
                continue;
            }
            self.reopen(&parked, stats);
        }
        // Slots left free (files let go) take waiting files back: parked only while needed.
        while self.files.len() < self.options.max_open_files && unserved.is_empty() {
            let Some(parked) = waiting.pop_front() else { break };
            self.reopen(&parked, stats);
        }
        // The files that found no slot go first next time.
        unserved.append(&mut waiting);
        self.parked = unserved;
    }

    /// Opens a parked file again where it was left. One replaced between the look and the open is let
    /// go (discovery finds whatever is there now).
    fn reopen(&mut self, parked: &Parked, stats: &mut PollStats) {
        match parked.reopen(self.options.max_line_length) {
            Some(followed) => {
                self.files.push(followed);
                stats.opened += 1;
            }
            None => stats.closed += 1,
        }
    }
}
