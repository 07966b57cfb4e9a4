//! [`Absences`]: the probes of subsystems a host does not have (`/sys/class/nvme`, `/proc/mdstat`,
//! `/sys/fs/selinux/enforce`, ...), remembered for a short interval so that a collection does not
//! pay a failing system call for each of them every time (about 2.4 µs each on a VM, ~24 per
//! default collection). A path found absent (`ENOENT`, `ENOTDIR`) is reported absent again, with
//! the same error, without touching the filesystem until [`HostConfig::absent_recheck`] has passed;
//! then it is probed again. So a subsystem or device that appears is reported at the latest that
//! interval later (10 s by default; zero probes every time). A device class directory that lists
//! empty (`/sys/class/thermal` without thermal zones) is remembered the same way, as having no
//! devices. Whatever exists is read afresh on every collection, as before.
//!
//! [`HostConfig::absent_recheck`]: crate::host::HostConfig::absent_recheck

use super::emit::FastMap;
use super::error::CollectError;
use super::read::{absent_as_empty, list_names, open_file, read_trimmed_from, DirLister, FileReader};
use std::ffi::OsString;
use std::io;
use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The most paths remembered at once (a bound on the memory of per-device probes on a host whose
/// devices churn; a path not remembered is simply probed every time).
const MAX_REMEMBERED: usize = 4096;

/// Paths found absent or empty, each with when it was probed (shared by the collectors of one
/// [`HostCollector`](crate::host::HostCollector)).
#[derive(Debug)]
pub(crate) struct Absences {
    recheck: Duration,
    /// By path, as bytes (hashing an `OsStr` is one pass over its bytes, a `Path` a walk over its
    /// components).
    found: Mutex<FastMap<OsString, (Found, Instant)>>,
}

/// What a probe found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// The error (`ENOENT`, `ENOTDIR`) the path gave.
    Absent(i32),
    /// A directory without entries ([`Absences::list_dir`]).
    Empty,
}

impl Absences {
    /// Remembers absences for `recheck` (zero: not at all).
    pub(crate) fn new(recheck: Duration) -> Absences {
        Absences { recheck, found: Mutex::new(FastMap::default()) }
    }

    /// Runs `probe` on `path`, unless `path` was found absent less than the recheck interval ago:
    /// then returns the error the probe gave then, without a system call. An `ENOENT` or
    /// `ENOTDIR` error of `probe` marks `path` absent; any other outcome forgets it.
    ///
    /// ```text
    /// let entries = absences.probe(&class, |path| std::fs::read_dir(path));
    /// ```
    pub(crate) fn probe<T>(&self, path: &Path, probe: impl FnOnce(&Path) -> io::Result<T>) -> io::Result<T> {
        if self.recheck.is_zero() {
            return probe(path);
        }
        let now = Instant::now();
        if let Some(&(Found::Absent(errno), at)) =
            self.found.lock().unwrap_or_else(PoisonError::into_inner).get(path.as_os_str())
        {
            if now.saturating_duration_since(at) < self.recheck {
                return Err(io::Error::from_raw_os_error(errno));
            }
        }
        let result = probe(path);
        let absent = match &result {
            Err(error) => {
                error.raw_os_error().filter(|&errno| errno == libc::ENOENT || errno == libc::ENOTDIR)
            }
            Ok(_) => None,
        };
        self.note(path, absent.map(Found::Absent), now);
        result
    }

    /// Until when `path` is remembered as absent or as an empty directory, so that probing or
    /// listing it makes no system call; `None` if it is not (or absences are not remembered).
    ///
    /// ```text
    /// let quiet = absences.remembered_until(&settings.sys("class/hwmon"));
    /// ```
    pub(crate) fn remembered_until(&self, path: &Path) -> Option<Instant> {
        if self.recheck.is_zero() {
            return None;
        }
        let found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        let &(_, at) = found.get(path.as_os_str())?;
        let until = at.checked_add(self.recheck)?;
        (Instant::now() < until).then_some(until)
    }

    /// The interval after which an absence is probed again (zero: absences are not remembered).
    pub(crate) fn recheck(&self) -> Duration {
        self.recheck
    }

    /// Remembers what `path` was found to be at `now` (`None`: present, forgotten).
    fn note(&self, path: &Path, what: Option<Found>, now: Instant) {
        let mut found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
        match what {
            Some(what) => match found.get_mut(path.as_os_str()) {
                Some(entry) => *entry = (what, now),
                None => {
                    if found.len() >= MAX_REMEMBERED {
                        // Devices come and go (loop and dm disks, veths): forget what is past its
                        // interval, and remember nothing new while the map is full of live entries.
                        found.retain(|_, &mut (_, at)| now.saturating_duration_since(at) < self.recheck);
                        if found.len() >= MAX_REMEMBERED {
                            return;
                        }
                    }
                    found.insert(path.as_os_str().to_os_string(), (what, now));
                }
            },
            None => {
                if !found.is_empty() {
                    found.remove(path.as_os_str());
                }
            }
        }
    }

