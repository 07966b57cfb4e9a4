//! Logging of host collection problems by state change, not per scrape: a collector that starts
//! failing, fails differently or recovers is logged once (collector, path, OS error from its
//! [`CollectError`](srekit::host::CollectError)); a textfile warning (a file skipped or a family
//! dropped, naming the file) is logged when it first appears, and again only after it went away.
//! A collector that only finds its optional subsystem absent ([`is_no_data`]: no NVMe, no NFS, no
//! ZFS, ...) is logged at debug level, as node_exporter logs "collector returned no data", so a
//! host without them starts without a dozen warnings; every other failure is a warning.

use std::collections::{BTreeMap, BTreeSet};

use srekit::host::{is_no_data, CollectError, CollectionReport};

/// One line to log, with its level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLine {
    Warn(String),
    Info(String),
    Debug(String),
}

/// The last state seen: each failing collector's error and the standing warnings.
#[derive(Debug, Default)]
pub struct HostLogState {
    /// Each failing collector's error and whether it only meant no data.
    failing: BTreeMap<&'static str, (SeenError, bool)>,
    warnings: BTreeSet<String>,
}

/// A failing collector's last error, kept in a form the next scrape's error is compared with without
/// formatting it: an OS error by its path (or system call) and error number, any other error by its
/// text. On a host without some subsystems a dozen collectors fail on every scrape, and formatting
/// each error (with `strerror`) to find it unchanged cost ~1% of a scrape.
#[derive(Debug, PartialEq)]
enum SeenError {
    Io { path: std::path::PathBuf, code: i32 },
    Syscall { call: &'static str, code: i32 },
    Text(String),
}

impl SeenError {
    fn of(error: &CollectError) -> SeenError {
        match error {
            CollectError::Io { path, source } => match source.raw_os_error() {
                Some(code) => SeenError::Io { path: path.clone(), code },
                None => SeenError::Text(error.to_string()),
            },
            CollectError::Syscall { call, source } => match source.raw_os_error() {
                Some(code) => SeenError::Syscall { call, code },
                None => SeenError::Text(error.to_string()),
            },
            other => SeenError::Text(other.to_string()),
        }
    }

