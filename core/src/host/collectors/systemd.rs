//! systemd: unit states and counts, timer last triggers, socket connection counters, whether the
//! system is running and systemd's version, asked of systemd's manager (`org.freedesktop.systemd1`)
//! over D-Bus, as node_exporter 1.5 does with its default flags (`node_systemd_unit_state`,
//! `node_systemd_units`, `node_systemd_timer_last_trigger_seconds`, `node_systemd_socket_*`,
//! `node_systemd_system_running`, `node_systemd_version`), and its opt-in ones:
//! `node_systemd_service_restart_total` (`--collector.systemd.enable-restarts-metrics`),
//! `node_systemd_unit_start_time_seconds` (`enable-start-time-metrics`; 0 for a unit that is not
//! active) and `node_systemd_unit_tasks_{current,max}` (`enable-task-metrics`; none when systemd
//! reports no limit or count, `u64::MAX`).
//!
//! The bus: [`HostConfig::systemd_bus_address`](crate::host::HostConfig) if set, else the
//! `DBUS_SYSTEM_BUS_ADDRESS` environment variable (as node_exporter), else the system bus socket under
//! the root filesystem, `unix:path=<rootfs>/run/dbus/system_bus_socket`, or, when there is none there,
//! the process's own `/run/dbus/system_bus_socket` (where node_exporter always looks). So an exporter
//! in a container with the host's / mounted at /host and `--path.rootfs=/host` talks to the host's
//! systemd, and so does one set up as node_exporter's documentation says (the host's /run/dbus mounted
//! into the container); it authenticates as its own uid, so it must run as a user the host's bus
//! accepts (root in the host's user namespace, usually).
//!
//! The connection is made once and kept across collections (node_exporter connects anew each time);
//! when a collection on a kept connection fails, it is dropped and the collection is tried once more
//! on a fresh one (so a restarted bus costs no failed scrape). Connecting (with the bus's
//! authentication and `Hello`) is bounded by [`CONNECT_TIMEOUT`] and every call by the collector
//! deadline, so a bus that accepts but never answers costs one short wait, not a stalled scrape. With
//! no bus at all (a container, a host without systemd) the collector reports success 0, as
//! node_exporter does.

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

/// Longest wait for connecting to the bus (socket, authentication, `Hello`); shorter if the collector
/// deadline is shorter.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
/// The states of `node_systemd_unit_state` (one series each) and the first ones of
/// `node_systemd_units`.
const UNIT_STATES: [&str; 5] = ["active", "activating", "deactivating", "inactive", "failed"];
/// First systemd version with the manager's `SystemState` and the timers' `LastTriggerUSec`; older
/// versions (or an unknown one) get neither metric, as in node_exporter.
const MIN_VERSION_SYSTEM_STATE: f64 = 212.0;
const DESTINATION: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

/// One entry of the manager's `ListUnits` reply, `a(ssssssouso)`.
type UnitStatus =
    (String, String, String, String, String, String, OwnedObjectPath, u32, String, OwnedObjectPath);

/// The systemd collector.
pub(crate) struct Systemd {
    settings: Arc<Settings>,
    connection: Option<Connection>,
}

/// Where the system bus listens, relative to a root filesystem.
const SYSTEM_BUS_SOCKET: &str = "/run/dbus/system_bus_socket";

/// The system bus socket under the root filesystem (`under_rootfs`), else the process's own
/// (`own`) when only that one exists.
fn system_bus_socket(under_rootfs: &Path, own: &Path) -> PathBuf {
    if !under_rootfs.exists() && own.exists() {
        own.to_path_buf()
    } else {
        under_rootfs.to_path_buf()
    }
}

impl Systemd {
    pub(crate) fn new(settings: Arc<Settings>) -> Systemd {
        Systemd { settings, connection: None }
    }

    /// The bus address to use (see the module header).
    fn address(&self) -> String {
        if let Some(address) = &self.settings.systemd_bus_address {
            return address.clone();
        }
        match std::env::var("DBUS_SYSTEM_BUS_ADDRESS") {
            Ok(address) if !address.is_empty() => address,
            _ => {
                let socket =
                    system_bus_socket(&self.settings.root(SYSTEM_BUS_SOCKET), Path::new(SYSTEM_BUS_SOCKET));
                format!("unix:path={}", escape_address_value(socket.as_os_str().as_encoded_bytes()))
            }
        }
    }
}

/// The systemd collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "systemd",
    enabled_by_default: true,
    placement: Placement::Systemd,
    build: |settings| Box::new(Systemd::new(settings)),
};

