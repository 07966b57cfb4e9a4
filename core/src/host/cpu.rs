//! cpu: `node_cpu_seconds_total{cpu,mode}` and `node_cpu_guest_seconds_total{cpu,mode}` from the
//! per-CPU lines of /proc/stat (USER_HZ = 100 ticks per second, as node_exporter assumes). Only online
//! CPUs have a line, so a hot-unplugged CPU simply has no series.

use super::catalog::Collector;
use super::config::Settings;
use super::emit::{labels, Emitter};
use super::error::CollectError;
use super::read::{parse_u64, FileReader};
use std::sync::Arc;

/// Ticks per second in /proc/stat.
const USER_HZ: f64 = 100.0;
/// /proc/stat column order after the `cpuN` name.
const MODES: [&str; 8] = ["user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"];

/// The cpu collector.
pub(crate) struct Cpu {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Cpu {
    pub(crate) fn new(settings: Arc<Settings>) -> Cpu {
        Cpu { settings, reader: FileReader::new() }
    }
}

impl Collector for Cpu {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("stat");
        let guest = self.settings.cpu_guest;
        let text = self.reader.read_str(&path)?;
        let mut cpus = 0;
        for line in text.lines() {
            let mut fields = line.split_ascii_whitespace();
            let Some(cpu) = fields.next().and_then(|name| name.strip_prefix("cpu")) else { continue };
            if cpu.is_empty() || !cpu.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let values: Vec<f64> = fields.map(|f| parse_u64(f).unwrap_or(0) as f64 / USER_HZ).collect();
            if values.len() < 4 {
                return Err(CollectError::parse(&path, "cpu line with fewer than 4 columns"));
            }
            cpus += 1;
            for (mode, value) in MODES.iter().zip(values.iter()) {
                out.counter(
                    "node_cpu_seconds_total",
                    "Seconds the CPUs spent in each mode.",
                    labels(&[("cpu", cpu), ("mode", mode)]),
                    *value,
                );
            }
            if guest {
                let guest_modes = [("user", values.get(8)), ("nice", values.get(9))];
                for (mode, value) in guest_modes {
                    out.counter(
                        "node_cpu_guest_seconds_total",
                        "Seconds the CPUs spent in guests (VMs) for each mode.",
                        labels(&[("cpu", cpu), ("mode", mode)]),
                        value.copied().unwrap_or(0.0),
                    );
                }
            }
        }
        if cpus == 0 {
            return Err(CollectError::parse(&path, "no per-CPU lines"));
        }
        Ok(())
    }
}
