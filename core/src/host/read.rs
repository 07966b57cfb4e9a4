//! Reading kernel files fast: a reused buffer per collector, whole-file reads, and small number parsers
//! that never panic on odd contents.

use super::error::CollectError;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// Reads whole files into one buffer that is kept between collections, so a scrape allocates nothing
/// for the hot /proc files.
#[derive(Debug, Default)]
pub(crate) struct FileReader {
    buf: Vec<u8>,
}

impl FileReader {
    /// A reader with an empty buffer.
    pub(crate) fn new() -> FileReader {
        FileReader { buf: Vec::with_capacity(8192) }
    }

    /// Reads the whole file at `path` and returns its bytes (valid until the next read).
    pub(crate) fn read(&mut self, path: &Path) -> Result<&[u8], CollectError> {
        self.buf.clear();
        let mut file = File::open(path).map_err(|e| CollectError::io(path, e))?;
        file.read_to_end(&mut self.buf).map_err(|e| CollectError::io(path, e))?;
        Ok(&self.buf)
    }

    /// Reads the whole file at `path` as text; bytes that are not UTF-8 are an error.
    pub(crate) fn read_str(&mut self, path: &Path) -> Result<&str, CollectError> {
        let bytes = self.read(path)?;
        std::str::from_utf8(bytes).map_err(|_| CollectError::parse(path, "not UTF-8"))
    }
}

/// Reads a small sysfs/procfs file and returns it without its trailing newline and spaces.
pub(crate) fn read_trimmed(path: &Path) -> Result<String, CollectError> {
    let text = std::fs::read_to_string(path).map_err(|e| CollectError::io(path, e))?;
    Ok(text.trim_end().to_string())
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
    }

    #[test]
    fn reader_reuses_buffer_and_reports_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "hello\n").unwrap();
        let mut reader = FileReader::new();
        assert_eq!(reader.read_str(&path).unwrap(), "hello\n");
        assert!(reader.read(&dir.path().join("missing")).is_err());
        assert_eq!(read_trimmed(&path).unwrap(), "hello");
    }
}