    /// Whether `path` is a directory (following links), like [`Path::is_dir`].
    pub(crate) fn is_dir(&self, path: &Path) -> bool {
        self.probe(path, |path| std::fs::metadata(path)).is_ok_and(|meta| meta.is_dir())
    }

    /// Whether `path` is a regular file (following links), like [`Path::is_file`].
    pub(crate) fn is_file(&self, path: &Path) -> bool {
        self.probe(path, |path| std::fs::metadata(path)).is_ok_and(|meta| meta.is_file())
    }

    /// Reads a small file without its trailing whitespace, like [`read_trimmed`](super::read::read_trimmed).
    pub(crate) fn read_trimmed(&self, path: &Path) -> Result<String, CollectError> {
        read_trimmed_from(self.probe(path, open_file).map_err(|e| CollectError::io(path, e))?, path)
    }

    /// Whether `path` exists (following links), like [`Path::exists`].
    pub(crate) fn exists(&self, path: &Path) -> bool {
        self.probe(path, |path| std::fs::metadata(path)).is_ok()
    }

    /// The sorted entry names of the directory at `path`, like [`list_dir`](super::read::list_dir).
    /// A directory that listed empty lists empty again within the recheck interval, unread.
    pub(crate) fn list_dir(&self, path: &Path) -> Result<Vec<String>, CollectError> {
        let now = Instant::now();
        if !self.recheck.is_zero() {
            let found = self.found.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(&(Found::Empty, at)) = found.get(path.as_os_str()) {
                if now.saturating_duration_since(at) < self.recheck {
                    return Ok(Vec::new());
                }
            }
        }
        let entries =
            self.probe(path, |path| std::fs::read_dir(path)).map_err(|e| CollectError::io(path, e))?;
        let names = list_names(entries);
        if names.is_empty() && !self.recheck.is_zero() {
            self.note(path, Some(Found::Empty), now);
        }
        Ok(names)
    }

    /// Like [`list_dir`](Absences::list_dir), but an absent directory lists as empty.
    pub(crate) fn list_dir_if_present(&self, path: &Path) -> Result<Vec<String>, CollectError> {
        absent_as_empty(self.list_dir(path))
    }

