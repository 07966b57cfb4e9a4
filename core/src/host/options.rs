//! The node_exporter collector options, declared once in [`host_options`]: each option's name (the
//! [`HostConfig`] field, Python keyword and, camelCased, Node option), node_exporter's flag, its kind,
//! default and help. [`HostConfig::default`], [`HostConfig::set_option`], the exporter's flags and
//! the bindings' options all follow from it.

use super::config::HostConfig;
use super::error::HostError;

/// node_exporter's `--collector.diskstats.device-exclude` default.
///
/// ```
/// let re = regex::Regex::new(srekit::host::DEFAULT_DISKSTATS_DEVICE_EXCLUDE).unwrap();
/// assert!(re.is_match("sda1") && !re.is_match("sda"));
/// ```
pub const DEFAULT_DISKSTATS_DEVICE_EXCLUDE: &str = r"^(ram|loop|fd|(h|s|v|xv)d[a-z]|nvme\d+n\d+p)\d+$";
/// node_exporter's `--collector.filesystem.mount-points-exclude` default.
///
/// ```
/// let re = regex::Regex::new(srekit::host::DEFAULT_FILESYSTEM_MOUNT_POINTS_EXCLUDE).unwrap();
/// assert!(re.is_match("/run/user/1000") && !re.is_match("/home"));
/// ```
pub const DEFAULT_FILESYSTEM_MOUNT_POINTS_EXCLUDE: &str =
    "^/(dev|proc|run|sys|mnt|media|var/lib/docker/.+|var/lib/containers/storage/.+)($|/)";
/// node_exporter's `--collector.filesystem.fs-types-exclude` default.
///
/// ```
/// let re = regex::Regex::new(srekit::host::DEFAULT_FILESYSTEM_FS_TYPES_EXCLUDE).unwrap();
/// assert!(re.is_match("tracefs") && !re.is_match("ext4"));
/// ```
pub const DEFAULT_FILESYSTEM_FS_TYPES_EXCLUDE: &str = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tracefs)$";
/// node_exporter's `--collector.netdev.device-exclude` default.
///
/// ```
/// let re = regex::Regex::new(srekit::host::DEFAULT_NETDEV_DEVICE_EXCLUDE).unwrap();
/// assert!(re.is_match("lo") && !re.is_match("eth0"));
/// ```
pub const DEFAULT_NETDEV_DEVICE_EXCLUDE: &str = "^lo$";
/// node_exporter's `--collector.vmstat.fields` default.
///
/// ```
/// let re = regex::Regex::new(srekit::host::DEFAULT_VMSTAT_FIELDS).unwrap();
/// assert!(re.is_match("pgmajfault") && !re.is_match("nr_free_pages"));
/// ```
pub const DEFAULT_VMSTAT_FIELDS: &str = "^(oom_kill|pgpg|pswp|pg.*fault).*";
/// node_exporter's `--collector.netstat.fields` default.
///
/// ```
/// let re = regex::Regex::new(srekit::host::DEFAULT_NETSTAT_FIELDS).unwrap();
/// assert!(re.is_match("Tcp_CurrEstab") && !re.is_match("TcpExt_DelayedACKs"));
/// ```
pub const DEFAULT_NETSTAT_FIELDS: &str = "^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$";

/// node_exporter's `--collector.systemd.unit-include` default (anchored at both ends, as there).
///
/// ```
/// assert_eq!(srekit::host::DEFAULT_SYSTEMD_UNIT_INCLUDE, ".+");
/// ```
pub const DEFAULT_SYSTEMD_UNIT_INCLUDE: &str = ".+";
/// node_exporter's `--collector.systemd.unit-exclude` default (anchored at both ends, as there).
///
/// ```
/// let re = regex::Regex::new(&format!("^(?:{})$", srekit::host::DEFAULT_SYSTEMD_UNIT_EXCLUDE)).unwrap();
/// assert!(re.is_match("multi-user.target") && !re.is_match("ssh.service"));
/// ```
pub const DEFAULT_SYSTEMD_UNIT_EXCLUDE: &str = r".+\.(automount|device|mount|scope|slice|target)";

