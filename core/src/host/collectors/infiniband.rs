//! infiniband: InfiniBand (and RoCE) adapters in /sys/class/infiniband: `node_infiniband_info{device,
//! board_id,firmware_version,hca_type}` (value 1), per port `node_infiniband_{state_id,
//! physical_state_id,rate_bytes_per_second}{device,port}` and the port counters (`counters/`, and the
//! pre-4.5 `counters_ext/`) as `node_infiniband_*_total{device,port}`, data counters times 4 (they
//! count 32-bit words). As node_exporter 1.5: `fw_ver`, `board_id`, the port state and rate files and
//! `counters/` are required (else the collector fails), `N/A (no PMA)` counters are left out, and a
//! host without the class reports success 0.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{
    list_dir, parse_uint_prefixed, path_in, read_attribute, read_attribute_into, DirLister,
};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The infiniband collector.
pub(crate) struct InfiniBand {
    settings: Arc<Settings>,
    /// `class/infiniband`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
    /// `node_infiniband_<metric>` of each of [`COUNTERS`], made once.
    names: Vec<String>,
    /// Reused for every port's counter directories: their listings and the paths read.
    lister: DirLister,
    path: PathBuf,
}

impl InfiniBand {
    pub(crate) fn new(settings: Arc<Settings>) -> InfiniBand {
        let names = COUNTERS.iter().map(|(_, _, metric, _, _)| format!("node_infiniband_{metric}")).collect();
        InfiniBand {
            class: settings.sys("class/infiniband"),
            settings,
            names,
            lister: DirLister::default(),
            path: PathBuf::new(),
        }
    }
}

/// A counter: directory, file, metric name (after `node_infiniband_`), help, and whether the value
/// counts 32-bit words (multiplied by 4 into octets).
type Counter = (&'static str, &'static str, &'static str, &'static str, bool);

const COUNTERS: &[Counter] = &[
    ("counters_ext", "port_multicast_rcv_packets", "legacy_multicast_packets_received_total", "Number of multicast packets received", false),
    ("counters_ext", "port_multicast_xmit_packets", "legacy_multicast_packets_transmitted_total", "Number of multicast packets transmitted", false),
    ("counters_ext", "port_rcv_data_64", "legacy_data_received_bytes_total", "Number of data octets received on all links", true),
    ("counters_ext", "port_rcv_packets_64", "legacy_packets_received_total", "Number of data packets received on all links", false),
    ("counters_ext", "port_unicast_rcv_packets", "legacy_unicast_packets_received_total", "Number of unicast packets received", false),
    ("counters_ext", "port_unicast_xmit_packets", "legacy_unicast_packets_transmitted_total", "Number of unicast packets transmitted", false),
    ("counters_ext", "port_xmit_data_64", "legacy_data_transmitted_bytes_total", "Number of data octets transmitted on all links", true),
    ("counters_ext", "port_xmit_packets_64", "legacy_packets_transmitted_total", "Number of data packets received on all links", false),
    ("counters", "excessive_buffer_overrun_errors", "excessive_buffer_overrun_errors_total", "Number of times that OverrunErrors consecutive flow control update periods occurred, each having at least one overrun error.", false),
    ("counters", "link_downed", "link_downed_total", "Number of times the link failed to recover from an error state and went down", false),
    ("counters", "link_error_recovery", "link_error_recovery_total", "Number of times the link successfully recovered from an error state", false),
    ("counters", "local_link_integrity_errors", "local_link_integrity_errors_total", "Number of times that the count of local physical errors exceeded the threshold specified by LocalPhyErrors.", false),
    ("counters", "multicast_rcv_packets", "multicast_packets_received_total", "Number of multicast packets received (including errors)", false),
    ("counters", "multicast_xmit_packets", "multicast_packets_transmitted_total", "Number of multicast packets transmitted (including errors)", false),
    ("counters", "port_rcv_constraint_errors", "port_constraint_errors_received_total", "Number of packets received on the switch physical port that are discarded", false),
    ("counters", "port_xmit_constraint_errors", "port_constraint_errors_transmitted_total", "Number of packets not transmitted from the switch physical port", false),
    ("counters", "port_rcv_data", "port_data_received_bytes_total", "Number of data octets received on all links", true),
    ("counters", "port_xmit_data", "port_data_transmitted_bytes_total", "Number of data octets transmitted on all links", true),
    ("counters", "port_rcv_discards", "port_discards_received_total", "Number of inbound packets discarded by the port because the port is down or congested", false),
    ("counters", "port_xmit_discards", "port_discards_transmitted_total", "Number of outbound packets discarded by the port because the port is down or congested", false),
    ("counters", "port_rcv_errors", "port_errors_received_total", "Number of packets containing an error that were received on this port", false),
    ("counters", "port_rcv_packets", "port_packets_received_total", "Number of packets received on all VLs by this port (including errors)", false),
    ("counters", "port_xmit_packets", "port_packets_transmitted_total", "Number of packets transmitted on all VLs from this port (including errors)", false),
    ("counters", "port_xmit_wait", "port_transmit_wait_total", "Number of ticks during which the port had data to transmit but no data was sent during the entire tick", false),
    ("counters", "unicast_rcv_packets", "unicast_packets_received_total", "Number of unicast packets received (including errors)", false),
    ("counters", "unicast_xmit_packets", "unicast_packets_transmitted_total", "Number of unicast packets transmitted (including errors)", false),
    ("counters", "port_rcv_remote_physical_errors", "port_receive_remote_physical_errors_total", "Number of packets marked with the EBP (End of Bad Packet) delimiter received on the port.", false),
    ("counters", "port_rcv_switch_relay_errors", "port_receive_switch_relay_errors_total", "Number of packets that could not be forwarded by the switch.", false),
    ("counters", "symbol_error", "symbol_error_total", "Number of minor link errors detected on one or more physical lanes.", false),
    ("counters", "VL15_dropped", "vl15_dropped_total", "Number of incoming VL15 packets dropped due to resource limitations.", false),
];

