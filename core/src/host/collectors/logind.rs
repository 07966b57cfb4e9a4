//! logind (opt-in): `node_logind_sessions{seat,remote,type,class}`, the sessions systemd-logind
//! (`org.freedesktop.login1` on the system bus) has registered, as node_exporter 1.5 counts them: one
//! series for every seat logind lists and the empty seat of remote sessions, and every combination of remote (`true`, `false`), type and
//! class (types and classes logind may report; any other is counted as `other`), 0 where no session
//! matches. A session whose properties cannot be read is not counted. The bus is the systemd
//! collector's (`system_bus`); without one the collector reports success 0, as node_exporter does.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use crate::host::system_bus::{bus_error, property, string_property, KeptBus};
use std::collections::HashMap;
use std::sync::Arc;
use zbus::blocking::Connection;
use zbus::zvariant::{OwnedObjectPath, Value};

const DESTINATION: &str = "org.freedesktop.login1";
const MANAGER_PATH: &str = "/org/freedesktop/login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";
const SESSION: &str = "org.freedesktop.login1.Session";
/// node_exporter's values of each label, in its order.
const REMOTE_VALUES: [&str; 2] = ["true", "false"];
const TYPE_VALUES: [&str; 7] = ["other", "unspecified", "tty", "x11", "wayland", "mir", "web"];
const CLASS_VALUES: [&str; 5] = ["other", "user", "greeter", "lock-screen", "background"];

/// The logind collector.
pub(crate) struct Logind {
    settings: Arc<Settings>,
    bus: KeptBus,
}

/// The logind collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "logind",
    enabled_by_default: false,
    placement: Placement::Systemd,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Logind { settings, bus: KeptBus::default() }),
};

impl Collector for Logind {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        self.bus.collect(&self.settings, out, collect)
    }
}

/// `value` if it is one of `known`, else `other`.
fn known_or_other(value: &str, known: &'static [&'static str]) -> &'static str {
    known.iter().find(|k| **k == value).copied().unwrap_or("other")
}

fn collect(connection: &Connection, _settings: &Settings, out: &mut Emitter) -> Result<(), CollectError> {
    let call = |method: &'static str| {
        connection
            .call_method(Some(DESTINATION), MANAGER_PATH, Some(MANAGER), method, &())
            .map_err(|e| bus_error(method, e))
    };
    let listed: Vec<(String, OwnedObjectPath)> =
        call("ListSeats")?.body().deserialize().map_err(|e| bus_error("ListSeats", e))?;
    // Always the empty seat too, which remote sessions (SSH) have, as node_exporter adds it.
    let seats: Vec<String> = listed.into_iter().map(|(seat, _)| seat).chain([String::new()]).collect();
    let sessions: Vec<(String, u32, String, String, OwnedObjectPath)> =
        call("ListSessions")?.body().deserialize().map_err(|e| bus_error("ListSessions", e))?;
    let mut counts: HashMap<(String, &str, &str, &str), f64> = HashMap::new();
    for (_, _, _, seat, path) in &sessions {
        let path = path.as_str();
        let Ok(remote) = property(connection, DESTINATION, path, SESSION, "Remote") else { continue };
        let remote = match &*remote {
            Value::Bool(true) => "true",
            Value::Bool(false) => "false",
            _ => continue,
        };
        let Some(kind) = string_property(connection, DESTINATION, path, SESSION, "Type") else { continue };
        let Some(class) = string_property(connection, DESTINATION, path, SESSION, "Class") else { continue };
        let key = (
            seat.clone(),
            remote,
            known_or_other(&kind, &TYPE_VALUES),
            known_or_other(&class, &CLASS_VALUES),
        );
        *counts.entry(key).or_insert(0.0) += 1.0;
    }
    for remote in REMOTE_VALUES {
        for kind in TYPE_VALUES {
            for class in CLASS_VALUES {
                for seat in &seats {
                    let count = counts.get(&(seat.clone(), remote, kind, class)).copied().unwrap_or(0.0);
                    out.gauge(
                        "node_logind_sessions",
                        "Number of sessions registered in logind.",
                        pairs(&[("seat", seat), ("remote", remote), ("type", kind), ("class", class)]),
                        count,
                    );
                }
            }
        }
    }
    Ok(())
}
