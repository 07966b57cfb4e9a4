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
use srekit::host::{self, HostCollector, HostConfig};
use srekit::metrics::MetricFamily;

use crate::errors::invalid_arg;
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
}

/// Builds the core configuration from JavaScript options.
pub fn host_config(options: HostOptions) -> napi::Result<HostConfig> {
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
                invalid_arg(format!(
                    "collectorTimeoutMs must be a positive, finite number of milliseconds, got {ms}"
                ))
            })?;
    }
    if options.disable_defaults.unwrap_or(false) {
        config.disable_defaults();
    }
    for name in options.enable.unwrap_or_default() {
        config.enable(&name).map_err(invalid_arg)?;
    }
    for name in options.disable.unwrap_or_default() {
        config.disable(&name).map_err(invalid_arg)?;
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
    pub fn new(options: Option<HostOptions>) -> napi::Result<Self> {
        let config = host_config(options.unwrap_or_default())?;
        let inner = HostCollector::new(config).map_err(invalid_arg)?;
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
    pub fn collect_text(&self, format: Option<String>) -> napi::Result<String> {
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
    pub fn collect_text_async(&self, format: Option<String>) -> napi::Result<AsyncTask<CollectTask>> {
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