    /// The devices of the class directory `class` (`/sys/class/nvme`, ...) listed by `lister`, which
    /// reuses its storage; `Ok(None)` when it is absent or empty, remembered so (then nothing is read
    /// until the recheck interval has passed) or found so now, and the absence's error when absent.
    ///
    /// ```text
    /// let Some(devices) = self.settings.absences.list_devices(&mut self.lister, &self.class)? else {
    ///     return Ok(());
    /// };
    /// ```
    pub(crate) fn list_devices<'l>(
        &self,
        lister: &'l mut DirLister,
        class: &Path,
    ) -> Result<Option<&'l [String]>, CollectError> {
        let listed = if self.remembered_until(class).is_some() { None } else { lister.list(class).ok() };
        match listed {
            Some(devices) if !devices.is_empty() => Ok(Some(devices)),
            // Listed through the absences, which remember it and give the error when absent.
            _ => self.list_dir(class).map(|_| None),
        }
    }

    /// Reads the whole file at `path` as text through `reader`, like [`FileReader::read_str`].
    pub(crate) fn read_str<'r>(
        &self,
        reader: &'r mut FileReader,
        path: &Path,
    ) -> Result<&'r str, CollectError> {
        reader.read_str_with(path, |path| self.probe(path, open_file))
    }

    /// Like [`read_str`](Absences::read_str), `None` when the file cannot be read (see
    /// [`FileReader::try_read_str_with`]).
    pub(crate) fn try_read_str<'r>(&self, reader: &'r mut FileReader, path: &Path) -> Option<&'r str> {
        reader.try_read_str_with(path, |path| self.probe(path, open_file))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn an_absence_is_remembered_for_the_interval_then_probed_again() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("mdstat");
        let absences = Absences::new(Duration::from_millis(300));
        let mut probes = 0;
        let mut probe = |absences: &Absences| {
            absences.probe(&path, |path| {
                probes += 1;
                std::fs::read_to_string(path)
            })
        };
        let first = probe(&absences).expect_err("absent");
        assert_eq!(first.raw_os_error(), Some(libc::ENOENT));
        std::fs::write(&path, "appeared").expect("test setup");
        let again = probe(&absences).expect_err("still taken as absent within the interval");
        assert_eq!(again.raw_os_error(), Some(libc::ENOENT));
        assert_eq!(again.to_string(), first.to_string(), "the same error as the real probe");
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(probe(&absences).expect("probed again after the interval"), "appeared");
        assert_eq!(probes, 2, "the probe inside the interval made no system call");
        assert!(absences.found.lock().expect("test lock").is_empty(), "a present path is forgotten");
    }

    #[test]
    fn an_empty_class_directory_lists_empty_until_the_interval_has_passed() {
        let dir = tempfile::tempdir().expect("test setup");
        let absences = Absences::new(Duration::from_millis(300));
        assert!(absences.list_dir(dir.path()).expect("lists").is_empty());
        std::fs::write(dir.path().join("thermal_zone0"), "").expect("test setup");
        assert!(absences.list_dir(dir.path()).expect("lists").is_empty(), "within the interval");
        assert!(absences.is_dir(dir.path()), "an empty directory is no absence");
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(absences.list_dir(dir.path()).expect("lists"), vec!["thermal_zone0".to_string()]);
        assert!(
            absences.list_dir(dir.path()).expect("lists").len() == 1,
            "a listing with entries is not kept"
        );
    }

    #[test]
    fn remembered_until_is_the_end_of_the_interval_of_an_absence_or_an_empty_listing() {
        let dir = tempfile::tempdir().expect("test setup");
        let (empty, absent, present) =
            (dir.path().join("thermal"), dir.path().join("hwmon"), dir.path().join("x"));
        std::fs::create_dir(&empty).expect("test setup");
        std::fs::create_dir(&present).expect("test setup");
        std::fs::write(present.join("zone0"), "").expect("test setup");
        let absences = Absences::new(Duration::from_millis(300));
        assert!(absences.list_dir(&empty).expect("lists").is_empty());
        assert!(absences.list_dir(&absent).is_err());
        assert_eq!(absences.list_dir(&present).expect("lists").len(), 1);
        for path in [&empty, &absent] {
            let until = absences.remembered_until(path).expect("remembered");
            assert!(until > Instant::now() && until <= Instant::now() + Duration::from_millis(300));
        }
        assert_eq!(absences.remembered_until(&present), None, "a listing with entries is not remembered");
        std::thread::sleep(Duration::from_millis(350));
        assert_eq!(absences.remembered_until(&empty), None, "past the interval");
        assert_eq!(Absences::new(Duration::ZERO).remembered_until(&absent), None);
    }

    #[test]
    fn the_paths_remembered_are_bounded_and_expired_ones_make_room() {
        let absent = |_: &Path| Err::<(), _>(io::Error::from_raw_os_error(libc::ENOENT));
        let forever = Absences::new(Duration::from_secs(3600));
        for i in 0..MAX_REMEMBERED + 100 {
            let path = PathBuf::from(format!("/run/udev/data/b7:{i}"));
            assert!(forever.probe(&path, absent).is_err());
        }
        assert_eq!(forever.found.lock().expect("test lock").len(), MAX_REMEMBERED, "full, not growing");
        let mut probes = 0;
        let beyond = PathBuf::from("/run/udev/data/b8:0");
        for _ in 0..2 {
            assert!(forever
                .probe(&beyond, |path| {
                    probes += 1;
                    absent(path)
                })
                .is_err());
        }
        assert_eq!(probes, 2, "a path that found no room is probed every time");

        let short = Absences::new(Duration::from_millis(50));
        for i in 0..MAX_REMEMBERED {
            assert!(short.probe(&PathBuf::from(format!("/sys/class/x{i}")), absent).is_err());
        }
        std::thread::sleep(Duration::from_millis(80));
        assert!(short.probe(Path::new("/sys/class/new"), absent).is_err());
        let found = short.found.lock().expect("test lock");
        assert_eq!(found.len(), 1, "expired entries were dropped to make room");
        assert!(found.contains_key(Path::new("/sys/class/new").as_os_str()));
    }

    #[test]
    fn zero_interval_and_other_errors_always_probe() {
        let dir = tempfile::tempdir().expect("test setup");
        let absent = dir.path().join("absent");
        let never = Absences::new(Duration::ZERO);
        assert!(!never.exists(&absent));
        std::fs::create_dir(&absent).expect("test setup");
        assert!(never.is_dir(&absent), "zero interval: seen at once");
        let absences = Absences::new(Duration::from_secs(60));
        let file = dir.path().join("file");
        std::fs::write(&file, "x").expect("test setup");
        // A path under a regular file gives ENOTDIR: absent too.
        assert!(absences.list_dir_if_present(&file.join("sub")).is_err());
        assert!(absences.found.lock().expect("test lock").contains_key(file.join("sub").as_os_str()));
        // A directory with entries is listed on every call and not remembered.
        std::fs::write(absent.join("zone0"), "").expect("test setup");
        assert_eq!(absences.list_dir(&absent).expect("lists"), vec!["zone0".to_string()]);
        assert!(!absences.found.lock().expect("test lock").contains_key(absent.as_os_str()));
        // Other errors (a listing of a regular file: ENOTDIR is absence, EACCES is not) are not kept.
        let denied = absences.probe(&file, |_| Err::<(), _>(io::Error::from_raw_os_error(libc::EACCES)));
        assert_eq!(denied.expect_err("denied").raw_os_error(), Some(libc::EACCES));
        assert!(!absences.found.lock().expect("test lock").contains_key(file.as_os_str()));
    }
}
