//! The system D-Bus for the collectors that talk to its services (systemd, logind): where the bus
//! is, connecting within a deadline, keeping the connection between collections (with one fresh try
//! when a kept one fails, so a restarted bus costs no failed scrape), and reading properties.
//!
//! The bus: [`HostConfig::systemd_bus_address`](crate::host::HostConfig) if set, else the
//! `DBUS_SYSTEM_BUS_ADDRESS` environment variable (as node_exporter), else the system bus socket under
//! the root filesystem, `unix:path=<rootfs>/run/dbus/system_bus_socket`, or, when there is none there,
//! the process's own `/run/dbus/system_bus_socket` (where node_exporter always looks).
//!
//! The connection is made once and kept across collections (node_exporter connects anew each time).
//! Connecting (with the bus's authentication and `Hello`) is bounded by [`CONNECT_TIMEOUT`] and every
//! call by the collector deadline, so a bus that accepts but never answers costs one short wait, not a
//! stalled scrape.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zbus::blocking::Connection;
use zbus::zvariant::{OwnedValue, Value};

/// Longest wait for connecting to the bus (socket, authentication, `Hello`); shorter if the collector
/// deadline is shorter.
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);
const PROPERTIES: &str = "org.freedesktop.DBus.Properties";

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

/// The bus address to use (see the module header).
pub(crate) fn address(settings: &Settings) -> String {
    if let Some(address) = &settings.systemd_bus_address {
        return address.clone();
    }
    match std::env::var("DBUS_SYSTEM_BUS_ADDRESS") {
        Ok(address) if !address.is_empty() => address,
        _ => {
            let socket = system_bus_socket(&settings.root(SYSTEM_BUS_SOCKET), Path::new(SYSTEM_BUS_SOCKET));
            format!("unix:path={}", escape_address_value(socket.as_os_str().as_encoded_bytes()))
        }
    }
}

/// A connection to the system bus kept between collections.
#[derive(Default)]
pub(crate) struct KeptBus {
    connection: Option<Connection>,
}

impl KeptBus {
    /// Runs `collect` on the kept connection; if there is none or it fails (the bus may have been
    /// restarted), on a fresh one, which is then kept. What a failed attempt emitted is dropped.
    pub(crate) fn collect(
        &mut self,
        settings: &Settings,
        out: &mut Emitter,
        collect: impl Fn(&Connection, &Settings, &mut Emitter) -> Result<(), CollectError>,
    ) -> Result<(), CollectError> {
        if let Some(connection) = self.connection.take() {
            let mut attempt = Emitter::new();
            if collect(&connection, settings, &mut attempt).is_ok() {
                attempt.into_families().into_iter().for_each(|family| out.add_family(family));
                self.connection = Some(connection);
                return Ok(());
            }
        }
        let address = address(settings);
        // The common case on hosts without the bus: no socket at all. Answer it without a connection
        // attempt (which costs a zbus executor round trip on every scrape).
        if socket_path(&address).is_some_and(|path| !path.exists()) {
            return Err(CollectError::Bus { what: "connect", message: format!("{address}: no such socket") });
        }
        let connection = connect(&address, settings.collector_timeout)?;
        collect(&connection, settings, out)?;
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

pub(crate) fn bus_error(what: &'static str, error: zbus::Error) -> CollectError {
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
pub(crate) fn property(
    connection: &Connection,
    destination: &str,
    path: &str,
    interface: &str,
    name: &str,
) -> Result<OwnedValue, zbus::Error> {
    connection
        .call_method(Some(destination), path, Some(PROPERTIES), "Get", &(interface, name))?
        .body()
        .deserialize::<OwnedValue>()
}

/// A string property, or None if it is missing or not a string.
pub(crate) fn string_property(
    connection: &Connection,
    destination: &str,
    path: &str,
    interface: &str,
    name: &str,
) -> Option<String> {
    match &*property(connection, destination, path, interface, name).ok()? {
        Value::Str(s) => Some(s.as_str().to_string()),
        _ => None,
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
