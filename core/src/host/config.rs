//! [`HostConfig`]: roots, enabled collectors, device and mount filters and the per-collector deadline,
//! with node_exporter 1.5's defaults (taken from `prometheus-node-exporter --help`).

use super::catalog;
use super::error::HostError;
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

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

/// Configuration of a [`HostCollector`](crate::host::HostCollector).
///
/// All fields are public; regex fields are `Option<String>` where `None` means "no filter". The
/// defaults are node_exporter's, so `HostConfig::default()` gathers what node_exporter gathers. An
/// empty pattern behaves as node_exporter's empty flag: no filter for the diskstats and netdev device
/// filters, a pattern matching every name for the others (so `netclass_device_exclude: Some("")`
/// drops every interface, and `vmstat_fields: Some("")` keeps every field).
///
/// ```
/// use srekit::host::HostConfig;
/// use std::time::Duration;
/// let mut config = HostConfig::default();
/// config.procfs = "/host/proc".into();
/// config.netdev_device_exclude = Some("^(lo|veth.*)$".into());
/// config.collector_timeout = Duration::from_secs(2);
/// config.disable("hwmon").unwrap();
/// assert!(!config.is_enabled("hwmon"));
/// assert!(config.is_enabled("cpu"));
/// ```
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// Where procfs is mounted (node_exporter `--path.procfs`).
    pub procfs: PathBuf,
    /// Where sysfs is mounted (`--path.sysfs`).
    pub sysfs: PathBuf,
    /// Where the root filesystem is mounted (`--path.rootfs`): prefix stripped from mount points and
    /// used for statfs and os-release.
    pub rootfs: PathBuf,
    /// udev's database of block devices, for `node_disk_info` (`--path.udev.data`).
    pub udev_data: PathBuf,
    /// Directory of `*.prom` files for the textfile collector (`--collector.textfile.directory`).
    /// `None` reads nothing but still reports `node_textfile_scrape_error 0`.
    pub textfile_directory: Option<PathBuf>,
    /// Deadline for each collector in one collection. A collector past it reports success 0, and a
    /// collector still stuck from an earlier collection is not started again until it returns.
    pub collector_timeout: Duration,
    /// Block devices to drop from diskstats (`Some("")`: none, as in node_exporter).
    pub diskstats_device_exclude: Option<String>,
    /// Block devices to keep in diskstats (applied before the exclusion).
    pub diskstats_device_include: Option<String>,
    /// Mount points to drop from filesystem.
    pub filesystem_mount_points_exclude: Option<String>,
    /// Filesystem types to drop from filesystem.
    pub filesystem_fs_types_exclude: Option<String>,
    /// Network devices to keep in netdev.
    pub netdev_device_include: Option<String>,
    /// Network devices to drop from netdev (`Some("")`: none, as in node_exporter).
    pub netdev_device_exclude: Option<String>,
    /// Network devices to keep in netclass.
    pub netclass_device_include: Option<String>,
    /// Network devices to drop from netclass (node_exporter's `--collector.netclass.ignored-devices`).
    pub netclass_device_exclude: Option<String>,
    /// Skip `node_network_speed_bytes` when the kernel reports an invalid (negative) speed.
    pub netclass_ignore_invalid_speed: bool,
    /// vmstat fields to export (regex on the /proc/vmstat key).
    pub vmstat_fields: Option<String>,
    /// netstat fields to export (regex on `Protocol_Field`).
    pub netstat_fields: Option<String>,
    /// Export `node_cpu_guest_seconds_total` (`--collector.cpu.guest`, on by default).
    pub cpu_guest: bool,
    /// Power supplies to drop from powersupplyclass (regex on the name, e.g. `^BAT`;
    /// `--collector.powersupply.ignored-supplies`).
    pub powersupply_ignored_supplies: Option<String>,
    /// Tape devices to drop from tapestats (regex on the name, e.g. `^st0$`;
    /// `--collector.tapestats.ignored-devices`).
    pub tapestats_ignored_devices: Option<String>,
    /// Export RAPL counters as one `node_rapl_joules_total` family with a `rapl_zone` label instead of
    /// one family per zone (`--collector.rapl.enable-zone-label`).
    pub rapl_zone_label: bool,
    /// systemd units to keep (`--collector.systemd.unit-include`; matched against the whole name).
    pub systemd_unit_include: Option<String>,
    /// systemd units to drop (`--collector.systemd.unit-exclude`; matched against the whole name).
    pub systemd_unit_exclude: Option<String>,
    /// D-Bus address of the system bus for the systemd collector, e.g.
    /// `unix:path=/host/run/dbus/system_bus_socket`. `None`: `DBUS_SYSTEM_BUS_ADDRESS` if set, else
    /// `unix:path=<rootfs>/run/dbus/system_bus_socket`, or `/run/dbus/system_bus_socket` when only
    /// that one exists.
    pub systemd_bus_address: Option<String>,
    /// Read netdev and netclass from rtnetlink (one dump instead of a file per attribute), as
    /// node_exporter 1.5 does by default. Only used when `procfs` is `/proc` and `sysfs` is `/sys`:
    /// netlink answers for the current network namespace, not for a mounted tree.
    pub netlink: bool,
    enabled: BTreeSet<&'static str>,
}

