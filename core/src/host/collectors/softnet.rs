//! softnet: per-CPU packet processing counters from /proc/net/softnet_stat (hex columns):
//! `node_softnet_processed_total`, `_dropped_total`, `_times_squeezed_total` by `cpu` (line index),
//! and where the kernel writes those columns (2.6.36+ / 3.11+) the newer node_exporter releases'
//! `node_softnet_received_rps_total` and `node_softnet_flow_limit_count_total`.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_hex, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
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
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Softnet::new(settings)),
};

impl Collector for Softnet {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("net/softnet_stat");
        let text = self.reader.read_str(&path)?;
        emit_all(text, &path, out)
    }
}

/// The samples of the /proc/net/softnet_stat text `text` (read from `path`): line i is CPU i. CPUs
/// are written in the order the output sorts their `cpu` label (`10` before `2`), so a steady
/// collection rewrites no label (see `order::Steadiness`).
fn emit_all(text: &str, path: &std::path::Path, out: &mut Emitter) -> Result<(), CollectError> {
    if text.lines().nth(10).is_none() {
        for (cpu, line) in text.lines().enumerate() {
            emit_cpu(cpu, line, path, out)?;
        }
    } else {
        let mut lines: Vec<(usize, &str)> = text.lines().enumerate().collect();
        let (mut a, mut b) = (itoa::Buffer::new(), itoa::Buffer::new());
        lines.sort_by(|x, y| a.format(x.0).cmp(b.format(y.0)));
        for (cpu, line) in lines {
            emit_cpu(cpu, line, path, out)?;
        }
    }
    Ok(())
}

/// The samples of CPU `cpu`'s line of /proc/net/softnet_stat (at `path`).
fn emit_cpu(cpu: usize, line: &str, path: &std::path::Path, out: &mut Emitter) -> Result<(), CollectError> {
    let mut columns = [0u64; 11];
    let mut found = 0;
    for (slot, value) in columns.iter_mut().zip(line.split_ascii_whitespace()) {
        *slot = parse_hex(value).unwrap_or(0);
        found += 1;
    }
    let values = &columns[..found];
    if values.len() < 3 {
        return Err(CollectError::parse(path, "fewer than 3 columns"));
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::order::finish;
    use crate::host::recycle::FamilyPool;

    #[test]
    fn cpus_are_written_in_label_order_so_a_second_collection_rewrites_no_label() {
        let text: String = (0..12).map(|_| "0000000a 00000001 00000002\n").collect();
        let pool = Arc::new(FamilyPool::default());
        let mut out = Emitter::recycling(Arc::clone(&pool), 0);
        for collection in 0..2 {
            out.begin();
            emit_all(&text, std::path::Path::new("softnet_stat"), &mut out).expect("parses");
            let families = out.take_families();
            let cpus: Vec<&str> = families[0].samples.iter().filter_map(|s| s.label("cpu")).collect();
            assert_eq!(cpus[..4], ["0", "1", "10", "11"], "label order");
            let steadiness = out.steadiness();
            if collection == 1 {
                assert_eq!((steadiness.same_families, steadiness.relabelled), (true, 0));
            }
            pool.keep(finish(families));
        }
    }
}
