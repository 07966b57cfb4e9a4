//! The disk queue: request bodies appended to segment files (framing in [`crate::segment`]) before
//! they are sent, removed only when [`DiskQueue::ack`] says the receiver took them. An `ack` file
//! (written by rename) remembers where the unsent records start, so a restart or a crash replays
//! exactly what was not acknowledged, oldest first. A torn or corrupt segment tail is truncated at the
//! last good record and counted. `max_bytes` and `max_age` drop the oldest records, counted.

use std::collections::VecDeque;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use thiserror::Error;

use crate::segment;

/// A queue file that cannot be read or written.
#[derive(Debug, Error)]
#[error("push queue {path}: {source}")]
pub struct QueueError {
    /// The file or directory.
    pub path: PathBuf,
    /// What failed.
    #[source]
    pub source: std::io::Error,
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> QueueError + '_ {
    move |source| QueueError { path: path.to_path_buf(), source }
}

/// Where and how much to queue.
#[derive(Debug, Clone)]
pub struct QueueOptions {
    /// The queue's directory (created if missing).
    pub directory: PathBuf,
    /// Unsent bytes kept at most; beyond, the oldest records are dropped.
    pub max_bytes: u64,
    /// Records older than this are dropped.
    pub max_age: Duration,
    /// A segment file is closed and a new one started past this size.
    pub segment_bytes: u64,
    /// Appended data is fsynced at least this often.
    pub sync_interval: Duration,
}

impl QueueOptions {
    /// Options with the issue's defaults (256 MiB, 24 h) for `directory`.
    ///
    /// ```
    /// let o = srekit_push::QueueOptions::new("/tmp/q".into());
    /// assert_eq!(o.max_bytes, 256 << 20);
    /// ```
    pub fn new(directory: PathBuf) -> QueueOptions {
        QueueOptions {
            directory,
            max_bytes: 256 << 20,
            max_age: Duration::from_secs(24 * 3600),
            segment_bytes: 8 << 20,
            sync_interval: Duration::from_secs(1),
        }
    }
}

/// One unsent record, as read by [`DiskQueue::peek`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Sequence number, for [`DiskQueue::ack`].
    pub seq: u64,
    /// When it was queued (Unix milliseconds).
    pub created_ms: i64,
    /// Samples in it.
    pub samples: u32,
    /// The request body.
    pub body: Vec<u8>,
}

/// Records and samples dropped by a budget or by corruption.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Records dropped.
    pub records: u64,
    /// Samples in them.
    pub samples: u64,
}

impl Dropped {
    fn add(&mut self, samples: u32) {
        self.records += 1;
        self.samples += u64::from(samples);
    }
}

/// What opening a queue found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Unsent records found (replayed).
    pub replayed: u64,
    /// Segments whose torn or corrupt tail was truncated.
    pub truncated_segments: u64,
    /// Bytes cut off by those truncations.
    pub truncated_bytes: u64,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    seq: u64,
    segment: u64,
    info: segment::RecordInfo,
}

/// A disk-backed FIFO of request bodies.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// let options = srekit_push::QueueOptions::new(dir.path().to_path_buf());
/// let (mut queue, _) = srekit_push::DiskQueue::open(options.clone()).unwrap();
/// queue.append(1_000, 2, b"first").unwrap();
/// drop(queue);
/// let (mut queue, report) = srekit_push::DiskQueue::open(options).unwrap();
/// assert_eq!(report.replayed, 1);
/// let record = queue.peek(1_000).unwrap().0.unwrap();
/// assert_eq!(record.body, b"first");
/// queue.ack(record.seq).unwrap();
/// assert!(queue.peek(1_000).unwrap().0.is_none());
/// ```
pub struct DiskQueue {
    options: QueueOptions,
    entries: VecDeque<Entry>,
    bytes: u64,
    next_seq: u64,
    tail_id: u64,
    tail: File,
    tail_len: u64,
    last_sync: Instant,
    dirty: bool,
    frame: Vec<u8>,
}

impl Drop for DiskQueue {
    /// What was appended since the last sync reaches the disk when the queue closes (shutdown).
    fn drop(&mut self) {
        if let Err(err) = self.sync() {
            log::warn!("{err}");
        }
    }
}

fn segment_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id:020}.seg"))
}

fn segment_ids(dir: &Path) -> Result<Vec<u64>, QueueError> {
    let mut ids = Vec::new();
    for entry in fs::read_dir(dir).map_err(io_error(dir))? {
        let entry = entry.map_err(io_error(dir))?;
        let name = entry.file_name();
        let Some(id) = name.to_str().and_then(|n| n.strip_suffix(".seg")).and_then(|n| n.parse().ok()) else {
            continue;
        };
        ids.push(id);
    }
    ids.sort_unstable();
    Ok(ids)
}

