//! zfs: OpenZFS kstats from /proc/spl/kstat/zfs, as node_exporter's zfs collector reports them: every
//! unsigned 64-bit value of the module-wide kstat files (arcstats, zil, dmu_tx, ...) as untyped
//! `node_zfs_<subsystem>_<name>`, per pool the `io` columns as `node_zfs_zpool_<column>{zpool}`, each
//! dataset's objset counters as `node_zfs_zpool_dataset_<name>{zpool,dataset}`, and the pool state as
//! `node_zfs_zpool_state{zpool,state}` (1 for the current one of online, degraded, faulted, offline,
//! removed, unavail). Help strings are the kstat paths, as in node_exporter. Without the ZFS
//! module loaded the directory is absent and the collector fails (success 0), as node_exporter's does.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::list_dir;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::Path;
use std::sync::Arc;

/// node_exporter's subsystem names and the kstat file each reads.
const SUBSYSTEMS: &[(&str, &str)] = &[
    ("zfs_abd", "abdstats"),
    ("zfs_arc", "arcstats"),
    ("zfs_dbuf", "dbufstats"),
    ("zfs_dmu_tx", "dmu_tx"),
    ("zfs_dnode", "dnodestats"),
    ("zfs_fm", "fm"),
    ("zfs_vdev_cache", "vdev_cache_stats"),
    ("zfs_vdev_mirror", "vdev_mirror_stats"),
    ("zfs_xuio", "xuio_stats"),
    ("zfs_zfetch", "zfetchstats"),
    ("zfs_zil", "zil"),
];

/// The pool states node_exporter 1.5 reports, one series each (later versions add `suspended`).
const POOL_STATES: [&str; 6] = ["online", "degraded", "faulted", "offline", "removed", "unavail"];

/// kstat data type KSTAT_DATA_UINT64, the only one node_exporter 1.5 exports (later versions add INT64).
const KSTAT_UINT64: &str = "4";

/// The zfs collector.
pub(crate) struct Zfs {
    settings: Arc<Settings>,
}

impl Zfs {
    pub(crate) fn new(settings: Arc<Settings>) -> Zfs {
        Zfs { settings }
    }
}

/// The zfs collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "zfs",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Zfs::new(settings)),
};

impl Collector for Zfs {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let base = self.settings.proc("spl/kstat/zfs");
        let entries = self.settings.absences.list_dir(&base)?;
        for (subsystem, file) in SUBSYSTEMS {
            let path = base.join(file);
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue; // kstat files come and go with ZFS versions
            };
            for (name, value) in parse_kstat(&text, &path)? {
                let metric = format!("node_{subsystem}_{}", name.replace('-', "_"));
                out.untyped(&metric, &format!("kstat.zfs.misc.{file}.{name}"), vec![], value);
            }
        }
        for pool in &entries {
            let pool_dir = base.join(pool);
            if !pool_dir.is_dir() {
                continue;
            }
            let io = pool_dir.join("io");
            if let Ok(text) = std::fs::read_to_string(&io) {
                for (column, value) in parse_pool_io(&text, &io)? {
                    let metric = format!("node_zfs_zpool_{}", column.replace('-', "_"));
                    out.untyped(
                        &metric,
                        &format!("kstat.zfs.misc.io.{column}"),
                        pairs(&[("zpool", pool)]),
                        value,
                    );
                }
            }
            for objset in list_dir(&pool_dir)?.into_iter().filter(|n| n.starts_with("objset-")) {
                let path = pool_dir.join(&objset);
                let text = std::fs::read_to_string(&path).map_err(|e| CollectError::io(&path, e))?;
                let dataset = dataset_name(&text).unwrap_or_default();
                for (name, value) in parse_kstat(&text, &path)? {
                    out.untyped(
                        &format!("node_zfs_zpool_dataset_{}", name.replace('-', "_")),
                        &format!("kstat.zfs.misc.objset.{name}"),
                        pairs(&[("zpool", pool), ("dataset", &dataset)]),
                        value,
                    );
                }
            }
            // The pool state is a gauge per state; the rest is untyped, as in node_exporter.
            if let Ok(text) = std::fs::read_to_string(pool_dir.join("state")) {
                let current = text.lines().next().unwrap_or("").to_lowercase();
                for state in POOL_STATES {
                    out.gauge(
                        "node_zfs_zpool_state",
                        "kstat.zfs.misc.state",
                        pairs(&[("zpool", pool), ("state", state)]),
                        if current == state { 1.0 } else { 0.0 },
                    );
                }
            }
        }
        Ok(())
    }
}

/// `name type data` rows of type KSTAT_DATA_UINT64 after the `name type data` header; a file without
/// the header, or such a row whose data is not an unsigned integer, is an error.
fn parse_kstat(text: &str, path: &Path) -> Result<Vec<(String, f64)>, CollectError> {
    let mut rows = Vec::new();
    let mut in_table = false;
    for line in text.lines() {
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        if !in_table {
            in_table = parts == ["name", "type", "data"];
            continue;
        }
        if parts.len() < 3 || parts[0] == "dataset_name" || parts[1] != KSTAT_UINT64 {
            continue;
        }
        let value = parts[2]
            .parse::<u64>()
            .map_err(|_| CollectError::parse(path, "a kstat value is not an unsigned integer"))?;
        rows.push((parts[0].to_string(), value as f64));
    }
    if !in_table {
        return Err(CollectError::parse(path, "no `name type data` header"));
    }
    Ok(rows)
}

/// The columns of a pool's `io` kstat: a header row starting with `nread` and a row of values.
fn parse_pool_io(text: &str, path: &Path) -> Result<Vec<(String, f64)>, CollectError> {
    let mut lines = text.lines().map(|l| l.split_ascii_whitespace().collect::<Vec<&str>>());
    let Some(header) = lines.find(|parts| parts.len() >= 12 && parts[0] == "nread") else {
        return Ok(Vec::new());
    };
    let mut columns = Vec::new();
    for values in lines {
        if values.len() < header.len() {
            return Err(CollectError::parse(path, "fewer values than columns"));
        }
        for (column, value) in header.iter().zip(&values) {
            let value = value
                .parse::<u64>()
                .map_err(|_| CollectError::parse(path, "an io value is not an unsigned integer"))?;
            columns.push((column.to_string(), value as f64));
        }
    }
    Ok(columns)
}

/// The `dataset_name` row of an objset kstat.
fn dataset_name(text: &str) -> Option<String> {
    text.lines().find_map(|line| {
        let parts: Vec<&str> = line.split_ascii_whitespace().collect();
        (parts.len() >= 3 && parts[0] == "dataset_name").then(|| parts[2].to_string())
    })
}