impl Default for HostConfig {
    fn default() -> HostConfig {
        HostConfig {
            procfs: PathBuf::from("/proc"),
            sysfs: PathBuf::from("/sys"),
            rootfs: PathBuf::from("/"),
            udev_data: PathBuf::from("/run/udev/data"),
            textfile_directory: None,
            collector_timeout: Duration::from_secs(5),
            diskstats_device_exclude: Some(DEFAULT_DISKSTATS_DEVICE_EXCLUDE.to_string()),
            diskstats_device_include: None,
            filesystem_mount_points_exclude: Some(DEFAULT_FILESYSTEM_MOUNT_POINTS_EXCLUDE.to_string()),
            filesystem_fs_types_exclude: Some(DEFAULT_FILESYSTEM_FS_TYPES_EXCLUDE.to_string()),
            netdev_device_include: None,
            netdev_device_exclude: Some(DEFAULT_NETDEV_DEVICE_EXCLUDE.to_string()),
            netclass_device_include: None,
            netclass_device_exclude: None,
            netclass_ignore_invalid_speed: false,
            vmstat_fields: Some(DEFAULT_VMSTAT_FIELDS.to_string()),
            netstat_fields: Some(DEFAULT_NETSTAT_FIELDS.to_string()),
            cpu_guest: true,
            powersupply_ignored_supplies: None,
            tapestats_ignored_devices: None,
            rapl_zone_label: false,
            systemd_unit_include: Some(DEFAULT_SYSTEMD_UNIT_INCLUDE.to_string()),
            systemd_unit_exclude: Some(DEFAULT_SYSTEMD_UNIT_EXCLUDE.to_string()),
            systemd_bus_address: None,
            netlink: true,
            enabled: catalog::default_collectors().iter().copied().collect(),
        }
    }
}

/// A value for [`HostConfig::set_option`]: text for the patterns (and the bus address), a switch for
/// the on/off options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostOption<'a> {
    /// A regex (or, for `systemd_bus_address`, a D-Bus address).
    Text(&'a str),
    /// On or off.
    Switch(bool),
}

