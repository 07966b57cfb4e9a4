//! Host metrics for JavaScript: `HostCollector` (keeps its collector threads between collections),
//! `collect()` / `collectText()` on the calling thread and `collectAsync()` / `collectTextAsync()` that
//! run on libuv's thread pool (napi `AsyncTask`) and resolve a Promise. The options follow the core's
//! option table (`hostOptions()`); the `collectHost*` free functions in `index.js` take their
//! collector from the core's bounded cache (`sharedHostCollector`).

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Either3, FromNapiValue, Object, Unknown};
use napi::{sys, Env, Task};
use napi_derive::napi;
use srekit::expfmt::{encode_to_string, Format};
use srekit::host::{
    self, CollectionReport, HostCollector, HostConfig, HostOption, HostOptionDefault, HostOptionKind,
};
use srekit::metrics::MetricFamily;

use srekit::error::codes;

use crate::errors::{coded_error, to_js_error, JsErrorCode};
use crate::families::families_to_js;
use crate::js::{Js, RawValue};
use crate::registry::format_from_name;

/// The keys of the options object besides the node_exporter collector options of the core's table
/// (which Node takes camelCased: `netdevDeviceExclude` for `netdev_device_exclude`).
const OTHER_KEYS: [&str; 10] = [
    "procfs",
    "sysfs",
    "rootfs",
    "udevData",
    "textfileDirectory",
    "collectorTimeoutMs",
    "absentRecheckMs",
    "disableDefaults",
    "enable",
    "disable",
];

