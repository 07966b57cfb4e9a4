//! Host metrics for JavaScript: `HostCollector` (keeps its collector threads between collections),
//! `collect()` / `collectText()` on the calling thread and `collectAsync()` / `collectTextAsync()` that
//! run on libuv's thread pool (napi `AsyncTask`) and resolve a Promise. The `collectHost*` free
//! functions in `index.js` reuse one collector per distinct options object.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::AsyncTask;
use napi::{Env, Task};
use napi_derive::napi;
use srekit::expfmt::{encode_to_string, Format};
use srekit::host::{self, HostCollector, HostConfig, HostOption};
use srekit::metrics::MetricFamily;

use crate::errors::{coded_error, to_js_error, JsErrorCode};
use crate::families::families_to_js;
use crate::js::{Js, RawValue};
use crate::registry::format_from_name;

/// Options of a host collector; every field is optional and defaults as node_exporter does.
#[napi(object)]
#[derive(Default)]
pub struct HostOptions {
    /// Where procfs is mounted (`/proc`; node_exporter `--path.procfs`).
    pub procfs: Option<String>,
    /// Where sysfs is mounted (`/sys`).
    pub sysfs: Option<String>,
    /// Where the root filesystem is mounted (`/`).
    pub rootfs: Option<String>,
    /// udev's block device database (`/run/udev/data`).
    pub udev_data: Option<String>,
    /// Directory of `*.prom` files for the textfile collector.
    pub textfile_directory: Option<String>,
    /// Per-collector deadline in milliseconds (5000).
    pub collector_timeout_ms: Option<f64>,
    /// Start from no collector instead of node_exporter's defaults.
    pub disable_defaults: Option<bool>,
    /// Collectors to add (see `allHostCollectors()`).
    pub enable: Option<Vec<String>>,
    /// Collectors to remove.
    pub disable: Option<Vec<String>>,
    /// Regex of block devices to drop (node_exporter `--collector.diskstats.device-exclude`; `''`:
    /// none).
    pub diskstats_device_exclude: Option<String>,
    /// Regex of block devices to keep (`--collector.diskstats.device-include`).
    pub diskstats_device_include: Option<String>,
    /// Regex of mount points to drop (`--collector.filesystem.mount-points-exclude`).
    pub filesystem_mount_points_exclude: Option<String>,
    /// Regex of filesystem types to drop (`--collector.filesystem.fs-types-exclude`).
    pub filesystem_fs_types_exclude: Option<String>,
    /// Regex of network devices to keep (`--collector.netdev.device-include`).
    pub netdev_device_include: Option<String>,
    /// Regex of network devices to drop (`--collector.netdev.device-exclude`, `^lo$`; `''`: none).
    pub netdev_device_exclude: Option<String>,
    /// Regex of network devices to keep in netclass.
    pub netclass_device_include: Option<String>,
    /// Regex of network devices to drop from netclass (`--collector.netclass.ignored-devices`).
    pub netclass_device_exclude: Option<String>,
    /// Skip invalid (negative) interface speeds (`--collector.netclass.ignore-invalid-speed`).
    pub netclass_ignore_invalid_speed: Option<bool>,
    /// Regex of /proc/vmstat fields to export (`--collector.vmstat.fields`).
    pub vmstat_fields: Option<String>,
    /// Regex of netstat/snmp fields to export (`--collector.netstat.fields`).
    pub netstat_fields: Option<String>,
    /// Export `node_cpu_guest_seconds_total` (`--collector.cpu.guest`, on by default).
    pub cpu_guest: Option<bool>,
    /// Regex of power supplies to drop (`--collector.powersupply.ignored-supplies`).
    pub powersupply_ignored_supplies: Option<String>,
    /// Regex of tape devices to drop (`--collector.tapestats.ignored-devices`).
    pub tapestats_ignored_devices: Option<String>,
    /// One `node_rapl_joules_total` family with a `rapl_zone` label
    /// (`--collector.rapl.enable-zone-label`).
    pub rapl_zone_label: Option<bool>,
    /// Regex of systemd units to keep, matched against the whole name
    /// (`--collector.systemd.unit-include`).
    pub systemd_unit_include: Option<String>,
    /// Regex of systemd units to drop (`--collector.systemd.unit-exclude`).
    pub systemd_unit_exclude: Option<String>,
    /// D-Bus address of the system bus, e.g. `unix:path=/host/run/dbus/system_bus_socket`.
    pub systemd_bus_address: Option<String>,
    /// Read netdev and netclass from rtnetlink when the roots are `/proc` and `/sys` (on by default).
    pub netlink: Option<bool>,
}

