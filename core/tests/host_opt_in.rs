//! node_exporter 1.5's opt-in collectors and collector options, each against the real binary
//! (Debian's `prometheus-node-exporter`) started with the same flags, on this host or on a fixture
//! tree: the same families with the same type, help and label names; the same series and values
//! where they cannot change between the two reads (the volatile ones are named per case).
//!
//! A case's flags are node_exporter's; ours are derived from them through the host option table
//! (`--collector.<name>` enables a collector, `--collector.<option>[=value]` sets the option whose
//! flag it is), so the table's flag names are tested too.

mod common;

use common::{family_series as series, label_names, successes};
use srekit::expfmt::parse_text;
use srekit::host::{all_collectors, host_options, HostCollector, HostConfig, HostOption, HostOptionDefault};
use srekit::metrics::{MetricFamily, MetricType};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// One comparison: node_exporter's flags (after `--collector.disable-defaults`), the tree to read
/// (`None`: this host), and the families whose values, or whose series too, may differ between the
/// two reads (prefixes of the family's base name: counters without `_total`).
struct Case<'a> {
    flags: &'a [&'a str],
    tree: Option<PathBuf>,
    volatile_values: &'a [&'a str],
    volatile_series: &'a [&'a str],
    /// Families from newer node_exporter releases that 1.5 does not have (base names).
    newer: &'a [&'a str],
}

impl<'a> Case<'a> {
    fn host(flags: &'a [&'a str]) -> Case<'a> {
        Case { flags, tree: None, volatile_values: &[], volatile_series: &[], newer: &[] }
    }

    fn tree(flags: &'a [&'a str], name: &str) -> Case<'a> {
        let tree = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/host").join(name);
        Case { tree: Some(tree.canonicalize().expect("fixture tree exists")), ..Case::host(flags) }
    }

    fn volatile(mut self, values: &'a [&'a str], series: &'a [&'a str]) -> Case<'a> {
        self.volatile_values = values;
        self.volatile_series = series;
        self
    }
}

/// Our configuration for node_exporter's `flags`, through the option table (a text flag given
/// several times, like `--collector.sysctl.include`, has its values joined by spaces).
fn config_from_flags(flags: &[&str], tree: Option<&Path>) -> HostConfig {
    let mut config = match tree {
        Some(tree) => HostConfig::with_roots(tree.join("proc"), tree.join("sys"), tree.join("root")),
        None => HostConfig::default(),
    };
    config.disable_defaults();
    let mut texts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for flag in flags {
        let flag = flag.trim_start_matches("--");
        let (name, value) = match flag.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (flag, None),
        };
        if let Some(collector) = name.strip_prefix("collector.").filter(|c| all_collectors().contains(c)) {
            config.enable(collector).expect("a known collector");
            continue;
        }
        let option =
            host_options().iter().find(|o| o.flag == name).unwrap_or_else(|| panic!("no option {name}"));
        match (option.default, value) {
            (HostOptionDefault::Text(_), Some(text)) => texts.entry(option.name).or_default().push(text),
            (HostOptionDefault::Switch(_), None) => {
                config.set_option(option.name, HostOption::Switch(true)).expect("a valid option")
            }
            _ => panic!("{flag}: value does not fit the option's kind"),
        }
    }
    for (name, values) in texts {
        config.set_option(name, HostOption::Text(&values.join(" "))).expect("a valid option");
    }
    config
}

/// Host families of a scrape (no scrape, build or process families), by name.
fn host_families(families: Vec<MetricFamily>) -> BTreeMap<String, MetricFamily> {
    families
        .into_iter()
        .filter(|f| f.name.starts_with("node_") && !f.name.starts_with("node_scrape_"))
        .filter(|f| f.name != "node_exporter_build_info" && !f.samples.is_empty())
        .map(|f| (f.name.clone(), f))
        .collect()
}

