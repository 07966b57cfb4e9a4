//! wifi (opt-in): WiFi interfaces and stations, `node_wifi_*`, with node_exporter 1.5's names. With
//! `--collector.wifi.fixtures=<dir>` it reads node_exporter's test fixture format: `interfaces.json`
//! (a JSON array of interfaces: `name`, `frequency` in MHz), and per interface `<name>/bss.json` (the
//! associated BSS: `ssid`, `bssid` as base64 bytes, `status`) and `<name>/stationinfo.json` (an array of
//! stations: `hardwareaddr`, `connected` and `inactive` in nanoseconds, byte, bitrate, signal, retry,
//! failure and beacon-loss counts); keys match without regard to case, as Go's `encoding/json` does.
//! A missing per-interface file means no such data, as there; a malformed one fails the collection.
//!
//! Without fixtures node_exporter asks the kernel's nl80211; srekit does not read nl80211 yet, so the
//! collector then reports success 0, as node_exporter 1.5 does on a host without WiFi.

use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use base64::Engine;
use serde_json::{Map, Value};
use std::path::Path;
use std::sync::Arc;

/// The wifi collector.
pub(crate) struct Wifi {
    settings: Arc<Settings>,
}

/// The wifi collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "wifi",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Wifi { settings }),
};

/// `(stationinfo.json key, metric, help, is a duration in nanoseconds)` of the per-station series.
const STATION_SERIES: [(&str, &str, &str, bool); 10] = [
    (
        "connected",
        "node_wifi_station_connected_seconds_total",
        "The total number of seconds a station has been connected to an access point.",
        true,
    ),
    (
        "inactive",
        "node_wifi_station_inactive_seconds",
        "The number of seconds since any wireless activity has occurred on a station.",
        true,
    ),
    (
        "receivebitrate",
        "node_wifi_station_receive_bits_per_second",
        "The current WiFi receive bitrate of a station, in bits per second.",
        false,
    ),
    (
        "transmitbitrate",
        "node_wifi_station_transmit_bits_per_second",
        "The current WiFi transmit bitrate of a station, in bits per second.",
        false,
    ),
    (
        "receivedbytes",
        "node_wifi_station_receive_bytes_total",
        "The total number of bytes received by a WiFi station.",
        false,
    ),
    (
        "transmittedbytes",
        "node_wifi_station_transmit_bytes_total",
        "The total number of bytes transmitted by a WiFi station.",
        false,
    ),
    (
        "signal",
        "node_wifi_station_signal_dbm",
        "The current WiFi signal strength, in decibel-milliwatts (dBm).",
        false,
    ),
    (
        "transmitretries",
        "node_wifi_station_transmit_retries_total",
        "The total number of times a station has had to retry while sending a packet.",
        false,
    ),
    (
        "transmitfailed",
        "node_wifi_station_transmit_failed_total",
        "The total number of times a station has failed to send a packet.",
        false,
    ),
    (
        "beaconloss",
        "node_wifi_station_beacon_loss_total",
        "The total number of times a station has detected a beacon loss.",
        false,
    ),
];

