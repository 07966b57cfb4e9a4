//! [`HostConfig`]: roots, enabled collectors, the node_exporter collector options (their table,
//! defaults and setting by name are in `options`) and the per-collector deadline, and its compilation
//! into the collectors' [`Settings`].

use super::catalog;
use super::collectors::perf::{PerfOptions, PerfSettings};
use super::error::HostError;
use super::settings::Settings;
use regex::Regex;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest [`HostConfig::absent_recheck`] accepted: a subsystem that appears is reported within
/// an hour at the latest.
pub const MAX_ABSENT_RECHECK: Duration = Duration::from_secs(3600);

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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// How long a probe that found a subsystem or device absent (no `/sys/class/nvme`, no
    /// `/proc/mdstat`, no udev entry) is taken as still valid: within it, collections report the
    /// path absent without probing again (each failing probe is a system call). A subsystem that
    /// appears is reported at the latest this much later. Default 10 s; zero probes every time.
    pub absent_recheck: Duration,
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
    /// node_exporter 1.5 does by default, and udp_queues from sock_diag (the same sums as
    /// /proc/net/udp{,6}, for half the kernel's work). Only used when `procfs` is `/proc` and `sysfs` is `/sys`:
    /// netlink answers for the current network namespace, not for a mounted tree.
    pub netlink: bool,
    /// Export `node_softirqs_total{vector}` from the stat collector (`--collector.stat.softirq`).
    pub stat_softirq: bool,
    /// Export `node_cpu_info` and the frequency, flag and bug series from /proc/cpuinfo
    /// (`--collector.cpu.info`).
    pub cpu_info: bool,
    /// CPU flags to export as `node_cpu_flag_info` (`--collector.cpu.info.flags-include`).
    pub cpu_info_flags_include: Option<String>,
    /// CPU bugs to export as `node_cpu_bug_info` (`--collector.cpu.info.bugs-include`).
    pub cpu_info_bugs_include: Option<String>,
    /// Numeric sysctls to export (`--collector.sysctl.include`): entries separated by whitespace, each
    /// `name` (e.g. `vm.swappiness`) or `name:key1,key2` for one metric per value of a multi-value
    /// sysctl. node_exporter takes the flag once per entry; here the entries share one string.
    pub sysctl_include: Option<String>,
    /// String sysctls to export as `node_sysctl_info` (`--collector.sysctl.include-info`), entries
    /// separated by whitespace.
    pub sysctl_include_info: Option<String>,
    /// Largest `.prom` file the textfile collector reads (`--collector.textfile.max-file-bytes`,
    /// default 64 MiB); a larger one is skipped and sets `node_textfile_scrape_error` to 1.
    pub textfile_max_file_bytes: u64,
    /// Most bytes of `.prom` files read in one collection (`--collector.textfile.max-total-bytes`,
    /// default 256 MiB); the files beyond it are skipped and set `node_textfile_scrape_error` to 1.
    pub textfile_max_total_bytes: u64,
    /// Devices to keep in arp (`--collector.arp.device-include`; `Some("")`: no filter).
    pub arp_device_include: Option<String>,
    /// Devices to drop from arp (`--collector.arp.device-exclude`; `Some("")`: no filter).
    pub arp_device_exclude: Option<String>,
    /// Export bcache's priority statistics (`node_bcache_priority_stats_*`) from each cache device's
    /// `priority_stats`, which the kernel computes by walking every bucket
    /// (`--collector.bcache.priorityStats`).
    pub bcache_priority_stats: bool,
    /// Export `node_systemd_unit_tasks_current` and `node_systemd_unit_tasks_max` for services
    /// (`--collector.systemd.enable-task-metrics`).
    pub systemd_enable_task_metrics: bool,
    /// Export `node_systemd_service_restart_total` for services
    /// (`--collector.systemd.enable-restarts-metrics`).
    pub systemd_enable_restarts_metrics: bool,
    /// Export `node_systemd_unit_start_time_seconds` for every selected unit
    /// (`--collector.systemd.enable-start-time-metrics`).
    pub systemd_enable_start_time_metrics: bool,
    /// A directory whose `results.json` (node_exporter's test fixture format) the qdisc collector reads
    /// instead of asking the kernel (`--collector.qdisc.fixtures`; `None` or empty: the kernel).
    pub qdisc_fixtures: Option<String>,
    /// A directory in node_exporter's wifi test fixture format (`interfaces.json`, `<device>/bss.json`,
    /// `<device>/stationinfo.json`) the wifi collector reads (`--collector.wifi.fixtures`).
    pub wifi_fixtures: Option<String>,
    /// Devices to keep in ethtool (`--collector.ethtool.device-include`; `Some("")`: no filter).
    pub ethtool_device_include: Option<String>,
    /// Devices to drop from ethtool (`--collector.ethtool.device-exclude`; `Some("")`: no filter).
    pub ethtool_device_exclude: Option<String>,
    /// Driver statistics to export (`--collector.ethtool.metrics-include`, default `.*`; matched
    /// against the sanitised statistic name).
    pub ethtool_metrics_include: Option<String>,
    /// CPUs the perf collector counts on (`--collector.perf.cpus`: `0,2-4,8-16:4`; `None` or
    /// empty: every CPU).
    pub perf_cpus: Option<String>,
    /// perf tracepoints (`--collector.perf.tracepoint`): `subsystem:event` entries separated by
    /// whitespace (the flag is repeated), each counted per CPU as `node_perf_<subsystem>_<event>`.
    pub perf_tracepoint: Option<String>,
    /// Open no hardware events (`--collector.perf.disable-hardware-profilers`).
    pub perf_disable_hardware_profilers: bool,
    /// Open no software events (`--collector.perf.disable-software-profilers`).
    pub perf_disable_software_profilers: bool,
    /// Open no hardware cache events (`--collector.perf.disable-cache-profilers`).
    pub perf_disable_cache_profilers: bool,
    /// The hardware events to open, perf-utils' names separated by spaces (`CpuCycles CpuInstr`;
    /// `--collector.perf.hardware-profilers`; `None`: node_exporter 1.5's).
    pub perf_hardware_profilers: Option<String>,
    /// The software events to open (`PageFault ContextSwitch`; `--collector.perf.software-profilers`).
    pub perf_software_profilers: Option<String>,
    /// The hardware cache events to open (`L1DataReadHit LLReadMiss`; `--collector.perf.cache-profilers`).
    pub perf_cache_profilers: Option<String>,
    enabled: BTreeSet<&'static str>,
}

