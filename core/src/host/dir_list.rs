//! [`DirLister`]: directory listings into storage kept between collections (`getdents64(2)` into a
//! reused buffer), optionally through a procfs/sysfs directory descriptor kept open.

use super::error::CollectError;
use super::read::on_kernel_fs;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Lists directories like [`list_dir`](super::read::list_dir) into storage kept between collections (`getdents64(2)` into
/// a reused buffer, names into reused strings), so listing the same directory again allocates nothing.
///
/// One made with [`DirLister::keeping`] also keeps the last procfs/sysfs directory it listed open
/// and lists it again from its start (`lseek` to 0, `getdents64`), without the path walk, open and
/// close, which cost more than the listing itself. A kept directory that lists empty is opened
/// afresh by its path and listed again: a sysfs directory that was removed (a module unloaded) lists
/// empty through a descriptor kept from before, so a directory removed and made again is seen anew.
/// Only for directories that are never renamed (`/sys/devices/system/cpu`, ...): a kept descriptor
/// follows a renamed directory.
#[derive(Debug, Default)]
pub(crate) struct DirLister {
    names: Vec<String>,
    path: Vec<u8>,
    buf: Vec<u8>,
    /// Whether to keep the directory open ([`DirLister::keeping`]).
    keep: bool,
    /// The directory kept open and its NUL-terminated path.
    kept: Option<(Vec<u8>, OwnedFd)>,
}

impl DirLister {
    /// A lister that keeps the last procfs/sysfs directory it listed open (see [`DirLister`]).
    pub(crate) fn keeping() -> DirLister {
        DirLister { keep: true, ..DirLister::default() }
    }

    /// The entries of the directory at `path`, sorted (`.`, `..` and names that are not UTF-8 left out).
    pub(crate) fn list(&mut self, path: &Path) -> Result<&[String], CollectError> {
        self.path.clear();
        self.path.extend_from_slice(path.as_os_str().as_bytes());
        if self.path.contains(&0) {
            return Err(CollectError::parse(path, "path contains a NUL byte"));
        }
        self.path.push(0);
        if self.buf.len() < 8192 {
            self.buf.resize(8192, 0);
        }
        if let Some((kept_path, dir)) = self.kept.take() {
            if kept_path == self.path {
                // SAFETY: the descriptor is open; seeking a directory to 0 restarts its listing.
                let rewound = unsafe { libc::lseek(dir.as_raw_fd(), 0, libc::SEEK_SET) } == 0;
                if rewound {
                    if let Ok(used @ 1..) = self.read_entries(dir.as_fd(), path) {
                        self.kept = Some((kept_path, dir));
                        self.names[..used].sort_unstable();
                        return Ok(&self.names[..used]);
                    }
                }
            }
        }
        // SAFETY: `self.path` is NUL-terminated; the flags ask for a read-only directory descriptor.
        let fd = unsafe {
            libc::open(self.path.as_ptr().cast(), libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC)
        };
        if fd < 0 {
            return Err(CollectError::io(path, std::io::Error::last_os_error()));
        }
        // SAFETY: fd is a freshly opened descriptor that nothing else owns.
        let dir = unsafe { OwnedFd::from_raw_fd(fd) };
        let used = self.read_entries(dir.as_fd(), path)?;
        if self.keep && used > 0 && on_kernel_fs(dir.as_fd()) {
            self.kept = Some((self.path.clone(), dir));
        }
        self.names[..used].sort_unstable();
        Ok(&self.names[..used])
    }

    /// Like [`list`](DirLister::list), but a directory that is not there (`NotFound`) lists empty.
    pub(crate) fn list_if_present(&mut self, path: &Path) -> Result<&[String], CollectError> {
        match self.list(path) {
            Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(&[]),
            other => other,
        }
    }

    /// Whether the directory at `path` is the one kept open (it was there and not empty when it was
    /// last listed).
    pub(crate) fn keeps(&self, path: &Path) -> bool {
        self.kept.as_ref().is_some_and(|(kept, _)| {
            kept.strip_suffix(&[0]).is_some_and(|kept| kept == path.as_os_str().as_bytes())
        })
    }

    /// Reads the entries of `dir` from where it is into `self.names` (unsorted); how many.
    fn read_entries(&mut self, dir: BorrowedFd<'_>, path: &Path) -> Result<usize, CollectError> {
        let mut used = 0;
        loop {
            // SAFETY: the descriptor is open and the buffer is writable for its whole length.
            let n = unsafe {
                libc::syscall(libc::SYS_getdents64, dir.as_raw_fd(), self.buf.as_mut_ptr(), self.buf.len())
            };
            if n < 0 {
                let error = std::io::Error::last_os_error();
                if error.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(CollectError::io(path, error));
            }
            if n == 0 {
                return Ok(used);
            }
            let mut records = &self.buf[..n as usize];
            // struct linux_dirent64: u64 d_ino, i64 d_off, u16 d_reclen, u8 d_type, NUL-terminated name.
            while records.len() >= 19 {
                let length = u16::from_ne_bytes([records[16], records[17]]) as usize;
                let Some(record) = records.get(19..length) else { break };
                let name = record.split(|&b| b == 0).next().unwrap_or(&[]);
                records = &records[length..];
                let Ok(name) = std::str::from_utf8(name) else { continue };
                if name == "." || name == ".." {
                    continue;
                }
                match self.names.get_mut(used) {
                    Some(kept) => {
                        kept.clear();
                        kept.push_str(name);
                    }
                    None => self.names.push(name.to_string()),
                }
                used += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::read::list_dir;
    use std::path::PathBuf;

    #[test]
    fn dir_lister_lists_like_list_dir() {
        let dir = tempfile::tempdir().expect("test setup");
        let mut lister = DirLister::default();
        assert!(lister.list(dir.path()).expect("empty dir").is_empty());
        for name in ["b", "a", "c.d", "long-name-that-is-longer-than-the-others"] {
            std::fs::write(dir.path().join(name), "").expect("test setup");
        }
        let listed = lister.list(dir.path()).expect("listed").to_vec();
        assert_eq!(listed, list_dir(dir.path()).expect("listed"));
        std::fs::remove_file(dir.path().join("a")).expect("test setup");
        assert_eq!(lister.list(dir.path()).expect("listed"), list_dir(dir.path()).expect("listed"));
        assert!(lister.list(&dir.path().join("missing")).is_err());
        // /proc takes more than one getdents64 buffer; processes may come and go between the listings.
        let many = list_dir(Path::new("/proc")).expect("procfs");
        let listed = lister.list(Path::new("/proc")).expect("procfs");
        assert!(listed.len().abs_diff(many.len()) < 8, "{} vs {}", listed.len(), many.len());
        assert!(listed.windows(2).all(|w| w[0] < w[1]), "sorted");
    }

    #[test]
    fn a_keeping_lister_keeps_kernel_directories_open_and_sees_them_go() {
        let mut lister = DirLister::keeping();
        let cpus = Path::new("/sys/devices/system/cpu");
        let first = lister.list(cpus).expect("sysfs is mounted").to_vec();
        assert!(lister.kept.is_some(), "a sysfs directory is kept open");
        assert_eq!(lister.list(cpus).expect("listed again"), first);
        assert_eq!(first, list_dir(cpus).expect("sysfs"));
        // A fixture directory is not kept: a new one renamed into place must be seen.
        let dir = tempfile::tempdir().expect("test setup");
        std::fs::write(dir.path().join("a"), "").expect("test setup");
        assert_eq!(lister.list(dir.path()).expect("listed"), ["a"]);
        assert!(lister.kept.is_none());
        // A kept directory that goes away (a process's task list once it is reaped) is not listed
        // from the stale descriptor.
        let mut child = std::process::Command::new("sleep").arg("30").spawn().expect("spawn sleep");
        let tasks = PathBuf::from(format!("/proc/{}/task", child.id()));
        assert_eq!(lister.list(&tasks).expect("procfs").len(), 1);
        assert!(lister.kept.is_some());
        child.kill().expect("kill sleep");
        child.wait().expect("reap sleep");
        assert!(lister.list(&tasks).is_err(), "the process is gone");
        assert!(lister.kept.is_none());
    }

    #[test]
    fn a_kept_directory_is_known_and_an_absent_one_lists_empty() {
        let mut lister = DirLister::keeping();
        let cpus = Path::new("/sys/devices/system/cpu");
        assert!(!lister.keeps(cpus));
        assert_eq!(lister.list_if_present(cpus).expect("sysfs is mounted"), list_dir(cpus).expect("sysfs"));
        assert!(lister.keeps(cpus));
        assert!(!lister.keeps(Path::new("/sys/devices/system")), "only the path kept");
        assert!(!lister.keeps(Path::new("/sys/devices/system/cpu/cpu0")));
        let missing = Path::new("/sys/devices/system/no-such-directory");
        assert!(lister.list_if_present(missing).expect("absent lists empty").is_empty());
        assert!(!lister.keeps(cpus), "the kept directory is let go for another one");
        let dir = tempfile::tempdir().expect("test setup");
        let file = dir.path().join("f");
        std::fs::write(&file, "").expect("test setup");
        assert!(lister.list_if_present(&file).is_err(), "a file is no directory: an error, not empty");
    }
}