/// The ack position: the first unsent record is at or after `(segment, offset)`.
fn read_ack(dir: &Path) -> (u64, u64) {
    let text = fs::read_to_string(dir.join("ack")).unwrap_or_default();
    let mut parts = text.split_whitespace().map(|p| p.parse::<u64>().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(segment), Some(offset)) => (segment, offset),
        _ => (0, 0),
    }
}

/// The bytes of queued records not yet acknowledged in the queue directory `dir`, read from file
/// sizes and the `ack` file without opening the queue (so a directory no output uses any more can
/// be reported). A directory that does not exist holds nothing.
///
/// ```
/// let dir = tempfile::tempdir().unwrap();
/// assert_eq!(srekit_push::queue::unsent_bytes(&dir.path().join("none")).unwrap(), 0);
/// let options = srekit_push::QueueOptions::new(dir.path().to_path_buf());
/// let (mut queue, _) = srekit_push::DiskQueue::open(options).unwrap();
/// queue.append(0, 1, b"body").unwrap();
/// queue.sync().unwrap();
/// assert!(srekit_push::queue::unsent_bytes(dir.path()).unwrap() >= 4);
/// ```
pub fn unsent_bytes(dir: &Path) -> Result<u64, QueueError> {
    if !dir.is_dir() {
        return Ok(0);
    }
    let (ack_segment, ack_offset) = read_ack(dir);
    let mut bytes = 0u64;
    for id in segment_ids(dir)? {
        if id < ack_segment {
            continue;
        }
        let path = segment_path(dir, id);
        let len = fs::metadata(&path).map_err(io_error(&path))?.len();
        bytes += if id == ack_segment { len.saturating_sub(ack_offset) } else { len };
    }
    Ok(bytes)
}

impl DiskQueue {
    /// Opens (or creates) the queue in `options.directory`, replaying what was not acknowledged and
    /// truncating torn or corrupt segment tails.
    pub fn open(options: QueueOptions) -> Result<(DiskQueue, OpenReport), QueueError> {
        let dir = options.directory.clone();
        fs::create_dir_all(&dir).map_err(io_error(&dir))?;
        let (ack_segment, ack_offset) = read_ack(&dir);
        let mut report = OpenReport::default();
        let mut entries = VecDeque::new();
        let mut bytes = 0;
        let mut next_seq = 0;
        let ids = segment_ids(&dir)?;
        let mut tail_len = 0;
        for &id in &ids {
            let path = segment_path(&dir, id);
            if id < ack_segment {
                fs::remove_file(&path).map_err(io_error(&path))?;
                continue;
            }
            let data = fs::read(&path).map_err(io_error(&path))?;
            let scan = segment::scan(&data);
            if scan.torn {
                report.truncated_segments += 1;
                report.truncated_bytes += data.len() as u64 - scan.good_len;
                let file = OpenOptions::new().write(true).open(&path).map_err(io_error(&path))?;
                file.set_len(scan.good_len).map_err(io_error(&path))?;
                file.sync_all().map_err(io_error(&path))?;
                log::warn!(
                    "push queue {}: torn or corrupt tail, {} bytes truncated after offset {}",
                    path.display(),
                    data.len() as u64 - scan.good_len,
                    scan.good_len
                );
            }
            tail_len = scan.good_len;
            for info in scan.records {
                if id == ack_segment && info.offset < ack_offset {
                    continue;
                }
                bytes += u64::from(info.frame_len);
                entries.push_back(Entry { seq: next_seq, segment: id, info });
                next_seq += 1;
            }
        }
        report.replayed = entries.len() as u64;
        let tail_id = match ids.last() {
            Some(&last) if last >= ack_segment => last,
            _ => {
                tail_len = 0;
                ack_segment.max(ids.last().map_or(0, |l| l + 1))
            }
        };
        let path = segment_path(&dir, tail_id);
        let tail = OpenOptions::new().create(true).append(true).open(&path).map_err(io_error(&path))?;
        let queue = DiskQueue {
            options,
            entries,
            bytes,
            next_seq,
            tail_id,
            tail,
            tail_len,
            last_sync: Instant::now(),
            dirty: false,
            frame: Vec::new(),
        };
        Ok((queue, report))
    }