/// A value for [`HostConfig::set_option`]: text for the patterns (and the bus address and the sysctl
/// lists), a switch for the on/off options, a number of bytes for the size limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostOption<'a> {
    /// A regex (or, for `systemd_bus_address`, a D-Bus address).
    Text(&'a str),
    /// On or off.
    Switch(bool),
    /// A size in bytes (at least 1).
    Bytes(u64),
}

/// The textfile collector's default cap on one `.prom` file (64 MiB).
///
/// ```
/// assert_eq!(srekit::host::DEFAULT_TEXTFILE_MAX_FILE_BYTES, 64 << 20);
/// ```
pub const DEFAULT_TEXTFILE_MAX_FILE_BYTES: u64 = 64 << 20;
/// The textfile collector's default cap on all `.prom` files read in one collection (256 MiB).
///
/// ```
/// assert_eq!(srekit::host::DEFAULT_TEXTFILE_MAX_TOTAL_BYTES, 256 << 20);
/// ```
pub const DEFAULT_TEXTFILE_MAX_TOTAL_BYTES: u64 = 256 << 20;

/// The kind of value a host option takes.
///
/// ```
/// use srekit::host::{host_options, HostOptionKind};
/// let cpu_guest = host_options().iter().find(|o| o.name == "cpu_guest").unwrap();
/// assert_eq!(cpu_guest.kind(), HostOptionKind::Switch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostOptionKind {
    /// A string: a regex, or for `systemd_bus_address` a D-Bus address.
    Text,
    /// A boolean.
    Switch,
    /// A whole number of bytes.
    Bytes,
}

/// A host option's default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostOptionDefault {
    /// A text option's default pattern (`None`: no filter, or for the bus address: found at run time).
    Text(Option<&'static str>),
    /// A switch's default.
    Switch(bool),
    /// A size's default, in bytes.
    Bytes(u64),
}