/// An unsigned decimal number of at most 32 bits, digits only.
fn parse_u32(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The numeric id of a `state`/`phys_state` file (`4: ACTIVE`).
fn state_id(path: &Path) -> Result<u32, CollectError> {
    let (mut buf, mut lossy) = ([0u8; 128], String::new());
    let text = read_attribute_into(path, &mut buf, &mut lossy).map_err(|e| CollectError::io(path, e))?;
    let mut parts = text.split(':');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(id), Some(_), None) => {
            parse_u32(id.trim()).ok_or_else(|| CollectError::parse(path, "bad state id"))
        }
        _ => Err(CollectError::parse(path, "not `ID: NAME`")),
    }
}

/// The `rate` file (`100 Gb/sec (4X EDR)`) in bytes per second, as node_exporter computes it (the
/// number parsed as a 32-bit float).
fn rate(path: &Path) -> Result<u64, CollectError> {
    let (mut buf, mut lossy) = ([0u8; 128], String::new());
    let text = read_attribute_into(path, &mut buf, &mut lossy).map_err(|e| CollectError::io(path, e))?;
    let (number, _) = text.split_once(' ').ok_or_else(|| CollectError::parse(path, "no unit"))?;
    let gigabits: f32 = number.trim().parse().map_err(|_| CollectError::parse(path, "not a number"))?;
    Ok((f64::from(gigabits) * 125_000_000.0) as u64)
}

