//! interrupts (opt-in): `node_interrupts_total{cpu,type,info,devices}` per CPU from /proc/interrupts,
//! as node_exporter 1.5: `type` is the row name (`24`, `LOC`), `info` the controller of a numbered
//! row (its description otherwise) and `devices` the rest of a numbered row. Rows with a single
//! count (`ERR`, `MIS`) are skipped. (The row name ends at its colon; node_exporter 1.5 splits at
//! whitespace instead and fails on an aarch64 row like `11:1 2 GICv3`, which we read.)

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The interrupts collector.
pub(crate) struct Interrupts {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Interrupts {
    pub(crate) fn new(settings: Arc<Settings>) -> Interrupts {
        Interrupts { settings, reader: FileReader::new() }
    }
}

/// The interrupts collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "interrupts",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Interrupts::new(settings)),
};

impl Collector for Interrupts {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("interrupts");
        let text = self.reader.read_str(&path)?;
        let mut lines = text.lines();
        let cpus =
            lines.next().ok_or_else(|| CollectError::parse(&path, "empty"))?.split_ascii_whitespace().count();
        let cpu_names: Vec<String> = (0..cpus).map(|cpu| cpu.to_string()).collect();
        for line in lines {
            let Some((name, rest)) = line.split_once(':') else { continue };
            let parts: Vec<&str> = rest.split_ascii_whitespace().collect();
            if parts.len() < cpus + 1 {
                continue;
            }
            let name = name.trim_start_matches(' ');
            let (info, devices) = if name.parse::<i64>().is_ok() {
                (parts[cpus].to_string(), parts[cpus + 1..].join(" "))
            } else {
                (parts[cpus..].join(" "), String::new())
            };
            for (cpu, value) in cpu_names.iter().zip(&parts[..cpus]) {
                let value =
                    parse_f64(value).ok_or_else(|| CollectError::parse(&path, "count not a number"))?;
                out.counter(
                    "node_interrupts_total",
                    "Interrupt details.",
                    pairs(&[("cpu", cpu), ("type", name), ("info", &info), ("devices", &devices)]),
                    value,
                );
            }
        }
        Ok(())
    }
}
