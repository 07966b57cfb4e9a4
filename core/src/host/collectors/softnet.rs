//! softnet: per-CPU packet processing counters from /proc/net/softnet_stat (hex columns):
//! `node_softnet_processed_total`, `_dropped_total`, `_times_squeezed_total` by `cpu` (line index),
//! and where the kernel writes those columns (2.6.36+ / 3.11+) the newer node_exporter releases'
//! `node_softnet_received_rps_total` and `node_softnet_flow_limit_count_total`.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_hex, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::sync::Arc;

/// The softnet collector.
pub(crate) struct Softnet {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Softnet {
    pub(crate) fn new(settings: Arc<Settings>) -> Softnet {
        Softnet { settings, reader: FileReader::new() }
    }
}

/// The softnet collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "softnet",
    enabled_by_default: true,
    placement: Placement::Inline,
    build: |settings| Box::new(Softnet::new(settings)),
};

impl Collector for Softnet {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("net/softnet_stat");
        let text = self.reader.read_str(&path)?;
        for (cpu, line) in text.lines().enumerate() {
            let mut columns = [0u64; 11];
            let mut found = 0;
            for (slot, value) in columns.iter_mut().zip(line.split_ascii_whitespace()) {
                *slot = parse_hex(value).unwrap_or(0);
                found += 1;
            }
            let values = &columns[..found];
            if values.len() < 3 {
                return Err(CollectError::parse(&path, "fewer than 3 columns"));
            }
            let mut number = itoa::Buffer::new();
            let cpu: &[(&str, &str)] = &[("cpu", number.format(cpu))];
            out.counter("node_softnet_processed_total", "Number of processed packets", cpu, values[0] as f64);
            out.counter("node_softnet_dropped_total", "Number of dropped packets", cpu, values[1] as f64);
            out.counter(
                "node_softnet_times_squeezed_total",
                "Number of times processing packets ran out of quota",
                cpu,
                values[2] as f64,
            );
            if let Some(received_rps) = values.get(9) {
                out.counter(
                    "node_softnet_received_rps_total",
                    "Number of times cpu woken up received_rps",
                    cpu,
                    *received_rps as f64,
                );
            }
            if let Some(flow_limit) = values.get(10) {
                out.counter(
                    "node_softnet_flow_limit_count_total",
                    "Number of times flow limit has been reached",
                    cpu,
                    *flow_limit as f64,
                );
            }
        }
        Ok(())
    }
}