    /// Unsent bytes (framing included).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Unsent records.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends one body of `samples` samples; drops (and returns) the oldest records beyond
    /// `max_bytes` or `max_age`. The data is fsynced when the last sync is older than `sync_interval`.
    pub fn append(&mut self, now_ms: i64, samples: u32, body: &[u8]) -> Result<Dropped, QueueError> {
        if self.tail_len >= self.options.segment_bytes {
            self.rotate()?;
        }
        self.frame.clear();
        segment::frame(now_ms, samples, body, &mut self.frame);
        let path = segment_path(&self.options.directory, self.tail_id);
        self.tail.write_all(&self.frame).map_err(io_error(&path))?;
        let info = segment::RecordInfo {
            offset: self.tail_len,
            frame_len: self.frame.len() as u32,
            created_ms: now_ms,
            samples,
        };
        self.tail_len += self.frame.len() as u64;
        self.bytes += self.frame.len() as u64;
        self.entries.push_back(Entry { seq: self.next_seq, segment: self.tail_id, info });
        self.next_seq += 1;
        self.dirty = true;
        if self.last_sync.elapsed() >= self.options.sync_interval {
            self.sync()?;
        }
        let mut dropped = self.expire(now_ms)?;
        while self.bytes > self.options.max_bytes {
            let Some(front) = self.entries.front() else { break };
            let seq = front.seq;
            dropped.add(front.info.samples);
            self.remove_front(seq)?;
        }
        Ok(dropped)
    }

    /// Drops the records older than `max_age` at `now_ms`.
    pub fn expire(&mut self, now_ms: i64) -> Result<Dropped, QueueError> {
        let oldest_allowed = now_ms.saturating_sub(self.options.max_age.as_millis() as i64);
        let mut dropped = Dropped::default();
        while let Some(front) = self.entries.front() {
            if front.info.created_ms >= oldest_allowed {
                break;
            }
            let seq = front.seq;
            dropped.add(front.info.samples);
            self.remove_front(seq)?;
        }
        Ok(dropped)
    }

    /// Fsyncs appended data (and the ack position) if anything changed since the last sync.
    pub fn sync(&mut self) -> Result<(), QueueError> {
        if self.dirty {
            let path = segment_path(&self.options.directory, self.tail_id);
            self.tail.sync_data().map_err(io_error(&path))?;
            self.dirty = false;
        }
        self.last_sync = Instant::now();
        Ok(())
    }

    fn rotate(&mut self) -> Result<(), QueueError> {
        self.sync()?;
        self.tail_id += 1;
        self.tail_len = 0;
        let path = segment_path(&self.options.directory, self.tail_id);
        self.tail = OpenOptions::new().create(true).append(true).open(&path).map_err(io_error(&path))?;
        Ok(())
    }

    /// The oldest unsent record (after dropping expired ones), without removing it. A record whose
    /// bytes no longer check (the file changed under us) is dropped and counted in the second value.
    pub fn peek(&mut self, now_ms: i64) -> Result<(Option<Record>, Dropped), QueueError> {
        let mut dropped = self.expire(now_ms)?;
        while let Some(entry) = self.entries.front().copied() {
            let path = segment_path(&self.options.directory, entry.segment);
            let mut frame = vec![0; entry.info.frame_len as usize];
            let read = File::open(&path).and_then(|mut file| {
                file.seek(SeekFrom::Start(entry.info.offset))?;
                file.read_exact(&mut frame)
            });
            match read.ok().and_then(|()| segment::check(&frame)) {
                Some(info) => {
                    let body = segment::body(&frame).to_vec();
                    let record =
                        Record { seq: entry.seq, created_ms: info.created_ms, samples: info.samples, body };
                    return Ok((Some(record), dropped));
                }
                None => {
                    log::warn!(
                        "push queue {}: record at {} unreadable, dropped",
                        path.display(),
                        entry.info.offset
                    );
                    dropped.add(entry.info.samples);
                    self.remove_front(entry.seq)?;
                }
            }
        }
        Ok((None, dropped))
    }

    /// Removes record `seq` once the receiver took it (or it was dropped for good). A `seq` that is no
    /// longer the oldest (a budget dropped it meanwhile) is ignored.
    pub fn ack(&mut self, seq: u64) -> Result<(), QueueError> {
        self.remove_front(seq)
    }

    fn remove_front(&mut self, seq: u64) -> Result<(), QueueError> {
        if self.entries.front().is_none_or(|front| front.seq != seq) {
            return Ok(());
        }
        if let Some(entry) = self.entries.pop_front() {
            self.bytes -= u64::from(entry.info.frame_len);
        }
        let (segment, offset) = match self.entries.front() {
            Some(next) => (next.segment, next.info.offset),
            None => (self.tail_id, self.tail_len),
        };
        self.write_ack(segment, offset)?;
        let dir = self.options.directory.clone();
        for id in segment_ids(&dir)? {
            if id >= segment {
                break;
            }
            let path = segment_path(&dir, id);
            fs::remove_file(&path).map_err(io_error(&path))?;
        }
        Ok(())
    }

    fn write_ack(&mut self, segment: u64, offset: u64) -> Result<(), QueueError> {
        let dir = &self.options.directory;
        let tmp = dir.join("ack.tmp");
        fs::write(&tmp, format!("{segment} {offset}\n")).map_err(io_error(&tmp))?;
        let ack = dir.join("ack");
        fs::rename(&tmp, &ack).map_err(io_error(&ack))
    }
}
