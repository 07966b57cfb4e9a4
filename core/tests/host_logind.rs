//! The logind collector against a fake systemd-logind on a real bus (a private `dbus-daemon`
//! serving `org.freedesktop.login1` from this process: the manager's `ListSeats` and `ListSessions`,
//! session objects with `Remote`, `Type` and `Class`), then the real node_exporter 1.5 on the same bus
//! (`DBUS_SYSTEM_BUS_ADDRESS`): the same series and values.

mod common;

use common::dbus::start_bus;
use common::successes;
use srekit::expfmt::parse_text;
use srekit::host::{HostCollector, HostConfig};
use srekit::metrics::MetricFamily;
use std::collections::BTreeMap;
use zbus::zvariant::OwnedObjectPath;

type Seat = (String, OwnedObjectPath);
type Session = (String, u32, String, String, OwnedObjectPath);

struct Manager {
    seats: Vec<Seat>,
    sessions: Vec<Session>,
}

#[zbus::interface(name = "org.freedesktop.login1.Manager")]
impl Manager {
    #[zbus(name = "ListSeats")]
    fn list_seats(&self) -> Vec<Seat> {
        self.seats.clone()
    }

    #[zbus(name = "ListSessions")]
    fn list_sessions(&self) -> Vec<Session> {
        self.sessions.clone()
    }
}

struct LoginSession {
    remote: bool,
    kind: &'static str,
    class: &'static str,
}

#[zbus::interface(name = "org.freedesktop.login1.Session")]
impl LoginSession {
    #[zbus(property, name = "Remote")]
    fn remote(&self) -> bool {
        self.remote
    }

    #[zbus(property, name = "Type")]
    fn kind(&self) -> String {
        self.kind.to_string()
    }

    #[zbus(property, name = "Class")]
    fn class(&self) -> String {
        self.class.to_string()
    }
}

/// The fake sessions: (id, seat, remote, type, class); session 9 is listed but has no object.
const SESSIONS: [(&str, &str, bool, &str, &str); 7] = [
    ("1", "seat0", false, "tty", "user"),
    ("2", "seat0", false, "tty", "user"),
    ("3", "", true, "tty", "user"),
    ("4", "seat0", false, "x11", "greeter"),
    ("5", "seat1", true, "wayland", "manager"),
    ("6", "seat0", false, "weird", "background"),
    ("7", "seat1", false, "unspecified", "lock-screen"),
];

fn path(text: &str) -> OwnedObjectPath {
    OwnedObjectPath::try_from(text).expect("object path")
}

fn serve_fake_logind(address: &str) -> zbus::blocking::Connection {
    let seats = ["seat0", "seat1"]
        .iter()
        .map(|s| (s.to_string(), path(&format!("/org/freedesktop/login1/seat/{s}"))))
        .collect();
    let mut sessions: Vec<Session> = SESSIONS
        .iter()
        .map(|(id, seat, ..)| {
            (
                id.to_string(),
                1000,
                "user".to_string(),
                seat.to_string(),
                path(&format!("/org/freedesktop/login1/session/_3{id}")),
            )
        })
        .collect();
    sessions.push((
        "9".into(),
        0,
        "root".into(),
        "seat0".into(),
        path("/org/freedesktop/login1/session/_39"),
    ));
    let mut builder = zbus::blocking::connection::Builder::address(address)
        .expect("bus address")
        .name("org.freedesktop.login1")
        .expect("bus name")
        .serve_at("/org/freedesktop/login1", Manager { seats, sessions })
        .expect("serve manager");
    for (id, _, remote, kind, class) in SESSIONS {
        builder = builder
            .serve_at(format!("/org/freedesktop/login1/session/_3{id}"), LoginSession { remote, kind, class })
            .expect("serve session");
    }
    builder.build().expect("connect the fake logind to the bus")
}

fn logind_series(families: &[MetricFamily]) -> BTreeMap<Vec<(String, String)>, f64> {
    common::family_series(
        families.iter().find(|f| f.name == "node_logind_sessions").expect("node_logind_sessions"),
    )
}

#[test]
fn sessions_counted_as_node_exporter_counts_them() {
    let bus = start_bus();
    let _logind = serve_fake_logind(&bus.address);
    let mut config = HostConfig::default();
    config.disable_defaults();
    config.enable("logind").expect("logind collector exists");
    config.systemd_bus_address = Some(bus.address.clone());
    let collector = HostCollector::new(config).expect("valid config");
    let ours = collector.collect();
    assert_eq!(successes(&ours).get("logind"), Some(&1.0), "{ours:#?}");
    let series = logind_series(&ours);
    assert_eq!(
        series.len(),
        2 * 7 * 5 * 3,
        "remote x type x class x seat (the two listed and the empty one)"
    );
    let count = |seat: &str, remote: &str, kind: &str, class: &str| {
        let key = [("class", class), ("remote", remote), ("seat", seat), ("type", kind)]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>();
        series.get(&key).copied()
    };
    assert_eq!(count("seat0", "false", "tty", "user"), Some(2.0));
    assert_eq!(count("seat0", "false", "x11", "greeter"), Some(1.0));
    assert_eq!(count("seat1", "true", "wayland", "other"), Some(1.0), "an unknown class is other");
    assert_eq!(count("seat0", "false", "other", "background"), Some(1.0), "an unknown type is other");
    assert_eq!(count("seat1", "false", "unspecified", "lock-screen"), Some(1.0));
    assert_eq!(count("", "true", "tty", "user"), Some(1.0), "a remote session has the empty seat");
    assert_eq!(series.values().sum::<f64>(), 7.0, "the session without an object is not counted");

    let theirs = parse_text(&common::node_exporter::scrape(
        &["--collector.disable-defaults".to_string(), "--collector.logind".to_string()],
        &[("DBUS_SYSTEM_BUS_ADDRESS", bus.address.as_str())],
    ))
    .expect("node_exporter output parses");
    assert_eq!(successes(&theirs).get("logind"), Some(&1.0), "node_exporter's logind failed on the fake bus");
    assert_eq!(logind_series(&theirs), series, "the same series and values as node_exporter 1.5");
    let help = |families: &[MetricFamily]| {
        families.iter().find(|f| f.name == "node_logind_sessions").map(|f| (f.kind, f.help.clone()))
    };
    assert_eq!(help(&ours), help(&theirs));

    collector.collect();
    let start = std::time::Instant::now();
    for _ in 0..20 {
        collector.collect();
    }
    eprintln!(
        "logind on the fake bus (7 sessions, 2 seats): {:?} per collection on a kept connection",
        start.elapsed() / 20
    );
}

#[test]
fn no_bus_is_a_failed_collection() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = HostConfig::default();
    config.disable_defaults();
    config.enable("logind").expect("logind collector exists");
    config.systemd_bus_address = Some(format!("unix:path={}", dir.path().join("none").display()));
    let ours = HostCollector::new(config).expect("valid config").collect();
    assert_eq!(successes(&ours).get("logind"), Some(&0.0));
}
