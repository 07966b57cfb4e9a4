//! Following files by path or glob, as Fluent Bit's `tail` input does, with stronger guarantees: a
//! [`Tailer`] polls the filesystem (one stat per idle file; a [`DirWatcher`] on the directories of
//! [`Tailer::watch_dirs`] says when a poll is worth it), reads more files than `max_open_files` in turn
//! (see `parked`), survives rename rotation (the renamed file
//! is drained, late writes included, until it has been idle for `rotate_wait`), copytruncate and
//! truncation (restart at 0; when the rotated copy is visible, through `paths` or `rotated_paths`, it
//! is recognised by its first bytes and finished from the offset reached), deletion and re-creation (a
//! new file), and reports only complete lines.
//! Its [`Checkpoint`] records, per file, the offset just past the last line handed out, so a restart
//! resumes exactly there: nothing is skipped, nothing repeated.
//!
//! ```
//! use std::io::Write;
//! use srekit::logs::tail::{TailEvent, TailOptions, Tailer};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("app.log");
//! std::fs::write(&path, "old=1\n").unwrap();
//! let mut options = TailOptions::new("app", vec![format!("{}/*.log", dir.path().display())]);
//! options.read_from_head = false; // the default: files present at the first start are read from their end
//! let mut tailer = Tailer::new(options, None).unwrap();
//! let mut lines = Vec::new();
//! tailer.poll(|e| if let TailEvent::Line(l) = e { lines.push(l.to_vec()) });
//! assert!(lines.is_empty());
//! std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(b"new=1\npart").unwrap();
//! let stats = tailer.poll(|e| if let TailEvent::Line(l) = e { lines.push(l.to_vec()) });
//! assert!(stats.errors.is_empty());
//! assert_eq!(lines, vec![b"new=1".to_vec()]); // "part" waits for its newline
//! assert_eq!(tailer.checkpoint().files[0].offset, 12);
//! ```

mod checkpoint;
mod copies;
mod discover;
mod identity;
mod parked;
mod read;
mod watch;

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io;
use std::os::unix::fs::DirEntryExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub(crate) use checkpoint::read_checkpoint_file;
pub use checkpoint::{
    check_version, move_aside, write_atomically, Checkpoint, CheckpointEntry, CHECKPOINT_VERSION,
    OLDEST_CHECKPOINT_VERSION,
};
pub use discover::{Patterns, Scan, MAX_SCAN_ENTRIES};
pub(crate) use identity::fnv1a;
pub use identity::{Fingerprint, Inode, FINGERPRINT_BYTES};
pub use watch::DirWatcher;

use super::split::{LineSplitter, DEFAULT_MAX_LINE_LENGTH};
use copies::{Copies, NewFile};
use parked::Parked;
use read::{read_new_data, start_at_end, ByBlock, ByLine, Deliver};

/// Bytes read per `read` call.
const CHUNK_SIZE: usize = 256 * 1024;
/// Bytes read from one file in one poll at most, so one busy file cannot starve the others.
const MAX_BYTES_PER_POLL: u64 = 64 * 1024 * 1024;
/// How far back from the end a first start looks for the last line boundary.
const START_AT_END_WINDOW: u64 = 64 * 1024;