/// Where [`HostConfig::set_option`] puts a value.
enum Slot<'c> {
    Text(&'c mut Option<String>),
    Switch(&'c mut bool),
}

/// The options [`HostConfig::set_option`] takes: each field's name and where it is.
type OptionField = (&'static str, fn(&mut HostConfig) -> Slot<'_>);

const OPTIONS: [OptionField; 19] = [
    ("diskstats_device_exclude", |c| Slot::Text(&mut c.diskstats_device_exclude)),
    ("diskstats_device_include", |c| Slot::Text(&mut c.diskstats_device_include)),
    ("filesystem_mount_points_exclude", |c| Slot::Text(&mut c.filesystem_mount_points_exclude)),
    ("filesystem_fs_types_exclude", |c| Slot::Text(&mut c.filesystem_fs_types_exclude)),
    ("netdev_device_include", |c| Slot::Text(&mut c.netdev_device_include)),
    ("netdev_device_exclude", |c| Slot::Text(&mut c.netdev_device_exclude)),
    ("netclass_device_include", |c| Slot::Text(&mut c.netclass_device_include)),
    ("netclass_device_exclude", |c| Slot::Text(&mut c.netclass_device_exclude)),
    ("netclass_ignore_invalid_speed", |c| Slot::Switch(&mut c.netclass_ignore_invalid_speed)),
    ("vmstat_fields", |c| Slot::Text(&mut c.vmstat_fields)),
    ("netstat_fields", |c| Slot::Text(&mut c.netstat_fields)),
    ("cpu_guest", |c| Slot::Switch(&mut c.cpu_guest)),
    ("powersupply_ignored_supplies", |c| Slot::Text(&mut c.powersupply_ignored_supplies)),
    ("tapestats_ignored_devices", |c| Slot::Text(&mut c.tapestats_ignored_devices)),
    ("rapl_zone_label", |c| Slot::Switch(&mut c.rapl_zone_label)),
    ("systemd_unit_include", |c| Slot::Text(&mut c.systemd_unit_include)),
    ("systemd_unit_exclude", |c| Slot::Text(&mut c.systemd_unit_exclude)),
    ("systemd_bus_address", |c| Slot::Text(&mut c.systemd_bus_address)),
    ("netlink", |c| Slot::Switch(&mut c.netlink)),
];

/// The names [`HostConfig::set_option`] takes: the filter and switch fields of [`HostConfig`].
///
/// ```
/// assert!(srekit::host::host_option_names().contains(&"netdev_device_exclude"));
/// ```
pub fn host_option_names() -> Vec<&'static str> {
    OPTIONS.iter().map(|(name, _)| *name).collect()
}