/// Runs both exporters for `case` and returns the differences (empty: parity), after checking that
/// node_exporter produced something and that every collector worked in both.
fn differences(case: &Case<'_>) -> Vec<String> {
    let mut flags: Vec<String> = vec!["--collector.disable-defaults".into()];
    if let Some(tree) = &case.tree {
        for (flag, sub) in [("procfs", "proc"), ("sysfs", "sys"), ("rootfs", "root")] {
            flags.push(format!("--path.{flag}={}", tree.join(sub).display()));
        }
    }
    flags.extend(case.flags.iter().map(|f| f.to_string()));
    let theirs =
        parse_text(&common::node_exporter::scrape(&flags, &[])).expect("node_exporter output parses");
    let ours =
        HostCollector::new(config_from_flags(case.flags, case.tree.as_deref())).expect("valid").collect();
    assert_eq!(successes(&ours), successes(&theirs), "collectors that worked, for {:?}", case.flags);
    assert!(
        successes(&theirs).values().all(|v| *v == 1.0),
        "node_exporter failed a collector: {:?}",
        case.flags
    );
    let (theirs, ours) = (host_families(theirs), host_families(ours));
    assert!(!theirs.is_empty(), "node_exporter produced nothing for {:?}", case.flags);
    let mut problems = Vec::new();
    let names = |all: &BTreeMap<String, MetricFamily>| {
        all.keys().filter(|n| !case.newer.contains(&n.as_str())).cloned().collect::<BTreeSet<_>>()
    };
    if names(&theirs) != names(&ours) {
        problems.push(format!("families {:?} (ours) vs {:?} (node_exporter)", names(&ours), names(&theirs)));
    }
    for (name, family) in &theirs {
        let Some(mine) = ours.get(name) else { continue };
        if (mine.kind, &mine.help) != (family.kind, &family.help) {
            problems.push(format!(
                "{name}: {:?} {:?} (ours) vs {:?} {:?}",
                mine.kind, mine.help, family.kind, family.help
            ));
        }
        if label_names(mine) != label_names(family) {
            problems.push(format!(
                "{name}: labels {:?} (ours) vs {:?}",
                label_names(mine),
                label_names(family)
            ));
        }
        let matches = |list: &[&str]| list.iter().any(|v| name.starts_with(v));
        if matches(case.volatile_series) {
            continue;
        }
        let (expected, actual) = (series(family), series(mine));
        if expected.keys().ne(actual.keys()) {
            problems.push(format!("{name}: series {:?} (ours) vs {:?}", actual.keys(), expected.keys()));
        } else if !matches(case.volatile_values) {
            for (labels, value) in &expected {
                if actual.get(labels) != Some(value) {
                    problems.push(format!("{name}{labels:?}: {:?} (ours) vs {value}", actual.get(labels)));
                }
            }
        }
    }
    problems
}

