//! Host metrics with node_exporter's names, types, labels and units, read from configurable procfs,
//! sysfs and root filesystem paths. [`HostCollector`] runs the enabled collectors (on four long-lived
//! worker threads, against a deadline) and adds node_exporter's `node_scrape_collector_duration_seconds`
//! and `node_scrape_collector_success` for each.
//!
//! Layout: `collectors/` holds one file per collector, each declaring its spec (name, default,
//! placement, constructor) next to its code; `collectors/mod.rs` is the one list of them. The
//! machinery imports no collector: `spec` (the `Collector` trait and spec types), `catalog` (lookups
//! over the list), `options` (the node_exporter option table: [`host_options`]), `config`
//! ([`HostConfig`]), `settings` (what collectors read), `runner`, `read`, `emit`, `netlink`, `error`,
//! `recycle` (the families handed back with [`HostCollector::recycle`], filled in place by the next
//! collection) and `cache` ([`HostCollectorCache`] for the bindings' one-shot functions).
//!
//! ```no_run
//! use srekit::host::{HostCollector, HostConfig};
//! let mut config = HostConfig::default();
//! config.procfs = "/host/proc".into();
//! config.disable("hwmon")?;
//! let collector = HostCollector::new(config)?;
//! let families = collector.collect();
//! assert!(families.iter().any(|f| f.name == "node_cpu_seconds"));
//! # Ok::<(), srekit::host::HostError>(())
//! ```

mod attr_dir;
mod cache;
mod catalog;
mod collectors;
mod config;
mod dir_list;
mod emit;
mod error;
mod keyed_lines;
mod netlink;
mod options;
mod order;
mod probe;
mod read;
mod recycle;
mod runner;
mod settings;
mod shared_file;
mod spec;
mod system_bus;

pub use cache::{shared_host_collector, HostCollectorCache, SHARED_HOST_COLLECTORS};
pub use catalog::{all_collectors, default_collectors, is_no_data};
pub use config::{HostConfig, MAX_ABSENT_RECHECK};
pub use error::{CollectError, HostError};
pub use options::{
    host_option_names, host_options, HostOption, HostOptionDefault, HostOptionKind, HostOptionSpec,
    DEFAULT_DISKSTATS_DEVICE_EXCLUDE, DEFAULT_FILESYSTEM_FS_TYPES_EXCLUDE,
    DEFAULT_FILESYSTEM_MOUNT_POINTS_EXCLUDE, DEFAULT_NETDEV_DEVICE_EXCLUDE, DEFAULT_NETSTAT_FIELDS,
    DEFAULT_SYSTEMD_UNIT_EXCLUDE, DEFAULT_SYSTEMD_UNIT_INCLUDE, DEFAULT_TEXTFILE_MAX_FILE_BYTES,
    DEFAULT_TEXTFILE_MAX_TOTAL_BYTES, DEFAULT_VMSTAT_FIELDS,
};

use crate::metrics::MetricFamily;
use emit::Emitter;
use order::Steadiness;
use recycle::FamilyPool;
use std::sync::{Arc, Mutex};

/// The scrape metrics' source in the family order of a collection (collector indexes are below it).
const SCRAPE_SOURCE: usize = usize::MAX;

/// Gathers host metrics like node_exporter's default Linux collectors.
///
/// Build it once and call [`collect`](HostCollector::collect) for every scrape; it is `Sync`, so
/// concurrent scrapes may share it. Dropping it stops its worker threads.
///
/// ```
/// use srekit::host::{HostCollector, HostConfig};
/// let mut config = HostConfig::default();
/// config.disable_defaults();
/// config.enable("loadavg")?;
/// let collector = HostCollector::new(config)?;
/// let families = collector.collect();
/// let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
/// assert!(names.contains(&"node_load1"));
/// assert!(names.contains(&"node_scrape_collector_success"));
/// # Ok::<(), srekit::host::HostError>(())
/// ```
pub struct HostCollector {
    runner: runner::Runner,
    settings: Arc<settings::Settings>,
    /// Families handed back with [`recycle`](HostCollector::recycle), reused by the next collection.
    pool: Arc<FamilyPool>,
    /// The emitter of the scrape metrics (a concurrent collection that finds it busy uses its own).
    scrape: Mutex<Emitter>,
}

impl std::fmt::Debug for HostCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostCollector").field("collectors", &self.collectors()).finish()
    }
}

