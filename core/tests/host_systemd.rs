//! The systemd collector against a fake systemd on a real bus: the test starts a private
//! `dbus-daemon` (Debian's `dbus-daemon`, installed by scripts/install-deps.sh), serves
//! `org.freedesktop.systemd1` on it from this process with zbus's object server (the manager with
//! `ListUnits`, `Version` and `SystemState`; service, timer and socket unit objects with the
//! properties node_exporter reads), points the collector at it and checks every series. The real
//! node_exporter 1.5 is then run against the same bus (`DBUS_SYSTEM_BUS_ADDRESS`) and must produce
//! the same `node_systemd_*` series with the same values.
//!
//! Without dbus-daemon or node_exporter the tests fail, saying what is missing.

mod common;

use common::dbus::{start_bus, start_bus_in, Bus};
use srekit::expfmt::parse_text;
use srekit::host::{HostCollector, HostConfig, HostOption};
use srekit::metrics::{MetricFamily, MetricType};
use std::collections::BTreeMap;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zbus::zvariant::OwnedObjectPath;

/// systemd's object path of a unit: `/org/freedesktop/systemd1/unit/` and the name with bytes other
/// than ASCII letters and digits (and a leading digit) written `_xx`.
fn unit_path(name: &str) -> String {
    let mut path = String::from("/org/freedesktop/systemd1/unit/");
    for (i, b) in name.bytes().enumerate() {
        if b.is_ascii_alphabetic() || (b.is_ascii_digit() && i > 0) {
            path.push(char::from(b));
        } else {
            path.push_str(&format!("_{b:02x}"));
        }
    }
    path
}

type UnitStatus =
    (String, String, String, String, String, String, OwnedObjectPath, u32, String, OwnedObjectPath);

struct Manager {
    units: Vec<UnitStatus>,
    state: Arc<Mutex<String>>,
}

#[zbus::interface(name = "org.freedesktop.systemd1.Manager")]
impl Manager {
    #[zbus(name = "ListUnits")]
    fn list_units(&self) -> Vec<UnitStatus> {
        self.units.clone()
    }

    #[zbus(property, name = "Version")]
    fn version(&self) -> String {
        "252.22-1~deb12u1".to_string()
    }

