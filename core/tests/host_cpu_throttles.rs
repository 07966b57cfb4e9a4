//! The cpu collector's thermal throttle counters on a generated two-package host with hyperthreads
//! (48 CPUs, siblings N and N+24, as Intel numbers them): a core's counter comes from the first CPU
//! of it in the sorted listing that has one (node_exporter's rule), the families come out sorted,
//! repeated collections over recycled families agree, and CPUs that lose their counters, disappear
//! or appear are followed.

use srekit::host::{HostCollector, HostConfig};
use srekit::metrics::MetricFamily;
use std::collections::BTreeMap;
use std::path::Path;

const CPUS: usize = 48;

/// `(package, core)` of CPU `cpu`: siblings `cpu` and `cpu + 24` share a core; cores 0-11 per package.
fn topology(cpu: usize) -> (usize, usize) {
    ((cpu % 24) / 12, cpu % 12)
}

/// Writes CPU `cpu`'s sysfs directory under `sys`: its topology and counters that tell CPUs apart.
fn write_cpu(sys: &Path, cpu: usize) {
    let dir = sys.join(format!("devices/system/cpu/cpu{cpu}"));
    let (package, core) = topology(cpu);
    for (file, text) in [
        ("topology/physical_package_id", package.to_string()),
        ("topology/core_id", core.to_string()),
        ("thermal_throttle/core_throttle_count", (1000 + cpu).to_string()),
        ("thermal_throttle/package_throttle_count", (5000 + cpu).to_string()),
    ] {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("create dir");
        std::fs::write(path, format!("{text}\n")).expect("write");
    }
}

fn host(cpus: usize) -> (tempfile::TempDir, HostCollector) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (proc, sys) = (dir.path().join("proc"), dir.path().join("sys"));
    std::fs::create_dir_all(&proc).expect("proc");
    let mut stat = String::from("cpu  1 2 3 4 5 6 7 8 0 0\n");
    for cpu in 0..cpus {
        stat += &format!("cpu{cpu} 1 2 3 4 5 6 7 8 0 0\n");
        write_cpu(&sys, cpu);
    }
    std::fs::write(proc.join("stat"), stat).expect("stat");
    let mut config = HostConfig::with_roots(&proc, &sys, dir.path());
    config.disable_defaults();
    config.enable("cpu").expect("cpu collector");
    (dir, HostCollector::new(config).expect("config"))
}

/// Samples as `(label values joined by ',', value)`.
type Samples = Vec<(String, f64)>;

/// A family's samples, in output order.
fn samples(families: &[MetricFamily], name: &str) -> Samples {
    let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    let family =
        families.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("{name} not in {names:?}"));
    family
        .samples
        .iter()
        .map(|s| (s.labels.iter().map(|(_, v)| v.as_str()).collect::<Vec<_>>().join(","), s.value))
        .collect()
}

/// What node_exporter reports for the CPUs in `present` (those with counters): per core and per
/// package, the counter of the first CPU in the sorted listing (`cpu10` before `cpu2`); sorted by
/// label values as text.
fn expected(present: &[usize]) -> (Samples, Samples) {
    let mut names: Vec<(String, usize)> = present.iter().map(|&cpu| (format!("cpu{cpu}"), cpu)).collect();
    names.sort();
    let (mut cores, mut packages) = (BTreeMap::new(), BTreeMap::new());
    for (_, cpu) in names {
        let (package, core) = topology(cpu);
        cores.entry(format!("{core},{package}")).or_insert((1000 + cpu) as f64);
        packages.entry(package.to_string()).or_insert((5000 + cpu) as f64);
    }
    (cores.into_iter().collect(), packages.into_iter().collect())
}

fn check(collector: &HostCollector, present: &[usize]) {
    let families = collector.collect();
    let (cores, packages) = expected(present);
    assert_eq!(samples(&families, "node_cpu_core_throttles"), cores);
    assert_eq!(samples(&families, "node_cpu_package_throttles"), packages);
    collector.recycle(families);
}

#[test]
fn first_listed_cpu_of_each_core_and_package_in_output_order() {
    let (_dir, collector) = host(CPUS);
    let all: Vec<usize> = (0..CPUS).collect();
    let (cores, _) = expected(&all);
    assert_eq!(cores.len(), 24, "12 cores in each of 2 packages");
    // cpu27 sorts before cpu3: core 3 of package 0 reports cpu27's counter.
    assert!(cores.contains(&("3,0".to_string(), 1027.0)));
    for _ in 0..3 {
        check(&collector, &all);
    }
}

#[test]
fn cpus_losing_counters_disappearing_and_appearing_are_followed() {
    let (dir, collector) = host(CPUS);
    let sys = dir.path().join("sys");
    let mut present: Vec<usize> = (0..CPUS).collect();
    check(&collector, &present);

    // cpu27 loses its counters (offline): core 3 of package 0 falls back to its sibling cpu3.
    std::fs::remove_dir_all(sys.join("devices/system/cpu/cpu27/thermal_throttle")).expect("remove");
    present.retain(|&cpu| cpu != 27);
    check(&collector, &present);

    // cpu10 disappears altogether: core 10 of package 0 falls back to cpu34.
    std::fs::remove_dir_all(sys.join("devices/system/cpu/cpu10")).expect("remove");
    present.retain(|&cpu| cpu != 10);
    check(&collector, &present);

    // cpu27's counters and cpu10 come back.
    write_cpu(&sys, 27);
    write_cpu(&sys, 10);
    present.extend([27, 10]);
    check(&collector, &present);
}

#[test]
fn a_cpu_without_topology_is_left_out_until_it_has_one() {
    let (dir, collector) = host(4);
    let sys = dir.path().join("sys");
    std::fs::remove_file(sys.join("devices/system/cpu/cpu1/topology/core_id")).expect("remove");
    check(&collector, &[0, 2, 3]);
    write_cpu(&sys, 1);
    check(&collector, &[0, 1, 2, 3]);
}
