//! [`Dir`]: an open sysfs directory whose small attribute files are read with `openat(2)` relative
//! to it: a device's attributes cost one path walk, and an entry's attribute (`<entry>/<name>`) none
//! of its own.

use super::error::CollectError;
use super::read::{read_attribute_once, At};
use std::ffi::{CStr, CString};
use std::fs::File;
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

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

    /// Opens the file `name` in this directory for reading.
    pub(crate) fn open_file(&self, name: &CStr) -> Option<File> {
        // SAFETY: the directory fd is valid for self's lifetime and name is NUL-terminated.
        let fd =
            unsafe { libc::openat(self.fd.as_raw_fd(), name.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) };
        // SAFETY: fd, when valid, was just opened and is owned by the File, which closes it on drop.
        (fd >= 0).then(|| unsafe { File::from_raw_fd(fd) })
    }

    /// Reads the attribute file `name` (at most one page, as sysfs attributes are) and returns it
    /// trimmed, or `None` when it cannot be opened or read (e.g. `carrier` of a down interface).
    pub(crate) fn attribute<'b>(&self, name: &CStr, buf: &'b mut [u8; 4096]) -> Option<&'b str> {
        let file = self.open_file(name)?;
        read_attribute_once(file.as_fd(), At::Current, buf)
    }

    /// Reads the attribute `name` of the entry `entry` of this directory (`<entry>/<name>`, one
    /// `openat(2)`): no path, C string or descriptor for the entry; `relative` is reused for the
    /// relative path. `None` when `entry` is not a single path component (empty, `.`, `..`, with a
    /// `/` or a NUL byte) or the file cannot be opened or read.
    pub(crate) fn entry_attribute<'b>(
        &self,
        entry: &str,
        name: &CStr,
        relative: &mut Vec<u8>,
        buf: &'b mut [u8; 4096],
    ) -> Option<&'b str> {
        if matches!(entry, "" | "." | "..") || entry.bytes().any(|b| b == b'/' || b == 0) {
            return None;
        }
        relative.clear();
        relative.extend_from_slice(entry.as_bytes());
        relative.push(b'/');
        relative.extend_from_slice(name.to_bytes_with_nul());
        // SAFETY: the directory fd is valid for self's lifetime; `relative` ends with the NUL of
        // `name` and holds no other NUL (checked above for `entry`; a `CStr` has none inside).
        let fd = unsafe {
            libc::openat(self.fd.as_raw_fd(), relative.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC)
        };
        // SAFETY: fd, when valid, was just opened and is owned by the File, which closes it on drop.
        let file = (fd >= 0).then(|| unsafe { File::from_raw_fd(fd) })?;
        read_attribute_once(file.as_fd(), At::Current, buf)
    }
}
