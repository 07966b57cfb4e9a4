//! Reading kernel files fast: a reused buffer per collector, whole-file reads, and small number parsers
//! that never panic on odd contents.

pub(crate) use super::attr_dir::Dir;
use super::emit::FastMap;
use super::error::CollectError;
use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub(crate) use super::dir_list::DirLister;

/// Reads whole files into one buffer that is kept between collections, so a scrape allocates nothing
/// for the hot /proc files. Reads go straight to `pread(2)` until end of file: no `statx`/`lseek` for
/// a size hint (procfs and sysfs report size 0 or 4096 anyway).
///
/// Files on procfs and sysfs are also kept open between collections (see [`KeptFiles`]): reading a
/// kept file again from offset 0 makes the kernel generate it afresh, without the path walk and the
/// open, and a seq_file keeps the buffer it grew, so a file larger than a page (/proc/net/netstat) is
/// no longer generated twice per read. That halves the cost of the heaviest files.
#[derive(Debug, Default)]
pub(crate) struct FileReader {
    buf: Vec<u8>,
    len: usize,
    kept: KeptFiles,
}

impl FileReader {
    /// A reader with an 8 KiB buffer.
    pub(crate) fn new() -> FileReader {
        FileReader { buf: vec![0; 8192], len: 0, kept: KeptFiles::default() }
    }

    /// Reads the whole file at `path` and returns its bytes (valid until the next read).
    pub(crate) fn read(&mut self, path: &Path) -> Result<&[u8], CollectError> {
        self.read_with(path, open_file)
    }

    /// Like [`read`](FileReader::read), with `open` opening a file that is not kept open yet (the
    /// [`Absences`](super::probe::Absences) check of a probe).
    pub(crate) fn read_with(
        &mut self,
        path: &Path,
        open: impl FnOnce(&Path) -> std::io::Result<File>,
    ) -> Result<&[u8], CollectError> {
        self.read_pieces(path, open, Pieces::Many)
    }

    /// Like [`read`](FileReader::read), for a file the kernel generates in one piece (see
    /// [`Pieces::One`]: /proc/stat, /proc/meminfo, /proc/net/snmp, a /proc/sys value, a sysfs
    /// attribute): a read that leaves room in the buffer is the whole file, so there is no second
    /// read for the end of file.
    pub(crate) fn read_one_piece(&mut self, path: &Path) -> Result<&[u8], CollectError> {
        self.read_pieces(path, open_file, Pieces::One)
    }

    /// Like [`read_str`](FileReader::read_str), for a file made in one piece as with
    /// [`read_one_piece`](FileReader::read_one_piece).
    pub(crate) fn read_str_one_piece(&mut self, path: &Path) -> Result<&str, CollectError> {
        let bytes = self.read_one_piece(path)?;
        std::str::from_utf8(bytes).map_err(|_| CollectError::parse(path, "not UTF-8"))
    }

    fn read_pieces(
        &mut self,
        path: &Path,
        open: impl FnOnce(&Path) -> std::io::Result<File>,
        pieces: Pieces,
    ) -> Result<&[u8], CollectError> {
        self.read_pieces_io(path, open, pieces).map_err(|e| CollectError::io(path, e))
    }

    fn read_pieces_io(
        &mut self,
        path: &Path,
        open: impl FnOnce(&Path) -> std::io::Result<File>,
        pieces: Pieces,
    ) -> std::io::Result<&[u8]> {
        if let Some(fd) = self.kept.get(path) {
            match read_whole(fd, At::Start, pieces, &mut self.buf, &mut self.len) {
                Ok(()) => return Ok(&self.buf[..self.len]),
                // The file is gone (a removed device's attribute gives ENODEV): open it afresh.
                Err(_) => self.kept.forget(path),
            }
        }
        let file = open(path)?;
        read_whole(file.as_fd(), At::Current, pieces, &mut self.buf, &mut self.len)?;
        self.kept.offer(path, file);
        Ok(&self.buf[..self.len])
    }