impl HostConfig {
    /// node_exporter's roots and default collectors, every option unset (no filter, switches off);
    /// [`Default`] then applies the option table's defaults.
    pub(super) fn without_options() -> HostConfig {
        HostConfig {
            procfs: PathBuf::from("/proc"),
            sysfs: PathBuf::from("/sys"),
            rootfs: PathBuf::from("/"),
            udev_data: PathBuf::from("/run/udev/data"),
            textfile_directory: None,
            collector_timeout: Duration::from_secs(5),
            absent_recheck: Duration::from_secs(10),
            diskstats_device_exclude: None,
            diskstats_device_include: None,
            filesystem_mount_points_exclude: None,
            filesystem_fs_types_exclude: None,
            netdev_device_include: None,
            netdev_device_exclude: None,
            netclass_device_include: None,
            netclass_device_exclude: None,
            netclass_ignore_invalid_speed: false,
            vmstat_fields: None,
            netstat_fields: None,
            cpu_guest: false,
            powersupply_ignored_supplies: None,
            tapestats_ignored_devices: None,
            rapl_zone_label: false,
            systemd_unit_include: None,
            systemd_unit_exclude: None,
            systemd_bus_address: None,
            netlink: false,
            stat_softirq: false,
            cpu_info: false,
            cpu_info_flags_include: None,
            cpu_info_bugs_include: None,
            sysctl_include: None,
            sysctl_include_info: None,
            textfile_max_file_bytes: 0,
            textfile_max_total_bytes: 0,
            arp_device_include: None,
            arp_device_exclude: None,
            bcache_priority_stats: false,
            systemd_enable_task_metrics: false,
            systemd_enable_restarts_metrics: false,
            systemd_enable_start_time_metrics: false,
            qdisc_fixtures: None,
            wifi_fixtures: None,
            ethtool_device_include: None,
            ethtool_device_exclude: None,
            ethtool_metrics_include: None,
            perf_cpus: None,
            perf_tracepoint: None,
            perf_disable_hardware_profilers: false,
            perf_disable_software_profilers: false,
            perf_disable_cache_profilers: false,
            perf_hardware_profilers: None,
            perf_software_profilers: None,
            perf_cache_profilers: None,
            enabled: catalog::default_collectors().iter().copied().collect(),
        }
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
        let known = catalog::lookup(name).ok_or_else(|| HostError::UnknownCollector(name.to_string()))?.name;
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
        let known = catalog::lookup(name).ok_or_else(|| HostError::UnknownCollector(name.to_string()))?.name;
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
        if self.absent_recheck > MAX_ABSENT_RECHECK {
            return Err(HostError::InvalidValue {
                option: "absent_recheck",
                message: format!(
                    "{:?} is longer than the maximum of 1 hour (0 probes on every collection)",
                    self.absent_recheck
                ),
            });
        }
        for (option, bytes) in [
            ("textfile_max_file_bytes", self.textfile_max_file_bytes),
            ("textfile_max_total_bytes", self.textfile_max_total_bytes),
        ] {
            if bytes == 0 {
                return Err(HostError::ZeroBytes { option });
            }
        }
        Ok(Settings {
            procfs: self.procfs.clone(),
            sysfs: self.sysfs.clone(),
            rootfs: self.rootfs.clone(),
            udev_data: self.udev_data.clone(),
            textfile_directory: self.textfile_directory.clone(),
            textfile_max_file_bytes: self.textfile_max_file_bytes,
            textfile_max_total_bytes: self.textfile_max_total_bytes,
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
            stat_softirq: self.stat_softirq,
            cpu_info: self.cpu_info,
            cpu_info_flags_include: compile("cpu_info_flags_include", &self.cpu_info_flags_include)?,
            cpu_info_bugs_include: compile("cpu_info_bugs_include", &self.cpu_info_bugs_include)?,
            sysctl_include: self.sysctl_include.clone(),
            sysctl_include_info: self.sysctl_include_info.clone(),
            arp_device_include: device_filter("arp_device_include", &self.arp_device_include)?,
            arp_device_exclude: device_filter("arp_device_exclude", &self.arp_device_exclude)?,
            bcache_priority_stats: self.bcache_priority_stats,
            systemd_enable_task_metrics: self.systemd_enable_task_metrics,
            systemd_enable_restarts_metrics: self.systemd_enable_restarts_metrics,
            systemd_enable_start_time_metrics: self.systemd_enable_start_time_metrics,
            qdisc_fixtures: fixtures_dir(&self.qdisc_fixtures),
            wifi_fixtures: fixtures_dir(&self.wifi_fixtures),
            ethtool_device_include: device_filter("ethtool_device_include", &self.ethtool_device_include)?,
            ethtool_device_exclude: device_filter("ethtool_device_exclude", &self.ethtool_device_exclude)?,
            ethtool_metrics_include: compile("ethtool_metrics_include", &self.ethtool_metrics_include)?,
            // Checked only when perf is enabled, as node_exporter reads them only then.
            perf: if !self.is_enabled("perf") {
                PerfSettings::default()
            } else {
                PerfSettings::compile(&PerfOptions {
                    sysfs: &self.sysfs,
                    cpus: self.perf_cpus.as_deref(),
                    tracepoint: self.perf_tracepoint.as_deref(),
                    disable_hardware: self.perf_disable_hardware_profilers,
                    disable_software: self.perf_disable_software_profilers,
                    disable_cache: self.perf_disable_cache_profilers,
                    hardware: self.perf_hardware_profilers.as_deref(),
                    software: self.perf_software_profilers.as_deref(),
                    cache: self.perf_cache_profilers.as_deref(),
                })?
            },
            use_netlink: self.netlink && self.procfs == Path::new("/proc") && self.sysfs == Path::new("/sys"),
            reserved_names: Default::default(),
            absences: crate::host::probe::Absences::new(self.absent_recheck),
            textfile_report: Default::default(),
            collection: Default::default(),
            links: Default::default(),
            proc_stat: Default::default(),
            sockstat: Default::default(),
            sockstat6: Default::default(),
        })
    }
}