/// Where [`HostConfig::set_option`] puts a value.
enum Slot<'c> {
    Text(&'c mut Option<String>),
    Switch(&'c mut bool),
    Bytes(&'c mut u64),
}

/// One node_exporter collector option, as every front end shows it.
///
/// ```
/// let option = srekit::host::host_options().iter().find(|o| o.name == "netdev_device_exclude").unwrap();
/// assert_eq!(option.flag, "collector.netdev.device-exclude");
/// assert_eq!(option.default, srekit::host::HostOptionDefault::Text(Some("^lo$")));
/// ```
pub struct HostOptionSpec {
    /// The [`HostConfig`] field and Python keyword (`netdev_device_exclude`); Node takes it
    /// camelCased (`netdevDeviceExclude`).
    pub name: &'static str,
    /// The exporter's (node_exporter's) flag, without the leading dashes; a switch also has
    /// `no-<flag>`.
    pub flag: &'static str,
    /// The default, which also gives the kind.
    pub default: HostOptionDefault,
    /// One line of help.
    pub help: &'static str,
    slot: fn(&mut HostConfig) -> Slot<'_>,
}

impl std::fmt::Debug for HostOptionSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostOptionSpec")
            .field("name", &self.name)
            .field("flag", &self.flag)
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

impl HostOptionSpec {
    /// Whether the option takes text or a switch.
    ///
    /// ```
    /// use srekit::host::{host_options, HostOptionKind};
    /// assert!(host_options().iter().any(|o| o.kind() == HostOptionKind::Text));
    /// ```
    pub fn kind(&self) -> HostOptionKind {
        match self.default {
            HostOptionDefault::Text(_) => HostOptionKind::Text,
            HostOptionDefault::Switch(_) => HostOptionKind::Switch,
            HostOptionDefault::Bytes(_) => HostOptionKind::Bytes,
        }
    }

    /// Whether node_exporter takes the flag several times (`--collector.sysctl.include=a
    /// --collector.sysctl.include=b`): a front end joins the values with a space, which is how the
    /// option holds several entries.
    ///
    /// ```
    /// let option = srekit::host::host_options().iter().find(|o| o.name == "sysctl_include").unwrap();
    /// assert!(option.repeatable());
    /// ```
    pub fn repeatable(&self) -> bool {
        matches!(
            self.name,
            "sysctl_include"
                | "sysctl_include_info"
                | "perf_tracepoint"
                | "perf_hardware_profilers"
                | "perf_software_profilers"
                | "perf_cache_profilers"
        )
    }

    /// Sets the option to its default in `config`.
    fn reset(&self, config: &mut HostConfig) {
        match ((self.slot)(config), self.default) {
            (Slot::Text(field), HostOptionDefault::Text(text)) => *field = text.map(str::to_string),
            (Slot::Switch(field), HostOptionDefault::Switch(on)) => *field = on,
            (Slot::Bytes(field), HostOptionDefault::Bytes(bytes)) => *field = bytes,
            // The table below pairs each slot with a default of its kind (a test checks it).
            _ => {}
        }
    }
}

/// Every option, in the order the exporter's help lists them.
static OPTIONS: &[HostOptionSpec] = &[
    HostOptionSpec {
        name: "diskstats_device_exclude",
        flag: "collector.diskstats.device-exclude",
        default: HostOptionDefault::Text(Some(DEFAULT_DISKSTATS_DEVICE_EXCLUDE)),
        help: "Regexp of diskstats devices to exclude (empty: none).",
        slot: |c| Slot::Text(&mut c.diskstats_device_exclude),
    },
    HostOptionSpec {
        name: "diskstats_device_include",
        flag: "collector.diskstats.device-include",
        default: HostOptionDefault::Text(None),
        help: "Regexp of diskstats devices to include (applied before the exclusion).",
        slot: |c| Slot::Text(&mut c.diskstats_device_include),
    },
    HostOptionSpec {
        name: "filesystem_mount_points_exclude",
        flag: "collector.filesystem.mount-points-exclude",
        default: HostOptionDefault::Text(Some(DEFAULT_FILESYSTEM_MOUNT_POINTS_EXCLUDE)),
        help: "Regexp of mount points to exclude for the filesystem collector.",
        slot: |c| Slot::Text(&mut c.filesystem_mount_points_exclude),
    },
    HostOptionSpec {
        name: "filesystem_fs_types_exclude",
        flag: "collector.filesystem.fs-types-exclude",
        default: HostOptionDefault::Text(Some(DEFAULT_FILESYSTEM_FS_TYPES_EXCLUDE)),
        help: "Regexp of filesystem types to exclude for the filesystem collector.",
        slot: |c| Slot::Text(&mut c.filesystem_fs_types_exclude),
    },
    HostOptionSpec {
        name: "netdev_device_include",
        flag: "collector.netdev.device-include",
        default: HostOptionDefault::Text(None),
        help: "Regexp of net devices to include.",
        slot: |c| Slot::Text(&mut c.netdev_device_include),
    },
    HostOptionSpec {
        name: "netdev_device_exclude",
        flag: "collector.netdev.device-exclude",
        default: HostOptionDefault::Text(Some(DEFAULT_NETDEV_DEVICE_EXCLUDE)),
        help: "Regexp of net devices to exclude (e.g. `^(lo|veth.*)$` to drop container churn; empty: none).",
        slot: |c| Slot::Text(&mut c.netdev_device_exclude),
    },
    HostOptionSpec {
        name: "netclass_device_include",
        flag: "collector.netclass.device-include",
        default: HostOptionDefault::Text(None),
        help: "Regexp of net devices to include in the netclass collector (srekit's addition).",
        slot: |c| Slot::Text(&mut c.netclass_device_include),
    },
    HostOptionSpec {
        name: "netclass_device_exclude",
        flag: "collector.netclass.ignored-devices",
        default: HostOptionDefault::Text(None),
        help: "Regexp of net devices to ignore for the netclass collector.",
        slot: |c| Slot::Text(&mut c.netclass_device_exclude),
    },
    HostOptionSpec {
        name: "netclass_ignore_invalid_speed",
        flag: "collector.netclass.ignore-invalid-speed",
        default: HostOptionDefault::Switch(false),
        help: "Ignore net devices whose speed is invalid (negative) in the netclass collector.",
        slot: |c| Slot::Switch(&mut c.netclass_ignore_invalid_speed),
    },
    HostOptionSpec {
        name: "vmstat_fields",
        flag: "collector.vmstat.fields",
        default: HostOptionDefault::Text(Some(DEFAULT_VMSTAT_FIELDS)),
        help: "Regexp of /proc/vmstat fields to return.",
        slot: |c| Slot::Text(&mut c.vmstat_fields),
    },
    HostOptionSpec {
        name: "netstat_fields",
        flag: "collector.netstat.fields",
        default: HostOptionDefault::Text(Some(DEFAULT_NETSTAT_FIELDS)),
        help: "Regexp of /proc/net/{netstat,snmp,snmp6} fields to return (`Protocol_Field`).",
        slot: |c| Slot::Text(&mut c.netstat_fields),
    },
    HostOptionSpec {
        name: "cpu_guest",
        flag: "collector.cpu.guest",
        default: HostOptionDefault::Switch(true),
        help: "Export node_cpu_guest_seconds_total.",
        slot: |c| Slot::Switch(&mut c.cpu_guest),
    },
    HostOptionSpec {
        name: "powersupply_ignored_supplies",
        flag: "collector.powersupply.ignored-supplies",
        default: HostOptionDefault::Text(None),
        help: "Regexp of power supplies to ignore for the powersupplyclass collector.",
        slot: |c| Slot::Text(&mut c.powersupply_ignored_supplies),
    },
    HostOptionSpec {
        name: "tapestats_ignored_devices",
        flag: "collector.tapestats.ignored-devices",
        default: HostOptionDefault::Text(None),
        help: "Regexp of tape devices to ignore for the tapestats collector.",
        slot: |c| Slot::Text(&mut c.tapestats_ignored_devices),
    },
    HostOptionSpec {
        name: "rapl_zone_label",
        flag: "collector.rapl.enable-zone-label",
        default: HostOptionDefault::Switch(false),
        help: "Export RAPL counters as node_rapl_joules_total with a rapl_zone label.",
        slot: |c| Slot::Switch(&mut c.rapl_zone_label),
    },
    HostOptionSpec {
        name: "systemd_unit_include",
        flag: "collector.systemd.unit-include",
        default: HostOptionDefault::Text(Some(DEFAULT_SYSTEMD_UNIT_INCLUDE)),
        help: "Regexp of systemd units to include (matched against the whole unit name).",
        slot: |c| Slot::Text(&mut c.systemd_unit_include),
    },
    HostOptionSpec {
        name: "systemd_unit_exclude",
        flag: "collector.systemd.unit-exclude",
        default: HostOptionDefault::Text(Some(DEFAULT_SYSTEMD_UNIT_EXCLUDE)),
        help: "Regexp of systemd units to exclude (matched against the whole unit name).",
        slot: |c| Slot::Text(&mut c.systemd_unit_exclude),
    },
    HostOptionSpec {
        name: "systemd_bus_address",
        flag: "collector.systemd.bus-address",
        default: HostOptionDefault::Text(None),
        help: "D-Bus address of the system bus, e.g. `unix:path=/host/run/dbus/system_bus_socket` (srekit's addition; default: DBUS_SYSTEM_BUS_ADDRESS, else the socket under the rootfs).",
        slot: |c| Slot::Text(&mut c.systemd_bus_address),
    },
    HostOptionSpec {
        name: "systemd_enable_task_metrics",
        flag: "collector.systemd.enable-task-metrics",
        default: HostOptionDefault::Switch(false),
        help: "Enables service unit tasks metrics unit_tasks_current and unit_tasks_max",
        slot: |c| Slot::Switch(&mut c.systemd_enable_task_metrics),
    },
    HostOptionSpec {
        name: "systemd_enable_restarts_metrics",
        flag: "collector.systemd.enable-restarts-metrics",
        default: HostOptionDefault::Switch(false),
        help: "Enables service unit metric service_restart_total",
        slot: |c| Slot::Switch(&mut c.systemd_enable_restarts_metrics),
    },
    HostOptionSpec {
        name: "systemd_enable_start_time_metrics",
        flag: "collector.systemd.enable-start-time-metrics",
        default: HostOptionDefault::Switch(false),
        help: "Enables service unit metric unit_start_time_seconds",
        slot: |c| Slot::Switch(&mut c.systemd_enable_start_time_metrics),
    },
    HostOptionSpec {
        name: "netlink",
        flag: "collector.netdev.netlink",
        default: HostOptionDefault::Switch(true),
        help: "Read netdev and netclass from rtnetlink and udp_queues from sock_diag instead of files (only when the roots are /proc and /sys).",
        slot: |c| Slot::Switch(&mut c.netlink),
    },
    HostOptionSpec {
        name: "stat_softirq",
        flag: "collector.stat.softirq",
        default: HostOptionDefault::Switch(false),
        help: "Export softirq calls per vector (node_softirqs_total).",
        slot: |c| Slot::Switch(&mut c.stat_softirq),
    },
    HostOptionSpec {
        name: "cpu_info",
        flag: "collector.cpu.info",
        default: HostOptionDefault::Switch(false),
        help: "Export node_cpu_info and the frequency, flag and bug series of /proc/cpuinfo.",
        slot: |c| Slot::Switch(&mut c.cpu_info),
    },
    HostOptionSpec {
        name: "cpu_info_flags_include",
        flag: "collector.cpu.info.flags-include",
        default: HostOptionDefault::Text(None),
        help: "Regexp of /proc/cpuinfo flags to export as node_cpu_flag_info (needs --collector.cpu.info).",
        slot: |c| Slot::Text(&mut c.cpu_info_flags_include),
    },
    HostOptionSpec {
        name: "cpu_info_bugs_include",
        flag: "collector.cpu.info.bugs-include",
        default: HostOptionDefault::Text(None),
        help: "Regexp of /proc/cpuinfo bugs to export as node_cpu_bug_info (needs --collector.cpu.info).",
        slot: |c| Slot::Text(&mut c.cpu_info_bugs_include),
    },
    HostOptionSpec {
        name: "sysctl_include",
        flag: "collector.sysctl.include",
        default: HostOptionDefault::Text(None),
        help: "Numeric sysctls to export, separated by spaces: `name` or `name:key1,key2` (one metric per value).",
        slot: |c| Slot::Text(&mut c.sysctl_include),
    },
    HostOptionSpec {
        name: "sysctl_include_info",
        flag: "collector.sysctl.include-info",
        default: HostOptionDefault::Text(None),
        help: "String sysctls to export as node_sysctl_info, separated by spaces.",
        slot: |c| Slot::Text(&mut c.sysctl_include_info),
    },
    HostOptionSpec {
        name: "textfile_max_file_bytes",
        flag: "collector.textfile.max-file-bytes",
        default: HostOptionDefault::Bytes(DEFAULT_TEXTFILE_MAX_FILE_BYTES),
        help: "Largest .prom file the textfile collector reads, in bytes; a larger one is skipped with node_textfile_scrape_error 1 (srekit's addition).",
        slot: |c| Slot::Bytes(&mut c.textfile_max_file_bytes),
    },
    HostOptionSpec {
        name: "textfile_max_total_bytes",
        flag: "collector.textfile.max-total-bytes",
        default: HostOptionDefault::Bytes(DEFAULT_TEXTFILE_MAX_TOTAL_BYTES),
        help: "Most bytes of .prom files the textfile collector reads per collection; files beyond it are skipped with node_textfile_scrape_error 1 (srekit's addition).",
        slot: |c| Slot::Bytes(&mut c.textfile_max_total_bytes),
    },
    HostOptionSpec {
        name: "arp_device_include",
        flag: "collector.arp.device-include",
        default: HostOptionDefault::Text(None),
        help: "Regexp of arp devices to include (mutually exclusive to device-exclude).",
        slot: |c| Slot::Text(&mut c.arp_device_include),
    },
    HostOptionSpec {
        name: "arp_device_exclude",
        flag: "collector.arp.device-exclude",
        default: HostOptionDefault::Text(None),
        help: "Regexp of arp devices to exclude (mutually exclusive to device-include).",
        slot: |c| Slot::Text(&mut c.arp_device_exclude),
    },
    HostOptionSpec {
        name: "bcache_priority_stats",
        flag: "collector.bcache.priorityStats",
        default: HostOptionDefault::Switch(false),
        help: "Expose expensive priority stats (node_bcache_priority_stats_*).",
        slot: |c| Slot::Switch(&mut c.bcache_priority_stats),
    },
    HostOptionSpec {
        name: "qdisc_fixtures",
        flag: "collector.qdisc.fixtures",
        default: HostOptionDefault::Text(None),
        help: "test fixtures to use for qdisc collector end-to-end testing (a directory with node_exporter's results.json)",
        slot: |c| Slot::Text(&mut c.qdisc_fixtures),
    },
    HostOptionSpec {
        name: "wifi_fixtures",
        flag: "collector.wifi.fixtures",
        default: HostOptionDefault::Text(None),
        help: "test fixtures to use for wifi collector metrics (a directory in node_exporter's format)",
        slot: |c| Slot::Text(&mut c.wifi_fixtures),
    },
    HostOptionSpec {
        name: "ethtool_device_include",
        flag: "collector.ethtool.device-include",
        default: HostOptionDefault::Text(None),
        help: "Regexp of ethtool devices to include (mutually exclusive to device-exclude).",
        slot: |c| Slot::Text(&mut c.ethtool_device_include),
    },
    HostOptionSpec {
        name: "ethtool_device_exclude",
        flag: "collector.ethtool.device-exclude",
        default: HostOptionDefault::Text(None),
        help: "Regexp of ethtool devices to exclude (mutually exclusive to device-include).",
        slot: |c| Slot::Text(&mut c.ethtool_device_exclude),
    },
    HostOptionSpec {
        name: "ethtool_metrics_include",
        flag: "collector.ethtool.metrics-include",
        default: HostOptionDefault::Text(Some(".*")),
        help: "Regexp of ethtool stats to include.",
        slot: |c| Slot::Text(&mut c.ethtool_metrics_include),
    },
    HostOptionSpec {
        name: "perf_cpus",
        flag: "collector.perf.cpus",
        default: HostOptionDefault::Text(None),
        help: "List of CPUs from which perf metrics should be collected (e.g. `0,2-4,8-16:4`; empty: all).",
        slot: |c| Slot::Text(&mut c.perf_cpus),
    },
    HostOptionSpec {
        name: "perf_tracepoint",
        flag: "collector.perf.tracepoint",
        default: HostOptionDefault::Text(None),
        help: "perf tracepoint that should be collected (subsystem:event, e.g. sched:sched_switch; repeat the flag for more).",
        slot: |c| Slot::Text(&mut c.perf_tracepoint),
    },
    HostOptionSpec {
        name: "perf_disable_hardware_profilers",
        flag: "collector.perf.disable-hardware-profilers",
        default: HostOptionDefault::Switch(false),
        help: "disable perf hardware profilers",
        slot: |c| Slot::Switch(&mut c.perf_disable_hardware_profilers),
    },
    HostOptionSpec {
        name: "perf_hardware_profilers",
        flag: "collector.perf.hardware-profilers",
        default: HostOptionDefault::Text(None),
        help: "perf hardware profilers that should be collected (CpuCycles CpuInstr BranchInstr BranchMisses CacheRef CacheMisses RefCpuCycles StalledCyclesBackend StalledCyclesFrontend).",
        slot: |c| Slot::Text(&mut c.perf_hardware_profilers),
    },
    HostOptionSpec {
        name: "perf_disable_software_profilers",
        flag: "collector.perf.disable-software-profilers",
        default: HostOptionDefault::Switch(false),
        help: "disable perf software profilers",
        slot: |c| Slot::Switch(&mut c.perf_disable_software_profilers),
    },
    HostOptionSpec {
        name: "perf_software_profilers",
        flag: "collector.perf.software-profilers",
        default: HostOptionDefault::Text(None),
        help: "perf software profilers that should be collected (PageFault ContextSwitch CpuMigration MinorFault MajorFault).",
        slot: |c| Slot::Text(&mut c.perf_software_profilers),
    },
    HostOptionSpec {
        name: "perf_disable_cache_profilers",
        flag: "collector.perf.disable-cache-profilers",
        default: HostOptionDefault::Switch(false),
        help: "disable perf cache profilers",
        slot: |c| Slot::Switch(&mut c.perf_disable_cache_profilers),
    },
    HostOptionSpec {
        name: "perf_cache_profilers",
        flag: "collector.perf.cache-profilers",
        default: HostOptionDefault::Text(None),
        help: "perf cache profilers that should be collected (L1DataReadHit L1DataReadMiss L1DataWriteHit L1InstrReadMiss InstrTLBReadHit InstrTLBReadMiss DataTLBReadHit DataTLBReadMiss DataTLBWriteHit DataTLBWriteMiss LLReadHit LLReadMiss LLWriteHit LLWriteMiss BPUReadHit BPUReadMiss).",
        slot: |c| Slot::Text(&mut c.perf_cache_profilers),
    },
];

/// The node_exporter collector options [`HostConfig::set_option`] takes, with their flags, kinds,
/// defaults and help.
///
/// ```
/// let flags: Vec<&str> = srekit::host::host_options().iter().map(|o| o.flag).collect();
/// assert!(flags.contains(&"collector.cpu.guest"));
/// ```
pub fn host_options() -> &'static [HostOptionSpec] {
    OPTIONS
}

/// The names [`HostConfig::set_option`] takes: the filter and switch fields of [`HostConfig`].
///
/// ```
/// assert!(srekit::host::host_option_names().contains(&"netdev_device_exclude"));
/// ```
pub fn host_option_names() -> Vec<&'static str> {
    OPTIONS.iter().map(|option| option.name).collect()
}

