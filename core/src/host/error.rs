//! Errors of the host collectors: configuration errors returned to the caller ([`HostError`]) and the
//! per-collector failures that only turn `node_scrape_collector_success` to 0 ([`CollectError`]).

use std::path::{Path, PathBuf};
use thiserror::Error;

use crate::error::{codes, impl_error_code};

/// An invalid [`HostConfig`](crate::host::HostConfig): an unknown collector name or a bad regex.
///
/// ```
/// use srekit::host::{HostConfig, HostError};
/// let mut config = HostConfig::default();
/// let err = config.enable("no_such_collector").unwrap_err();
/// assert_eq!(err, HostError::UnknownCollector("no_such_collector".into()));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HostError {
    /// The name is not one of [`all_collectors`](crate::host::all_collectors).
    #[error("unknown host collector {0:?} (see srekit::host::all_collectors())")]
    UnknownCollector(String),
    /// A regex option of the configuration does not compile.
    #[error("invalid regex for {option}: {message}")]
    InvalidRegex {
        /// The configuration field, e.g. `netdev_device_exclude`.
        option: &'static str,
        /// The regex compiler's message.
        message: String,
    },
    /// An option's value is malformed (not a regex): e.g. a CPU list that is not numbers.
    #[error("invalid value for {option}: {message}")]
    InvalidValue {
        /// The configuration field, e.g. `perf_cpus`.
        option: &'static str,
        /// What is wrong, naming the bad part.
        message: String,
    },
    /// [`HostConfig::set_option`](crate::host::HostConfig::set_option) got a name it does not know.
    #[error("unknown host option {0:?} (known: {known})", known = crate::host::host_option_names().join(", "))]
    UnknownOption(String),
    /// [`HostConfig::set_option`](crate::host::HostConfig::set_option) got a value of the wrong kind
    /// (a switch for a pattern option, a pattern for a switch, anything but bytes for a size).
    #[error("host option {option:?} takes {expected}")]
    OptionType {
        /// The option's name.
        option: &'static str,
        /// What it takes: `"a string"`, `"a boolean"` or `"a number of bytes"`.
        expected: &'static str,
    },
    /// `collector_timeout` is zero.
    #[error("collector_timeout must be greater than zero")]
    ZeroTimeout,
    /// A size limit (e.g. `textfile_max_file_bytes`) is zero.
    #[error("{option} must be at least 1 byte")]
    ZeroBytes {
        /// The option's name.
        option: &'static str,
    },
    /// A worker thread for a collector could not be started.
    #[error("cannot start the worker thread of collector {collector:?}: {message}")]
    Spawn {
        /// The collector.
        collector: &'static str,
        /// The operating system's message.
        message: String,
    },
}

/// Why one collector failed during a collection. It is reported, never fatal to the scrape.
///
/// ```
/// use srekit::host::CollectError;
/// let err = CollectError::Parse { path: "/proc/loadavg".into(), reason: "too few fields" };
/// assert!(err.to_string().contains("/proc/loadavg"));
/// ```
#[derive(Debug, Error)]
pub enum CollectError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// What was read.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A file was read but its contents are not what the kernel writes.
    #[error("unexpected contents in {path}: {reason}")]
    Parse {
        /// What was read.
        path: PathBuf,
        /// What is wrong.
        reason: &'static str,
    },
    /// A system call failed.
    #[error("system call {call} failed: {source}")]
    Syscall {
        /// The call, e.g. `adjtimex`.
        call: &'static str,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A D-Bus connection or call failed (the systemd collector).
    #[error("D-Bus {what} failed: {message}")]
    Bus {
        /// What was attempted, e.g. `connect` or `ListUnits`.
        what: &'static str,
        /// The bus library's message.
        message: String,
    },
    /// The collector did not finish before `collector_timeout`.
    #[error("collector did not finish within {0:?}")]
    Timeout(std::time::Duration),
    /// The collector is still stuck in a previous collection and was not started again.
    #[error("collector is still stuck in a previous collection; not started again")]
    Stuck,
    /// The collector's worker thread is gone (it panicked).
    #[error("collector worker stopped unexpectedly")]
    WorkerGone,
}

impl HostError {
    /// The stable code: `host.unknown_collector`, `host.unknown_option`, `host.invalid_option` or
    /// `host.io` (a worker thread could not be started).
    ///
    /// ```
    /// let err = srekit::host::HostConfig::default().enable("nope").unwrap_err();
    /// assert_eq!(err.code(), "host.unknown_collector");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            HostError::UnknownCollector(_) => codes::HOST_UNKNOWN_COLLECTOR,
            HostError::UnknownOption(_) => codes::HOST_UNKNOWN_OPTION,
            HostError::InvalidRegex { .. }
            | HostError::InvalidValue { .. }
            | HostError::OptionType { .. }
            | HostError::ZeroTimeout
            | HostError::ZeroBytes { .. } => codes::HOST_INVALID_OPTION,
            HostError::Spawn { .. } => codes::HOST_IO,
        }
    }
}

impl CollectError {
    /// The stable code: `host.io`, `host.parse`, `host.bus`, `host.timeout` or `internal.panic`.
    ///
    /// ```
    /// use srekit::host::CollectError;
    /// let err = CollectError::Parse { path: "/proc/loadavg".into(), reason: "too few fields" };
    /// assert_eq!(err.code(), "host.parse");
    /// ```
    pub fn code(&self) -> &'static str {
        match self {
            CollectError::Io { .. } | CollectError::Syscall { .. } => codes::HOST_IO,
            CollectError::Parse { .. } => codes::HOST_PARSE,
            CollectError::Bus { .. } => codes::HOST_BUS,
            CollectError::Timeout(_) | CollectError::Stuck => codes::HOST_TIMEOUT,
            CollectError::WorkerGone => codes::INTERNAL_PANIC,
        }
    }

    /// True when the collector failed because the file or directory it reads does not exist
    /// (`ENOENT`, `ENOTDIR`): the subsystem is absent, or the procfs/sysfs root is wrong. See
    /// [`is_no_data`](crate::host::is_no_data) for which of the two a collector's absence means.
    ///
    /// ```
    /// use srekit::host::CollectError;
    /// let absent = CollectError::Io { path: "/sys/class/nvme".into(), source: std::io::ErrorKind::NotFound.into() };
    /// assert!(absent.is_absence());
    /// let denied = CollectError::Io { path: "/proc/slabinfo".into(), source: std::io::ErrorKind::PermissionDenied.into() };
    /// assert!(!denied.is_absence());
    /// ```
    pub fn is_absence(&self) -> bool {
        match self {
            CollectError::Io { source, .. } => {
                source.kind() == std::io::ErrorKind::NotFound || source.raw_os_error() == Some(libc::ENOTDIR)
            }
            _ => false,
        }
    }

    /// An [`CollectError::Io`] for `path`.
    pub(crate) fn io(path: &Path, source: std::io::Error) -> CollectError {
        CollectError::Io { path: path.to_path_buf(), source }
    }

    /// A [`CollectError::Parse`] for `path`.
    pub(crate) fn parse(path: &Path, reason: &'static str) -> CollectError {
        CollectError::Parse { path: path.to_path_buf(), reason }
    }
}

impl_error_code!(HostError, CollectError);