/// How an input follows its files.
///
/// ```
/// let options = srekit::logs::tail::TailOptions::new("nginx", vec!["/var/log/nginx/*.log".into()]);
/// assert_eq!(options.rotate_wait, std::time::Duration::from_secs(5));
/// assert_eq!(options.max_open_files, 1024);
/// assert!(!options.read_from_head);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TailOptions {
    /// The input's name (recorded in its checkpoint).
    pub name: String,
    /// Paths and glob patterns to follow.
    pub paths: Vec<String>,
    /// Read files present at the first start (without a checkpoint) from their beginning instead of
    /// their end.
    pub read_from_head: bool,
    /// How long a rotated-away or deleted file is kept open after its last new data (Fluent Bit's
    /// `Rotate_Wait`; default 5 s).
    pub rotate_wait: Duration,
    /// Longest line, in bytes (default 1 MiB); longer lines are skipped and reported as
    /// [`TailEvent::TooLong`].
    pub max_line_length: usize,
    /// Most files open at once for this input (default 1024). When more match, they are read in turn:
    /// a file with new data waits for a slot, is opened, read and closed again when another needs it.
    pub max_open_files: usize,
    /// Where copytruncate's rotated copies go when `paths` does not match them (e.g.
    /// `/var/log/app.log.*`): such a file is never read for itself, only as the copy of a file found
    /// truncated, from the offset that file had reached (default: none).
    pub rotated_paths: Vec<String>,
    /// Glob patterns of paths not to follow, though `paths` match them.
    pub exclude_paths: Vec<String>,
    /// Files not modified for longer than this are not opened (until they are written again).
    pub ignore_older: Option<Duration>,
}

impl TailOptions {
    /// Options with the defaults for `name` following `paths`.
    ///
    /// ```
    /// let o = srekit::logs::tail::TailOptions::new("a", vec!["/tmp/a.log".into()]);
    /// assert_eq!(o.max_line_length, 1 << 20);
    /// ```
    pub fn new(name: &str, paths: Vec<String>) -> TailOptions {
        TailOptions {
            name: name.to_owned(),
            paths,
            read_from_head: false,
            rotate_wait: Duration::from_secs(5),
            max_line_length: DEFAULT_MAX_LINE_LENGTH,
            max_open_files: 1024,
            rotated_paths: Vec::new(),
            exclude_paths: Vec::new(),
            ignore_older: None,
        }
    }
}

/// What a [`Tailer`] hands out.
///
/// ```
/// let event = srekit::logs::tail::TailEvent::Line(b"a=1");
/// assert!(matches!(event, srekit::logs::tail::TailEvent::Line(l) if l == b"a=1"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailEvent<'a> {
    /// A complete line, without its `\n` / `\r\n`.
    Line(&'a [u8]),
    /// A line longer than the maximum was skipped; its length in bytes.
    TooLong(usize),
}

/// What [`Tailer::poll_blocks`] hands out: whole lines, or a line over the maximum that was skipped.
///
/// ```
/// let block = srekit::logs::tail::TailBlock::Lines(b"a=1\nb=2\n");
/// assert!(matches!(block, srekit::logs::tail::TailBlock::Lines(data) if data.ends_with(b"\n")));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TailBlock<'a> {
    /// One or more whole lines, each ending in `\n` (the last may not, when a closed rotated file
    /// ended without one). A line over the maximum that lies wholly inside may still be there: the
    /// parser reports it as too long.
    Lines(&'a [u8]),
    /// A line longer than the maximum, read across several reads, was skipped; its length in bytes.
    TooLong(usize),
}

/// What one [`Tailer::poll`] did.
///
/// ```
/// let stats = srekit::logs::tail::PollStats::default();
/// assert_eq!(stats.bytes, 0);
/// assert!(!stats.more && stats.errors.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct PollStats {
    /// Bytes of complete lines handed out (line endings included).
    pub bytes: u64,
    /// Lines handed out (skipped over-long lines included).
    pub lines: u64,
    /// Files opened.
    pub opened: u64,
    /// Files let go (rotated away or deleted, then idle for `rotate_wait`).
    pub closed: u64,
    /// Files found truncated (or copy-truncated) and restarted at offset 0.
    pub truncated: u64,
    /// Files followed but closed after this poll, waiting for their turn, because more than
    /// `max_open_files` match.
    pub over_open_limit: u64,
    /// Rotated copies of truncated files recognised by their first bytes and read from the offset
    /// the truncated file had reached.
    pub copies: u64,
    /// Some file has more data than one poll reads: poll again without waiting.
    pub more: bool,
    /// Files with something to read wait for a slot (more than `max_open_files` match): poll again
    /// after the poll interval, even when their directories are watched.
    pub waiting_for_turn: u64,
    /// Files that could not be read (the others were read; the failing ones are retried next poll,
    /// or let go if they are rotated away and idle).
    pub errors: Vec<(PathBuf, io::Error)>,
}