impl HostConfig {
    /// Sets [`collector_timeout`](HostConfig::collector_timeout) from a number of seconds, as the
    /// Python and Node bindings take it: finite and more than zero, else an error naming the option.
    ///
    /// ```
    /// use srekit::host::HostConfig;
    /// let mut config = HostConfig::default();
    /// config.set_collector_timeout_secs(2.5)?;
    /// assert_eq!(config.collector_timeout, std::time::Duration::from_millis(2500));
    /// assert!(config.set_collector_timeout_secs(0.0).is_err());
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn set_collector_timeout_secs(&mut self, seconds: f64) -> Result<(), HostError> {
        self.collector_timeout = Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|timeout| !timeout.is_zero())
            .ok_or_else(|| HostError::InvalidValue {
                option: "collector_timeout",
                message: format!("{seconds} is not a positive, finite number of seconds"),
            })?;
        Ok(())
    }

    /// Sets [`absent_recheck`](HostConfig::absent_recheck) from a number of seconds: 0 (probe on
    /// every collection) up to [`MAX_ABSENT_RECHECK`], else an error naming the option.
    ///
    /// ```
    /// use srekit::host::HostConfig;
    /// let mut config = HostConfig::default();
    /// config.set_absent_recheck_secs(0.0)?;
    /// assert!(config.absent_recheck.is_zero());
    /// assert!(config.set_absent_recheck_secs(7200.0).is_err());
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn set_absent_recheck_secs(&mut self, seconds: f64) -> Result<(), HostError> {
        self.absent_recheck = Duration::try_from_secs_f64(seconds)
            .ok()
            .filter(|interval| *interval <= MAX_ABSENT_RECHECK)
            .ok_or_else(|| HostError::InvalidValue {
                option: "absent_recheck",
                message: format!("{seconds} is not a number of seconds from 0 to 3600 (1 hour)"),
            })?;
        Ok(())
    }
}

