//! The cpu collector's thermal throttle counters (x86 `thermal_throttle` sysfs directories):
//! `node_cpu_core_throttles_total{core,package}` and `node_cpu_package_throttles_total{package}`.
//! As node_exporter, a core's counter is read from the first CPU of it (in the sorted listing) that
//! has one, and a package's likewise: hyperthread siblings and the other cores of a package are not
//! read. A CPU's topology (package and core id) is read once and kept while the CPU is listed, so a
//! collection reads one file per core and one per package, and writes both families in the order the
//! output sorts them (a steady collection rewrites no label; see `order::Steadiness`).

use crate::host::emit::{pairs, Emitter};
use crate::host::read::{path_in, read_trimmed, DirLister, FileReader};
use crate::host::settings::Settings;
use std::path::PathBuf;

/// A listed CPU directory (`cpuN`) and, once read, its `(package, core)` ids.
type ListedCpu = (String, Option<(String, String)>);

/// The thermal throttle part of the cpu collector.
pub(super) struct Throttles {
    lister: DirLister,
    reader: FileReader,
    base: PathBuf,
    path: PathBuf,
    /// The CPU directories of the last listing, in its order, with their topology once read.
    cpus: Vec<ListedCpu>,
    /// Indexes into `cpus` of the CPUs with a topology, by (core, package) then listing order: the
    /// core family's output order, each core's candidates first to last.
    by_core: Vec<usize>,
    /// The same by package, then listing order.
    by_package: Vec<usize>,
}

/// Whether `entry` is a CPU directory name (`cpu` and digits).
fn is_cpu(entry: &str) -> bool {
    entry.strip_prefix("cpu").is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

impl Throttles {
    pub(super) fn new() -> Throttles {
        Throttles {
            lister: DirLister::keeping(),
            reader: FileReader::new(),
            base: PathBuf::new(),
            path: PathBuf::new(),
            cpus: Vec::new(),
            by_core: Vec::new(),
            by_package: Vec::new(),
        }
    }

    /// Writes both families for the CPUs under `settings`' sysfs.
    pub(super) fn collect(&mut self, settings: &Settings, out: &mut Emitter) {
        let Throttles { lister, reader, base, path, cpus, by_core, by_package } = self;
        let base = path_in(base, &settings.sysfs, &["devices/system/cpu"]);
        let Ok(entries) = lister.list(base) else { return };
        let listed = entries.iter().filter(|entry| is_cpu(entry));
        // Whether `by_core` and `by_package` must be built again (`cpus` changed).
        let mut stale = false;
        if !listed.clone().map(String::as_str).eq(cpus.iter().map(|(name, _)| name.as_str())) {
            let mut kept = std::mem::take(cpus);
            kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
            *cpus = listed
                .map(|entry| {
                    let topology = kept
                        .binary_search_by(|(name, _)| name.as_str().cmp(entry))
                        .ok()
                        .and_then(|i| kept[i].1.take());
                    (entry.clone(), topology)
                })
                .collect();
            stale = true;
        }
        // A CPU's topology is read once it has a thermal_throttle directory (most virtual machines
        // have none: the absence is remembered, so they cost no system call here).
        for (name, topology) in cpus.iter_mut().filter(|(_, topology)| topology.is_none()) {
            if !settings.absences.is_dir(path_in(path, base, &[name, "thermal_throttle"])) {
                continue;
            }
            // Read once, so not through the reader, whose kept files are those read every time.
            let mut id = |file: &str| read_trimmed(path_in(path, base, &[name, "topology", file]));
            if let (Ok(package), Ok(core)) = (id("physical_package_id"), id("core_id")) {
                *topology = Some((package, core));
                stale = true;
            }
        }
        if stale {
            let with_topology = || cpus.iter().enumerate().filter(|(_, (_, t))| t.is_some()).map(|(i, _)| i);
            let ids =
                |i: &usize| cpus[*i].1.as_ref().map(|(package, core)| (package.as_str(), core.as_str()));
            *by_core = with_topology().collect();
            by_core.sort_by_key(|i| ids(i).map(|(package, core)| (core, package)));
            *by_package = with_topology().collect();
            by_package.sort_by_key(|i| ids(i).map(|(package, _)| package));
        }
        let mut done: Option<(&str, &str)> = None;
        for &i in by_core.iter() {
            let Some((name, Some((package, core)))) = cpus.get(i) else { continue };
            if done == Some((package, core)) {
                continue;
            }
            let file = path_in(path, base, &[name, "thermal_throttle", "core_throttle_count"]);
            if let Ok(count) = reader.read_f64(file) {
                done = Some((package, core));
                out.counter(
                    "node_cpu_core_throttles_total",
                    "Number of times this CPU core has been throttled.",
                    pairs(&[("core", core), ("package", package)]),
                    count,
                );
            }
        }
        let mut done: Option<&str> = None;
        for &i in by_package.iter() {
            let Some((name, Some((package, _)))) = cpus.get(i) else { continue };
            if done == Some(package) {
                continue;
            }
            let file = path_in(path, base, &[name, "thermal_throttle", "package_throttle_count"]);
            if let Ok(count) = reader.read_f64(file) {
                done = Some(package);
                out.counter(
                    "node_cpu_package_throttles_total",
                    "Number of times this CPU package has been throttled.",
                    pairs(&[("package", package)]),
                    count,
                );
            }
        }
    }
}