    /// Like [`read_str_with`](FileReader::read_str_with), for a file whose absence (or any failure to
    /// read it) is not reported: `None` then, without the error and its copy of the path, so a
    /// collector that looks up such a file per device (udev's entry of a disk, absent in most
    /// containers) allocates nothing per device.
    pub(crate) fn try_read_str_with(
        &mut self,
        path: &Path,
        open: impl FnOnce(&Path) -> std::io::Result<File>,
    ) -> Option<&str> {
        let bytes = self.read_pieces_io(path, open, Pieces::Many).ok()?;
        std::str::from_utf8(bytes).ok()
    }

    /// Reads the whole file at `path` as text; bytes that are not UTF-8 are an error.
    pub(crate) fn read_str(&mut self, path: &Path) -> Result<&str, CollectError> {
        self.read_str_with(path, open_file)
    }

    /// Like [`read_str`](FileReader::read_str), with `open` as in [`read_with`](FileReader::read_with).
    pub(crate) fn read_str_with(
        &mut self,
        path: &Path,
        open: impl FnOnce(&Path) -> std::io::Result<File>,
    ) -> Result<&str, CollectError> {
        let bytes = self.read_with(path, open)?;
        std::str::from_utf8(bytes).map_err(|_| CollectError::parse(path, "not UTF-8"))
    }

    /// Reads the whole file at `path` as text into `text` (its allocation reused), for a collector that
    /// reads other files while it walks this one.
    pub(crate) fn read_to(&mut self, path: &Path, text: &mut String) -> Result<(), CollectError> {
        let read = self.read_str(path)?;
        text.clear();
        text.push_str(read);
        Ok(())
    }

    /// Reads the whole file at `path` as text without its trailing newline and spaces, like
    /// [`read_trimmed`]; for a value made in one piece (a sysfs attribute, a /proc/sys value), as
    /// with [`read_one_piece`](FileReader::read_one_piece).
    pub(crate) fn read_trimmed(&mut self, path: &Path) -> Result<&str, CollectError> {
        Ok(self.read_str_one_piece(path)?.trim_end())
    }

    /// Reads a small file holding one number (integer or float), like [`read_f64`]; made in one
    /// piece, as with [`read_one_piece`](FileReader::read_one_piece).
    pub(crate) fn read_f64(&mut self, path: &Path) -> Result<f64, CollectError> {
        let text = self.read_str_one_piece(path)?;
        text.trim().parse::<f64>().map_err(|_| CollectError::parse(path, "not a number"))
    }

    /// The bytes of the last successful read.
    pub(crate) fn last(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or(&[])
    }

    /// How many files this reader keeps open.
    #[cfg(test)]
    pub(crate) fn kept_open(&self) -> usize {
        self.kept.files.len()
    }
}

/// `root` joined with `parts` in `buf` (its allocation reused): a collector's per-device paths
/// without a new `PathBuf` each.
pub(crate) fn path_in<'a>(buf: &'a mut PathBuf, root: &Path, parts: &[&str]) -> &'a Path {
    buf.as_mut_os_string().clear();
    buf.push(root);
    for part in parts {
        buf.push(part);
    }
    buf
}

/// Where a read starts: a freshly opened file is read from where it is (`read(2)`, which works for
/// FIFOs too), a kept one from offset 0 (`pread(2)`, which is what makes a seq_file start over).
#[derive(Clone, Copy)]
pub(super) enum At {
    Current,
    Start,
}

/// How the kernel hands a file out, which says when [`read_whole`] has reached its end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pieces {
    /// In pieces: a seq_file of many records (/proc/vmstat, /proc/diskstats, /proc/net/dev) gives at
    /// most its page-sized buffer per read, cut at a record, so only a read of 0 bytes is the end.
    Many,
    /// In one piece: a `single_open` seq_file (/proc/stat, /proc/meminfo, /proc/loadavg,
    /// /proc/pressure/*, /proc/net/{snmp,snmp6,netstat,sockstat,sockstat6}) fills its buffer with
    /// the whole text and hands out as much as the read asks for; a /proc/sys value and a sysfs
    /// attribute are made whole too, and a regular file (a fixture) reads short only at its end. A
    /// read that leaves room in the buffer has reached the end, which saves the read of 0 bytes.
    One,
}

