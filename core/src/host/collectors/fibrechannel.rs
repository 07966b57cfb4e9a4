//! fibrechannel: Fibre Channel host bus adapters in /sys/class/fc_host: `node_fibrechannel_info{fc_host,
//! speed,port_state,port_type,port_id,port_name,fabric_name,symbolic_name,supported_classes,
//! supported_speeds,dev_loss_tmo}` (value 1) and the `statistics/` counters as
//! `node_fibrechannel_<counter>_total{fc_host}`. As node_exporter 1.5: every info attribute must be
//! readable (else the collector fails), a missing counter file counts 0, a counter reading
//! 0xffffffffffffffff (not implemented by the HBA firmware) is left out. A host without the class
//! reports success 0. (Where node_exporter 1.5 crashes on an unparsable counter, ours fails.)

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_uint_prefixed, read_attribute};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The fibrechannel collector.
pub(crate) struct FibreChannel {
    settings: Arc<Settings>,
    /// `class/fc_host`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
}

impl FibreChannel {
    pub(crate) fn new(settings: Arc<Settings>) -> FibreChannel {
        FibreChannel { class: settings.sys("class/fc_host"), settings }
    }
}

/// Attributes read into the info series (all required), in node_exporter's read order; `node_name`
/// is read but not exported.
const ATTRIBUTES: [&str; 11] = [
    "speed",
    "port_state",
    "port_type",
    "node_name",
    "port_id",
    "port_name",
    "fabric_name",
    "dev_loss_tmo",
    "symbolic_name",
    "supported_classes",
    "supported_speeds",
];

/// Counters: statistics file, metric name (after `node_fibrechannel_`) and help, in emission order.
const COUNTERS: [(&str, &str, &str); 14] = [
    ("dumped_frames", "dumped_frames_total", "Number of dumped frames"),
    ("error_frames", "error_frames_total", "Number of errors in frames"),
    ("invalid_crc_count", "invalid_crc_total", "Invalid Cyclic Redundancy Check count"),
    ("rx_frames", "rx_frames_total", "Number of frames received"),
    ("rx_words", "rx_words_total", "Number of words received by host port"),
    ("tx_frames", "tx_frames_total", "Number of frames transmitted by host port"),
    ("tx_words", "tx_words_total", "Number of words transmitted by host port"),
    (
        "seconds_since_last_reset",
        "seconds_since_last_reset_total",
        "Number of seconds since last host port reset",
    ),
    ("invalid_tx_word_count", "invalid_tx_words_total", "Number of invalid words transmitted by host port"),
    ("link_failure_count", "link_failure_total", "Number of times the host port link has failed"),
    (
        "loss_of_sync_count",
        "loss_of_sync_total",
        "Number of failures on either bit or transmission word boundaries",
    ),
    ("loss_of_signal_count", "loss_of_signal_total", "Number of times signal has been lost"),
    ("nos_count", "nos_total", "Number Not_Operational Primitive Sequence received by host port"),
    ("fcp_packet_aborts", "fcp_packet_aborts_total", "Number of aborted packets"),
];

/// The values of [`COUNTERS`] from a host's `statistics/` directory (0 for absent files).
fn statistics(dir: &Path) -> Result<[u64; 14], CollectError> {
    let mut values = [0u64; 14];
    let entries = std::fs::read_dir(dir).map_err(|e| CollectError::io(dir, e))?;
    for entry in entries.filter_map(|e| e.ok()) {
        let regular = entry.file_type().map(|t| t.is_file()).unwrap_or(false);
        let Ok(file) = entry.file_name().into_string() else { continue };
        if !regular || file == "reset_statistics" {
            continue;
        }
        let path = dir.join(&file);
        let text = match read_attribute(&path) {
            Ok(text) => text,
            // Write-only files and counters the driver does not support.
            Err(e)
                if e.kind() == std::io::ErrorKind::NotFound
                    || matches!(e.raw_os_error(), Some(libc::EINVAL | libc::EOPNOTSUPP)) =>
            {
                continue
            }
            Err(e) => return Err(CollectError::io(&path, e)),
        };
        if let Some(i) = COUNTERS.iter().position(|(name, _, _)| *name == file) {
            values[i] =
                parse_uint_prefixed(&text).ok_or_else(|| CollectError::parse(&path, "not a counter"))?;
        }
    }
    Ok(values)
}

/// `value` without its first two bytes (the `0x` of WWNs and port ids) when longer than two bytes.
fn strip_prefix(value: String) -> String {
    match value.as_bytes() {
        [_, _, rest @ ..] if !rest.is_empty() => String::from_utf8_lossy(rest).into_owned(),
        _ => value,
    }
}

/// The fibrechannel collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "fibrechannel",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(FibreChannel::new(settings)),
};

impl Collector for FibreChannel {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let class = self.class.clone();
        for host in self.settings.absences.list_dir(&class)? {
            let dir = class.join(&host);
            let mut info = vec![("fc_host".to_string(), host.clone())];
            for attribute in ATTRIBUTES {
                let path = dir.join(attribute);
                let value = read_attribute(&path).map_err(|e| CollectError::io(&path, e))?;
                match attribute {
                    "node_name" => {}
                    "port_id" | "port_name" | "fabric_name" => {
                        info.push((attribute.to_string(), strip_prefix(value)))
                    }
                    _ => info.push((attribute.to_string(), value)),
                }
            }
            let counters = statistics(&dir.join("statistics"))?;
            info.sort();
            out.gauge(
                "node_fibrechannel_info",
                "Non-numeric data from /sys/class/fc_host/<host>, value is always 1.",
                info,
                1.0,
            );
            for ((_, metric, help), value) in COUNTERS.iter().zip(counters) {
                if value != u64::MAX {
                    out.counter(
                        &format!("node_fibrechannel_{metric}"),
                        help,
                        pairs(&[("fc_host", &host)]),
                        value as f64,
                    );
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
    fn prefixes_are_stripped_by_bytes_without_panicking() {
        assert_eq!(strip_prefix("0x010200".into()), "010200");
        assert_eq!(strip_prefix("0x".into()), "0x");
        assert_eq!(strip_prefix("".into()), "");
        assert_eq!(strip_prefix("é1".into()), "1");
        assert_eq!(strip_prefix("aé".into()), "\u{fffd}");
    }
}