    /// True when `error` is the error this was made of (same text when logged).
    fn matches(&self, error: &CollectError) -> bool {
        match (self, error) {
            (SeenError::Io { path, code }, CollectError::Io { path: now, source }) => {
                path == now && source.raw_os_error() == Some(*code)
            }
            (SeenError::Syscall { call, code }, CollectError::Syscall { call: now, source }) => {
                call == now && source.raw_os_error() == Some(*code)
            }
            (SeenError::Text(text), error) => *text == error.to_string(),
            _ => false,
        }
    }
}

impl HostLogState {
    /// What changed since the previous report, as lines to log; remembers `report`'s state.
    pub fn changes(&mut self, report: &CollectionReport) -> Vec<LogLine> {
        let mut lines = Vec::new();
        let failing_now = |collector: &&str| report.failures.iter().any(|(name, _)| name == collector);
        let recovered: Vec<(&'static str, bool)> = self
            .failing
            .iter()
            .filter(|(collector, _)| !failing_now(collector))
            .map(|(collector, (_, no_data))| (*collector, *no_data))
            .collect();
        self.failing.retain(|collector, _| failing_now(collector));
        for (collector, error) in &report.failures {
            if self.failing.get(collector).is_some_and(|(seen, _)| seen.matches(error)) {
                continue;
            }
            let no_data = is_no_data(collector, error);
            lines.push(if no_data {
                LogLine::Debug(format!("collector {collector} returned no data: {error}"))
            } else {
                LogLine::Warn(format!("collector {collector} failed: {error}"))
            });
            self.failing.insert(collector, (SeenError::of(error), no_data));
        }
        lines.extend(recovered.iter().map(|&(collector, no_data)| {
            let news = if no_data { "has data now" } else { "succeeds again" };
            LogLine::Info(format!("collector {collector} {news}"))
        }));
        let unchanged = report.warnings.iter().all(|w| self.warnings.contains(w))
            && self.warnings.iter().all(|w| report.warnings.contains(w));
        if !unchanged {
            let warnings: BTreeSet<String> = report.warnings.iter().cloned().collect();
            lines.extend(warnings.difference(&self.warnings).map(|w| LogLine::Warn(w.clone())));
            self.warnings = warnings;
        }
        lines
    }

    /// Logs what changed since the previous report.
    pub fn log(&mut self, report: &CollectionReport) {
        for line in self.changes(report) {
            match line {
                LogLine::Warn(message) => log::warn!("{message}"),
                LogLine::Info(message) => log::info!("{message}"),
                LogLine::Debug(message) => log::debug!("{message}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(failures: Vec<(&'static str, CollectError)>, warnings: &[&str]) -> CollectionReport {
        CollectionReport {
            families: Vec::new(),
            failures,
            warnings: warnings.iter().map(|w| w.to_string()).collect(),
        }
    }

    fn io(path: &str) -> CollectError {
        CollectError::Io { path: path.into(), source: std::io::Error::from_raw_os_error(libc::ENOENT) }
    }

    #[test]
    fn a_failure_is_logged_when_it_starts_changes_and_ends_not_per_scrape() {
        let mut state = HostLogState::default();
        let first = state.changes(&report(vec![("loadavg", io("/bad/proc/loadavg"))], &[]));
        assert_eq!(first.len(), 1);
        let LogLine::Warn(message) = &first[0] else { panic!("{first:?}") };
        assert!(message.contains("loadavg") && message.contains("/bad/proc/loadavg"), "{message}");
        assert!(message.contains("No such file or directory"), "{message}");
        assert_eq!(state.changes(&report(vec![("loadavg", io("/bad/proc/loadavg"))], &[])), []);
        let other = state.changes(&report(vec![("loadavg", io("/other"))], &[]));
        assert!(matches!(&other[..], [LogLine::Warn(m)] if m.contains("/other")));
        let recovered = state.changes(&report(Vec::new(), &[]));
        assert_eq!(recovered, [LogLine::Info("collector loadavg succeeds again".into())]);
        assert_eq!(state.changes(&report(Vec::new(), &[])), []);
    }

    #[test]
    fn an_error_that_changes_only_its_os_error_or_reason_is_logged_again() {
        let mut state = HostLogState::default();
        let enoent = || io("/p");
        let eacces =
            CollectError::Io { path: "/p".into(), source: std::io::Error::from_raw_os_error(libc::EACCES) };
        let parse = |reason| CollectError::Parse { path: "/p".into(), reason };
        let custom = || CollectError::Io { path: "/p".into(), source: std::io::Error::other("odd") };
        assert_eq!(state.changes(&report(vec![("a", enoent()), ("b", parse("x"))], &[])).len(), 2);
        assert_eq!(state.changes(&report(vec![("a", enoent()), ("b", parse("x"))], &[])), []);
        assert_eq!(state.changes(&report(vec![("a", eacces), ("b", parse("x"))], &[])).len(), 1);
        assert_eq!(state.changes(&report(vec![("a", custom()), ("b", parse("y"))], &[])).len(), 2);
        assert_eq!(state.changes(&report(vec![("a", custom()), ("b", parse("y"))], &[])), []);
        let timeout = || CollectError::Timeout(std::time::Duration::from_secs(1));
        assert_eq!(state.changes(&report(vec![("a", timeout())], &[])).len(), 2);
        assert_eq!(state.changes(&report(vec![("a", timeout())], &[])), []);
    }

    #[test]
    fn system_call_errors_compare_by_call_and_error_number_and_recoveries_follow_failures() {
        let mut state = HostLogState::default();
        let syscall =
            |call, code| CollectError::Syscall { call, source: std::io::Error::from_raw_os_error(code) };
        let first = state.changes(&report(vec![("a", syscall("statfs", libc::EIO)), ("b", io("/b"))], &[]));
        assert_eq!(first.len(), 2);
        assert!(matches!(&first[0], LogLine::Warn(m) if m.contains("statfs") && m.contains("Input/output")));
        assert_eq!(
            state.changes(&report(vec![("a", syscall("statfs", libc::EIO)), ("b", io("/b"))], &[])),
            []
        );
        assert_eq!(
            state.changes(&report(vec![("a", syscall("statfs", libc::EACCES)), ("b", io("/b"))], &[])).len(),
            1
        );
        assert_eq!(
            state.changes(&report(vec![("a", syscall("ioctl", libc::EACCES)), ("b", io("/b"))], &[])).len(),
            1
        );
        let mixed = state.changes(&report(vec![("c", io("/c"))], &[]));
        assert_eq!(mixed.len(), 3, "{mixed:?}");
        assert!(matches!(&mixed[0], LogLine::Warn(m) if m.contains("collector c failed")), "{mixed:?}");
        assert_eq!(
            mixed[1..],
            [
                LogLine::Info("collector a succeeds again".into()),
                LogLine::Info("collector b succeeds again".into())
            ]
        );
    }

    #[test]
    fn an_optional_subsystem_found_absent_is_logged_at_debug_level_and_other_failures_warn() {
        let mut state = HostLogState::default();
        let os_error = |path: &str, code| CollectError::Io {
            path: path.into(),
            source: std::io::Error::from_raw_os_error(code),
        };
        let dmi = || CollectError::Io {
            path: "/sys/class/dmi/id".into(),
            source: std::io::ErrorKind::NotFound.into(),
        };
        let others = || {
            vec![
                ("zfs", os_error("/proc/spl/kstat/zfs", libc::ENOTDIR)),
                ("meminfo", io("/wrong/proc/meminfo")),
                ("hwmon", os_error("/sys/class/hwmon", libc::EACCES)),
            ]
        };
        let with_others = |mut failures: Vec<(&'static str, CollectError)>| {
            failures.extend(others());
            report(failures, &[])
        };
        let first = state.changes(&with_others(vec![("nvme", io("/sys/class/nvme")), ("dmi", dmi())]));
        assert!(
            matches!(&first[..], [LogLine::Debug(nvme), LogLine::Debug(dmi), LogLine::Debug(zfs), LogLine::Warn(meminfo), LogLine::Warn(hwmon)]
                if nvme == "collector nvme returned no data: cannot read /sys/class/nvme: No such file or directory (os error 2)"
                    && dmi.contains("collector dmi returned no data")
                    && zfs.contains("collector zfs returned no data")
                    && meminfo.contains("collector meminfo failed") && meminfo.contains("/wrong/proc/meminfo")
                    && hwmon.contains("collector hwmon failed") && hwmon.contains("Permission denied")),
            "{first:?}"
        );
        // An absence that turns into another error is a warning; a subsystem that appears is news.
        let nvme_eio = os_error("/sys/class/nvme", libc::EIO);
        let next = state.changes(&with_others(vec![("nvme", nvme_eio), ("dmi", dmi())]));
        assert!(matches!(&next[..], [LogLine::Warn(m)] if m.contains("collector nvme failed")), "{next:?}");
        assert_eq!(
            state.changes(&report(others(), &[])),
            [
                LogLine::Info("collector dmi has data now".into()),
                LogLine::Info("collector nvme succeeds again".into())
            ]
        );
    }

    #[test]
    fn a_standing_warning_is_logged_once_and_again_after_it_went_away() {
        let mut state = HostLogState::default();
        let warning = "textfile: skipped /t/big.prom: too big";
        assert_eq!(state.changes(&report(Vec::new(), &[warning])), [LogLine::Warn(warning.into())]);
        assert_eq!(state.changes(&report(Vec::new(), &[warning])), []);
        assert_eq!(state.changes(&report(Vec::new(), &[])), []);
        assert_eq!(state.changes(&report(Vec::new(), &[warning])), [LogLine::Warn(warning.into())]);
    }
}