/// The result of one collection with the reason each failed collector failed.
///
/// ```
/// use srekit::host::{HostCollector, HostConfig};
/// let mut config = HostConfig::with_roots("/nonexistent/proc", "/nonexistent/sys", "/nonexistent");
/// config.disable_defaults();
/// config.enable("loadavg")?;
/// let report = HostCollector::new(config)?.collect_report();
/// assert_eq!(report.failures[0].0, "loadavg");
/// # Ok::<(), srekit::host::HostError>(())
/// ```
#[derive(Debug)]
pub struct CollectionReport {
    /// The families, as [`HostCollector::collect`] returns them.
    pub families: Vec<MetricFamily>,
    /// `(collector, error)` for each collector that reported success 0.
    pub failures: Vec<(&'static str, CollectError)>,
    /// Problems that did not fail a collector but dropped data, each naming its file: a textfile
    /// skipped (too large, unparsable, a name 0.0.4 cannot carry) or a textfile family dropped
    /// because its name belongs to another collector or is reserved; a perf event the kernel
    /// refused on a CPU (its series left out).
    pub warnings: Vec<String>,
}

impl CollectionReport {
    /// The failed collectors whose failure only means the host lacks what they report on
    /// ([`is_no_data`]: no NVMe, no NFS, ...), in collection order; node_exporter logs these at debug
    /// level as "collector returned no data". Every other entry of `failures` is a real failure.
    ///
    /// ```
    /// use srekit::host::{HostCollector, HostConfig};
    /// let mut config = HostConfig::with_roots("/nonexistent/proc", "/nonexistent/sys", "/nonexistent");
    /// config.disable_defaults();
    /// config.enable("loadavg")?;
    /// config.enable("nvme")?;
    /// let report = HostCollector::new(config)?.collect_report();
    /// assert_eq!(report.failures.len(), 2);
    /// assert_eq!(report.no_data(), ["nvme"]);
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn no_data(&self) -> Vec<&'static str> {
        self.failures.iter().filter(|(name, error)| is_no_data(name, error)).map(|(name, _)| *name).collect()
    }
}

impl HostCollector {
    /// Validates `config` and starts the enabled collectors.
    ///
    /// ```
    /// let mut config = srekit::host::HostConfig::default();
    /// config.diskstats_device_exclude = Some("[".into());
    /// assert!(srekit::host::HostCollector::new(config).is_err());
    /// ```
    pub fn new(config: HostConfig) -> Result<HostCollector, HostError> {
        let settings = Arc::new(config.compile()?);
        let mut collectors = Vec::new();
        for name in config.enabled() {
            let spec = catalog::lookup(name).ok_or_else(|| HostError::UnknownCollector(name.to_string()))?;
            collectors.push((spec.name, spec.placement, (spec.build)(Arc::clone(&settings))));
        }
        let pool = Arc::new(FamilyPool::default());
        let runner = runner::Runner::start(collectors, settings.collector_timeout, &pool)?;
        let scrape = Mutex::new(Emitter::recycling(Arc::clone(&pool), usize::MAX));
        Ok(HostCollector { runner, settings, pool, scrape })
    }

    /// Reserves metric names for the caller's own families (an exporter's self metrics, its
    /// log-derived metrics): a textfile family with one of these names is dropped with
    /// `node_textfile_scrape_error 1`, so the output never holds two families of one name.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("forged.prom"), "srekit_exporter_build_info 1\nok_metric 2\n").unwrap();
    /// let mut config = srekit::host::HostConfig::default();
    /// config.disable_defaults();
    /// config.enable("textfile")?;
    /// config.textfile_directory = Some(dir.path().to_path_buf());
    /// let collector = srekit::host::HostCollector::new(config)?;
    /// collector.reserve_names(["srekit_exporter_build_info"]);
    /// let report = collector.collect_report();
    /// let names: Vec<&str> = report.families.iter().map(|f| f.name.as_str()).collect();
    /// assert!(names.contains(&"ok_metric") && !names.contains(&"srekit_exporter_build_info"));
    /// assert!(report.warnings[0].contains("forged.prom"));
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn reserve_names<I, S>(&self, names: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        if let Ok(mut reserved) = self.settings.reserved_names.write() {
            reserved.extend(names.into_iter().map(Into::into));
        }
    }