/// One read of `buf.len()` bytes at most, at `offset` bytes into the file (with [`At::Start`]).
fn read_once(fd: BorrowedFd<'_>, at: At, buf: &mut [u8], offset: usize) -> std::io::Result<usize> {
    loop {
        let (fd, ptr, len) = (fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len());
        // SAFETY: fd is open for the call; the pointer and length describe `buf`, which is writable.
        let n = unsafe {
            match at {
                At::Current => libc::read(fd, ptr, len),
                At::Start => libc::pread(fd, ptr, len, offset as libc::off_t),
            }
        };
        if n >= 0 {
            return Ok(n as usize);
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Reads `fd` to its end into `buf` (grown as needed), setting `len`.
fn read_whole(
    fd: BorrowedFd<'_>,
    at: At,
    pieces: Pieces,
    buf: &mut Vec<u8>,
    len: &mut usize,
) -> std::io::Result<()> {
    *len = 0;
    if buf.len() < 4096 {
        buf.resize(4096, 0);
    }
    loop {
        if *len == buf.len() {
            let grown = buf.len() * 2;
            buf.resize(grown, 0);
        }
        match read_once(fd, at, &mut buf[*len..], *len)? {
            0 => return Ok(()),
            n => *len += n,
        }
        if pieces == Pieces::One && *len < buf.len() {
            return Ok(());
        }
    }
}

/// At most this many files kept open by one reader, and by all readers of the process together (the
/// exporter needs descriptors for connections and log files too, under a soft limit of 1024).
const MAX_KEPT_PER_READER: usize = 64;
const MAX_KEPT_IN_PROCESS: usize = 384;
/// At most one sweep of a reader's kept files per this long (see `KeptFiles::offer`).
const SWEEP_EVERY: Duration = Duration::from_secs(1);
static KEPT_IN_PROCESS: AtomicUsize = AtomicUsize::new(0);

/// Kernel-generated files (procfs, sysfs) kept open by path. Only those: a regular file (a fixture
/// tree, a file replaced by rename) must be opened afresh to see its new contents. When a reader's
/// share is full, files not read since the last such moment are closed (a removed device's
/// attributes do not stay open for long).
#[derive(Debug, Default)]
struct KeptFiles {
    /// By path, as bytes: hashing an `OsStr` is one pass over its bytes, hashing a `Path` a walk
    /// over its components (a few hundred instructions per lookup).
    files: FastMap<OsString, KeptFile>,
    /// When files not read since the sweep before were last closed.
    last_sweep: Option<Instant>,
}

/// One kernel-generated file kept open, counted against the process's budget of kept files.
#[derive(Debug)]
pub(crate) struct KeptFile {
    file: File,
    read_since_sweep: bool,
}

impl KeptFile {
    /// Keeps `file` open if it lives on procfs or sysfs and the process's budget has room;
    /// otherwise gives it back.
    pub(crate) fn keep(file: File) -> Result<KeptFile, File> {
        if !is_kernel_generated(&file) || !reads_at_offsets(&file) {
            return Err(file);
        }
        if KEPT_IN_PROCESS.fetch_add(1, Ordering::Relaxed) >= MAX_KEPT_IN_PROCESS {
            KEPT_IN_PROCESS.fetch_sub(1, Ordering::Relaxed);
            return Err(file);
        }
        Ok(KeptFile { file, read_since_sweep: true })
    }

    /// Reads the file afresh as a sysfs attribute (at most one page), trimmed; `None` when the
    /// kernel refuses (e.g. `speed` of a down interface) or the text is not UTF-8.
    pub(crate) fn attribute<'b>(&self, buf: &'b mut [u8; 4096]) -> Option<&'b str> {
        read_attribute_once(self.file.as_fd(), At::Start, buf)
    }
}

/// One read of at most a page (sysfs hands out an attribute whole on the first read), trimmed.
pub(super) fn read_attribute_once<'b>(
    fd: BorrowedFd<'_>,
    at: At,
    buf: &'b mut [u8; 4096],
) -> Option<&'b str> {
    let len = read_once(fd, at, &mut buf[..], 0).ok()?;
    std::str::from_utf8(&buf[..len]).ok().map(str::trim)
}

