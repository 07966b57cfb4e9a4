//! Waking the tailer when its files change, so that idle files cost nothing between polls: a
//! [`DirWatcher`] holds inotify watches on directories (the directories the patterns reach and those
//! holding the followed files and their symlinks' targets; never one watch per file, so thousands of
//! files in a few directories take a few watches) and [`DirWatcher::wait`] returns as soon as anything
//! is written, created, renamed or deleted there. Where inotify is missing (another OS, a kernel
//! without it) or a watch cannot be added (`fs.inotify.max_user_watches` reached), the watcher says it
//! is not complete and the caller polls as before.
//!
//! ```
//! use std::time::Duration;
//! use srekit::logs::tail::DirWatcher;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let mut watcher = DirWatcher::new();
//! if watcher.watch([dir.path().to_path_buf()].into_iter().collect()).is_ok() && watcher.is_complete() {
//!     assert!(!watcher.wait(Duration::from_millis(10))); // nothing happened
//!     std::fs::write(dir.path().join("a.log"), "x=1\n").unwrap();
//!     assert!(watcher.wait(Duration::from_secs(5)));
//! }
//! ```

use std::collections::BTreeSet;
use std::io;
use std::path::PathBuf;
use std::time::Duration;

/// Watches directories for changes (inotify on Linux; elsewhere never complete, so callers poll).
#[derive(Debug)]
pub struct DirWatcher {
    #[cfg(target_os = "linux")]
    inotify: Option<inotify::Inotify>,
    #[cfg(target_os = "linux")]
    watched: std::collections::HashMap<PathBuf, inotify::WatchDescriptor>,
    #[cfg(target_os = "linux")]
    buf: Vec<u8>,
    /// Every directory asked for is watched.
    complete: bool,
}

impl Default for DirWatcher {
    fn default() -> DirWatcher {
        DirWatcher::new()
    }
}

impl DirWatcher {
    /// A watcher with no watches yet (complete once [`DirWatcher::watch`] succeeded).
    ///
    /// ```
    /// assert!(!srekit::logs::tail::DirWatcher::new().is_complete());
    /// ```
    pub fn new() -> DirWatcher {
        DirWatcher {
            #[cfg(target_os = "linux")]
            inotify: inotify::Inotify::init().ok(),
            #[cfg(target_os = "linux")]
            watched: std::collections::HashMap::new(),
            #[cfg(target_os = "linux")]
            buf: vec![0; 64 * 1024],
            complete: false,
        }
    }

    /// Whether every directory of the last [`DirWatcher::watch`] is watched: only then may the caller
    /// rely on [`DirWatcher::wait`] and poll rarely.
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Watches exactly `dirs` (adding the new ones, dropping the others). A directory that does not
    /// exist is skipped (its parent, when watched, reports its creation). Any other failure (the
    /// inotify watch limit, no inotify at all) leaves the watcher incomplete and is returned.
    ///
    /// ```
    /// let mut watcher = srekit::logs::tail::DirWatcher::new();
    /// let missing = std::path::PathBuf::from("/nonexistent-srekit-dir");
    /// let _ = watcher.watch([missing].into_iter().collect());
    /// ```
    pub fn watch(&mut self, dirs: BTreeSet<PathBuf>) -> io::Result<()> {
        self.complete = false;
        self.add_watches(dirs)?;
        self.complete = true;
        Ok(())
    }

    #[cfg(target_os = "linux")]
    fn add_watches(&mut self, dirs: BTreeSet<PathBuf>) -> io::Result<()> {
        use inotify::WatchMask;
        let Some(inotify) = &self.inotify else {
            return Err(io::Error::new(io::ErrorKind::Unsupported, "inotify is not available"));
        };
        let mut watches = inotify.watches();
        let gone: Vec<PathBuf> = self.watched.keys().filter(|dir| !dirs.contains(*dir)).cloned().collect();
        for dir in gone {
            if let Some(wd) = self.watched.remove(&dir) {
                let _ = watches.remove(wd); // already gone with its directory
            }
        }
        let mask = WatchMask::MODIFY
            | WatchMask::CREATE
            | WatchMask::MOVED_TO
            | WatchMask::MOVED_FROM
            | WatchMask::DELETE
            | WatchMask::DELETE_SELF
            | WatchMask::MOVE_SELF
            | WatchMask::ONLYDIR;
        for dir in dirs {
            if self.watched.contains_key(&dir) {
                continue;
            }
            match watches.add(&dir, mask) {
                Ok(wd) => {
                    self.watched.insert(dir, wd);
                }
                Err(e) if matches!(e.kind(), io::ErrorKind::NotFound | io::ErrorKind::NotADirectory) => {}
                Err(e) if e.raw_os_error() == Some(libc::ENOSPC) => {
                    return Err(io::Error::new(
                        e.kind(),
                        format!(
                            "{}: {e} (the inotify watch limit fs.inotify.max_user_watches is reached)",
                            dir.display()
                        ),
                    ))
                }
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
            }
        }
        Ok(())
    }

    #[cfg(not(target_os = "linux"))]
    fn add_watches(&mut self, _dirs: BTreeSet<PathBuf>) -> io::Result<()> {
        Err(io::Error::new(io::ErrorKind::Unsupported, "directory watching needs inotify (Linux)"))
    }

    /// Waits up to `timeout` for a change in a watched directory; true when there was one (the events
    /// are consumed). Without watches it just sleeps.
    pub fn wait(&mut self, timeout: Duration) -> bool {
        #[cfg(target_os = "linux")]
        if let Some(inotify) = &mut self.inotify {
            use std::os::fd::AsRawFd;
            let mut poll = libc::pollfd { fd: inotify.as_raw_fd(), events: libc::POLLIN, revents: 0 };
            let millis = timeout.as_millis().min(i32::MAX as u128) as i32;
            // SAFETY: one valid pollfd, owned by this frame, for the duration of the call.
            let ready = unsafe { libc::poll(&mut poll, 1, millis) };
            if ready <= 0 {
                return false;
            }
            let mut changed = false;
            while let Ok(events) = inotify.read_events(&mut self.buf) {
                let mut any = false;
                for _ in events {
                    any = true;
                }
                if !any {
                    break;
                }
                changed = true;
            }
            return changed;
        }
        std::thread::sleep(timeout);
        false
    }
}