    #[zbus(property, name = "SystemState")]
    fn system_state(&self) -> String {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

struct Service {
    kind: &'static str,
    /// `TasksCurrent` and `TasksMax` (`u64::MAX`: none).
    tasks: (u64, u64),
}

#[zbus::interface(name = "org.freedesktop.systemd1.Service")]
impl Service {
    #[zbus(property, name = "Type")]
    fn kind(&self) -> String {
        self.kind.to_string()
    }

    #[zbus(property, name = "NRestarts")]
    fn n_restarts(&self) -> u32 {
        7
    }

    #[zbus(property, name = "TasksCurrent")]
    fn tasks_current(&self) -> u64 {
        self.tasks.0
    }

    #[zbus(property, name = "TasksMax")]
    fn tasks_max(&self) -> u64 {
        self.tasks.1
    }
}

/// The unit interface of a unit, for `ActiveEnterTimestamp`.
struct Unit {
    active_enter_usec: u64,
}

#[zbus::interface(name = "org.freedesktop.systemd1.Unit")]
impl Unit {
    #[zbus(property, name = "ActiveEnterTimestamp")]
    fn active_enter_timestamp(&self) -> u64 {
        self.active_enter_usec
    }
}

struct Timer {
    last_trigger_usec: u64,
}

#[zbus::interface(name = "org.freedesktop.systemd1.Timer")]
impl Timer {
    #[zbus(property, name = "LastTriggerUSec")]
    fn last_trigger_usec(&self) -> u64 {
        self.last_trigger_usec
    }
}

struct Socket {
    accepted: u32,
    connections: u32,
    refused: u32,
}

#[zbus::interface(name = "org.freedesktop.systemd1.Socket")]
impl Socket {
    #[zbus(property, name = "NAccepted")]
    fn n_accepted(&self) -> u32 {
        self.accepted
    }

    #[zbus(property, name = "NConnections")]
    fn n_connections(&self) -> u32 {
        self.connections
    }

    #[zbus(property, name = "NRefused")]
    fn n_refused(&self) -> u32 {
        self.refused
    }
}

/// A socket unit of systemd before 239, without `NRefused`.
struct OldSocket;

#[zbus::interface(name = "org.freedesktop.systemd1.Socket")]
impl OldSocket {
    #[zbus(property, name = "NAccepted")]
    fn n_accepted(&self) -> u32 {
        5
    }

    #[zbus(property, name = "NConnections")]
    fn n_connections(&self) -> u32 {
        0
    }
}

/// The fake units: (name, load state, active state).
const UNITS: [(&str, &str, &str); 17] = [
    ("ssh.service", "loaded", "active"),
    ("cron.service", "loaded", "failed"),
    ("getty@tty1.service", "loaded", "activating"),
    ("nosvc.service", "loaded", "deactivating"),
    ("reloading.service", "loaded", "reloading"),
    ("missing.service", "not-found", "inactive"),
    ("apt-daily.timer", "loaded", "active"),
    ("logrotate.timer", "loaded", "inactive"),
    ("dbus.socket", "loaded", "active"),
    ("old.socket", "loaded", "active"),
    ("multi-user.target", "loaded", "active"),
    ("-.mount", "loaded", "active"),
    ("dev-sda.device", "loaded", "active"),
    ("user.slice", "loaded", "active"),
    ("session-1.scope", "loaded", "active"),
    ("proc-sys-fs-binfmt_misc.automount", "loaded", "inactive"),
    ("0day.path", "loaded", "active"),
];

/// Serves the fake systemd on the bus; the returned connection keeps it alive, the mutex sets the
/// manager's `SystemState`.
fn serve_fake_systemd(address: &str) -> (zbus::blocking::Connection, Arc<Mutex<String>>) {
    let state = Arc::new(Mutex::new("running".to_string()));
    let root = OwnedObjectPath::try_from("/").expect("object path");
    let units = UNITS
        .iter()
        .map(|(name, load, active)| {
            let path = OwnedObjectPath::try_from(unit_path(name)).expect("unit path");
            let sub = if *active == "active" { "running" } else { "dead" };
            (
                name.to_string(),
                format!("Fake {name}"),
                load.to_string(),
                active.to_string(),
                sub.to_string(),
                String::new(),
                path,
                0u32,
                String::new(),
                root.clone(),
            )
        })
        .collect();
    let mut builder = zbus::blocking::connection::Builder::address(address)
        .expect("bus address")
        .name("org.freedesktop.systemd1")
        .expect("bus name")
        .serve_at("/org/freedesktop/systemd1", Manager { units, state: Arc::clone(&state) })
        .expect("serve manager");
    for (name, kind, tasks) in [
        ("ssh.service", "notify", (3, 4915)),
        ("cron.service", "forking", (u64::MAX, u64::MAX)),
        ("getty@tty1.service", "idle", (1, 100)),
    ] {
        builder = builder.serve_at(unit_path(name), Service { kind, tasks }).expect("serve service");
    }
    // Active units with a start time (old.socket and 0day.path have none: no series).
    for (name, active_enter_usec) in [
        ("ssh.service", 1_700_000_100_250_000),
        ("apt-daily.timer", 1_700_000_000_000_001),
        ("dbus.socket", 1_600_000_000_500_000),
        ("cron.service", 1_500_000_000_000_000),
    ] {
        builder = builder.serve_at(unit_path(name), Unit { active_enter_usec }).expect("serve unit");
    }
    builder = builder
        .serve_at(unit_path("reloading.service"), Service { kind: "simple", tasks: (0, u64::MAX) })
        .expect("serve service")
        .serve_at(unit_path("apt-daily.timer"), Timer { last_trigger_usec: 1_700_000_000_123_456 })
        .expect("serve timer")
        .serve_at(unit_path("logrotate.timer"), Timer { last_trigger_usec: 0 })
        .expect("serve timer")
        .serve_at(unit_path("dbus.socket"), Socket { accepted: 12, connections: 3, refused: 1 })
        .expect("serve socket")
        .serve_at(unit_path("old.socket"), OldSocket)
        .expect("serve socket");
    (builder.build().expect("connect the fake systemd to the bus"), state)
}

fn our_collection(address: &str) -> Vec<MetricFamily> {
    our_collection_with(address, &[])
}

/// Our systemd collector on the bus at `address`, with the given switches turned on.
fn our_collection_with(address: &str, switches: &[&str]) -> Vec<MetricFamily> {
    let mut config = HostConfig::default();
    config.disable_defaults();
    config.enable("systemd").expect("systemd collector exists");
    config.systemd_bus_address = Some(address.to_string());
    for switch in switches {
        config.set_option(switch, HostOption::Switch(true)).expect("a host option");
    }
    HostCollector::new(config).expect("valid config").collect()
}

/// A series: family name and sorted labels.
type SeriesKey = (String, Vec<(String, String)>);

/// Every series of the `node_systemd_*` families, with its type and value.
fn systemd_series(families: &[MetricFamily]) -> BTreeMap<SeriesKey, (MetricType, f64)> {
    let mut series = BTreeMap::new();
    for family in families.iter().filter(|f| f.name.starts_with("node_systemd_")) {
        for sample in &family.samples {
            let mut labels = sample.labels.clone();
            labels.sort();
            series.insert((family.name.clone(), labels), (family.kind, sample.value));
        }
    }
    series
}

fn value(families: &[MetricFamily], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    families
        .iter()
        .find(|f| f.name == name)?
        .samples
        .iter()
        .find(|s| s.labels.len() == labels.len() && labels.iter().all(|(k, v)| s.label(k) == Some(v)))
        .map(|s| s.value)
}

fn success(families: &[MetricFamily]) -> Option<f64> {
    value(families, "node_scrape_collector_success", &[("collector", "systemd")])
}

fn help(families: &[MetricFamily], name: &str) -> String {
    families.iter().find(|f| f.name == name).map(|f| f.help.clone()).unwrap_or_default()
}

#[test]
fn collector_reads_the_fake_systemd() {
    let bus = start_bus();
    let (_systemd, state) = serve_fake_systemd(&bus.address);
    let ours = our_collection(&bus.address);
    assert_eq!(success(&ours), Some(1.0), "collector failed: {ours:#?}");

    let unit = |name: &str, state: &str, kind: &str| {
        value(&ours, "node_systemd_unit_state", &[("name", name), ("state", state), ("type", kind)])
    };
    for (name, kind, current) in [
        ("ssh.service", "notify", "active"),
        ("cron.service", "forking", "failed"),
        ("getty@tty1.service", "idle", "activating"),
        ("nosvc.service", "", "deactivating"),
        ("apt-daily.timer", "", "active"),
        ("logrotate.timer", "", "inactive"),
        ("dbus.socket", "", "active"),
        ("0day.path", "", "active"),
    ] {
        for s in ["active", "activating", "deactivating", "inactive", "failed"] {
            let expected = if s == current { 1.0 } else { 0.0 };
            assert_eq!(unit(name, s, kind), Some(expected), "{name} state {s}");
        }
    }
    for s in ["active", "activating", "deactivating", "inactive", "failed"] {
        assert_eq!(
            unit("reloading.service", s, "simple"),
            Some(0.0),
            "an unknown active state is 0 everywhere"
        );
    }
    let family = ours.iter().find(|f| f.name == "node_systemd_unit_state").expect("unit_state");
    assert_eq!(family.samples.len(), 5 * 10, "five series for each of the 10 selected units");
    for excluded in [
        "missing.service",
        "multi-user.target",
        "-.mount",
        "dev-sda.device",
        "user.slice",
        "session-1.scope",
        "proc-sys-fs-binfmt_misc.automount",
    ] {
        assert!(family.samples.iter().all(|s| s.label("name") != Some(excluded)), "{excluded} is excluded");
    }

    // The summary counts every unit listed, filters or not.
    for (s, count) in [
        ("active", 10.0),
        ("activating", 1.0),
        ("deactivating", 1.0),
        ("inactive", 3.0),
        ("failed", 1.0),
        ("reloading", 1.0),
    ] {
        assert_eq!(value(&ours, "node_systemd_units", &[("state", s)]), Some(count), "units {s}");
    }
    let timer = |name: &str| value(&ours, "node_systemd_timer_last_trigger_seconds", &[("name", name)]);
    assert_eq!(timer("apt-daily.timer"), Some(1_700_000_000.123_456));
    assert_eq!(timer("logrotate.timer"), Some(0.0));
    let socket = |metric: &str, name: &str| value(&ours, metric, &[("name", name)]);
    assert_eq!(socket("node_systemd_socket_accepted_connections", "dbus.socket"), Some(12.0));
    assert_eq!(socket("node_systemd_socket_current_connections", "dbus.socket"), Some(3.0));
    assert_eq!(socket("node_systemd_socket_refused_connections_total", "dbus.socket"), Some(1.0));
    assert_eq!(socket("node_systemd_socket_accepted_connections", "old.socket"), Some(5.0));
    assert_eq!(socket("node_systemd_socket_current_connections", "old.socket"), Some(0.0));
    assert_eq!(socket("node_systemd_socket_refused_connections_total", "old.socket"), None, "no NRefused");
    assert_eq!(value(&ours, "node_systemd_system_running", &[]), Some(1.0));
    assert_eq!(value(&ours, "node_systemd_version", &[("version", "252.22-1~deb12u1")]), Some(252.22));
    // Opt-in in node_exporter 1.5 (restarts, start times, tasks): not emitted.
    let opt_in = ["node_systemd_service_restart", "node_systemd_unit_start_time", "node_systemd_unit_tasks"];
    assert!(ours.iter().all(|f| !opt_in.iter().any(|p| f.name.starts_with(p))));
    // Counters are stored without their `_total`, as the text parser gives them.
    let kind = |name: &str| ours.iter().find(|f| f.name == name).map(|f| f.kind);
    assert_eq!(kind("node_systemd_socket_accepted_connections"), Some(MetricType::Counter));
    assert_eq!(kind("node_systemd_socket_refused_connections_total"), Some(MetricType::Gauge));
    assert_eq!(help(&ours, "node_systemd_unit_state"), "Systemd unit");

    // The same collector again (its connection is kept) sees the state change.
    *state.lock().expect("state lock") = "degraded".to_string();
    let collector = {
        let mut config = HostConfig::default();
        config.disable_defaults();
        config.enable("systemd").expect("systemd collector exists");
        config.systemd_bus_address = Some(bus.address.clone());
        HostCollector::new(config).expect("valid config")
    };
    assert_eq!(value(&collector.collect(), "node_systemd_system_running", &[]), Some(0.0));
    *state.lock().expect("state lock") = "running".to_string();
    assert_eq!(value(&collector.collect(), "node_systemd_system_running", &[]), Some(1.0));
}

#[test]
fn a_restarted_bus_costs_no_failed_scrape() {
    let bus = start_bus();
    let address = format!("unix:path={}", bus._dir.path().join("bus").display());
    let (fake, _state) = serve_fake_systemd(&bus.address);
    let mut config = HostConfig::default();
    config.disable_defaults();
    config.enable("systemd").expect("systemd collector exists");
    config.systemd_bus_address = Some(address.clone());
    let collector = HostCollector::new(config).expect("valid config");
    assert_eq!(success(&collector.collect()), Some(1.0));

    drop(fake);
    let Bus { _daemon: daemon, _dir: dir, .. } = bus;
    drop(daemon);
    let bus = start_bus_in(dir);
    let (_fake, _state) = serve_fake_systemd(&bus.address);
    let families = collector.collect();
    assert_eq!(success(&families), Some(1.0), "the kept connection died with the bus; a new one is made");
    assert_eq!(value(&families, "node_systemd_units", &[("state", "active")]), Some(10.0));
}

#[test]
fn missing_bus_reports_failure_quickly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let started = Instant::now();
    let ours = our_collection(&format!("unix:path={}", dir.path().join("no_bus").display()));
    assert_eq!(success(&ours), Some(0.0));
    assert!(ours.iter().all(|f| !f.name.starts_with("node_systemd_")));
    assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());