impl KeptFiles {
    fn get(&mut self, path: &Path) -> Option<BorrowedFd<'_>> {
        let kept = self.files.get_mut(path.as_os_str())?;
        kept.read_since_sweep = true;
        Some(kept.file.as_fd())
    }

    fn forget(&mut self, path: &Path) {
        self.files.remove(path.as_os_str());
    }

    /// Keeps `file` open if it is kernel-generated and there is room. When the share is full, files
    /// not read since the last sweep are closed, at most one sweep per [`SWEEP_EVERY`]: a reader
    /// that goes over more files than its share each collection (hwmon, cpufreq on a large host)
    /// keeps a steady set open and reads the rest afresh, instead of closing and keeping files in
    /// turn.
    fn offer(&mut self, path: &Path, file: File) {
        if self.files.len() >= MAX_KEPT_PER_READER {
            let now = Instant::now();
            if self.last_sweep.is_some_and(|last| now.saturating_duration_since(last) < SWEEP_EVERY) {
                return;
            }
            self.last_sweep = Some(now);
            self.files.retain(|_, kept| std::mem::take(&mut kept.read_since_sweep));
            if self.files.len() >= MAX_KEPT_PER_READER {
                return;
            }
        }
        if let Ok(kept) = KeptFile::keep(file) {
            self.files.insert(path.as_os_str().to_os_string(), kept);
        }
    }
}

/// Whether `file` can be read at an offset (`pread(2)`); a few procfs files are opened non-seekable.
fn reads_at_offsets(file: &File) -> bool {
    let mut byte = [0u8; 1];
    // SAFETY: the fd is open; a zero-length read writes nothing, and the pointer is valid anyway.
    unsafe { libc::pread(file.as_raw_fd(), byte.as_mut_ptr().cast(), 0, 0) == 0 }
}

/// Whether `file` lives on procfs or sysfs, whose files the kernel generates on each read from 0.
pub(crate) fn is_kernel_generated(file: &File) -> bool {
    on_kernel_fs(file.as_fd())
}

/// Whether `fd` is on procfs or sysfs.
pub(crate) fn on_kernel_fs(fd: BorrowedFd<'_>) -> bool {
    const PROC_SUPER_MAGIC: i64 = 0x9fa0;
    const SYSFS_MAGIC: i64 = 0x6265_6572;
    let mut stat = std::mem::MaybeUninit::<libc::statfs>::uninit();
    // SAFETY: the fd is open; fstatfs writes a whole statfs into `stat` when it returns 0.
    if unsafe { libc::fstatfs(fd.as_raw_fd(), stat.as_mut_ptr()) } != 0 {
        return false;
    }
    #[allow(clippy::unnecessary_cast)] // f_type is i64 on x86_64 but not on every target
    // SAFETY: fstatfs returned 0, so `stat` is initialised.
    let kind = unsafe { stat.assume_init() }.f_type as i64;
    kind == PROC_SUPER_MAGIC || kind == SYSFS_MAGIC
}

/// Reads a small sysfs/procfs file and returns it without its trailing newline and spaces.
pub(crate) fn read_trimmed(path: &Path) -> Result<String, CollectError> {
    read_trimmed_from(File::open(path).map_err(|e| CollectError::io(path, e))?, path)
}