    /// The enabled collectors' names, sorted.
    ///
    /// ```
    /// let collector = srekit::host::HostCollector::new(srekit::host::HostConfig::default())?;
    /// assert!(collector.collectors().contains(&"cpu"));
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn collectors(&self) -> Vec<&'static str> {
        self.runner.names().collect()
    }

    /// One collection: every enabled collector's families plus the scrape metrics, sorted by name,
    /// samples sorted by label values.
    ///
    /// ```
    /// let collector = srekit::host::HostCollector::new(srekit::host::HostConfig::default())?;
    /// let families = collector.collect();
    /// let success = families.iter().find(|f| f.name == "node_scrape_collector_success").unwrap();
    /// assert_eq!(success.samples.len(), collector.collectors().len());
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn collect(&self) -> Vec<MetricFamily> {
        self.collect_report().families
    }

    /// Like [`collect`](HostCollector::collect), also returning why failed collectors failed.
    ///
    /// ```
    /// let collector = srekit::host::HostCollector::new(srekit::host::HostConfig::default())?;
    /// let report = collector.collect_report();
    /// for (name, error) in &report.failures {
    ///     eprintln!("collector {name} failed: {error}");
    /// }
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn collect_report(&self) -> CollectionReport {
        self.settings.collection.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.report(self.runner.run_only(None))
    }

    /// Like [`collect_report`](HostCollector::collect_report) for the enabled collectors named in
    /// `only` (node_exporter's `collect[]` query parameters): the others do not run and have no
    /// scrape metrics; a name that is not enabled selects nothing.
    ///
    /// ```
    /// let collector = srekit::host::HostCollector::new(srekit::host::HostConfig::default())?;
    /// let report = collector.collect_report_of(&["loadavg"]);
    /// let success = report.families.iter().find(|f| f.name == "node_scrape_collector_success").unwrap();
    /// assert_eq!(success.samples.len(), 1);
    /// assert!(report.families.iter().all(|f| !f.name.starts_with("node_cpu")));
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn collect_report_of(&self, only: &[&str]) -> CollectionReport {
        let selected: Vec<bool> = self.runner.names().map(|name| only.contains(&name)).collect();
        self.settings.collection.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.report(self.runner.run_only(Some(&selected)))
    }

    /// Hands back the families of a collection once they are encoded, so the next collection fills
    /// them in place instead of allocating them again (an exporter scrapes the same families every
    /// time). Optional: families that are not handed back are simply dropped.
    ///
    /// Hand them back as [`collect`](HostCollector::collect) returned them: a family that the next
    /// collection writes with the same label sets, in the same places, keeps the sample order it came
    /// back in without being sorted again, so samples the caller reordered would stay reordered.
    ///
    /// ```
    /// let collector = srekit::host::HostCollector::new(srekit::host::HostConfig::default())?;
    /// let families = collector.collect();
    /// let count = families.len();
    /// collector.recycle(families);
    /// assert_eq!(collector.collect().len(), count);
    /// # Ok::<(), srekit::host::HostError>(())
    /// ```
    pub fn recycle(&self, families: Vec<MetricFamily>) {
        self.pool.keep(families);
    }

    /// Builds the report of one run: the families, scrape metrics and failures of the collectors that ran.
    fn report(&self, outcomes: Vec<Option<runner::Outcome>>) -> CollectionReport {
        let mut kept = self.scrape.try_lock().ok();
        let mut own = None;
        let scrape = match kept.as_deref_mut() {
            Some(scrape) => scrape,
            None => own.insert(Emitter::new()),
        };
        scrape.begin();
        scrape.family_order().begin();
        let mut families = self.pool.report_list();
        let mut failures = Vec::new();
        let mut textfile = None;
        let ran = self.runner.names().zip(outcomes).enumerate();
        let ran = ran.filter_map(|(index, (name, outcome))| Some((index, name, outcome?)));
        for (index, name, mut outcome) in ran {
            let collector: &[(&str, &str)] = &[("collector", name)];
            scrape.gauge(
                "node_scrape_collector_duration_seconds",
                "node_exporter: Duration of a collector scrape.",
                collector,
                outcome.duration.as_secs_f64(),
            );
            let success = if outcome.result.is_ok() { 1.0 } else { 0.0 };
            scrape.gauge(
                "node_scrape_collector_success",
                "node_exporter: Whether a collector succeeded.",
                collector,
                success,
            );
            match outcome.result {
                Ok(()) if name == "textfile" => {
                    textfile = Some((index, outcome.families, outcome.steadiness))
                }
                Ok(()) => {
                    scrape.family_order().add_source(index, outcome.steadiness, outcome.families.len());
                    families.append(&mut outcome.families);
                    self.pool.keep_list(index, outcome.families);
                }
                Err(error) => failures.push((name, error)),
            }
        }
        let collected = families.len();
        scrape.drain_into(&mut families);
        let steadiness = scrape.steadiness();
        scrape.family_order().add_source(SCRAPE_SOURCE, steadiness, families.len() - collected);
        let (textfile_source, mut textfile) = match textfile {
            Some((index, families, steadiness)) => (Some((index, steadiness)), families),
            None => (None, Vec::new()),
        };
        let written = textfile.len();
        let mut warnings = self.drop_forged_textfile_families(&mut textfile, &families);
        if let Some((index, steadiness)) = textfile_source {
            // A family dropped moves the others: nothing the emitter said of them holds.
            let steadiness = if textfile.len() == written { steadiness } else { Steadiness::default() };
            scrape.family_order().add_source(index, steadiness, textfile.len());
        }
        if let Ok(unavailable) = self.settings.perf.unavailable.lock() {
            warnings.extend(unavailable.iter().cloned());
        }
        families.extend(textfile);
        CollectionReport { families: scrape.finish_families(families), failures, warnings }
    }

    /// Drops textfile families named like another collector's family or a reserved name.
    fn drop_forged_textfile_families(
        &self,
        textfile: &mut Vec<MetricFamily>,
        others: &[MetricFamily],
    ) -> Vec<String> {
        collectors::textfile::drop_forged(textfile, others, &self.settings)
    }
}