/// Builds the core configuration from JavaScript options.
pub fn host_config(options: HostOptions) -> napi::Result<HostConfig, JsErrorCode> {
    let mut config = HostConfig::default();
    if let Some(path) = options.procfs {
        config.procfs = PathBuf::from(path);
    }
    if let Some(path) = options.sysfs {
        config.sysfs = PathBuf::from(path);
    }
    if let Some(path) = options.rootfs {
        config.rootfs = PathBuf::from(path);
    }
    if let Some(path) = options.udev_data {
        config.udev_data = PathBuf::from(path);
    }
    config.textfile_directory = options.textfile_directory.map(PathBuf::from);
    if let Some(ms) = options.collector_timeout_ms {
        config.collector_timeout = Duration::try_from_secs_f64(ms / 1000.0)
            .ok()
            .filter(|timeout| !timeout.is_zero())
            .ok_or_else(|| {
                coded_error(
                    srekit::error::codes::HOST_INVALID_OPTION,
                    format!("collectorTimeoutMs must be a positive, finite number of milliseconds, got {ms}"),
                )
            })?;
    }
    fn text(value: &Option<String>) -> Option<HostOption<'_>> {
        value.as_deref().map(HostOption::Text)
    }
    let switch = |value: Option<bool>| value.map(HostOption::Switch);
    let named = [
        ("diskstats_device_exclude", text(&options.diskstats_device_exclude)),
        ("diskstats_device_include", text(&options.diskstats_device_include)),
        ("filesystem_mount_points_exclude", text(&options.filesystem_mount_points_exclude)),
        ("filesystem_fs_types_exclude", text(&options.filesystem_fs_types_exclude)),
        ("netdev_device_include", text(&options.netdev_device_include)),
        ("netdev_device_exclude", text(&options.netdev_device_exclude)),
        ("netclass_device_include", text(&options.netclass_device_include)),
        ("netclass_device_exclude", text(&options.netclass_device_exclude)),
        ("netclass_ignore_invalid_speed", switch(options.netclass_ignore_invalid_speed)),
        ("vmstat_fields", text(&options.vmstat_fields)),
        ("netstat_fields", text(&options.netstat_fields)),
        ("cpu_guest", switch(options.cpu_guest)),
        ("powersupply_ignored_supplies", text(&options.powersupply_ignored_supplies)),
        ("tapestats_ignored_devices", text(&options.tapestats_ignored_devices)),
        ("rapl_zone_label", switch(options.rapl_zone_label)),
        ("systemd_unit_include", text(&options.systemd_unit_include)),
        ("systemd_unit_exclude", text(&options.systemd_unit_exclude)),
        ("systemd_bus_address", text(&options.systemd_bus_address)),
        ("netlink", switch(options.netlink)),
    ];
    for (name, value) in named {
        if let Some(value) = value {
            config.set_option(name, value).map_err(to_js_error)?;
        }
    }
    if options.disable_defaults.unwrap_or(false) {
        config.disable_defaults();
    }
    for name in options.enable.unwrap_or_default() {
        config.enable(&name).map_err(to_js_error)?;
    }
    for name in options.disable.unwrap_or_default() {
        config.disable(&name).map_err(to_js_error)?;
    }
    Ok(config)
}

/// Every host collector srekit has.
#[napi]
pub fn all_host_collectors() -> Vec<&'static str> {
    host::all_collectors().to_vec()
}

/// The collectors enabled by default (node_exporter's Linux defaults).
#[napi]
pub fn default_host_collectors() -> Vec<&'static str> {
    host::default_collectors().to_vec()
}

/// Collects host metrics with node_exporter's names. Keep one and call it on every scrape: its
/// collector threads and buffers are reused.
#[napi(js_name = "HostCollector")]
pub struct JsHostCollector {
    inner: Arc<HostCollector>,
}

#[napi]
impl JsHostCollector {
    /// A collector for these options (see `HostOptions`); throws on unknown collectors or bad options.
    #[napi(constructor)]
    pub fn new(options: Option<HostOptions>) -> napi::Result<Self, JsErrorCode> {
        let config = host_config(options.unwrap_or_default())?;
        let inner = HostCollector::new(config).map_err(to_js_error)?;
        Ok(JsHostCollector { inner: Arc::new(inner) })
    }

    /// Names of the enabled collectors.
    #[napi]
    pub fn collectors(&self) -> Vec<&'static str> {
        self.inner.collectors()
    }

    /// One collection on the calling thread, as metric families.
    #[napi(ts_return_type = "MetricFamily[]")]
    pub fn collect(&self, env: Env) -> napi::Result<RawValue> {
        Ok(RawValue(families_to_js(Js::new(&env), &self.inner.collect())?))
    }

    /// One collection on the calling thread, as exposition text (`'text'` 0.0.4 or `'openmetrics'`).
    #[napi]
    pub fn collect_text(&self, format: Option<String>) -> napi::Result<String, JsErrorCode> {
        let format = format_from_name(format)?;
        Ok(encode_to_string(&self.inner.collect(), format))
    }

    /// One collection on libuv's thread pool; resolves to metric families.
    #[napi(ts_return_type = "Promise<MetricFamily[]>")]
    pub fn collect_async(&self) -> AsyncTask<CollectTask> {
        AsyncTask::new(CollectTask { collector: Arc::clone(&self.inner), text: None })
    }

    /// One collection on libuv's thread pool; resolves to exposition text.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn collect_text_async(
        &self,
        format: Option<String>,
    ) -> napi::Result<AsyncTask<CollectTask>, JsErrorCode> {
        let format = format_from_name(format)?;
        Ok(AsyncTask::new(CollectTask { collector: Arc::clone(&self.inner), text: Some(format) }))
    }
}

/// A collection run off the main thread.
pub struct CollectTask {
    collector: Arc<HostCollector>,
    text: Option<Format>,
}

/// What a [`CollectTask`] produced on the worker thread.
pub enum Collected {
    /// Families, converted to objects on the main thread.
    Families(Vec<MetricFamily>),
    /// Encoded text.
    Text(String),
}

impl Task for CollectTask {
    type Output = Collected;
    type JsValue = RawValue;

    fn compute(&mut self) -> napi::Result<Collected> {
        let families = self.collector.collect();
        Ok(match self.text {
            None => Collected::Families(families),
            Some(format) => Collected::Text(encode_to_string(&families, format)),
        })
    }

    fn resolve(&mut self, env: Env, output: Collected) -> napi::Result<RawValue> {
        let js = Js::new(&env);
        match output {
            Collected::Families(families) => Ok(RawValue(families_to_js(js, &families)?)),
            Collected::Text(text) => Ok(RawValue(js.string(&text)?)),
        }
    }
}