/// Reads `file` (opened from `path`) as [`read_trimmed`] does.
pub(crate) fn read_trimmed_from(mut file: File, path: &Path) -> Result<String, CollectError> {
    let mut buf = [0u8; 4096];
    let mut len = 0;
    let mut text = Vec::new();
    loop {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => {
                len += n;
                if len == buf.len() {
                    text.extend_from_slice(&buf);
                    len = 0;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(CollectError::io(path, e)),
        }
    }
    text.extend_from_slice(&buf[..len]);
    let text = String::from_utf8(text).map_err(|_| CollectError::parse(path, "not UTF-8"))?;
    Ok(text.trim_end().to_string())
}

/// Parses an unsigned decimal integer as f64; `None` for anything else.
pub(crate) fn parse_u64(text: &str) -> Option<u64> {
    text.parse::<u64>().ok()
}

/// Parses a decimal number (integer, negative or float) as f64; `None` for anything else.
pub(crate) fn parse_f64(text: &str) -> Option<f64> {
    if let Ok(v) = text.parse::<i64>() {
        return Some(v as f64);
    }
    text.parse::<f64>().ok()
}

/// Parses a hexadecimal unsigned integer (without `0x`).
pub(crate) fn parse_hex(text: &str) -> Option<u64> {
    u64::from_str_radix(text, 16).ok()
}

/// A listing of a directory that is not there (`NotFound`) as an empty one; other results as they are.
pub(crate) fn absent_as_empty(
    listing: Result<Vec<String>, CollectError>,
) -> Result<Vec<String>, CollectError> {
    match listing {
        Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(Vec::new())
        }
        other => other,
    }
}

/// Reads a sysfs attribute as node_exporter's procfs library (`SysReadFile`) does: one `read(2)` of at
/// most 128 bytes, surrounding whitespace trimmed, invalid UTF-8 replaced (U+FFFD).
pub(crate) fn read_attribute(path: &Path) -> std::io::Result<String> {
    let (mut buf, mut lossy) = ([0u8; 128], String::new());
    read_attribute_into(path, &mut buf, &mut lossy).map(str::to_string)
}