    // The default address is the system bus socket under the root filesystem.
    let mut config = HostConfig::with_roots("/proc", "/sys", dir.path());
    config.disable_defaults();
    config.enable("systemd").expect("systemd collector exists");
    let report = HostCollector::new(config).expect("valid config").collect_report();
    let text = format!("{report:?}");
    assert!(
        std::env::var_os("DBUS_SYSTEM_BUS_ADDRESS").is_some()
            || text.contains(&dir.path().join("run/dbus/system_bus_socket").display().to_string()),
        "the default bus is under the rootfs: {text}"
    );
}

#[test]
fn silent_bus_does_not_stall_the_scrape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("silent");
    // Accepts connections (the kernel's backlog does) but never answers the handshake.
    let _listener = std::os::unix::net::UnixListener::bind(&socket).expect("bind");
    let started = Instant::now();
    let ours = our_collection(&format!("unix:path={}", socket.display()));
    assert_eq!(success(&ours), Some(0.0));
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
}

/// node_exporter 1.5 with only its systemd collector, on the given bus; one scrape.
fn node_exporter_scrape(address: &str) -> Vec<MetricFamily> {
    node_exporter_scrape_with(address, &[])
}

/// node_exporter 1.5 with only its systemd collector and `flags`, on the given bus; one scrape.
fn node_exporter_scrape_with(address: &str, flags: &[&str]) -> Vec<MetricFamily> {
    let mut args = vec!["--collector.disable-defaults".to_string(), "--collector.systemd".to_string()];
    args.extend(flags.iter().map(|flag| flag.to_string()));
    let text = common::node_exporter::scrape(&args, &[("DBUS_SYSTEM_BUS_ADDRESS", address)]);
    parse_text(&text).expect("node_exporter output parses")
}

