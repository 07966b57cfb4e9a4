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
//! The bus is found, connected and kept as `system_bus` does (see there): a container with the host's
//! / at /host and `--path.rootfs=/host` talks to the host's systemd, and so does one set up as
//! node_exporter's documentation says (the host's /run/dbus mounted into the container); it
//! authenticates as its own uid, so it must run as a user the host's bus accepts (root in the host's
//! user namespace, usually). With no bus at all (a container, a host without systemd) the collector
//! reports success 0, as node_exporter does.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use crate::host::system_bus::{self, bus_error, KeptBus};
use std::collections::BTreeMap;
use std::sync::Arc;
use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, OwnedValue, Value};

/// The states of `node_systemd_unit_state` (one series each) and the first ones of
/// `node_systemd_units`.
const UNIT_STATES: [&str; 5] = ["active", "activating", "deactivating", "inactive", "failed"];
/// First systemd version with the manager's `SystemState` and the timers' `LastTriggerUSec`; older
/// versions (or an unknown one) get neither metric, as in node_exporter.
const MIN_VERSION_SYSTEM_STATE: f64 = 212.0;
const DESTINATION: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";

/// One entry of the manager's `ListUnits` reply, `a(ssssssouso)`.
type UnitStatus =
    (String, String, String, String, String, String, OwnedObjectPath, u32, String, OwnedObjectPath);

/// The systemd collector.
pub(crate) struct Systemd {
    settings: Arc<Settings>,
    bus: KeptBus,
}

/// The systemd collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "systemd",
    enabled_by_default: true,
    placement: Placement::Systemd,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Systemd { settings, bus: KeptBus::default() }),
};

impl Collector for Systemd {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        self.bus.collect(&self.settings, out, collect)
    }
}

/// One property of systemd's object at `path`.
fn property(
    connection: &Connection,
    path: &str,
    interface: &str,
    name: &str,
) -> Result<OwnedValue, zbus::Error> {
    system_bus::property(connection, DESTINATION, path, interface, name)
}

/// A string property of systemd's object at `path`, or None if it is missing or not a string.
fn string_property(connection: &Connection, path: &str, interface: &str, name: &str) -> Option<String> {
    system_bus::string_property(connection, DESTINATION, path, interface, name)
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
        pairs(&[("version", &version_label)]),
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
        out.gauge("node_systemd_units", "Summary of systemd unit states", pairs(&[("state", state)]), count);
    }
    for (state, count) in summary {
        out.gauge("node_systemd_units", "Summary of systemd unit states", pairs(&[("state", state)]), count);
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
                pairs(&[("name", name), ("state", state), ("type", &unit_type)]),
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
                    pairs(&[("name", name)]),
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
                pairs(&[("name", name)]),
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
                pairs(&[("name", name)]),
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
                Some(tasks) => out.gauge(metric, help, pairs(&[("name", name)]), tasks as f64),
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
        pairs(&[("name", name)]),
        accepted,
    );
    let Some(current) = unsigned_property(connection, path, SOCKET, "NConnections") else { return };
    out.gauge(
        "node_systemd_socket_current_connections",
        "Current number of socket connections",
        pairs(&[("name", name)]),
        current,
    );
    if let Some(refused) = unsigned_property(connection, path, SOCKET, "NRefused") {
        out.gauge(
            "node_systemd_socket_refused_connections_total",
            "Total number of refused socket connections",
            pairs(&[("name", name)]),
            refused,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_parsed_as_node_exporter_does() {
        assert_eq!(parse_version("252.22-1~deb12u1"), (252.22, "252.22-1~deb12u1".to_string()));
        assert_eq!(parse_version("systemd 249"), (249.0, "systemd 249".to_string()));
        assert_eq!(parse_version("v12 255.4"), (255.4, "v12 255.4".to_string()));
        assert_eq!(parse_version("12"), (0.0, String::new()));
        assert_eq!(parse_version(""), (0.0, String::new()));
    }
}
