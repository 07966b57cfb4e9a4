//! The perf collector (`--collector.perf`), live on this host: parity with the real node_exporter
//! 1.5 (the same families, types, help, label names and `cpu` series for what both expose; values
//! are counters that move, so only their monotonicity is compared), software counters that grow
//! between two collections, tracepoints (`--collector.perf.tracepoint`, against node_exporter too,
//! with debugfs mounted as node_exporter needs it), and the perf flags through the host option table.
//!
//! perf_event_open for every process on a CPU needs root (or `perf_event_paranoid` <= 0): the live
//! tests are `#[ignore]`d, counted as skipped, and scripts/test-rust.sh runs them with --ignored as
//! root. Run as root where the kernel still refuses every event, they fail naming the kernel's error.

mod common;

use common::{family_series, label_names, successes};
use srekit::expfmt::parse_text;
use srekit::host::{HostCollector, HostConfig, HostError, HostOption};
use srekit::metrics::MetricFamily;
use std::collections::{BTreeMap, BTreeSet};

/// A collector with only perf enabled, the options set as given.
fn perf_collector(options: &[(&str, HostOption<'_>)]) -> Result<HostCollector, HostError> {
    let mut config = HostConfig::default();
    config.disable_defaults();
    config.enable("perf")?;
    for (name, value) in options {
        config.set_option(name, *value)?;
    }
    HostCollector::new(config)
}

/// The perf families of a collection, by name; fails (naming the kernel's error) if perf failed.
fn perf_families(collector: &HostCollector) -> BTreeMap<String, MetricFamily> {
    let report = collector.collect_report();
    if let Some((_, error)) = report.failures.iter().find(|(name, _)| *name == "perf") {
        panic!(
            "perf collector failed (perf_event_open refused here?): {error}; warnings: {:?}",
            report.warnings
        );
    }
    report
        .families
        .into_iter()
        .filter(|f| f.name.starts_with("node_perf_") && !f.samples.is_empty())
        .map(|f| (f.name.clone(), f))
        .collect()
}

/// The sum over CPUs of family `name` (`_total` stripped), which must exist.
fn total(families: &BTreeMap<String, MetricFamily>, name: &str) -> f64 {
    let family = families.get(name).unwrap_or_else(|| panic!("no {name} in {:?}", families.keys()));
    family.samples.iter().map(|s| s.value).sum()
}

#[test]
#[ignore = "needs root for system-wide perf_event_open: scripts/test-rust.sh runs it with --ignored when root"]
fn perf_matches_node_exporter_on_this_host() {
    let ours = perf_collector(&[]).expect("valid configuration");
    let before = perf_families(&ours);
    let flags = ["--collector.disable-defaults".to_string(), "--collector.perf".to_string()];
    let theirs =
        parse_text(&common::node_exporter::scrape(&flags, &[])).expect("node_exporter output parses");
    let after = perf_families(&ours);
    assert_eq!(successes(&theirs).get("perf"), Some(&1.0), "node_exporter's perf collector worked");
    let theirs: BTreeMap<String, MetricFamily> = theirs
        .into_iter()
        .filter(|f| f.name.starts_with("node_perf_") && !f.samples.is_empty())
        .map(|f| (f.name.clone(), f))
        .collect();
    assert!(!theirs.is_empty(), "node_exporter exposes perf families here");
    // What is missing here (hardware counters in a VM) is named in the warnings, one line per event.
    let warnings = ours.collect_report().warnings;
    for (family, metric) in [
        ("node_perf_cpucycles", "node_perf_cpucycles_total"),
        ("node_perf_page_faults", "node_perf_page_faults_total"),
    ] {
        let warned = warnings.iter().filter(|w| w.contains(&format!("{metric} "))).count();
        assert_eq!(warned, usize::from(!after.contains_key(family)), "{metric}: {warnings:?}");
    }
    let names = |all: &BTreeMap<String, MetricFamily>| all.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(names(&after), names(&theirs), "families (ours, node_exporter's)");
    for (name, family) in &theirs {
        let mine = &after[name];
        assert_eq!((mine.kind, &mine.help), (family.kind, &family.help), "{name}: type and help");
        assert_eq!(label_names(mine), label_names(family), "{name}: label names");
        let cpus = |f: &MetricFamily| family_series(f).into_keys().collect::<BTreeSet<_>>();
        assert_eq!(cpus(mine), cpus(family), "{name}: series");
        let (earlier, later) = (family_series(&before[name]), family_series(mine));
        for (labels, value) in &later {
            assert!(*value >= earlier[labels], "{name}{labels:?} went down: {} -> {value}", earlier[labels]);
        }
    }
}

#[test]
#[ignore = "needs root for system-wide perf_event_open: scripts/test-rust.sh runs it with --ignored when root"]
fn software_counters_grow_between_collections() {
    let collector = perf_collector(&[
        ("perf_disable_hardware_profilers", HostOption::Switch(true)),
        ("perf_disable_cache_profilers", HostOption::Switch(true)),
    ])
    .expect("valid configuration");
    let first = perf_families(&collector);
    // Fault in fresh pages and switch threads, so both counters must move.
    let mut pages = vec![0u8; 64 << 20];
    for page in pages.chunks_mut(4096) {
        page[0] = 1;
    }
    assert_eq!(pages.iter().filter(|b| **b == 1).count(), (64 << 20) / 4096);
    for _ in 0..20 {
        std::thread::spawn(|| std::thread::sleep(std::time::Duration::from_millis(1))).join().expect("joins");
    }
    let second = perf_families(&collector);
    for name in ["node_perf_page_faults", "node_perf_minor_faults", "node_perf_context_switches"] {
        assert!(total(&second, name) > total(&first, name), "{name} did not grow");
    }
    assert!(!second.contains_key("node_perf_cpucycles"), "hardware profilers are disabled");
    let mut costs: Vec<std::time::Duration> = (0..50)
        .map(|_| {
            let start = std::time::Instant::now();
            collector.collect();
            start.elapsed()
        })
        .collect();
    costs.sort();
    eprintln!("perf (software events): median collection {:?}", costs[25]);
}

#[test]
#[ignore = "needs root for system-wide perf_event_open: scripts/test-rust.sh runs it with --ignored when root"]
fn cpus_and_software_profilers_select_series() {
    let collector = perf_collector(&[
        ("perf_cpus", HostOption::Text("0")),
        ("perf_software_profilers", HostOption::Text("ContextSwitch")),
        ("perf_disable_hardware_profilers", HostOption::Switch(true)),
        ("perf_disable_cache_profilers", HostOption::Switch(true)),
    ])
    .expect("valid configuration");
    let families = perf_families(&collector);
    assert_eq!(families.keys().collect::<Vec<_>>(), vec!["node_perf_context_switches"]);
    let series = family_series(&families["node_perf_context_switches"]);
    let cpus: Vec<_> = series.keys().collect();
    assert_eq!(cpus, vec![&vec![("cpu".to_string(), "0".to_string())]]);
}

/// Makes sure node_exporter's tracepoint directory exists: mounts debugfs (which shows tracefs as
/// `tracing/`) on /sys/kernel/debug when it is not mounted, as an operator enabling tracepoints does.
fn mount_debugfs() {
    let events = std::path::Path::new("/sys/kernel/debug/tracing/events");
    if !events.is_dir() {
        let status = std::process::Command::new("mount")
            .args(["-t", "debugfs", "none", "/sys/kernel/debug"])
            .status()
            .expect("runs mount");
        assert!(status.success(), "mounting debugfs on /sys/kernel/debug failed: {status}");
    }
    assert!(events.is_dir(), "{} is missing after mounting debugfs", events.display());
}

#[test]
#[ignore = "needs root for system-wide perf_event_open and to mount debugfs: scripts/test-rust.sh runs it with --ignored when root"]
fn tracepoints_match_node_exporter_and_count_what_happens() {
    mount_debugfs();
    let tracepoints = ["sched:sched_switch", "syscalls:sys_enter_getpid"];
    let ours = perf_collector(&[
        ("perf_tracepoint", HostOption::Text(&tracepoints.join(" "))),
        ("perf_disable_hardware_profilers", HostOption::Switch(true)),
        ("perf_disable_software_profilers", HostOption::Switch(true)),
        ("perf_disable_cache_profilers", HostOption::Switch(true)),
    ])
    .expect("valid configuration");
    let before = perf_families(&ours);
    // getpid(2) called here 1000 times must show in the syscall's tracepoint.
    for _ in 0..1000 {
        // SAFETY: getpid has no preconditions.
        unsafe { libc::getpid() };
    }
    let after = perf_families(&ours);
    let getpid = "node_perf_syscalls_sys_enter_getpid";
    assert!(
        total(&after, getpid) - total(&before, getpid) >= 1000.0,
        "{getpid}: {} -> {}",
        total(&before, getpid),
        total(&after, getpid)
    );
    let mut flags = vec!["--collector.disable-defaults".to_string(), "--collector.perf".to_string()];
    flags.extend(tracepoints.iter().map(|t| format!("--collector.perf.tracepoint={t}")));
    let theirs =
        parse_text(&common::node_exporter::scrape(&flags, &[])).expect("node_exporter output parses");
    assert_eq!(successes(&theirs).get("perf"), Some(&1.0), "node_exporter's perf collector worked");
    for name in ["node_perf_sched_sched_switch", getpid] {
        let family =
            theirs.iter().find(|f| f.name == name).unwrap_or_else(|| panic!("node_exporter has no {name}"));
        let mine = &after[name];
        assert_eq!((mine.kind, &mine.help), (family.kind, &family.help), "{name}: type and help");
        assert_eq!(label_names(mine), label_names(family), "{name}: label names");
        let cpus = |f: &MetricFamily| family_series(f).into_keys().collect::<BTreeSet<_>>();
        assert_eq!(cpus(mine), cpus(family), "{name}: series");
    }
    let ours: BTreeSet<&String> = after.keys().collect();
    assert_eq!(ours.len(), 2, "only the tracepoints: {ours:?}");
}

#[test]
fn perf_flags_reach_the_option_table_and_bad_values_are_rejected() {
    let flags: BTreeSet<&str> = srekit::host::host_options().iter().map(|o| o.flag).collect();
    for flag in [
        "collector.perf.cpus",
        "collector.perf.tracepoint",
        "collector.perf.disable-hardware-profilers",
        "collector.perf.disable-software-profilers",
        "collector.perf.disable-cache-profilers",
        "collector.perf.hardware-profilers",
        "collector.perf.software-profilers",
        "collector.perf.cache-profilers",
    ] {
        assert!(flags.contains(flag), "{flag} is missing from host_options()");
    }
    assert!(srekit::host::all_collectors().contains(&"perf"));
    assert!(!srekit::host::default_collectors().contains(&"perf"), "perf is opt-in");
    for (option, value, expected) in [
        ("perf_cpus", "0-x", "perf_cpus"),
        ("perf_hardware_profilers", "CpuCycles Bogus", "Bogus"),
        ("perf_tracepoint", "nosuchsubsystem:nosuchevent", "not found"),
        ("perf_tracepoint", "sched_switch", "subsystem:event"),
    ] {
        let Err(error) = perf_collector(&[(option, HostOption::Text(value))]) else {
            panic!("{option}={value:?} was accepted");
        };
        assert_eq!(error.code(), "host.invalid_option");
        assert!(error.to_string().contains(expected), "{error}");
        // As in node_exporter, the perf options are read only when perf is enabled.
        let mut config = HostConfig::default();
        config.disable_defaults();
        config.enable("loadavg").expect("a collector");
        config.set_option(option, HostOption::Text(value)).expect("a text option");
        assert!(HostCollector::new(config).is_ok(), "{option}={value:?} without perf");
    }
}