impl HostConfig {
    /// Sets a filter or switch by its field name, for bindings that take options by name:
    /// `Text` for the regex options (and `systemd_bus_address`), `Switch` for
    /// `netclass_ignore_invalid_speed`, `cpu_guest`, `rapl_zone_label` and `netlink`. The pattern is
    /// checked when the collector is built ([`HostCollector::new`](crate::host::HostCollector::new)).
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
        let (option, field) = OPTIONS
            .iter()
            .find(|(known, _)| *known == name)
            .ok_or_else(|| HostError::UnknownOption(name.to_string()))?;
        match (field(self), value) {
            (Slot::Text(field), HostOption::Text(text)) => *field = Some(text.to_string()),
            (Slot::Switch(field), HostOption::Switch(on)) => *field = on,
            (Slot::Text(_), HostOption::Switch(_)) => {
                return Err(HostError::OptionType { option, expected: "a string" })
            }
            (Slot::Switch(_), HostOption::Text(_)) => {
                return Err(HostError::OptionType { option, expected: "a boolean" })
            }
        }
        Ok(())
    }

    /// A configuration reading the given roots, with the default collectors.
    ///
    /// ```
    /// let config = srekit::host::HostConfig::with_roots("/host/proc", "/host/sys", "/host/root");
    /// assert_eq!(config.sysfs, std::path::PathBuf::from("/host/sys"));
    /// ```
    pub fn with_roots(
        procfs: impl AsRef<Path>,
        sysfs: impl AsRef<Path>,
        rootfs: impl AsRef<Path>,
    ) -> HostConfig {
        HostConfig {
            procfs: procfs.as_ref().to_path_buf(),
            sysfs: sysfs.as_ref().to_path_buf(),
            rootfs: rootfs.as_ref().to_path_buf(),
            ..HostConfig::default()
        }
    }

    /// Enables the collector `name` (`--collector.<name>`).
    ///
    /// ```
    /// let mut config = srekit::host::HostConfig::default();
    /// config.disable_defaults();
    /// config.enable("loadavg").unwrap();
    /// assert_eq!(config.enabled(), vec!["loadavg"]);
    /// ```
    pub fn enable(&mut self, name: &str) -> Result<&mut HostConfig, HostError> {
        let known = catalog::lookup(name).ok_or_else(|| HostError::UnknownCollector(name.to_string()))?;
        self.enabled.insert(known);
        Ok(self)
    }

    /// Disables the collector `name` (`--no-collector.<name>`).
    ///
    /// ```
    /// let mut config = srekit::host::HostConfig::default();
    /// config.disable("textfile").unwrap();
    /// assert!(!config.is_enabled("textfile"));
    /// assert!(config.disable("bogus").is_err());
    /// ```
    pub fn disable(&mut self, name: &str) -> Result<&mut HostConfig, HostError> {
        let known = catalog::lookup(name).ok_or_else(|| HostError::UnknownCollector(name.to_string()))?;
        self.enabled.remove(known);
        Ok(self)
    }

    /// Disables every collector (`--collector.disable-defaults`); enable the wanted ones afterwards.
    ///
    /// ```
    /// let mut config = srekit::host::HostConfig::default();
    /// config.disable_defaults();
    /// assert!(config.enabled().is_empty());
    /// ```
    pub fn disable_defaults(&mut self) -> &mut HostConfig {
        self.enabled.clear();
        self
    }

    /// Whether the collector `name` is enabled.
    ///
    /// ```
    /// assert!(srekit::host::HostConfig::default().is_enabled("meminfo"));
    /// ```
    pub fn is_enabled(&self, name: &str) -> bool {
        self.enabled.contains(name)
    }

    /// The enabled collectors, sorted by name.
    ///
    /// ```
    /// let config = srekit::host::HostConfig::default();
    /// assert_eq!(config.enabled().len(), srekit::host::default_collectors().len());
    /// ```
    pub fn enabled(&self) -> Vec<&'static str> {
        self.enabled.iter().copied().collect()
    }

    /// Compiles the configuration into the settings the collectors share.
    pub(crate) fn compile(&self) -> Result<Settings, HostError> {
        if self.collector_timeout.is_zero() {
            return Err(HostError::ZeroTimeout);
        }
        Ok(Settings {
            procfs: self.procfs.clone(),
            sysfs: self.sysfs.clone(),
            rootfs: self.rootfs.clone(),
            udev_data: self.udev_data.clone(),
            textfile_directory: self.textfile_directory.clone(),
            collector_timeout: self.collector_timeout,
            diskstats_device_exclude: device_filter(
                "diskstats_device_exclude",
                &self.diskstats_device_exclude,
            )?,
            diskstats_device_include: device_filter(
                "diskstats_device_include",
                &self.diskstats_device_include,
            )?,
            filesystem_mount_points_exclude: compile(
                "filesystem_mount_points_exclude",
                &self.filesystem_mount_points_exclude,
            )?,
            filesystem_fs_types_exclude: compile(
                "filesystem_fs_types_exclude",
                &self.filesystem_fs_types_exclude,
            )?,
            netdev_device_include: device_filter("netdev_device_include", &self.netdev_device_include)?,
            netdev_device_exclude: device_filter("netdev_device_exclude", &self.netdev_device_exclude)?,
            netclass_device_include: compile("netclass_device_include", &self.netclass_device_include)?,
            netclass_device_exclude: compile("netclass_device_exclude", &self.netclass_device_exclude)?,
            netclass_ignore_invalid_speed: self.netclass_ignore_invalid_speed,
            vmstat_fields: compile("vmstat_fields", &self.vmstat_fields)?,
            netstat_fields: compile("netstat_fields", &self.netstat_fields)?,
            cpu_guest: self.cpu_guest,
            powersupply_ignored_supplies: compile(
                "powersupply_ignored_supplies",
                &self.powersupply_ignored_supplies,
            )?,
            tapestats_ignored_devices: compile("tapestats_ignored_devices", &self.tapestats_ignored_devices)?,
            rapl_zone_label: self.rapl_zone_label,
            systemd_unit_include: compile("systemd_unit_include", &anchored(&self.systemd_unit_include))?,
            systemd_unit_exclude: compile("systemd_unit_exclude", &anchored(&self.systemd_unit_exclude))?,
            systemd_bus_address: self.systemd_bus_address.clone(),
            use_netlink: self.netlink && self.procfs == Path::new("/proc") && self.sysfs == Path::new("/sys"),
        })
    }
}