impl Collector for Systemd {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        // A kept connection may have died with the bus (a restarted dbus-daemon): one fresh try then.
        if let Some(connection) = self.connection.take() {
            let mut attempt = Emitter::new();
            if collect(&connection, &self.settings, &mut attempt).is_ok() {
                attempt.into_families().into_iter().for_each(|family| out.add_family(family));
                self.connection = Some(connection);
                return Ok(());
            }
        }
        let address = self.address();
        // The common case on hosts without systemd: no socket at all. Answer it without a connection
        // attempt (which costs a zbus executor round trip on every scrape).
        if socket_path(&address).is_some_and(|path| !path.exists()) {
            return Err(CollectError::Bus { what: "connect", message: format!("{address}: no such socket") });
        }
        let connection = connect(&address, self.settings.collector_timeout)?;
        collect(&connection, &self.settings, out)?;
        self.connection = Some(connection);
        Ok(())
    }
}

/// Connects to the bus at `address` within [`CONNECT_TIMEOUT`] (or `deadline` if shorter); calls on
/// the connection time out after `deadline`.
fn connect(address: &str, deadline: Duration) -> Result<Connection, CollectError> {
    let wait = CONNECT_TIMEOUT.min(deadline);
    let builder = zbus::connection::Builder::address(address)
        .map_err(|e| bus_error("address", e))?
        .method_timeout(deadline);
    let connecting = async { builder.build().await.map(Some) };
    let expiring = async {
        async_io::Timer::after(wait).await;
        Ok(None)
    };
    match async_io::block_on(futures_lite::future::or(connecting, expiring)) {
        Ok(Some(connection)) => Ok(Connection::from(connection)),
        Ok(None) => Err(CollectError::Bus {
            what: "connect",
            message: format!("{address}: no answer within {wait:?}"),
        }),
        Err(e) => Err(CollectError::Bus { what: "connect", message: format!("{address}: {e}") }),
    }
}

/// The socket file of a plain `unix:path=...` address (one transport, `%XX` escapes undone).
fn socket_path(address: &str) -> Option<std::path::PathBuf> {
    let value = address.strip_prefix("unix:path=")?;
    if value.contains([',', ';']) {
        return None;
    }
    let bytes = value.as_bytes();
    let mut path = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            path.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            path.push(bytes[i]);
            i += 1;
        }
    }
    Some(std::path::PathBuf::from(<std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(path)))
}

fn bus_error(what: &'static str, error: zbus::Error) -> CollectError {
    CollectError::Bus { what, message: error.to_string() }
}

/// Escapes a D-Bus address value: bytes outside `[-0-9A-Za-z_/.\*]` are written `%XX`.
fn escape_address_value(bytes: &[u8]) -> String {
    let mut escaped = String::with_capacity(bytes.len());
    for &b in bytes {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'/' | b'.' | b'\\' | b'*') {
            escaped.push(char::from(b));
        } else {
            escaped.push_str(&format!("%{b:02x}"));
        }
    }
    escaped
}

/// One property of the object at `path` (`org.freedesktop.DBus.Properties.Get`).
fn property(
    connection: &Connection,
    path: &str,
    interface: &str,
    name: &str,
) -> Result<OwnedValue, zbus::Error> {
    connection
        .call_method(Some(DESTINATION), path, Some(PROPERTIES), "Get", &(interface, name))?
        .body()
        .deserialize::<OwnedValue>()
}

/// A string property, or None if it is missing or not a string.
fn string_property(connection: &Connection, path: &str, interface: &str, name: &str) -> Option<String> {
    match &*property(connection, path, interface, name).ok()? {
        Value::Str(s) => Some(s.as_str().to_string()),
        _ => None,
    }
}

/// An unsigned integer property, or None if it is missing or not an unsigned integer.
fn unsigned_property(connection: &Connection, path: &str, interface: &str, name: &str) -> Option<f64> {
    match &*property(connection, path, interface, name).ok()? {
        Value::U32(n) => Some(f64::from(*n)),
        Value::U64(n) => Some(*n as f64),
        Value::U16(n) => Some(f64::from(*n)),
        _ => None,
    }
}

/// systemd's version as node_exporter reads it: the first run of three or more digits (with an
/// optional `.N`) of the `Version` property as a number, and the property itself; `(0, "")` if it is
/// missing or has no such number.
fn parse_version(version: &str) -> (f64, String) {
    let bytes = version.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i - start < 3 {
            continue;
        }
        let mut end = i;
        if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            end = i + 1;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
        }
        return match version[start..end].parse::<f64>() {
            Ok(number) => (number, version.to_string()),
            Err(_) => (0.0, String::new()),
        };
    }
    (0.0, String::new())
}

