//! Reading kernel files fast: a reused buffer per collector, whole-file reads, and small number parsers
//! that never panic on odd contents.

use super::error::CollectError;
use std::ffi::{CStr, CString};
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Reads whole files into one buffer that is kept between collections, so a scrape allocates nothing
/// for the hot /proc files. Reads go straight to `read(2)` until end of file: no `statx`/`lseek` for a
/// size hint (procfs and sysfs report size 0 or 4096 anyway).
#[derive(Debug, Default)]
pub(crate) struct FileReader {
    buf: Vec<u8>,
    len: usize,
}

impl FileReader {
    /// A reader with an 8 KiB buffer.
    pub(crate) fn new() -> FileReader {
        FileReader { buf: vec![0; 8192], len: 0 }
    }

    /// Reads the whole file at `path` and returns its bytes (valid until the next read).
    pub(crate) fn read(&mut self, path: &Path) -> Result<&[u8], CollectError> {
        let file = File::open(path).map_err(|e| CollectError::io(path, e))?;
        self.read_from(file).map_err(|e| CollectError::io(path, e))
    }

    /// Reads `file` to its end into the buffer.
    pub(crate) fn read_from(&mut self, mut file: File) -> std::io::Result<&[u8]> {
        self.len = 0;
        if self.buf.len() < 4096 {
            self.buf.resize(4096, 0);
        }
        loop {
            if self.len == self.buf.len() {
                let grown = self.buf.len() * 2;
                self.buf.resize(grown, 0);
            }
            match file.read(&mut self.buf[self.len..]) {
                Ok(0) => break,
                Ok(n) => self.len += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(&self.buf[..self.len])
    }

    /// Reads the whole file at `path` as text; bytes that are not UTF-8 are an error.
    pub(crate) fn read_str(&mut self, path: &Path) -> Result<&str, CollectError> {
        let bytes = self.read(path)?;
        std::str::from_utf8(bytes).map_err(|_| CollectError::parse(path, "not UTF-8"))
    }
}

/// Reads a small sysfs/procfs file and returns it without its trailing newline and spaces.
pub(crate) fn read_trimmed(path: &Path) -> Result<String, CollectError> {
    let mut buf = [0u8; 4096];
    let mut file = File::open(path).map_err(|e| CollectError::io(path, e))?;
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

/// An open directory whose small attribute files are read with `openat(2)` relative to it, so a
/// device with twenty sysfs attributes costs one path walk, not twenty.
#[derive(Debug)]
pub(crate) struct Dir {
    fd: OwnedFd,
}

impl Dir {
    /// Opens the directory at `path`.
    pub(crate) fn open(path: &Path) -> Result<Dir, CollectError> {
        let c_path = CString::new(path.as_os_str().as_bytes())
            .map_err(|_| CollectError::parse(path, "path contains a NUL byte"))?;
        // SAFETY: c_path is NUL-terminated; the flags ask for a read-only directory descriptor.
        let fd = unsafe { libc::open(c_path.as_ptr(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(CollectError::io(path, std::io::Error::last_os_error()));
        }
        // SAFETY: fd is a freshly opened descriptor that nothing else owns.
        Ok(Dir { fd: unsafe { OwnedFd::from_raw_fd(fd) } })
    }

    /// Reads the whole file `name` in this directory with `reader` (for procfs files that come in
    /// several reads, like /proc/net/netstat).
    pub(crate) fn read_file<'r>(&self, name: &CStr, reader: &'r mut FileReader) -> std::io::Result<&'r str> {
        // SAFETY: the directory fd is valid for self's lifetime and name is NUL-terminated.
        let fd =
            unsafe { libc::openat(self.fd.as_raw_fd(), name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: fd was just opened and is owned here; File closes it on drop.
        let file = unsafe { File::from_raw_fd(fd) };
        let bytes = reader.read_from(file)?;
        std::str::from_utf8(bytes).map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidData))
    }

    /// Reads the attribute file `name` (at most one page, as sysfs attributes are) and returns it
    /// trimmed, or `None` when it cannot be opened or read (e.g. `carrier` of a down interface).
    pub(crate) fn attribute<'b>(&self, name: &CStr, buf: &'b mut [u8; 4096]) -> Option<&'b str> {
        // SAFETY: the directory fd is valid for self's lifetime and name is NUL-terminated.
        let fd =
            unsafe { libc::openat(self.fd.as_raw_fd(), name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        if fd < 0 {
            return None;
        }
        // SAFETY: fd was just opened and is owned here; File closes it on drop.
        let mut file = unsafe { File::from_raw_fd(fd) };
        // sysfs hands out an attribute whole on the first read (and a regular file in a fixture tree
        // returns a short read only at its end), so one read is enough.
        let len = loop {
            match file.read(&mut buf[..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return None,
            }
        };
        std::str::from_utf8(&buf[..len]).ok().map(str::trim)
    }
}

/// The `<procfs>/net` directory, opened once and kept: /proc/net is a symlink to /proc/self/net, and
/// walking it again for every file costs more than reading small files.
#[derive(Debug, Default)]
pub(crate) struct ProcNet {
    dir: Option<Dir>,
}

impl ProcNet {
    /// Reads `<procfs>/net/<name>` (`name` as a C string, `relative` the same for error messages).
    pub(crate) fn read<'r>(
        &mut self,
        procfs: &Path,
        name: &CStr,
        reader: &'r mut FileReader,
    ) -> Result<&'r str, CollectError> {
        let net = procfs.join("net");
        if self.dir.is_none() {
            self.dir = Some(Dir::open(&net)?);
        }
        let path = || net.join(name.to_string_lossy().as_ref());
        match &self.dir {
            Some(dir) => dir.read_file(name, reader).map_err(|e| CollectError::io(&path(), e)),
            None => Err(CollectError::io(&path(), std::io::Error::from(std::io::ErrorKind::NotFound))),
        }
    }
}

/// Reads a small file holding one number (integer or float).
pub(crate) fn read_f64(path: &Path) -> Result<f64, CollectError> {
    let text = read_trimmed(path)?;
    text.trim().parse::<f64>().map_err(|_| CollectError::parse(path, "not a number"))
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

/// Like [`list_dir`], but a directory that does not exist lists as empty (a subsystem the kernel does
/// not have: nothing to report, which is not a failure).
pub(crate) fn list_dir_if_present(path: &Path) -> Result<Vec<String>, CollectError> {
    match list_dir(path) {
        Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(Vec::new())
        }
        other => other,
    }
}

/// Reads a sysfs attribute as node_exporter's procfs library (`SysReadFile`) does: one `read(2)` of at
/// most 128 bytes, surrounding whitespace trimmed, invalid UTF-8 replaced (U+FFFD).
pub(crate) fn read_attribute(path: &Path) -> std::io::Result<String> {
    let mut file = File::open(path)?;
    let mut buf = [0u8; 128];
    let len = loop {
        match file.read(&mut buf) {
            Ok(n) => break n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    };
    Ok(String::from_utf8_lossy(&buf[..len]).trim().to_string())
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
    let mut names: Vec<String> =
        entries.filter_map(|e| e.ok()).filter_map(|e| e.file_name().into_string().ok()).collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