/// `pattern` matched against the whole name, as node_exporter's systemd unit filters are.
fn anchored(pattern: &Option<String>) -> Option<String> {
    pattern.as_ref().map(|p| format!("^(?:{p})$"))
}

/// A diskstats or netdev device filter: as in node_exporter's `deviceFilter`, an empty pattern is
/// no filter (every other regex option compiles `""`, which matches every name).
fn device_filter(option: &'static str, pattern: &Option<String>) -> Result<Option<Regex>, HostError> {
    match pattern.as_deref() {
        Some("") => Ok(None),
        _ => compile(option, pattern),
    }
}

fn compile(option: &'static str, pattern: &Option<String>) -> Result<Option<Regex>, HostError> {
    match pattern {
        None => Ok(None),
        Some(p) => {
            Regex::new(p).map(Some).map_err(|e| HostError::InvalidRegex { option, message: e.to_string() })
        }
    }
}

/// The compiled configuration every collector reads (shared, immutable).
#[derive(Debug)]
pub(crate) struct Settings {
    pub(crate) procfs: PathBuf,
    pub(crate) sysfs: PathBuf,
    pub(crate) rootfs: PathBuf,
    pub(crate) udev_data: PathBuf,
    pub(crate) textfile_directory: Option<PathBuf>,
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
}

impl Settings {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_regex_is_reported_with_its_option() {
        let config = HostConfig { netdev_device_exclude: Some("(".into()), ..HostConfig::default() };
        match config.compile() {
            Err(HostError::InvalidRegex { option, .. }) => assert_eq!(option, "netdev_device_exclude"),
            other => panic!("expected InvalidRegex, got {other:?}"),
        }
    }

    #[test]
    fn default_filters_match_node_exporter() {
        let settings = HostConfig::default().compile().expect("test setup");
        let disk_exclude = &settings.diskstats_device_exclude;
        assert!(!device_selected("sda1", &None, disk_exclude));
        assert!(device_selected("sda", &None, disk_exclude));
        assert!(!device_selected("nvme0n1p2", &None, disk_exclude));
        assert!(device_selected("nvme0n1", &None, disk_exclude));
        assert!(!device_selected("lo", &settings.netdev_device_include, &settings.netdev_device_exclude));
        let mounts = settings.filesystem_mount_points_exclude.as_ref().expect("test setup");
        assert!(mounts.is_match("/run/user/1000"));
        assert!(!mounts.is_match("/"));
        assert!(!mounts.is_match("/home"));
    }

    #[test]
    fn root_paths_join_absolute_parts() {
        let settings = HostConfig::with_roots("/p", "/s", "/host").compile().expect("test setup");
        assert_eq!(settings.root("/etc/os-release"), PathBuf::from("/host/etc/os-release"));
        assert_eq!(settings.proc("stat"), PathBuf::from("/p/stat"));
    }

    #[test]
    fn every_named_option_sets_its_own_field_with_one_kind_of_value() {
        use super::{host_option_names, HostOption};
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
            assert!(text.is_ok() != switch.is_ok(), "{name} takes exactly one kind of value");
            let new = field(&config, name).unwrap_or_default();
            assert_ne!(old, new, "{name} set its field");
            assert_eq!(format!("{config:?}").replace(&new, &old), before, "{name} set only its field");
        }
    }
}