/// Reads the counters of one port directory (`counters` must exist; `counters_ext` may not) into
/// `values`, indexed like [`COUNTERS`]. Runs for every port at every collection, so it allocates
/// nothing: the listings go to `lister`, the paths to `path`, each file to a stack buffer.
fn read_counters(
    port: &Path,
    values: &mut [Option<u64>],
    lister: &mut DirLister,
    path: &mut PathBuf,
) -> Result<(), CollectError> {
    for sub in ["counters", "counters_ext"] {
        let dir = path_in(path, port, &[sub]);
        let files = if sub == "counters_ext" { lister.list_if_present(dir)? } else { lister.list(dir)? };
        for file in files {
            let Some(i) = COUNTERS.iter().position(|c| c.0 == sub && c.1 == file) else { continue };
            let path = path_in(path, port, &[sub, file]);
            let mut buf = [0u8; 128];
            let mut lossy = String::new();
            let text = match read_attribute_into(path, &mut buf, &mut lossy) {
                Ok(text) => text,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
                    ) || matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EOPNOTSUPP)) =>
                {
                    continue
                }
                Err(e) => return Err(CollectError::io(path, e)),
            };
            match parse_uint_prefixed(text) {
                Some(value) => values[i] = Some(if COUNTERS[i].4 { value.wrapping_mul(4) } else { value }),
                // Firmware without a performance management agent (node_exporter issue 966).
                None if text.contains("N/A (no PMA)") => {}
                None => return Err(CollectError::parse(path, "not a counter")),
            }
        }
    }
    Ok(())
}

/// The infiniband collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "infiniband",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(InfiniBand::new(settings)),
};

impl Collector for InfiniBand {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let class = self.class.clone();
        for device in self.settings.absences.list_dir(&class)? {
            let dir = class.join(&device);
            let attribute = |file: &str| {
                let path = dir.join(file);
                read_attribute(&path).map_err(|e| CollectError::io(&path, e))
            };
            let firmware = attribute("fw_ver")?;
            let board = attribute("board_id")?;
            let hca = match read_attribute(&dir.join("hca_type")) {
                Ok(value) => value,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => return Err(CollectError::io(&dir.join("hca_type"), e)),
            };
            out.gauge(
                "node_infiniband_info",
                "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
                pairs(&[
                    ("board_id", &board),
                    ("device", &device),
                    ("firmware_version", &firmware),
                    ("hca_type", &hca),
                ]),
                1.0,
            );
            let ports_dir = dir.join("ports");
            for port_name in list_dir(&ports_dir)? {
                let port_dir = ports_dir.join(&port_name);
                let port = parse_u32(&port_name)
                    .ok_or_else(|| CollectError::parse(&port_dir, "port is not a number"))?
                    .to_string();
                let series = [("device", device.as_str()), ("port", port.as_str())];
                let state = state_id(path_in(&mut self.path, &port_dir, &["state"]))?;
                let physical = state_id(path_in(&mut self.path, &port_dir, &["phys_state"]))?;
                let bytes_per_second = rate(path_in(&mut self.path, &port_dir, &["rate"]))?;
                let mut values = [None; COUNTERS.len()];
                read_counters(&port_dir, &mut values, &mut self.lister, &mut self.path)?;
                out.gauge(
                    "node_infiniband_state_id",
                    "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)",
                    &series,
                    f64::from(state),
                );
                out.gauge(
                    "node_infiniband_physical_state_id",
                    "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)",
                    &series,
                    f64::from(physical),
                );
                out.gauge(
                    "node_infiniband_rate_bytes_per_second",
                    "Maximum signal transfer rate",
                    &series,
                    bytes_per_second as f64,
                );
                for (((_, _, _, help, _), name), value) in COUNTERS.iter().zip(&self.names).zip(values) {
                    if let Some(value) = value {
                        out.counter(name, help, &series, value as f64);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_states_parse_like_node_exporter() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = |name: &str, text: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            path
        };
        assert_eq!(rate(&file("a", "100 Gb/sec (4X EDR)\n")).ok(), Some(12_500_000_000));
        assert_eq!(rate(&file("b", "2.5 Gb/sec (1X SDR)\n")).ok(), Some(312_500_000));
        assert!(rate(&file("c", "fast")).is_err());
        assert_eq!(state_id(&file("d", "4: ACTIVE\n")).ok(), Some(4));
        assert!(state_id(&file("e", "4 ACTIVE\n")).is_err());
        assert!(state_id(&file("f", "+4: ACTIVE\n")).is_err());
        assert!(state_id(&file("g", "4: A: B\n")).is_err());
    }
}
