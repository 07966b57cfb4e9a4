//! drbd (opt-in): DRBD 8 device statistics from /proc/drbd as node_exporter 1.5 reads them: the
//! file is a stream of `key:value` words, `N:` starting device `drbdN`; counters and gauges from the
//! numeric keys (`ns`, `dw`, `dr` and `oos` in KiB, written as bytes), `node_drbd_connected` from
//! `cs`, and the local/remote role and disk state from `ro` and `ds`. No /proc/drbd (no DRBD module)
//! fails the collector, as node_exporter reports it.

use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// `(key, metric, help, is a counter, multiplier)`.
const NUMERICAL: [(&str, &str, &str, bool, f64); 12] = [
    ("ns", "node_drbd_network_sent_bytes_total", "Total number of bytes sent via the network.", true, 1024.0),
    ("nr", "node_drbd_network_received_bytes_total", "Total number of bytes received via the network.", true, 1.0),
    ("dw", "node_drbd_disk_written_bytes_total", "Net data written on local hard disk; in bytes.", true, 1024.0),
    ("dr", "node_drbd_disk_read_bytes_total", "Net data read from local hard disk; in bytes.", true, 1024.0),
    (
        "al",
        "node_drbd_activitylog_writes_total",
        "Number of updates of the activity log area of the meta data.",
        true,
        1.0,
    ),
    ("bm", "node_drbd_bitmap_writes_total", "Number of updates of the bitmap area of the meta data.", true, 1.0),
    ("lo", "node_drbd_local_pending", "Number of open requests to the local I/O sub-system.", false, 1.0),
    (
        "pe",
        "node_drbd_remote_pending",
        "Number of requests sent to the peer, but that have not yet been answered by the latter.",
        false,
        1.0,
    ),
    (
        "ua",
        "node_drbd_remote_unacknowledged",
        "Number of requests received by the peer via the network connection, but that have not yet been answered.",
        false,
        1.0,
    ),
    (
        "ap",
        "node_drbd_application_pending",
        "Number of block I/O requests forwarded to DRBD, but not yet answered by DRBD.",
        false,
        1.0,
    ),
    ("ep", "node_drbd_epochs", "Number of Epochs currently on the fly.", false, 1.0),
    ("oos", "node_drbd_out_of_sync_bytes", "Amount of data known to be out of sync; in bytes.", false, 1024.0),
];

/// `(key, metric, help, the value that means yes)`, with `local` and `remote` series.
const PAIRS: [(&str, &str, &str, &str); 2] = [
    (
        "ro",
        "node_drbd_node_role_is_primary",
        "Whether the role of the node is in the primary state.",
        "Primary",
    ),
    ("ds", "node_drbd_disk_state_is_up_to_date", "Whether the disk of the node is up to date.", "UpToDate"),
];

/// The drbd collector.
pub(crate) struct Drbd {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Drbd {
    pub(crate) fn new(settings: Arc<Settings>) -> Drbd {
        Drbd { settings, reader: FileReader::new() }
    }
}

/// The drbd collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "drbd",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Drbd::new(settings)),
};

impl Collector for Drbd {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("drbd");
        let text = self.reader.read_str(&path)?;
        let mut device = "unknown".to_string();
        for word in text.split_ascii_whitespace() {
            let mut kv = word.split(':');
            let (Some(key), Some(value), None) = (kv.next(), kv.next(), kv.next()) else { continue };
            if value.is_empty() {
                if let Ok(id) = key.parse::<u64>() {
                    device = format!("drbd{id}");
                    continue;
                }
            }
            if let Some((_, name, help, counter, multiplier)) = NUMERICAL.iter().find(|m| m.0 == key) {
                let v =
                    parse_f64(value).ok_or_else(|| CollectError::parse(&path, "a value is not a number"))?;
                let series = labels(&[("device", &device)]);
                if *counter {
                    out.counter(name, help, series, v * multiplier);
                } else {
                    out.gauge(name, help, series, v * multiplier);
                }
            } else if let Some((_, name, help, ok)) = PAIRS.iter().find(|m| m.0 == key) {
                let mut sides = value.split('/');
                for node in ["local", "remote"] {
                    let yes = sides.next() == Some(*ok);
                    out.gauge(
                        name,
                        help,
                        pairs(&[("device", &device), ("node", node)]),
                        f64::from(u8::from(yes)),
                    );
                }
            } else if key == "cs" {
                let connected = f64::from(u8::from(value == "Connected"));
                out.gauge(
                    "node_drbd_connected",
                    "Whether DRBD is connected to the peer.",
                    pairs(&[("device", &device)]),
                    connected,
                );
            }
        }
        Ok(())
    }
}