/// One file being followed.
#[derive(Debug)]
struct Followed {
    path: PathBuf,
    file: File,
    inode: Inode,
    fingerprint: Fingerprint,
    /// Next byte to read.
    read_pos: u64,
    /// Offset just past the last complete line handed out.
    committed: u64,
    splitter: LineSplitter,
    max_line_length: usize,
    /// Skip the bytes up to the next newline (a first start inside a huge last line).
    discard_to_newline: bool,
    /// No matching path leads to this file any more (renamed away or deleted).
    rotated: bool,
    last_activity: Instant,
    /// When it was (re)opened: when files wait for a slot, the one open longest gives its slot up.
    opened_at: Instant,
    /// New data was read at the last poll.
    busy: bool,
    /// Size and modification time at the last poll that found nothing more to read: while they stay
    /// the same, a poll costs one `fstat` (no fingerprint re-read).
    idle_at: Option<FileStamp>,
}

/// A file's size and modification time (seconds, nanoseconds).
type FileStamp = (u64, i64, i64);

fn stamp(meta: &std::fs::Metadata) -> FileStamp {
    use std::os::unix::fs::MetadataExt;
    (meta.len(), meta.mtime(), meta.mtime_nsec())
}

/// Where a newly opened file starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Start {
    Head,
    End,
    At(u64),
}

/// Follows the files of one input. Call [`Tailer::poll`] every ~250 ms; store [`Tailer::checkpoint`]
/// every second and at shutdown.
///
/// ```
/// use srekit::logs::tail::{TailEvent, TailOptions, Tailer};
///
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::write(dir.path().join("a.log"), "x=1\ny=2\n").unwrap();
/// let mut options = TailOptions::new("a", vec![format!("{}/a.log", dir.path().display())]);
/// options.read_from_head = true;
/// let mut tailer = Tailer::new(options, None).unwrap();
/// let mut count = 0;
/// let stats = tailer.poll(|e| if matches!(e, TailEvent::Line(_)) { count += 1 });
/// assert_eq!((count, stats.lines, stats.bytes), (2, 2, 8));
/// ```
#[derive(Debug)]
pub struct Tailer {
    options: TailOptions,
    patterns: Patterns,
    files: Vec<Followed>,
    /// Followed files closed to stay within `max_open_files`, in the order they wait.
    parked: VecDeque<Parked>,
    /// The checkpoint to resume from, until the first poll uses it.
    restore: Option<Checkpoint>,
    started: bool,
    buf: Vec<u8>,
    /// Matching paths that could not be opened (reported once).
    unreadable: HashSet<PathBuf>,
    /// Where rotated copies may be besides `paths`.
    rotated_patterns: Patterns,
    /// Truncated files waiting for their copy.
    copies: Copies,
    /// `exclude_paths`, compiled.
    exclude: Vec<glob::Pattern>,
    /// Where to watch for changes: the directories the last scan looked into, and the directories of
    /// the followed files' symlink targets (by inode); `watch_version` changes with them.
    scan_dirs: Vec<PathBuf>,
    target_dirs: HashMap<Inode, PathBuf>,
    watch_version: u64,
}