impl Collector for Wifi {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let Some(dir) = self.settings.wifi_fixtures.as_deref() else {
            return Err(CollectError::Syscall {
                call: "nl80211",
                source: std::io::Error::new(
                    std::io::ErrorKind::Unsupported,
                    "WiFi statistics over nl80211 are not read by srekit (only --collector.wifi.fixtures)",
                ),
            });
        };
        let interfaces_path = dir.join("interfaces.json");
        let interfaces = read_json(&interfaces_path)?.unwrap_or(Value::Null);
        for interface in records(&interfaces, &interfaces_path)? {
            let name = string_field(interface, "name", &interfaces_path)?;
            if name.is_empty() {
                continue; // virtual devices without a name, skipped as node_exporter does
            }
            let frequency = integer_field(interface, "frequency", &interfaces_path)?;
            out.gauge(
                "node_wifi_interface_frequency_hertz",
                "The current frequency a WiFi interface is operating at, in hertz.",
                pairs(&[("device", &name)]),
                frequency as f64 * 1000.0 * 1000.0,
            );
            let bss_path = dir.join(&name).join("bss.json");
            if let Some(bss) = read_json(&bss_path)? {
                let Value::Object(bss) = &bss else {
                    return Err(CollectError::parse(&bss_path, "not a JSON object"));
                };
                let mode = match integer_field(bss, "status", &bss_path)? {
                    0 | 1 => "client",
                    2 => "ad-hoc",
                    _ => "unknown",
                };
                out.gauge(
                    "node_wifi_station_info",
                    "Labeled WiFi interface station information as provided by the operating system.",
                    pairs(&[
                        ("device", &name),
                        ("bssid", &mac_field(bss, "bssid", &bss_path)?),
                        ("ssid", &string_field(bss, "ssid", &bss_path)?),
                        ("mode", mode),
                    ]),
                    1.0,
                );
            }
            let stations_path = dir.join(&name).join("stationinfo.json");
            let Some(stations) = read_json(&stations_path)? else { continue };
            for station in records(&stations, &stations_path)? {
                let mac = mac_field(station, "hardwareaddr", &stations_path)?;
                for (key, metric, help, nanoseconds) in STATION_SERIES {
                    let raw = integer_field(station, key, &stations_path)?;
                    // Go's Duration.Seconds(): whole seconds plus the nanoseconds left over.
                    let value = if nanoseconds {
                        (raw / 1_000_000_000) as f64 + (raw % 1_000_000_000) as f64 / 1e9
                    } else {
                        raw as f64
                    };
                    let pairs = labels(&[("device", &name), ("mac_address", &mac)]);
                    if metric.ends_with("_total") {
                        out.counter(metric, help, pairs, value);
                    } else {
                        out.gauge(metric, help, pairs, value);
                    }
                }
            }
        }
        Ok(())
    }
}

/// A fixture file's JSON; `None` if the file does not exist.
fn read_json(path: &Path) -> Result<Option<Value>, CollectError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(CollectError::io(path, error)),
    };
    serde_json::from_str(&text).map(Some).map_err(|_| CollectError::parse(path, "not JSON"))
}

/// The objects of a JSON array (`null`: none).
fn records<'v>(value: &'v Value, path: &Path) -> Result<Vec<&'v Map<String, Value>>, CollectError> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::Object(fields) => Ok(fields),
                _ => Err(CollectError::parse(path, "an entry is not a JSON object")),
            })
            .collect(),
        _ => Err(CollectError::parse(path, "not a JSON array")),
    }
}

/// The field `key` (matched without regard to case; the last match wins, as in Go).
fn field<'v>(fields: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    fields.iter().filter(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v).next_back()
}

fn string_field(fields: &Map<String, Value>, key: &str, path: &Path) -> Result<String, CollectError> {
    match field(fields, key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(CollectError::parse(path, "a field that should be a string is not")),
    }
}

fn integer_field(fields: &Map<String, Value>, key: &str, path: &Path) -> Result<i64, CollectError> {
    match field(fields, key) {
        None | Some(Value::Null) => Ok(0),
        Some(value) => value
            .as_i64()
            .ok_or_else(|| CollectError::parse(path, "a field that should be an integer is not")),
    }
}

/// A hardware address stored as base64 bytes (Go's `[]byte` in JSON), written `aa:bb:...` as Go's
/// `net.HardwareAddr` prints it (empty when absent).
fn mac_field(fields: &Map<String, Value>, key: &str, path: &Path) -> Result<String, CollectError> {
    let encoded = string_field(fields, key, path)?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded.as_bytes())
        .map_err(|_| CollectError::parse(path, "a hardware address is not base64"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_match_without_case_and_check_their_types() {
        let path = Path::new("x.json");
        let Value::Object(fields) =
            serde_json::json!({"Name": "wlan0", "FREQUENCY": 2412, "bssid": "ABEiM0RV"})
        else {
            unreachable!("a literal object")
        };
        assert_eq!(string_field(&fields, "name", path).ok().as_deref(), Some("wlan0"));
        assert_eq!(integer_field(&fields, "frequency", path).ok(), Some(2412));
        assert_eq!(integer_field(&fields, "type", path).ok(), Some(0), "absent: 0");
        assert_eq!(mac_field(&fields, "bssid", path).ok().as_deref(), Some("00:11:22:33:44:55"));
        assert!(integer_field(&fields, "name", path).is_err());
        assert!(string_field(&fields, "frequency", path).is_err());
        let Value::Object(bad) = serde_json::json!({"bssid": "not base64!", "signal": 1.5}) else {
            unreachable!("a literal object")
        };
        assert!(mac_field(&bad, "bssid", path).is_err());
        assert!(integer_field(&bad, "signal", path).is_err());
    }
}
