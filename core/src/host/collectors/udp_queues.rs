//! udp_queues: `node_udp_queues{ip,queue}`, the bytes queued in UDP sockets' send and receive queues,
//! summed from /proc/net/udp and /proc/net/udp6.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_hex, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::sync::Arc;

const HELP: &str = "Number of allocated memory in the kernel for UDP datagrams in bytes.";

/// The udp_queues collector.
pub(crate) struct UdpQueues {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl UdpQueues {
    pub(crate) fn new(settings: Arc<Settings>) -> UdpQueues {
        UdpQueues { settings, reader: FileReader::new() }
    }

    /// `(tx, rx)` queue sums of one file.
    fn sums(&mut self, name: &str) -> Result<(u64, u64), CollectError> {
        let path = self.settings.proc("net").join(name);
        let text = self.reader.read_str(&path)?;
        let (mut tx, mut rx) = (0u64, 0u64);
        for line in text.lines().skip(1) {
            let Some(queues) = line.split_ascii_whitespace().nth(4) else { continue };
            let Some((t, r)) = queues.split_once(':') else {
                return Err(CollectError::parse(&path, "tx_queue:rx_queue column missing"));
            };
            tx = tx.wrapping_add(parse_hex(t).unwrap_or(0));
            rx = rx.wrapping_add(parse_hex(r).unwrap_or(0));
        }
        Ok((tx, rx))
    }
}

/// The udp_queues collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "udp_queues",
    enabled_by_default: true,
    placement: Placement::Kernel,
    build: |settings| Box::new(UdpQueues::new(settings)),
};

impl Collector for UdpQueues {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let (tx, rx) = self.sums("udp")?;
        out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v4"), ("queue", "tx")]), tx as f64);
        out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v4"), ("queue", "rx")]), rx as f64);
        match self.sums("udp6") {
            Ok((tx, rx)) => {
                out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v6"), ("queue", "tx")]), tx as f64);
                out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v6"), ("queue", "rx")]), rx as f64);
                Ok(())
            }
            Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}