impl Tailer {
    /// A tailer for `options`, resuming from `checkpoint` when given (files in it resume at their
    /// offsets; files not in it are read from their beginning, since they appeared while stopped).
    /// Without a checkpoint, files present at the first poll start at their end unless
    /// `read_from_head`. Files that appear later are always read from their beginning.
    ///
    /// ```
    /// let options = srekit::logs::tail::TailOptions::new("a", vec!["[".into()]);
    /// assert!(srekit::logs::tail::Tailer::new(options, None).is_err());
    /// ```
    pub fn new(options: TailOptions, checkpoint: Option<Checkpoint>) -> Result<Tailer, glob::PatternError> {
        let patterns = Patterns::new(&options.paths)?;
        let rotated_patterns = Patterns::new(&options.rotated_paths)?;
        let exclude =
            options.exclude_paths.iter().map(|p| glob::Pattern::new(p)).collect::<Result<Vec<_>, _>>()?;
        Ok(Tailer {
            rotated_patterns,
            copies: Copies::default(),
            exclude,
            options,
            patterns,
            files: Vec::new(),
            parked: VecDeque::new(),
            restore: checkpoint,
            started: false,
            buf: Vec::new(),
            unreadable: HashSet::new(),
            scan_dirs: Vec::new(),
            target_dirs: HashMap::new(),
            watch_version: 0,
        })
    }

    /// The options this tailer follows.
    ///
    /// ```
    /// let t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec![]), None).unwrap();
    /// assert_eq!(t.options().name, "a");
    /// ```
    pub fn options(&self) -> &TailOptions {
        &self.options
    }

    /// The paths of the files open now (rotated ones under the path they were last seen at).
    ///
    /// ```
    /// let t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec![]), None).unwrap();
    /// assert!(t.open_files().is_empty());
    /// ```
    pub fn open_files(&self) -> Vec<&Path> {
        self.files.iter().map(|f| f.path.as_path()).collect()
    }