/// `snake_case` as `camelCase`.
fn camel_case(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// The option `key` of `options`; `undefined` and `null` are unset.
fn field<V: FromNapiValue>(options: &Object, key: &str) -> napi::Result<Option<V>, JsErrorCode> {
    options
        .get::<Option<V>>(key)
        .map(Option::flatten)
        .map_err(|err| coded_error(codes::HOST_INVALID_OPTION, format!("host option {key}: {}", err.reason)))
}

/// Builds the core configuration from a JavaScript options object (see `HostOptions` in
/// index.d.ts): the roots and collector lists, then every option of the core's table by its camelCase
/// name. An unknown key is an error, as in Python.
pub fn host_config(options: Option<Object>) -> napi::Result<HostConfig, JsErrorCode> {
    let mut config = HostConfig::default();
    let Some(options) = options else { return Ok(config) };
    let keys = Object::keys(&options).map_err(|err| coded_error(codes::HOST_INVALID_OPTION, err.reason))?;
    for key in keys {
        let known = OTHER_KEYS.contains(&key.as_str())
            || host::host_options().iter().any(|option| camel_case(option.name) == key);
        if !known && field::<Unknown>(&options, &key)?.is_some() {
            return Err(coded_error(codes::HOST_UNKNOWN_OPTION, format!("unknown host option {key:?}")));
        }
    }
    if let Some(path) = field::<String>(&options, "procfs")? {
        config.procfs = PathBuf::from(path);
    }
    if let Some(path) = field::<String>(&options, "sysfs")? {
        config.sysfs = PathBuf::from(path);
    }
    if let Some(path) = field::<String>(&options, "rootfs")? {
        config.rootfs = PathBuf::from(path);
    }
    if let Some(path) = field::<String>(&options, "udevData")? {
        config.udev_data = PathBuf::from(path);
    }
    config.textfile_directory = field::<String>(&options, "textfileDirectory")?.map(PathBuf::from);
    // The core checks the bounds; the binding names its own key and unit in the error.
    if let Some(ms) = field::<f64>(&options, "collectorTimeoutMs")? {
        config.set_collector_timeout_secs(ms / 1000.0).map_err(|_| {
            coded_error(
                codes::HOST_INVALID_OPTION,
                format!("collectorTimeoutMs must be a positive, finite number of milliseconds, got {ms}"),
            )
        })?;
    }
    if let Some(ms) = field::<f64>(&options, "absentRecheckMs")? {
        config.set_absent_recheck_secs(ms / 1000.0).map_err(|_| {
            coded_error(
                codes::HOST_INVALID_OPTION,
                format!(
                    "absentRecheckMs must be a number of milliseconds from 0 to 3600000 (1 hour), got {ms}"
                ),
            )
        })?;
    }
    for option in host::host_options() {
        let key = camel_case(option.name);
        match option.kind() {
            HostOptionKind::Text => {
                if let Some(text) = field::<String>(&options, &key)? {
                    config.set_option(option.name, HostOption::Text(&text)).map_err(to_js_error)?;
                }
            }
            HostOptionKind::Switch => {
                if let Some(on) = field::<bool>(&options, &key)? {
                    config.set_option(option.name, HostOption::Switch(on)).map_err(to_js_error)?;
                }
            }
            HostOptionKind::Bytes => {
                if let Some(bytes) = field::<f64>(&options, &key)? {
                    let whole = (bytes.fract() == 0.0 && (0.0..=9_007_199_254_740_991.0).contains(&bytes))
                        .then_some(bytes as u64)
                        .ok_or_else(|| {
                            coded_error(
                                codes::HOST_INVALID_OPTION,
                                format!("host option {key}: must be a whole number of bytes, got {bytes}"),
                            )
                        })?;
                    config.set_option(option.name, HostOption::Bytes(whole)).map_err(to_js_error)?;
                }
            }
        }
    }
    if field::<bool>(&options, "disableDefaults")?.unwrap_or(false) {
        config.disable_defaults();
    }
    for name in field::<Vec<String>>(&options, "enable")?.unwrap_or_default() {
        config.enable(&name).map_err(to_js_error)?;
    }
    for name in field::<Vec<String>>(&options, "disable")?.unwrap_or_default() {
        config.disable(&name).map_err(to_js_error)?;
    }
    Ok(config)
}

/// One node_exporter collector option of the core's table, as `hostOptions()` lists it.
#[napi(object)]
pub struct HostOptionInfo {
    /// The option's key in `HostOptions` (camelCase).
    pub name: String,
    /// node_exporter's flag, without dashes (`collector.netdev.device-exclude`).
    pub flag: String,
    /// `'string'`, `'boolean'` or `'number'` (a size in bytes).
    #[napi(js_name = "type", ts_type = "'string' | 'boolean' | 'number'")]
    pub kind: String,
    /// The default (`null`: no filter).
    #[napi(ts_type = "string | boolean | number | null")]
    pub default: Option<Either3<String, bool, f64>>,
    /// One line of help.
    pub help: String,
}

/// The node_exporter collector options `HostOptions` takes, from the core's table.
#[napi]
pub fn host_options() -> Vec<HostOptionInfo> {
    host::host_options()
        .iter()
        .map(|option| {
            let (kind, default) = match option.default {
                HostOptionDefault::Text(text) => ("string", text.map(|text| Either3::A(text.to_string()))),
                HostOptionDefault::Switch(on) => ("boolean", Some(Either3::B(on))),
                HostOptionDefault::Bytes(bytes) => ("number", Some(Either3::C(bytes as f64))),
            };
            HostOptionInfo {
                name: camel_case(option.name),
                flag: option.flag.to_string(),
                kind: kind.to_string(),
                default,
                help: option.help.to_string(),
            }
        })
        .collect()
}

/// The process-wide cached collector for these options (the core's bounded cache), for the
/// `collectHost*` functions of index.js.
#[napi(ts_args_type = "options?: Record<string, unknown>")]
pub fn shared_host_collector(options: Option<Object>) -> napi::Result<JsHostCollector, JsErrorCode> {
    let config = host_config(options)?;
    let inner = host::shared_host_collector(&config).map_err(to_js_error)?;
    Ok(JsHostCollector { inner })
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
    #[napi(constructor, ts_args_type = "options?: Record<string, unknown>")]
    pub fn new(options: Option<Object>) -> napi::Result<Self, JsErrorCode> {
        let config = host_config(options)?;
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

    /// One collection on the calling thread with why each failed collector failed:
    /// `{ families, failures: { collector: reason }, noData, warnings }`. `noData` names the failed
    /// collectors that only found their optional subsystem absent (node_exporter's "collector returned
    /// no data"); `warnings` is data dropped without failing a collector, each naming its file.
    #[napi(ts_return_type = "HostReport")]
    pub fn collect_report(&self, env: Env) -> napi::Result<RawValue> {
        Ok(RawValue(report_to_js(Js::new(&env), &self.inner.collect_report())?))
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
        AsyncTask::new(CollectTask { collector: Arc::clone(&self.inner), output: Output::Families })
    }

    /// One collection on libuv's thread pool; resolves to the report `collectReport()` returns.
    #[napi(ts_return_type = "Promise<HostReport>")]
    pub fn collect_report_async(&self) -> AsyncTask<CollectTask> {
        AsyncTask::new(CollectTask { collector: Arc::clone(&self.inner), output: Output::Report })
    }

    /// One collection on libuv's thread pool; resolves to exposition text.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn collect_text_async(
        &self,
        format: Option<String>,
    ) -> napi::Result<AsyncTask<CollectTask>, JsErrorCode> {
        let format = format_from_name(format)?;
        Ok(AsyncTask::new(CollectTask { collector: Arc::clone(&self.inner), output: Output::Text(format) }))
    }
}

/// `{ families, failures: { collector: reason }, noData, warnings }` for a core report.
fn report_to_js(js: Js, report: &CollectionReport) -> napi::Result<sys::napi_value> {
    let failures = js.object()?;
    for (name, error) in &report.failures {
        js.set_own(failures, name, js.string(&error.to_string())?)?;
    }
    let result = js.object()?;
    js.set_own(result, "families", families_to_js(js, &report.families)?)?;
    js.set_own(result, "failures", failures)?;
    js.set_own(result, "noData", js.string_array(&report.no_data())?)?;
    js.set_own(result, "warnings", js.string_array(&report.warnings)?)?;
    Ok(result)
}

/// What a [`CollectTask`] resolves to.
enum Output {
    Families,
    Text(Format),
    Report,
}

/// A collection run off the main thread.
pub struct CollectTask {
    collector: Arc<HostCollector>,
    output: Output,
}

/// What a [`CollectTask`] produced on the worker thread.
pub enum Collected {
    /// Families, converted to objects on the main thread.
    Families(Vec<MetricFamily>),
    /// Encoded text.
    Text(String),
    /// A report, converted on the main thread.
    Report(CollectionReport),
}

impl Task for CollectTask {
    type Output = Collected;
    type JsValue = RawValue;

    fn compute(&mut self) -> napi::Result<Collected> {
        Ok(match self.output {
            Output::Families => Collected::Families(self.collector.collect()),
            Output::Text(format) => Collected::Text(encode_to_string(&self.collector.collect(), format)),
            Output::Report => Collected::Report(self.collector.collect_report()),
        })
    }

    fn resolve(&mut self, env: Env, output: Collected) -> napi::Result<RawValue> {
        let js = Js::new(&env);
        match output {
            Collected::Families(families) => Ok(RawValue(families_to_js(js, &families)?)),
            Collected::Text(text) => Ok(RawValue(js.string(&text)?)),
            Collected::Report(report) => Ok(RawValue(report_to_js(js, &report)?)),
        }
    }
}
