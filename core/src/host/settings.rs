//! [`Settings`]: the compiled configuration every collector reads (roots joined into paths, the
//! filters as regexes), and the include/exclude test the device filters share.

use regex::Regex;
use std::path::PathBuf;
use std::time::Duration;

/// The compiled configuration every collector reads (shared, immutable).
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) procfs: PathBuf,
    pub(crate) sysfs: PathBuf,
    pub(crate) rootfs: PathBuf,
    pub(crate) udev_data: PathBuf,
    pub(crate) textfile_directory: Option<PathBuf>,
    pub(crate) textfile_max_file_bytes: u64,
    pub(crate) textfile_max_total_bytes: u64,
    pub(crate) collector_timeout: Duration,
    pub(crate) diskstats_device_exclude: Option<Regex>,
    pub(crate) diskstats_device_include: Option<Regex>,
    pub(crate) filesystem_mount_points_exclude: Option<Regex>,
    pub(crate) filesystem_fs_types_exclude: Option<Regex>,
    pub(crate) netdev_device_include: Option<Regex>,
    pub(crate) netdev_device_exclude: Option<Regex>,
    pub(crate) netclass_device_include: Option<Regex>,
    pub(crate) netclass_device_exclude: Option<Regex>,
    pub(crate) netclass_ignore_invalid_speed: bool,
    pub(crate) vmstat_fields: Option<Regex>,
    pub(crate) netstat_fields: Option<Regex>,
    pub(crate) cpu_guest: bool,
    pub(crate) powersupply_ignored_supplies: Option<Regex>,
    pub(crate) tapestats_ignored_devices: Option<Regex>,
    pub(crate) rapl_zone_label: bool,
    pub(crate) systemd_unit_include: Option<Regex>,
    pub(crate) systemd_unit_exclude: Option<Regex>,
    pub(crate) systemd_bus_address: Option<String>,
    pub(crate) use_netlink: bool,
    pub(crate) stat_softirq: bool,
    pub(crate) cpu_info: bool,
    pub(crate) cpu_info_flags_include: Option<Regex>,
    pub(crate) cpu_info_bugs_include: Option<Regex>,
    pub(crate) sysctl_include: Option<String>,
    pub(crate) sysctl_include_info: Option<String>,
    pub(crate) arp_device_include: Option<Regex>,
    pub(crate) arp_device_exclude: Option<Regex>,
    pub(crate) bcache_priority_stats: bool,
    pub(crate) systemd_enable_task_metrics: bool,
    pub(crate) systemd_enable_restarts_metrics: bool,
    pub(crate) systemd_enable_start_time_metrics: bool,
    pub(crate) qdisc_fixtures: Option<PathBuf>,
    pub(crate) wifi_fixtures: Option<PathBuf>,
    pub(crate) ethtool_device_include: Option<Regex>,
    pub(crate) ethtool_device_exclude: Option<Regex>,
    pub(crate) ethtool_metrics_include: Option<Regex>,
    /// The perf collector's CPUs and events, and what the kernel refused.
    pub(crate) perf: crate::host::collectors::perf::PerfSettings,
    /// Names no textfile family may take (the exporter's own), set through
    /// [`HostCollector::reserve_names`](crate::host::HostCollector::reserve_names).
    pub(crate) reserved_names: std::sync::RwLock<std::collections::HashSet<String>>,
    /// Probes found absent lately ([`HostConfig::absent_recheck`](crate::host::HostConfig::absent_recheck)).
    pub(crate) absences: crate::host::probe::Absences,
    /// What the textfile collector's last collection found (file of each family, problems).
    pub(crate) textfile_report: std::sync::Mutex<crate::host::collectors::textfile::TextfileReport>,
    /// The number of the running collection, bumped before each: how collectors that share a reading
    /// tell this collection's from an earlier one's.
    pub(crate) collection: std::sync::atomic::AtomicU64,
    /// The link dump netclass and netdev share within a collection.
    pub(crate) links: crate::host::netlink::SharedLinks,
    /// The /proc/stat text cpu and stat share within a collection.
    pub(crate) proc_stat: crate::host::shared_file::SharedFile,
    /// The /proc/net/sockstat and sockstat6 texts sockstat and udp_queues share within a collection
    /// (see [`Settings::sockstat_file`]).
    pub(crate) sockstat: crate::host::shared_file::SharedFile,
    pub(crate) sockstat6: crate::host::shared_file::SharedFile,
}

impl Settings {
    /// The number of the running collection (see [`Settings::collection`]).
    pub(crate) fn collection(&self) -> u64 {
        self.collection.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The shared text of /proc/net/`file`: `sockstat6` or else `sockstat` (what sockstat and
    /// udp_queues both read).
    pub(crate) fn sockstat_file(&self, file: &str) -> &crate::host::shared_file::SharedFile {
        match file {
            "sockstat6" => &self.sockstat6,
            _ => &self.sockstat,
        }
    }

    /// A path under the procfs root.
    pub(crate) fn proc(&self, relative: &str) -> PathBuf {
        self.procfs.join(relative)
    }

    /// A path under the sysfs root.
    pub(crate) fn sys(&self, relative: &str) -> PathBuf {
        self.sysfs.join(relative)
    }

    /// A path under the root filesystem (`relative` may start with `/`).
    pub(crate) fn root(&self, relative: &str) -> PathBuf {
        self.rootfs.join(relative.trim_start_matches('/'))
    }
}

/// Whether `name` passes an include regex (if any) and is not matched by an exclude regex (if any).
pub(crate) fn device_selected(name: &str, include: &Option<Regex>, exclude: &Option<Regex>) -> bool {
    if let Some(include) = include {
        if !include.is_match(name) {
            return false;
        }
    }
    !matches!(exclude, Some(exclude) if exclude.is_match(name))
}