/// [`read_attribute`] without an allocation: the text is in `buf` (or, when it is not UTF-8, replaced
/// as `read_attribute` does, in `lossy`), for files read per device at every collection.
pub(crate) fn read_attribute_into<'b>(
    path: &Path,
    buf: &'b mut [u8; 128],
    lossy: &'b mut String,
) -> std::io::Result<&'b str> {
    let mut file = File::open(path)?;
    let len = loop {
        match file.read(buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    Ok(match std::str::from_utf8(&buf[..len]) {
        Ok(text) => text.trim(),
        Err(_) => {
            *lossy = String::from_utf8_lossy(&buf[..len]).into_owned();
            lossy.trim()
        }
    })
}

/// Parses an unsigned integer as Go's `strconv.ParseUint(text, 0, 64)`: decimal, or `0x`/`0X` hex,
/// `0o`/`0O` or leading-`0` octal, `0b`/`0B` binary; no sign. `None` for anything else.
pub(crate) fn parse_uint_prefixed(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (digits, radix) = match text.as_bytes() {
        [b'0', b'x' | b'X', ..] => (&text[2..], 16),
        [b'0', b'o' | b'O', ..] => (&text[2..], 8),
        [b'0', b'b' | b'B', ..] => (&text[2..], 2),
        [b'0', _, ..] => (&text[1..], 8),
        _ => (text, 10),
    };
    u64::from_str_radix(digits, radix).ok()
}

/// Parses a signed integer as Go's `strconv.ParseInt(text, 0, 64)` (see [`parse_uint_prefixed`]).
pub(crate) fn parse_int_prefixed(text: &str) -> Option<i64> {
    let (negative, magnitude) = match text.as_bytes().first()? {
        b'-' => (true, parse_uint_prefixed(&text[1..])?),
        b'+' => (false, parse_uint_prefixed(&text[1..])?),
        _ => (false, parse_uint_prefixed(text)?),
    };
    if negative {
        (magnitude <= 1 << 63).then(|| (magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Lists the entries of a directory as names (entries whose name is not UTF-8 are skipped).
pub(crate) fn list_dir(path: &Path) -> Result<Vec<String>, CollectError> {
    let entries = std::fs::read_dir(path).map_err(|e| CollectError::io(path, e))?;
    Ok(list_names(entries))
}

/// The names of `entries`, sorted (those that are not UTF-8 and unreadable entries left out).
pub(crate) fn list_names(entries: std::fs::ReadDir) -> Vec<String> {
    let mut names: Vec<String> =
        entries.filter_map(|e| e.ok()).filter_map(|e| e.file_name().into_string().ok()).collect();
    names.sort();
    names
}

/// Opens `path` for reading ([`File::open`] as a function of a borrowed path).
pub(crate) fn open_file(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn try_read_gives_the_text_or_none() {
        let dir = tempfile::tempdir().expect("test setup");
        let (text, binary) = (dir.path().join("b259:0"), dir.path().join("b259:1"));
        std::fs::write(&text, "E:ID_MODEL=disk\n").expect("test setup");
        std::fs::write(&binary, [0xff, 0xfe]).expect("test setup");
        let mut reader = FileReader::new();
        assert_eq!(reader.try_read_str_with(&text, open_file), Some("E:ID_MODEL=disk\n"));
        assert_eq!(reader.try_read_str_with(&dir.path().join("b259:2"), open_file), None);
        assert_eq!(reader.try_read_str_with(&binary, open_file), None, "not UTF-8");
    }

    #[test]
    fn numbers_parse_or_return_none() {
        assert_eq!(parse_u64("42"), Some(42));
        assert_eq!(parse_u64("-1"), None);
        assert_eq!(parse_f64("-1"), Some(-1.0));
        assert_eq!(parse_f64("0.25"), Some(0.25));
        assert_eq!(parse_f64("x"), None);
        assert_eq!(parse_hex("ff"), Some(255));
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_int_prefixed("0x10"), Some(16));
        assert_eq!(parse_int_prefixed("010"), Some(8));
        assert_eq!(parse_int_prefixed("-5"), Some(-5));
        assert_eq!(parse_int_prefixed("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int_prefixed("9223372036854775808"), None);
        assert_eq!(parse_int_prefixed("+-1"), None);
        assert_eq!(parse_int_prefixed(""), None);
        assert_eq!(parse_int_prefixed("0x"), None);
        assert_eq!(parse_uint_prefixed("0b101"), Some(5));
        assert_eq!(parse_uint_prefixed("-1"), None);
        assert_eq!(parse_uint_prefixed("08"), None);
    }

    #[test]
    fn reader_reuses_buffer_and_reports_missing_files() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("f");
        std::fs::write(&path, "hello\n").expect("test setup");
        let mut reader = FileReader::new();
        assert_eq!(reader.read_str(&path).expect("test setup"), "hello\n");
        assert!(reader.read(&dir.path().join("missing")).is_err());
        assert_eq!(read_trimmed(&path).expect("test setup"), "hello");
    }

    #[test]
    fn kernel_files_are_kept_open_and_read_afresh() {
        let mut reader = FileReader::new();
        let path = Path::new("/proc/uptime");
        let first = reader.read_str(path).expect("/proc/uptime is readable").to_string();
        assert_eq!(reader.kept_open(), 1, "a procfs file is kept open");
        std::thread::sleep(std::time::Duration::from_millis(50));
        let second = reader.read_str(path).expect("/proc/uptime is readable").to_string();
        assert_eq!(reader.kept_open(), 1, "the kept file is reused, not opened again");
        assert_ne!(first, second, "a kept file is generated afresh on each read");
    }

    #[test]
    fn files_made_in_one_piece_are_read_whole() {
        // Larger than the buffer: every read fills it, so it grows until a read leaves room.
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("big");
        let text: String = (0..2000).map(|i| format!("line {i:05}\n")).collect();
        assert!(text.len() > 16384);
        std::fs::write(&path, &text).expect("test setup");
        let mut reader = FileReader::new();
        assert_eq!(reader.read_str_one_piece(&path).expect("readable"), text);
        // A single_open procfs file (kept open after the first read) gives the same lines as read to
        // a read of 0 bytes; its values move between the reads, its labels do not.
        let netstat = Path::new("/proc/self/net/netstat");
        let labels =
            |text: &str| text.lines().map(|l| l.split(' ').next().unwrap_or("").to_string()).collect();
        let many: Vec<String> = labels(reader.read_str(netstat).expect("procfs is mounted"));
        for _ in 0..2 {
            let one = reader.read_str_one_piece(netstat).expect("procfs is mounted");
            assert!(one.ends_with('\n'));
            assert_eq!(labels(one), many);
        }
        assert_eq!(reader.read_f64(Path::new("/proc/sys/kernel/pid_max")).ok().map(|v| v > 0.0), Some(true));
    }

    #[test]
    fn regular_files_are_not_kept_so_replacements_are_seen() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("stat");
        std::fs::write(&path, "old\n").expect("test setup");
        let mut reader = FileReader::new();
        assert_eq!(reader.read_str(&path).expect("readable"), "old\n");
        assert_eq!(reader.kept_open(), 0, "a fixture file is not kept open");
        let replacement = dir.path().join("stat.new");
        std::fs::write(&replacement, "new\n").expect("test setup");
        std::fs::rename(&replacement, &path).expect("test setup");
        assert_eq!(reader.read_str(&path).expect("readable"), "new\n");
    }

    #[test]
    fn only_files_readable_at_offsets_are_kept() {
        assert!(reads_at_offsets(&File::open("/proc/uptime").expect("procfs is mounted")));
        let (read_end, _write_end) = std::io::pipe().expect("a pipe");
        assert!(!reads_at_offsets(&File::from(std::os::fd::OwnedFd::from(read_end))));
    }

    #[test]
    fn a_fifo_is_read_to_its_end_and_not_kept() {
        let dir = tempfile::tempdir().expect("test setup");
        let fifo = dir.path().join("loadavg");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
        assert!(made.success());
        let writer_path = fifo.clone();
        let writer = std::thread::spawn(move || std::fs::write(writer_path, "4.00 5.00 6.00 1/1 1\n"));
        let mut reader = FileReader::new();
        assert_eq!(reader.read_str(&fifo).expect("the FIFO reads"), "4.00 5.00 6.00 1/1 1\n");
        assert!(writer.join().expect("writer thread").is_ok(), "the writer was not cut off");
        assert_eq!(reader.kept_open(), 0);
    }

    #[test]
    fn a_kept_file_that_goes_away_is_forgotten() {
        let mut child = std::process::Command::new("sleep").arg("30").spawn().expect("spawn sleep");
        let path = PathBuf::from(format!("/proc/{}/stat", child.id()));
        let mut reader = FileReader::new();
        assert!(reader.read_str(&path).is_ok());
        assert_eq!(reader.kept_open(), 1);
        child.kill().expect("kill sleep");
        child.wait().expect("reap sleep");
        assert!(reader.read_str(&path).is_err(), "the process is gone");
        assert_eq!(reader.kept_open(), 0, "its file is no longer kept");
    }

    #[test]
    fn one_reader_keeps_a_bounded_number_of_files() {
        let mut reader = FileReader::new();
        let mut read = 0;
        for entry in std::fs::read_dir("/proc/sys/kernel").expect("procfs is mounted").flatten() {
            if reader.read(&entry.path()).is_ok() {
                read += 1;
            }
        }
        assert!(read > MAX_KEPT_PER_READER, "the test reads more files ({read}) than one reader keeps");
        assert!(reader.kept_open() <= MAX_KEPT_PER_READER);
        assert!(reader.kept_open() > 0);
    }

    #[test]
    fn a_reader_over_more_files_than_its_share_keeps_a_steady_set() {
        let paths: Vec<PathBuf> = std::fs::read_dir("/proc/sys/kernel")
            .expect("procfs is mounted")
            .flatten()
            .map(|e| e.path())
            .collect();
        let mut reader = FileReader::new();
        let kept_after = |reader: &mut FileReader| {
            let read = paths.iter().filter(|path| reader.read(path).is_ok()).count();
            assert!(read > MAX_KEPT_PER_READER, "the test reads more files ({read}) than one reader keeps");
            let mut kept: Vec<OsString> = reader.kept.files.keys().cloned().collect();
            kept.sort();
            kept
        };
        let first = kept_after(&mut reader);
        assert_eq!(first.len(), MAX_KEPT_PER_READER, "the share fills");
        // Going over the same files again (within a sweep interval, as a collection does) keeps the
        // same files open: none is closed and kept again in turn.
        for _ in 0..3 {
            assert_eq!(kept_after(&mut reader), first);
        }
    }
}