/// A fixtures directory option: node_exporter's empty default is no fixtures.
fn fixtures_dir(option: &Option<String>) -> Option<PathBuf> {
    option.as_deref().filter(|dir| !dir.is_empty()).map(PathBuf::from)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::settings::device_selected;

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
    fn seconds_setters_take_bounded_finite_numbers() {
        let mut config = HostConfig::default();
        config.set_collector_timeout_secs(0.25).expect("a quarter second");
        assert_eq!(config.collector_timeout, Duration::from_millis(250));
        config.set_absent_recheck_secs(3600.0).expect("the maximum");
        assert_eq!(config.absent_recheck, MAX_ABSENT_RECHECK);
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300] {
            let err = config.set_collector_timeout_secs(bad).expect_err("refused");
            assert!(err.to_string().contains("collector_timeout"), "{err}");
        }
        for bad in [-0.5, 3600.001, f64::NAN, f64::INFINITY] {
            let err = config.set_absent_recheck_secs(bad).expect_err("refused");
            assert!(err.to_string().contains("absent_recheck"), "{err}");
        }
        assert_eq!(config.collector_timeout, Duration::from_millis(250), "a refused value changes nothing");
        assert_eq!(config.absent_recheck, MAX_ABSENT_RECHECK);
    }

    #[test]
    fn an_absent_recheck_over_an_hour_is_refused_at_compile() {
        let config = HostConfig {
            absent_recheck: MAX_ABSENT_RECHECK + Duration::from_secs(1),
            ..HostConfig::default()
        };
        match config.compile() {
            Err(HostError::InvalidValue { option, .. }) => assert_eq!(option, "absent_recheck"),
            other => panic!("expected InvalidValue, got {other:?}"),
        }
    }

    #[test]
    fn root_paths_join_absolute_parts() {
        let settings = HostConfig::with_roots("/p", "/s", "/host").compile().expect("test setup");
        assert_eq!(settings.root("/etc/os-release"), PathBuf::from("/host/etc/os-release"));
        assert_eq!(settings.proc("stat"), PathBuf::from("/p/stat"));
    }
}