fn collect(connection: &Connection, settings: &Settings, out: &mut Emitter) -> Result<(), CollectError> {
    let (version, version_label) = string_property(connection, MANAGER_PATH, MANAGER, "Version")
        .map(|v| parse_version(&v))
        .unwrap_or((0.0, String::new()));
    out.gauge(
        "node_systemd_version",
        "Detected systemd version",
        labels(&[("version", &version_label)]),
        version,
    );

    let units: Vec<UnitStatus> = connection
        .call_method(Some(DESTINATION), MANAGER_PATH, Some(MANAGER), "ListUnits", &())
        .map_err(|e| bus_error("ListUnits", e))?
        .body()
        .deserialize()
        .map_err(|e| bus_error("ListUnits", e))?;

    let mut summary: BTreeMap<&str, f64> = BTreeMap::new();
    for unit in &units {
        *summary.entry(unit.3.as_str()).or_insert(0.0) += 1.0;
    }
    for state in UNIT_STATES {
        let count = summary.remove(state).unwrap_or(0.0);
        out.gauge("node_systemd_units", "Summary of systemd unit states", labels(&[("state", state)]), count);
    }
    for (state, count) in summary {
        out.gauge("node_systemd_units", "Summary of systemd unit states", labels(&[("state", state)]), count);
    }

    let selected = units.iter().filter(|unit| {
        let name = unit.0.as_str();
        let included = settings.systemd_unit_include.as_ref().is_none_or(|re| re.is_match(name));
        let excluded = settings.systemd_unit_exclude.as_ref().is_some_and(|re| re.is_match(name));
        included && !excluded && unit.2 == "loaded"
    });
    let with_timers = version >= MIN_VERSION_SYSTEM_STATE;
    for unit in selected {
        let (name, active_state, path) = (unit.0.as_str(), unit.3.as_str(), unit.6.as_str());
        let unit_type = if name.ends_with(".service") {
            string_property(connection, path, "org.freedesktop.systemd1.Service", "Type").unwrap_or_default()
        } else {
            String::new()
        };
        for state in UNIT_STATES {
            out.gauge(
                "node_systemd_unit_state",
                "Systemd unit",
                labels(&[("name", name), ("state", state), ("type", &unit_type)]),
                if state == active_state { 1.0 } else { 0.0 },
            );
        }
        collect_opt_in(connection, settings, unit, out);
        if with_timers && name.ends_with(".timer") {
            if let Some(usec) =
                unsigned_property(connection, path, "org.freedesktop.systemd1.Timer", "LastTriggerUSec")
            {
                out.gauge(
                    "node_systemd_timer_last_trigger_seconds",
                    "Seconds since epoch of last trigger.",
                    labels(&[("name", name)]),
                    usec / 1e6,
                );
            }
        }
        if name.ends_with(".socket") {
            collect_socket(connection, name, path, out);
        }
    }

    if with_timers {
        let state = property(connection, MANAGER_PATH, MANAGER, "SystemState")
            .map_err(|e| bus_error("SystemState", e))?;
        let running = matches!(&*state, Value::Str(s) if s.as_str() == "running");
        out.gauge(
            "node_systemd_system_running",
            "Whether the system is operational (see 'systemctl is-system-running')",
            vec![],
            if running { 1.0 } else { 0.0 },
        );
    }
    Ok(())
}

/// The opt-in series of one selected unit: restarts and tasks of a service, start time of any unit.
fn collect_opt_in(connection: &Connection, settings: &Settings, unit: &UnitStatus, out: &mut Emitter) {
    const SERVICE: &str = "org.freedesktop.systemd1.Service";
    let (name, active_state, path) = (unit.0.as_str(), unit.3.as_str(), unit.6.as_str());
    let service = name.ends_with(".service");
    if settings.systemd_enable_restarts_metrics && service {
        // NRestarts is systemd 235's; older ones have no series, as in node_exporter.
        if let Some(restarts) = unsigned_property(connection, path, SERVICE, "NRestarts") {
            out.counter(
                "node_systemd_service_restart_total",
                "Service unit count of Restart triggers",
                labels(&[("name", name)]),
                restarts,
            );
        }
    }
    if settings.systemd_enable_start_time_metrics {
        let start_usec = if active_state == "active" {
            u64_property(connection, path, "org.freedesktop.systemd1.Unit", "ActiveEnterTimestamp")
        } else {
            Some(0)
        };
        if let Some(usec) = start_usec {
            out.gauge(
                "node_systemd_unit_start_time_seconds",
                "Start time of the unit since unix epoch in seconds.",
                labels(&[("name", name)]),
                usec as f64 / 1e6,
            );
        }
    }
    if settings.systemd_enable_task_metrics && service {
        for (property, metric, help) in [
            ("TasksCurrent", "node_systemd_unit_tasks_current", "Current number of tasks per Systemd unit"),
            ("TasksMax", "node_systemd_unit_tasks_max", "Maximum number of tasks per Systemd unit"),
        ] {
            match u64_property(connection, path, SERVICE, property) {
                Some(u64::MAX) | None => {}
                Some(tasks) => out.gauge(metric, help, labels(&[("name", name)]), tasks as f64),
            }
        }
    }
}