#[test]
fn same_series_and_values_as_node_exporter_on_the_fake_systemd() {
    assert_same_as_node_exporter(&[], &[]);
}

/// node_exporter's opt-in metrics: restarts of services, start times of every selected unit (0 when
/// not active, none when the property is missing), tasks of services (none for `u64::MAX`).
#[test]
fn opt_in_restart_start_time_and_task_metrics_as_node_exporter() {
    let switches = [
        "systemd_enable_restarts_metrics",
        "systemd_enable_start_time_metrics",
        "systemd_enable_task_metrics",
    ];
    let flags = [
        "--collector.systemd.enable-restarts-metrics",
        "--collector.systemd.enable-start-time-metrics",
        "--collector.systemd.enable-task-metrics",
    ];
    assert_same_as_node_exporter(&flags, &switches);

    let bus = start_bus();
    let (_systemd, _state) = serve_fake_systemd(&bus.address);
    let ours = our_collection_with(&bus.address, &switches);
    let of = |metric: &str, name: &str| value(&ours, metric, &[("name", name)]);
    assert_eq!(of("node_systemd_service_restart", "ssh.service"), Some(7.0));
    assert_eq!(of("node_systemd_service_restart", "nosvc.service"), None, "no service object");
    assert_eq!(of("node_systemd_unit_start_time_seconds", "ssh.service"), Some(1_700_000_100.25));
    assert_eq!(of("node_systemd_unit_start_time_seconds", "cron.service"), Some(0.0), "failed: 0");
    assert_eq!(of("node_systemd_unit_start_time_seconds", "old.socket"), None, "active, no timestamp");
    assert_eq!(of("node_systemd_unit_tasks_current", "ssh.service"), Some(3.0));
    assert_eq!(of("node_systemd_unit_tasks_max", "ssh.service"), Some(4915.0));
    assert_eq!(of("node_systemd_unit_tasks_current", "cron.service"), None, "u64::MAX is no count");
    assert_eq!(of("node_systemd_unit_tasks_max", "reloading.service"), None, "u64::MAX is no limit");
    assert_eq!(of("node_systemd_unit_tasks_current", "reloading.service"), Some(0.0));
    let cost = |switches: &[&str]| {
        let mut config = HostConfig::default();
        config.disable_defaults();
        config.enable("systemd").expect("systemd collector exists");
        config.systemd_bus_address = Some(bus.address.clone());
        for switch in switches {
            config.set_option(switch, HostOption::Switch(true)).expect("a host option");
        }
        let collector = HostCollector::new(config).expect("valid config");
        collector.collect();
        let start = Instant::now();
        for _ in 0..20 {
            collector.collect();
        }
        start.elapsed() / 20
    };
    eprintln!(
        "systemd on the fake bus (17 units), one collection on a kept connection: {:?} with the three opt-in switches, {:?} without",
        cost(&switches),
        cost(&[])
    );
}