fn assert_parity(case: Case<'_>) {
    let problems = differences(&case);
    assert!(
        problems.is_empty(),
        "{:?}: {} differences:\n{}",
        case.flags,
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn processes_on_this_host() {
    // Processes come and go between the two reads: only the limits must agree exactly.
    assert_parity(Case::host(&["--collector.processes"]).volatile(
        &["node_processes_pids", "node_processes_threads"],
        &["node_processes_state", "node_processes_threads_state"],
    ));
}

#[test]
fn interrupts_on_this_host() {
    assert_parity(Case::host(&["--collector.interrupts"]).volatile(&["node_interrupts"], &[]));
}

#[test]
fn stat_softirq_on_this_host() {
    assert_parity(Case::host(&["--collector.stat", "--collector.stat.softirq"]).volatile(
        &[
            "node_softirqs",
            "node_intr",
            "node_context_switches",
            "node_forks",
            "node_procs_running",
            "node_procs_blocked",
        ],
        &[],
    ));
}

#[test]
fn cpu_info_with_flag_and_bug_filters_on_this_host() {
    assert_parity(
        Case::host(&[
            "--collector.cpu",
            "--collector.cpu.info",
            "--collector.cpu.info.flags-include=^(aes|avx.?|fpu)$",
            "--collector.cpu.info.bugs-include=^(spectre_.*|mds)$",
        ])
        .volatile(&["node_cpu_seconds", "node_cpu_guest_seconds"], &[]),
    );
}

/// The opt-in fixture tree: hand-written /proc files with the odd cases (a command with `)` and
/// spaces, a thread in another state than its process, single-count interrupt rows).
#[test]
fn processes_interrupts_softirq_and_cpu_info_on_the_fixture_tree() {
    assert_parity(Case::tree(
        &[
            "--collector.processes",
            "--collector.interrupts",
            "--collector.stat",
            "--collector.stat.softirq",
            "--collector.cpu",
            "--collector.cpu.info",
            "--collector.cpu.info.flags-include=^(aes|fpu)$",
            "--collector.cpu.info.bugs-include=.",
        ],
        "optin",
    ));
}

#[test]
fn tcpstat_on_this_host() {
    // Connections open and close between the two reads (node_exporter's scrape is one itself).
    assert_parity(Case::host(&["--collector.tcpstat"]).volatile(&[], &["node_tcp_connection_states"]));
    // Our own listening socket and a connection to it are counted.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let _client = std::net::TcpStream::connect(listener.local_addr().expect("addr")).expect("connect");
    let ours =
        HostCollector::new(config_from_flags(&["--collector.tcpstat"], None)).expect("valid").collect();
    let states = ours.iter().find(|f| f.name == "node_tcp_connection_states").expect("tcpstat family");
    let state = |name: &str| states.samples.iter().find(|s| s.label("state") == Some(name)).map(|s| s.value);
    assert!(state("listen") >= Some(1.0) && state("established") >= Some(2.0), "{states:?}");
    assert!(state("tx_queued_bytes") >= Some(128.0), "a listener's backlog limit counts as queued");
}

#[test]
fn ksmd_and_buddyinfo_on_this_host() {
    assert_parity(
        Case::host(&["--collector.ksmd", "--collector.buddyinfo"]).volatile(&["node_buddyinfo"], &[]),
    );
}

#[test]
fn zoneinfo_and_meminfo_numa_on_this_host() {
    // Page counts move between the two reads; the zones, nodes and fields must agree.
    assert_parity(
        Case::host(&["--collector.zoneinfo", "--collector.meminfo_numa"])
            .volatile(&["node_zoneinfo", "node_memory_numa"], &[]),
    );
}

#[test]
fn ksmd_buddyinfo_zoneinfo_and_meminfo_numa_on_the_fixture_tree() {
    assert_parity(Case::tree(
        &["--collector.ksmd", "--collector.buddyinfo", "--collector.zoneinfo", "--collector.meminfo_numa"],
        "optin",
    ));
}

#[test]
fn sysctl_on_this_host() {
    assert_parity(
        Case::host(&[
            "--collector.sysctl",
            "--collector.sysctl.include=vm.swappiness",
            "--collector.sysctl.include=kernel.threads-max",
            "--collector.sysctl.include=fs.file-nr:allocated,unused,max",
            "--collector.sysctl.include=net.ipv4.ip_local_port_range",
            "--collector.sysctl.include-info=kernel.core_pattern",
            "--collector.sysctl.include-info=net.ipv4.tcp_rmem",
        ])
        .volatile(&["node_sysctl_fs_file_nr"], &[]),
    );
}

#[test]
fn network_route_on_this_host() {
    assert_parity(Case::host(&["--collector.network_route"]));
}

#[test]
fn lnstat_slabinfo_and_cgroups_on_this_host() {
    assert_parity(
        Case::host(&["--collector.lnstat", "--collector.slabinfo", "--collector.cgroups"]).volatile(
            &["node_lnstat", "node_slabinfo_active_objects", "node_slabinfo_objects", "node_cgroups_cgroups"],
            &[],
        ),
    );
}

#[test]
fn lnstat_slabinfo_and_cgroups_on_the_fixture_tree() {
    assert_parity(Case::tree(
        &["--collector.lnstat", "--collector.slabinfo", "--collector.cgroups"],
        "optin",
    ));
}

#[test]
fn drbd_on_the_fixture_tree() {
    assert_parity(Case::tree(&["--collector.drbd"], "optin"));
}

/// The metrics of newer node_exporter releases on the fixture tree: the 1.5 families of softnet,
/// pressure and cpu (with `node_cpu_isolated`, which 1.5 has) still match node_exporter 1.5, and the
/// newer ones have the expected series.
#[test]
fn newer_collectors_and_metrics_on_the_fixture_tree() {
    let case = Case {
        newer: &[
            "node_softnet_received_rps",
            "node_softnet_flow_limit_count",
            "node_pressure_irq_stalled_seconds",
        ],
        ..Case::tree(&["--collector.softnet", "--collector.pressure", "--collector.cpu"], "optin")
    };
    let problems = differences(&case);
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    let tree = case.tree.as_deref();
    let flags = [
        "--collector.softnet",
        "--collector.pressure",
        "--collector.cpu",
        "--collector.cpu_vulnerabilities",
        "--collector.kernel_hung",
        "--collector.watchdog",
    ];
    let ours = HostCollector::new(config_from_flags(&flags, tree)).expect("valid").collect();
    let value = |name: &str, labels: &[(&str, &str)]| -> Option<f64> {
        let family = ours.iter().find(|f| f.name == name)?;
        let sample = family.samples.iter().find(|s| labels.iter().all(|(k, v)| s.label(k) == Some(v)))?;
        Some(sample.value)
    };
    assert_eq!(value("node_softnet_received_rps", &[("cpu", "1")]), Some(10.0));
    assert_eq!(value("node_softnet_flow_limit_count", &[("cpu", "1")]), Some(3.0));
    assert_eq!(value("node_pressure_irq_stalled_seconds", &[]), Some(1.234567));
    assert_eq!(value("node_cpu_isolated", &[("cpu", "1")]), Some(1.0));
    assert_eq!(value("node_kernel_hung_task_detect_count", &[]), Some(3.0));
    let vulnerability = |codename: &str, state: &str, mitigation: &str| {
        value(
            "node_cpu_vulnerabilities_info",
            &[("codename", codename), ("state", state), ("mitigation", mitigation)],
        )
    };
    assert_eq!(vulnerability("itlb_multihit", "mitigation", "VMX disabled"), Some(1.0));
    assert_eq!(
        vulnerability("mds", "vulnerable", "Clear CPU buffers attempted, no microcode; SMT vulnerable"),
        Some(1.0)
    );
    assert_eq!(vulnerability("meltdown", "not affected", ""), Some(1.0));
    assert_eq!(
        ours.iter().find(|f| f.name == "node_cpu_vulnerabilities_info").map(|f| f.samples.len()),
        Some(6)
    );
    assert_eq!(value("node_watchdog_timeout_seconds", &[("name", "watchdog0")]), Some(30.0));
    assert_eq!(value("node_watchdog_timeleft_seconds", &[("name", "watchdog0")]), Some(27.0));
    assert_eq!(value("node_watchdog_pretimeout_seconds", &[]), None, "absent attributes have no series");
    let info = [
        ("name", "watchdog0"),
        ("options", "0x8380"),
        ("identity", "iTCO_wdt"),
        ("state", "active"),
        ("status", ""),
    ];
    assert_eq!(value("node_watchdog_info", &info), Some(1.0));
    let successes = successes(&ours);
    assert!(successes.values().all(|v| *v == 1.0), "{successes:?}");
}

/// NFS v4.2 over TCP (stats 1.1) and v3 over UDP (stats 1.0), with counters beyond 2^53, next to
/// mounts without statistics; /proc/self links to the fixture's process 1.
#[test]
fn mountstats_on_the_fixture_tree() {
    assert_parity(Case::tree(&["--collector.mountstats"], "optin"));
}

/// Prints the cost of one collection of `flags` (the median of 50, after a warm-up): the figure the
/// README's collector table reports, measured here rather than asserted.
fn print_cost(flags: &[&str], tree: Option<&Path>) {
    let collector = HostCollector::new(config_from_flags(flags, tree)).expect("valid");
    collector.collect();
    let mut times: Vec<std::time::Duration> = (0..50)
        .map(|_| {
            let start = std::time::Instant::now();
            std::hint::black_box(collector.collect());
            start.elapsed()
        })
        .collect();
    times.sort_unstable();
    eprintln!("cost of {flags:?} on {tree:?}: {:?} per collection (median of 50)", times[25]);
}

/// One value of `name` with `labels` among `families`.
fn value_of(families: &[MetricFamily], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let family = families.iter().find(|f| f.name == name)?;
    let sample = family.samples.iter().find(|s| labels.iter().all(|(k, v)| s.label(k) == Some(v)))?;
    Some(sample.value)
}

#[test]
fn arp_device_filters_on_the_fixture_tree() {
    let cases: [&[&str]; 4] = [
        &["--collector.arp", "--collector.arp.device-include=^eth"],
        &["--collector.arp", "--collector.arp.device-exclude=^(docker0|br-.*)$"],
        &["--collector.arp", "--collector.arp.device-include=^eth", "--collector.arp.device-exclude=eth1"],
        &["--collector.arp", "--collector.arp.device-exclude="],
    ];
    for flags in cases {
        assert_parity(Case::tree(flags, "optin"));
    }
    let tree = Case::tree(&[], "optin").tree;
    let devices = |flags: &[&str]| -> Vec<String> {
        let ours = HostCollector::new(config_from_flags(flags, tree.as_deref())).expect("valid").collect();
        let family = ours.iter().find(|f| f.name == "node_arp_entries").expect("arp family");
        family.samples.iter().filter_map(|s| s.label("device").map(str::to_string)).collect()
    };
    assert_eq!(devices(cases[2]), ["eth0"], "include, then exclude");
    assert_eq!(devices(cases[3]), ["br-5f2a", "docker0", "eth0", "eth1"], "an empty filter keeps all");
    print_cost(cases[0], tree.as_deref());
}

#[test]
fn bcache_priority_stats_on_the_fixture_tree() {
    let flags = ["--collector.bcache", "--collector.bcache.priorityStats"];
    assert_parity(Case::tree(&flags, "basic"));
    let tree = Case::tree(&[], "basic").tree;
    let ours = HostCollector::new(config_from_flags(&flags, tree.as_deref())).expect("valid").collect();
    let cache = [("cache_device", "cache0")];
    assert_eq!(value_of(&ours, "node_bcache_priority_stats_unused_percent", &cache), Some(99.0));
    assert_eq!(value_of(&ours, "node_bcache_priority_stats_metadata_percent", &cache), Some(0.0));
    let without =
        HostCollector::new(config_from_flags(&flags[..1], tree.as_deref())).expect("valid").collect();
    assert!(!without.iter().any(|f| f.name.starts_with("node_bcache_priority")), "only with the flag");
    print_cost(&flags, tree.as_deref());
    print_cost(&flags[..1], tree.as_deref());
}

/// softirqs and xfrm are newer than node_exporter 1.5: their values on the fixture tree, and a
/// working collection on this host.
#[test]
fn softirqs_and_xfrm_on_the_fixture_tree_and_this_host() {
    let flags = ["--collector.softirqs", "--collector.xfrm"];
    let tree = Case::tree(&[], "optin").tree;
    let ours = HostCollector::new(config_from_flags(&flags, tree.as_deref())).expect("valid").collect();
    assert!(successes(&ours).values().all(|v| *v == 1.0), "{:?}", successes(&ours));
    let softirqs = ours.iter().find(|f| f.name == "node_softirqs_functions").expect("softirqs family");
    assert_eq!((softirqs.kind, softirqs.help.as_str()), (MetricType::Counter, "Softirq counts per CPU."));
    assert_eq!(softirqs.samples.len(), 30, "10 types x 3 CPUs");
    assert_eq!(value_of(&ours, "node_softirqs_functions", &[("cpu", "2"), ("type", "NET_RX")]), Some(456.0));
    assert_eq!(value_of(&ours, "node_softirqs_functions", &[("cpu", "0"), ("type", "HI")]), Some(7.0));
    let xfrm: Vec<&MetricFamily> = ours.iter().filter(|f| f.name.starts_with("node_xfrm_")).collect();
    assert_eq!(xfrm.len(), 28, "every counter, the unknown XfrmOutStateDirError ignored");
    assert_eq!(value_of(&ours, "node_xfrm_in_error_packets", &[]), Some(1.0));
    assert_eq!(value_of(&ours, "node_xfrm_acquire_error_packets", &[]), Some(28.0));
    assert_eq!(value_of(&ours, "node_xfrm_out_state_invalid_packets", &[]), Some(27.0));

    let host = HostCollector::new(config_from_flags(&flags, None)).expect("valid").collect();
    let stat = std::fs::read_to_string("/proc/softirqs").expect("/proc/softirqs");
    let cpus = stat.lines().next().map_or(0, |header| header.split_ascii_whitespace().count());
    let on_host = host.iter().find(|f| f.name == "node_softirqs_functions").map_or(0, |f| f.samples.len());
    assert_eq!(on_host, 10 * cpus, "every known type on every CPU of this host");
    if std::path::Path::new("/proc/net/xfrm_stat").exists() {
        assert_eq!(successes(&host).get("xfrm"), Some(&1.0));
    }
    print_cost(&flags[..1], None);
    print_cost(&flags[1..], None);
}

/// A fixture directory's absolute path (for the `--collector.*.fixtures` flags).
fn fixture_dir(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/host").join(name);
    dir.canonicalize().expect("fixture directory exists").display().to_string()
}

#[test]
fn qdisc_from_node_exporters_fixture_format() {
    let fixtures = format!("--collector.qdisc.fixtures={}", fixture_dir("qdisc"));
    let flags = ["--collector.qdisc", fixtures.as_str()];
    assert_parity(Case::host(&flags));
    let ours = HostCollector::new(config_from_flags(&flags, None)).expect("valid").collect();
    let eth0 = [("device", "eth0"), ("kind", "pfifo_fast")];
    assert_eq!(value_of(&ours, "node_qdisc_bytes", &eth0), Some(8.3e12));
    assert_eq!(value_of(&ours, "node_qdisc_backlog", &eth0), Some(4500.0));
    assert_eq!(value_of(&ours, "node_qdisc_packets", &[("device", "eth1")]), None, "a child qdisc");
    assert_eq!(value_of(&ours, "node_qdisc_bytes", &[("device", "bond0"), ("kind", "noqueue")]), Some(0.0));
    print_cost(&flags, None);
}

/// The kernel's qdiscs over rtnetlink (loopback's noqueue and the NIC's root qdisc here); byte and
/// packet counters move between the two reads.
#[test]
fn qdisc_on_this_host() {
    let flags = ["--collector.qdisc"];
    assert_parity(Case::host(&flags).volatile(&["node_qdisc_bytes", "node_qdisc_packets"], &[]));
    let ours = HostCollector::new(config_from_flags(&flags, None)).expect("valid").collect();
    assert!(
        value_of(&ours, "node_qdisc_bytes", &[("device", "lo")]).is_some(),
        "loopback's root qdisc is reported"
    );
    print_cost(&flags, None);
}

#[test]
fn wifi_from_node_exporters_fixture_format() {
    let fixtures = format!("--collector.wifi.fixtures={}", fixture_dir("wifi"));
    let flags = ["--collector.wifi", fixtures.as_str()];
    assert_parity(Case::host(&flags));
    let ours = HostCollector::new(config_from_flags(&flags, None)).expect("valid").collect();
    let station = [("device", "wlan0"), ("mac_address", "01:02:03:04:05:06")];
    assert_eq!(value_of(&ours, "node_wifi_station_connected_seconds", &station), Some(60.000000001));
    assert_eq!(value_of(&ours, "node_wifi_station_signal_dbm", &station), Some(-26.0));
    assert_eq!(value_of(&ours, "node_wifi_interface_frequency_hertz", &[("device", "wlan1")]), Some(5.18e9));
    let info = [
        ("device", "wlan0"),
        ("bssid", "00:11:22:33:44:55"),
        ("ssid", "Example \"net\""),
        ("mode", "client"),
    ];
    assert_eq!(value_of(&ours, "node_wifi_station_info", &info), Some(1.0));
    print_cost(&flags, None);

    // Without fixtures: no nl80211 here (and srekit does not read it): success 0 in both.
    let theirs = parse_text(&common::node_exporter::scrape(
        &["--collector.disable-defaults".to_string(), "--collector.wifi".to_string()],
        &[],
    ))
    .expect("node_exporter output parses");
    let ours = HostCollector::new(config_from_flags(&["--collector.wifi"], None)).expect("valid").collect();
    assert_eq!(successes(&theirs).get("wifi"), Some(&0.0), "this host has no WiFi");
    assert_eq!(successes(&ours).get("wifi"), Some(&0.0));
    assert!(!ours.iter().any(|f| f.name.starts_with("node_wifi_")));
}

/// ethtool over SIOCETHTOOL on this host's devices (a virtio NIC, ifb devices, loopback, which
/// answers nothing): driver info, driver statistics (queue counters move between the two reads) and
/// the link modes' pause and autonegotiation bits; then the device and statistic filters.
#[test]
fn ethtool_on_this_host() {
    let volatile = ["node_ethtool_"];
    assert_parity(Case::host(&["--collector.ethtool"]).volatile(&volatile, &[]));
    let ours =
        HostCollector::new(config_from_flags(&["--collector.ethtool"], None)).expect("valid").collect();
    let info = ours.iter().find(|f| f.name == "node_ethtool_info").expect("node_ethtool_info");
    assert!(info.samples.iter().all(|s| s.label("device") != Some("lo")), "loopback has no driver info");
    print_cost(&["--collector.ethtool"], None);

    let filtered = [
        "--collector.ethtool",
        "--collector.ethtool.device-exclude=^ifb",
        "--collector.ethtool.metrics-include=^(rx|tx)_",
    ];
    assert_parity(Case::host(&filtered).volatile(&volatile, &[]));
    let ours = HostCollector::new(config_from_flags(&filtered, None)).expect("valid").collect();
    assert!(ours
        .iter()
        .flat_map(|f| &f.samples)
        .all(|s| s.label("device").is_none_or(|d| !d.starts_with("ifb"))));
}