/// A `u64` property (`t`), or None if it is missing or of another type.
fn u64_property(connection: &Connection, path: &str, interface: &str, name: &str) -> Option<u64> {
    match &*property(connection, path, interface, name).ok()? {
        Value::U64(n) => Some(*n),
        _ => None,
    }
}

/// A socket unit's counters; like node_exporter, stops at the first of NAccepted and NConnections
/// that is missing, and skips NRefused alone when it is missing (systemd before 239).
fn collect_socket(connection: &Connection, name: &str, path: &str, out: &mut Emitter) {
    const SOCKET: &str = "org.freedesktop.systemd1.Socket";
    let Some(accepted) = unsigned_property(connection, path, SOCKET, "NAccepted") else { return };
    out.counter(
        "node_systemd_socket_accepted_connections_total",
        "Total number of accepted socket connections",
        labels(&[("name", name)]),
        accepted,
    );
    let Some(current) = unsigned_property(connection, path, SOCKET, "NConnections") else { return };
    out.gauge(
        "node_systemd_socket_current_connections",
        "Current number of socket connections",
        labels(&[("name", name)]),
        current,
    );
    if let Some(refused) = unsigned_property(connection, path, SOCKET, "NRefused") {
        out.gauge(
            "node_systemd_socket_refused_connections_total",
            "Total number of refused socket connections",
            labels(&[("name", name)]),
            refused,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bus_socket_under_rootfs_comes_first_then_the_processs_own() {
        let dir = tempfile::tempdir().expect("test setup");
        let under_rootfs = dir.path().join("host/run/dbus/system_bus_socket");
        let own = dir.path().join("run/dbus/system_bus_socket");
        // Neither exists: the rootfs one is named (the error says where it looked).
        assert_eq!(system_bus_socket(&under_rootfs, &own), under_rootfs);
        std::fs::create_dir_all(own.parent().expect("has a parent")).expect("test setup");
        std::fs::write(&own, "").expect("test setup");
        assert_eq!(system_bus_socket(&under_rootfs, &own), own, "only the process's own exists");
        std::fs::create_dir_all(under_rootfs.parent().expect("has a parent")).expect("test setup");
        std::fs::write(&under_rootfs, "").expect("test setup");
        assert_eq!(system_bus_socket(&under_rootfs, &own), under_rootfs, "both exist");
    }

    #[test]
    fn socket_paths_of_plain_unix_addresses() {
        assert_eq!(
            socket_path("unix:path=/run/dbus/system_bus_socket"),
            Some("/run/dbus/system_bus_socket".into())
        );
        assert_eq!(socket_path("unix:path=/tmp/a%20b"), Some("/tmp/a b".into()));
        assert_eq!(socket_path("unix:path=/x,guid=1"), None);
        assert_eq!(socket_path("tcp:host=127.0.0.1,port=1"), None);
        assert_eq!(socket_path("unix:path=/bad%zz"), None);
    }

    #[test]
    fn version_is_parsed_as_node_exporter_does() {
        assert_eq!(parse_version("252.22-1~deb12u1"), (252.22, "252.22-1~deb12u1".to_string()));
        assert_eq!(parse_version("systemd 249"), (249.0, "systemd 249".to_string()));
        assert_eq!(parse_version("v12 255.4"), (255.4, "v12 255.4".to_string()));
        assert_eq!(parse_version("12"), (0.0, String::new()));
        assert_eq!(parse_version(""), (0.0, String::new()));
    }

    #[test]
    fn socket_paths_are_escaped_in_the_address() {
        assert_eq!(escape_address_value(b"/host root/run/x=y"), "/host%20root/run/x%3dy");
    }

    #[test]
    fn missing_bus_fails_quickly() {
        let started = std::time::Instant::now();
        let result = connect("unix:path=/nonexistent/srekit/system_bus_socket", Duration::from_secs(5));
        assert!(matches!(result, Err(CollectError::Bus { what: "connect", .. })));
        assert!(started.elapsed() < Duration::from_secs(2));
    }
}