/// node_exporter's defaults: `/proc`, `/sys`, `/`, every default collector and each option's default
/// from [`host_options`].
impl Default for HostConfig {
    fn default() -> HostConfig {
        let mut config = HostConfig::without_options();
        for option in OPTIONS {
            option.reset(&mut config);
        }
        config
    }
}

impl HostConfig {
    /// Sets a filter, switch or size by its field name, for bindings that take options by name:
    /// `Text` for the regex options (and `systemd_bus_address` and the sysctl lists), `Switch` for
    /// `netclass_ignore_invalid_speed`, `cpu_guest`, `rapl_zone_label`, `netlink`, `stat_softirq`,
    /// `cpu_info`, `bcache_priority_stats` and the `systemd_enable_*` switches, `Bytes` for `textfile_max_file_bytes` and `textfile_max_total_bytes` (see
    /// [`host_options`]). The pattern (and a size's being at least 1) is checked when the collector is built
    /// ([`HostCollector::new`](crate::host::HostCollector::new)).
    ///
    /// ```
    /// use srekit::host::{HostConfig, HostError, HostOption};
    /// let mut config = HostConfig::default();
    /// config.set_option("netdev_device_exclude", HostOption::Text("^(lo|veth.*)$")).unwrap();
    /// config.set_option("rapl_zone_label", HostOption::Switch(true)).unwrap();
    /// assert_eq!(config.netdev_device_exclude.as_deref(), Some("^(lo|veth.*)$"));
    /// assert!(config.rapl_zone_label);
    /// assert!(matches!(config.set_option("cpu_guest", HostOption::Text("yes")), Err(HostError::OptionType { .. })));
    /// assert!(matches!(config.set_option("bogus", HostOption::Switch(true)), Err(HostError::UnknownOption(_))));
    /// ```
    pub fn set_option(&mut self, name: &str, value: HostOption<'_>) -> Result<(), HostError> {
        let option = OPTIONS
            .iter()
            .find(|option| option.name == name)
            .ok_or_else(|| HostError::UnknownOption(name.to_string()))?;
        match ((option.slot)(self), value) {
            (Slot::Text(field), HostOption::Text(text)) => *field = Some(text.to_string()),
            (Slot::Switch(field), HostOption::Switch(on)) => *field = on,
            (Slot::Bytes(field), HostOption::Bytes(bytes)) => *field = bytes,
            (Slot::Text(_), _) => {
                return Err(HostError::OptionType { option: option.name, expected: "a string" })
            }
            (Slot::Switch(_), _) => {
                return Err(HostError::OptionType { option: option.name, expected: "a boolean" })
            }
            (Slot::Bytes(_), _) => {
                return Err(HostError::OptionType { option: option.name, expected: "a number of bytes" })
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_option_sets_its_own_field_with_one_kind_of_value() {
        // The `name: value` part of the configuration's Debug output.
        let field = |config: &HostConfig, name: &str| {
            let debug = format!("{config:?}");
            debug.split(", ").find(|part| part.starts_with(&format!("{name}: "))).map(str::to_string)
        };
        for name in host_option_names() {
            let mut config = HostConfig::default();
            let before = format!("{config:?}");
            let old = field(&config, name).unwrap_or_else(|| panic!("{name} is a field of HostConfig"));
            let turned_on = old.ends_with(": false");
            let text = config.set_option(name, HostOption::Text("^x$"));
            let switch = config.set_option(name, HostOption::Switch(turned_on));
            let bytes = config.set_option(name, HostOption::Bytes(12345));
            let kinds = [text.is_ok(), switch.is_ok(), bytes.is_ok()];
            assert_eq!(kinds.iter().filter(|ok| **ok).count(), 1, "{name} takes exactly one kind of value");
            let new = field(&config, name).unwrap_or_default();
            assert_ne!(old, new, "{name} set its field");
            assert_eq!(format!("{config:?}").replace(&new, &old), before, "{name} set only its field");
        }
    }

    #[test]
    fn each_default_has_its_slots_kind_and_names_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        let mut flags = std::collections::BTreeSet::new();
        for option in OPTIONS {
            assert!(names.insert(option.name) && flags.insert(option.flag), "{} is listed once", option.name);
            let mut config = HostConfig::without_options();
            let kinds_agree = matches!(
                ((option.slot)(&mut config), option.default),
                (Slot::Text(_), HostOptionDefault::Text(_))
                    | (Slot::Switch(_), HostOptionDefault::Switch(_))
                    | (Slot::Bytes(_), HostOptionDefault::Bytes(_))
            );
            assert!(kinds_agree, "{}: the default's kind is the field's", option.name);
        }
    }

    #[test]
    fn defaults_are_node_exporters() {
        let config = HostConfig::default();
        assert_eq!(config.netdev_device_exclude.as_deref(), Some("^lo$"));
        assert_eq!(config.diskstats_device_exclude.as_deref(), Some(DEFAULT_DISKSTATS_DEVICE_EXCLUDE));
        assert!(config.cpu_guest && config.netlink && !config.rapl_zone_label);
        assert!(config.netclass_device_exclude.is_none() && config.systemd_bus_address.is_none());
        assert_eq!(config.textfile_max_file_bytes, 64 << 20);
        assert_eq!(config.textfile_max_total_bytes, 256 << 20);
    }
}
