//! pressure: pressure stall information (PSI) totals from /proc/pressure/{cpu,io,memory} as
//! `node_pressure_*_seconds_total`, and from /proc/pressure/irq where the kernel has it (6.1+ with
//! CONFIG_IRQ_TIME_ACCOUNTING) `node_pressure_irq_stalled_seconds_total`, as newer node_exporter
//! releases do. A kernel without PSI makes the collector fail (success 0).

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// `(resource, line kind, metric, help)` in node_exporter's naming.
const SERIES: [(&str, &str, &str, &str); 5] = [
    (
        "cpu",
        "some",
        "node_pressure_cpu_waiting_seconds_total",
        "Total time in seconds that processes have waited for CPU time",
    ),
    (
        "io",
        "some",
        "node_pressure_io_waiting_seconds_total",
        "Total time in seconds that processes have waited due to IO congestion",
    ),
    (
        "io",
        "full",
        "node_pressure_io_stalled_seconds_total",
        "Total time in seconds no process could make progress due to IO congestion",
    ),
    (
        "memory",
        "some",
        "node_pressure_memory_waiting_seconds_total",
        "Total time in seconds that processes have waited for memory",
    ),
    (
        "memory",
        "full",
        "node_pressure_memory_stalled_seconds_total",
        "Total time in seconds no process could make progress due to memory congestion",
    ),
];

/// Microseconds to seconds as node_exporter computes it (`/ 1000.0 / 1000.0`, which rounds
/// differently from one division by a million: 148064319 µs is 148.06431899999998 s there).
fn microseconds_to_seconds(total: f64) -> f64 {
    total / 1000.0 / 1000.0
}

/// The pressure collector.
pub(crate) struct Pressure {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Pressure {
    pub(crate) fn new(settings: Arc<Settings>) -> Pressure {
        Pressure { settings, reader: FileReader::new() }
    }
}

/// The `total=` microseconds of the `kind` line (`some` or `full`) of a PSI file.
fn total_of(text: &str, kind: &str) -> Option<f64> {
    let line = text.lines().find(|l| l.split_ascii_whitespace().next() == Some(kind))?;
    let total = line.split_ascii_whitespace().find_map(|f| f.strip_prefix("total="))?;
    parse_f64(total)
}

/// The pressure collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "pressure",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Pressure::new(settings)),
};

impl Collector for Pressure {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        for resource in ["cpu", "io", "memory"] {
            let path = self.settings.proc(&format!("pressure/{resource}"));
            let text = self.reader.read_str_one_piece(&path)?;
            for (res, kind, name, help) in SERIES {
                if res != resource {
                    continue;
                }
                let total = total_of(text, kind).ok_or_else(|| CollectError::parse(&path, "no total="))?;
                out.counter(name, help, vec![], microseconds_to_seconds(total));
            }
        }
        let path = self.settings.proc("pressure/irq");
        if let Ok(text) = self.settings.absences.read_str(&mut self.reader, &path) {
            let total = total_of(text, "full").ok_or_else(|| CollectError::parse(&path, "no total="))?;
            out.counter(
                "node_pressure_irq_stalled_seconds_total",
                "Total time in seconds no process could make progress due to IRQ congestion",
                vec![],
                microseconds_to_seconds(total),
            );
        }
        Ok(())
    }
}