    /// Discovers files, detects rotation and truncation, reads new data and calls `on_event` for every
    /// complete line. Errors reading one file do not stop the others; they are listed in the stats.
    ///
    /// ```
    /// let mut t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec![]), None).unwrap();
    /// assert_eq!(t.poll(|_| {}).lines, 0);
    /// ```
    pub fn poll(&mut self, mut on_event: impl FnMut(TailEvent<'_>)) -> PollStats {
        self.poll_files(|_, event| on_event(event))
    }

    /// [`Tailer::poll`], telling `on_event` which file each line comes from (the path it was found
    /// under; a rotated file keeps the path it had, so state kept per path carries across a rotation).
    ///
    /// ```
    /// let mut t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec![]), None).unwrap();
    /// assert_eq!(t.poll_files(|_path, _event| {}).lines, 0);
    /// ```
    pub fn poll_files(&mut self, on_event: impl FnMut(&Path, TailEvent<'_>)) -> PollStats {
        self.poll_with(&mut ByLine(on_event))
    }

    /// [`Tailer::poll_files`], handing out runs of whole lines as one block each (a buffer for a
    /// parser's whole-buffer walk; see [`TailBlock`]). `PollStats::lines` counts the lines in them.
    ///
    /// ```
    /// let mut t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("a", vec![]), None).unwrap();
    /// assert_eq!(t.poll_blocks(|_path, _block| {}).lines, 0);
    /// ```
    pub fn poll_blocks(&mut self, mut on_block: impl FnMut(&Path, TailBlock<'_>)) -> PollStats {
        self.poll_blocks_counted(|path, block| {
            on_block(path, block);
            None
        })
    }

    /// [`Tailer::poll_blocks`] with an `on_block` that may return how many lines a
    /// [`TailBlock::Lines`] held (its newlines), having counted them as it walked them: they are then
    /// not counted again (see [`LineSplitter::push_blocks_counted`]).
    pub(crate) fn poll_blocks_counted(
        &mut self,
        on_block: impl FnMut(&Path, TailBlock<'_>) -> Option<u64>,
    ) -> PollStats {
        self.poll_with(&mut ByBlock(on_block))
    }

    fn poll_with(&mut self, deliver: &mut impl Deliver) -> PollStats {
        let mut stats = PollStats::default();
        let poll_started = Instant::now();
        let stamps;
        if !self.started {
            self.started = true;
            match self.restore.take() {
                Some(checkpoint) => {
                    self.resume(&checkpoint, &mut stats);
                    stamps = self.discover(Start::Head, &mut stats);
                }
                None if self.options.read_from_head => stamps = self.discover(Start::Head, &mut stats),
                None => stamps = self.discover(Start::End, &mut stats),
            }
        } else {
            stamps = self.discover(Start::Head, &mut stats);
            self.take_turns(&stamps, poll_started, &mut stats);
        }
        if self.buf.len() < CHUNK_SIZE {
            self.buf = vec![0; CHUNK_SIZE];
        }
        let rotate_wait = self.options.rotate_wait;
        let mut index = 0;
        while index < self.files.len() {
            let followed = &mut self.files[index];
            followed.busy = false;
            let seen = stamps.get(&followed.inode).filter(|_| !followed.rotated);
            let unchanged = seen.is_some() && seen == followed.idle_at.as_ref();
            // As the scan saw it a moment ago, and as it was when last read to its end: no fstat either.
            let outcome = if unchanged {
                Ok(true)
            } else {
                read_new_data(followed, &mut self.buf, &mut self.copies, &mut stats, deliver)
            };
            let at_eof = match outcome {
                Ok(at_eof) => at_eof,
                Err(e) => {
                    stats.errors.push((followed.path.clone(), e));
                    true
                }
            };
            if followed.rotated && at_eof && followed.last_activity.elapsed() >= rotate_wait {
                let before = stats.lines;
                deliver.finish(&followed.path, &mut followed.splitter, &mut stats);
                if stats.lines > before {
                    stats.bytes += followed.read_pos - followed.committed;
                }
                self.files.swap_remove(index);
                stats.closed += 1;
                continue;
            }
            stats.more |= !at_eof;
            index += 1;
        }
        stats.over_open_limit = self.parked.len() as u64;
        stats.waiting_for_turn = self.parked.iter().filter(|p| p.needs_turn()).count() as u64;
        if stats.closed > 0 {
            let followed: HashSet<Inode> =
                self.files.iter().map(|f| f.inode).chain(self.parked.iter().map(|f| f.inode)).collect();
            self.target_dirs.retain(|inode, _| followed.contains(inode));
        }
        stats
    }

    /// The state to store: every open file's identity and the offset just past its last complete line.
    ///
    /// ```
    /// let t = srekit::logs::tail::Tailer::new(srekit::logs::tail::TailOptions::new("web", vec![]), None).unwrap();
    /// assert_eq!(t.checkpoint().input, "web");
    /// ```
    pub fn checkpoint(&self) -> Checkpoint {
        let mut checkpoint = match (&self.restore, self.started) {
            // Not polled yet: keep what we were given, so an early stop loses nothing.
            (Some(restore), false) => return restore.clone(),
            _ => Checkpoint::new(&self.options.name),
        };
        let open = self.files.iter().map(|f| (&f.path, f.inode, f.fingerprint, f.committed));
        let parked = self.parked.iter().map(|f| (&f.path, f.inode, f.fingerprint, f.committed));
        checkpoint.files = open
            .chain(parked)
            .map(|(path, inode, fingerprint, offset)| CheckpointEntry {
                path: path.clone(),
                inode,
                fingerprint,
                offset,
            })
            .collect();
        checkpoint
    }

    /// Re-opens the files of a checkpoint: under a matching path, under the path recorded, or (rotated
    /// while we were stopped) under another name in the same directory.
    fn resume(&mut self, checkpoint: &Checkpoint, stats: &mut PollStats) {
        let matching = self.patterns.matching_files();
        for entry in &checkpoint.files {
            let candidate = matching
                .iter()
                .find(|(_, inode)| *inode == entry.inode)
                .map(|(path, _)| (path.clone(), false))
                .or_else(|| find_inode(&entry.path, entry.inode).map(|path| (path, true)));
            let same = candidate.and_then(|(path, rotated)| {
                let file = File::open(&path).ok()?;
                let meta = file.metadata().ok()?;
                let same =
                    Inode::of(&meta) == entry.inode && entry.fingerprint.matches(&file).unwrap_or(false);
                same.then_some((path, file, meta, rotated))
            });
            // Otherwise the inode is gone or holds other content (discovery treats it as new); if it was
            // copy-truncated while we were stopped, its visible copy is finished from the offset reached.
            let copy = || self.find_copy(entry, &matching);
            let Some((path, file, meta, rotated)) = same.or_else(copy) else { continue };
            let start = if meta.len() < entry.offset { Start::Head } else { Start::At(entry.offset) };
            if let Ok(mut followed) = self.follow(path, file, start) {
                followed.rotated = rotated;
                self.add_followed(followed, stats);
            }
        }
    }

    /// A file under `paths` or `rotated_paths`, not followed, other than the entry's inode, that starts
    /// with the entry's first bytes and reaches its offset: the copy of a file copy-truncated while we
    /// were stopped. Returns it with whether it is outside `paths`.
    fn find_copy(
        &self,
        entry: &CheckpointEntry,
        matching: &[(PathBuf, Inode)],
    ) -> Option<(PathBuf, File, std::fs::Metadata, bool)> {
        if entry.fingerprint.length == 0 {
            return None;
        }
        let parked = self.parked.iter().map(|f| f.inode);
        let followed: HashSet<Inode> =
            self.files.iter().map(|f| f.inode).chain(parked).chain([entry.inode]).collect();
        let rotated = self.rotated_patterns.matching_files();
        let candidates = matching.iter().map(|m| (m, false)).chain(rotated.iter().map(|m| (m, true)));
        candidates.filter(|((_, inode), _)| !followed.contains(inode)).find_map(|((path, _), rotated)| {
            let file = File::open(path).ok()?;
            let meta = file.metadata().ok()?;
            let copy = meta.len() >= entry.offset && entry.fingerprint.matches(&file).ok()?;
            copy.then(|| (path.clone(), file, meta, rotated))
        })
    }

    /// Opens matching files not followed yet; marks followed files no matching path leads to as rotated.
    /// Returns the size and modification time of every matching file, by inode.
    fn discover(&mut self, start: Start, stats: &mut PollStats) -> HashMap<Inode, FileStamp> {
        let mut scan = self.patterns.scan();
        if scan.truncated {
            let first = self.options.paths.first().cloned().unwrap_or_default();
            stats.errors.push((
                PathBuf::from(first),
                io::Error::other(format!(
                    "file discovery stopped after {} directory entries (symlink loops or a huge tree under a pattern?)",
                    discover::MAX_SCAN_ENTRIES
                )),
            ));
        }
        if scan.dirs != self.scan_dirs {
            self.scan_dirs = scan.dirs;
            self.watch_version += 1;
        }
        let stamps = std::mem::take(&mut scan.stamps);
        let matching = scan.files;
        let by_inode: HashMap<Inode, &PathBuf> =
            matching.iter().map(|(path, inode)| (*inode, path)).collect();
        for followed in &mut self.files {
            match by_inode.get(&followed.inode) {
                Some(path) => {
                    if followed.path != **path {
                        followed.path = (*path).clone();
                    }
                    followed.rotated = false;
                }
                None => {
                    if !followed.rotated {
                        followed.rotated = true;
                        followed.last_activity = Instant::now();
                    }
                }
            }
        }
        for parked in &mut self.parked {
            // A parked file renamed away is found by its next turn.
            if let Some(path) = by_inode.get(&parked.inode).filter(|path| parked.path != ***path) {
                parked.path = (*path).clone();
            }
        }
        let parked = self.parked.iter().map(|f| f.inode);
        let mut followed: HashSet<Inode> = self.files.iter().map(|f| f.inode).chain(parked).collect();
        let copies_waiting = self.copies.waiting(self.options.rotate_wait);
        let rotated_candidates = if copies_waiting {
            let in_paths: HashSet<Inode> = matching.iter().map(|(_, inode)| *inode).collect();
            let mut candidates = self.rotated_patterns.matching_files();
            candidates.retain(|(_, inode)| !in_paths.contains(inode));
            candidates
        } else {
            Vec::new()
        };
        let candidates =
            matching.into_iter().map(|m| (m, true)).chain(rotated_candidates.into_iter().map(|m| (m, false)));
        for ((path, inode), in_paths) in candidates {
            if followed.contains(&inode) {
                continue;
            }
            if self.exclude.iter().any(|pattern| pattern.matches_path(&path)) {
                continue;
            }
            let file = match File::open(&path) {
                Ok(file) => {
                    self.unreadable.remove(&path);
                    file
                }
                Err(e) => {
                    // Reported once per path (not at every poll) until it can be opened.
                    if e.kind() != io::ErrorKind::NotFound && self.unreadable.insert(path.clone()) {
                        stats.errors.push((path, e));
                    }
                    continue;
                }
            };
            match file.metadata() {
                Ok(meta) if Inode::of(&meta) == inode && !self.too_old(&meta) => {}
                _ => continue, // replaced between glob and open (the next poll sees the new one), or idle
            }
            let start = match self.copies.classify(&file, self.files.iter().map(|f| &f.fingerprint)) {
                NewFile::CopyOf { committed } => {
                    stats.copies += 1;
                    Start::At(committed)
                }
                NewFile::CopyInProgress => continue,
                NewFile::New if in_paths => start,
                NewFile::New => continue, // a rotated file that is no copy of ours
            };
            if let Ok(mut new_file) = self.follow(path, file, start) {
                new_file.rotated = !in_paths;
                followed.insert(new_file.inode);
                self.add_followed(new_file, stats);
            }
        }
        stamps
    }

    /// Whether the file was last modified longer ago than `ignore_older`.
    fn too_old(&self, meta: &std::fs::Metadata) -> bool {
        let (Some(limit), Ok(modified)) = (self.options.ignore_older, meta.modified()) else { return false };
        modified.elapsed().is_ok_and(|age| age > limit)
    }

    fn follow(&self, path: PathBuf, file: File, start: Start) -> io::Result<Followed> {
        let meta = file.metadata()?;
        let size = meta.len();
        let fingerprint = Fingerprint::read(&file, FINGERPRINT_BYTES as u64)?;
        let (offset, discard_to_newline) = match start {
            Start::Head => (0, false),
            Start::At(offset) => (offset, false),
            Start::End => start_at_end(&file, size)?,
        };
        Ok(Followed {
            path,
            file,
            inode: Inode::of(&meta),
            fingerprint,
            read_pos: offset,
            committed: offset,
            splitter: LineSplitter::new(self.options.max_line_length),
            max_line_length: self.options.max_line_length,
            discard_to_newline,
            rotated: false,
            last_activity: Instant::now(),
            opened_at: Instant::now(),
            busy: false,
            idle_at: None,
        })
    }
}

/// Finds the file with `inode`: at `path`, or under another name in its directory.
fn find_inode(path: &Path, inode: Inode) -> Option<PathBuf> {
    if std::fs::metadata(path).is_ok_and(|m| Inode::of(&m) == inode) {
        return Some(path.to_path_buf());
    }
    let dir = path.parent()?;
    let entries = std::fs::read_dir(if dir.as_os_str().is_empty() { Path::new(".") } else { dir }).ok()?;
    entries
        .flatten()
        .filter(|entry| entry.ino() == inode.inode)
        .map(|entry| entry.path())
        .find(|candidate| std::fs::metadata(candidate).is_ok_and(|m| Inode::of(&m) == inode))
}
