//! Logging of host collection problems by state change, not per scrape: a collector that starts
//! failing, fails differently or recovers is logged once (collector, path, OS error from its
//! [`CollectError`](srekit::host::CollectError)); a textfile warning (a file skipped or a family
//! dropped, naming the file) is logged when it first appears, and again only after it went away.

use std::collections::{BTreeMap, BTreeSet};

use srekit::host::CollectionReport;

/// One line to log, with its level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogLine {
    Warn(String),
    Info(String),
}

/// The last state seen: each failing collector's error and the standing warnings.
#[derive(Debug, Default)]
pub struct HostLogState {
    failing: BTreeMap<&'static str, String>,
    warnings: BTreeSet<String>,
}

impl HostLogState {
    /// What changed since the previous report, as lines to log; remembers `report`'s state.
    pub fn changes(&mut self, report: &CollectionReport) -> Vec<LogLine> {
        let mut lines = Vec::new();
        let mut failing = BTreeMap::new();
        for (collector, error) in &report.failures {
            let message = error.to_string();
            if self.failing.get(collector) != Some(&message) {
                lines.push(LogLine::Warn(format!("collector {collector} failed: {message}")));
            }
            failing.insert(*collector, message);
        }
        for collector in self.failing.keys().filter(|c| !failing.contains_key(*c)) {
            lines.push(LogLine::Info(format!("collector {collector} succeeds again")));
        }
        self.failing = failing;
        let warnings: BTreeSet<String> = report.warnings.iter().cloned().collect();
        lines.extend(warnings.difference(&self.warnings).map(|w| LogLine::Warn(w.clone())));
        self.warnings = warnings;
        lines
    }

    /// Logs what changed since the previous report.
    pub fn log(&mut self, report: &CollectionReport) {
        for line in self.changes(report) {
            match line {
                LogLine::Warn(message) => log::warn!("{message}"),
                LogLine::Info(message) => log::info!("{message}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use srekit::host::CollectError;

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
    fn a_standing_warning_is_logged_once_and_again_after_it_went_away() {
        let mut state = HostLogState::default();
        let warning = "textfile: skipped /t/big.prom: too big";
        assert_eq!(state.changes(&report(Vec::new(), &[warning])), [LogLine::Warn(warning.into())]);
        assert_eq!(state.changes(&report(Vec::new(), &[warning])), []);
        assert_eq!(state.changes(&report(Vec::new(), &[])), []);
        assert_eq!(state.changes(&report(Vec::new(), &[warning])), [LogLine::Warn(warning.into())]);
    }
}