/// node_exporter 1.5 with `flags` and ours with `switches` on the fake systemd: the same series,
/// values and help.
fn assert_same_as_node_exporter(flags: &[&str], switches: &[&str]) {
    let bus = start_bus();
    let (_systemd, _state) = serve_fake_systemd(&bus.address);
    let theirs = node_exporter_scrape_with(&bus.address, flags);
    let ours = our_collection_with(&bus.address, switches);
    assert_eq!(success(&theirs), Some(1.0), "node_exporter's systemd collector failed on the fake bus");
    assert_eq!(success(&ours), Some(1.0));
    let (theirs_series, ours_series) = (systemd_series(&theirs), systemd_series(&ours));
    assert!(theirs_series.len() > 60, "node_exporter produced only {} series", theirs_series.len());
    let differences: Vec<String> = theirs_series
        .iter()
        .filter(|(key, v)| ours_series.get(*key) != Some(*v))
        .map(|(key, v)| format!("node_exporter {key:?} = {v:?}, ours {:?}", ours_series.get(key)))
        .chain(
            ours_series
                .iter()
                .filter(|(key, _)| !theirs_series.contains_key(*key))
                .map(|(key, v)| format!("ours only {key:?} = {v:?}")),
        )
        .collect();
    assert!(differences.is_empty(), "{} differences:\n{}", differences.len(), differences.join("\n"));
    for family in theirs.iter().filter(|f| f.name.starts_with("node_systemd_")) {
        assert_eq!(help(&ours, &family.name), family.help, "help of {}", family.name);
    }
}

#[test]
fn node_exporter_and_ours_both_fail_without_a_bus() {
    let dir = tempfile::tempdir().expect("tempdir");
    let address = format!("unix:path={}", dir.path().join("no_bus").display());
    assert_eq!(success(&node_exporter_scrape(&address)), Some(0.0));
    assert_eq!(success(&our_collection(&address)), Some(0.0));
}
