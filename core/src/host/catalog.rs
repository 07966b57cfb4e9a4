//! Lookups over the collectors' specs (`collectors::ALL`): the public name lists and finding one
//! collector by name.

use super::collectors::ALL;
use super::error::CollectError;
use super::spec::{CollectorSpec, WhenAbsent};
use std::sync::OnceLock;

/// Every collector srekit implements, sorted by name.
///
/// ```
/// let all = srekit::host::all_collectors();
/// assert!(all.contains(&"cpu") && all.contains(&"netclass") && all.contains(&"timex"));
/// ```
pub fn all_collectors() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| ALL.iter().map(|spec| spec.name).collect())
}

/// The collectors enabled by default. All of srekit's collectors are enabled by default in
/// node_exporter 1.5 on Linux as Debian builds it (systemd included), so today this is
/// [`all_collectors`].
///
/// ```
/// assert!(srekit::host::default_collectors().contains(&"meminfo"));
/// ```
pub fn default_collectors() -> &'static [&'static str] {
    static NAMES: OnceLock<Vec<&'static str>> = OnceLock::new();
    NAMES.get_or_init(|| ALL.iter().filter(|spec| spec.enabled_by_default).map(|spec| spec.name).collect())
}

/// True when collector `collector`'s failure `error` only means that the host lacks what it reports
/// on (no NVMe controllers, no NFS client, no ZFS, ...): node_exporter's "collector returned no
/// data", which it logs at debug level where other failures are errors. It is the absence of the
/// file or directory read ([`CollectError::is_absence`]) by a collector of an optional subsystem;
/// the absence of what every Linux kernel has (`/proc/stat`, `/proc/meminfo`, `/sys/class/net`, ...)
/// is a failure: a wrong `--path.procfs`/`--path.sysfs`, or /proc or /sys not mounted. Either way the
/// collector reports `node_scrape_collector_success` 0.
///
/// ```
/// use srekit::host::{is_no_data, CollectError};
/// let absent = |path: &str| CollectError::Io { path: path.into(), source: std::io::ErrorKind::NotFound.into() };
/// assert!(is_no_data("nvme", &absent("/sys/class/nvme")));
/// assert!(!is_no_data("meminfo", &absent("/proc/meminfo")));
/// let denied = CollectError::Io { path: "/sys/class/nvme".into(), source: std::io::ErrorKind::PermissionDenied.into() };
/// assert!(!is_no_data("nvme", &denied));
/// ```
pub fn is_no_data(collector: &str, error: &CollectError) -> bool {
    error.is_absence() && lookup(collector).is_some_and(|spec| spec.when_absent == WhenAbsent::NoData)
}

/// The spec of collector `name`, if it exists.
pub(crate) fn lookup(name: &str) -> Option<&'static CollectorSpec> {
    ALL.iter().find(|spec| spec.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::spec::Placement;

    #[test]
    fn lookup_finds_every_collector_and_nothing_else() {
        for name in all_collectors() {
            assert_eq!(lookup(name).map(|spec| spec.name), Some(*name));
        }
        assert!(lookup("bogus").is_none());
        assert_eq!(lookup("systemd").map(|spec| spec.placement), Some(Placement::Systemd));
        assert_eq!(lookup("loadavg").map(|spec| spec.placement), Some(Placement::Inline));
    }

    #[test]
    fn absence_is_no_data_only_for_optional_subsystems() {
        let absent =
            |path: &str| CollectError::Io { path: path.into(), source: std::io::ErrorKind::NotFound.into() };
        let not_a_dir =
            CollectError::Io { path: "/p".into(), source: std::io::Error::from_raw_os_error(libc::ENOTDIR) };
        for optional in
            ["nvme", "hwmon", "infiniband", "nfs", "nfsd", "zfs", "mdadm", "schedstat", "rapl", "dmi"]
        {
            assert!(is_no_data(optional, &absent("/x")), "{optional}");
            assert!(is_no_data(optional, &not_a_dir), "{optional}");
            let denied =
                CollectError::Io { path: "/x".into(), source: std::io::ErrorKind::PermissionDenied.into() };
            assert!(!is_no_data(optional, &denied), "{optional}");
            assert!(!is_no_data(optional, &CollectError::parse("/x".as_ref(), "bad")), "{optional}");
        }
        for kernel in
            ["cpu", "stat", "meminfo", "loadavg", "vmstat", "netdev", "diskstats", "filesystem", "netclass"]
        {
            assert!(!is_no_data(kernel, &absent("/x")), "{kernel}");
        }
        assert!(!is_no_data("no_such_collector", &absent("/x")));
        let systemd = CollectError::Bus { what: "connect", message: "no such socket".into() };
        assert!(!is_no_data("systemd", &systemd));
    }
}
