//! stat: context switches, interrupts, forks, boot time and running/blocked processes from
//! /proc/stat (`node_context_switches_total`, `node_intr_total`, `node_forks_total`,
//! `node_boot_time_seconds`, `node_procs_running`, `node_procs_blocked`), and with `stat_softirq`
//! (`--collector.stat.softirq`) `node_softirqs_total{vector}` from the `softirq` line.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::parse_u64;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::Path;
use std::sync::Arc;

/// The vectors of the `softirq` line after its total, in kernel order.
const SOFTIRQ_VECTORS: [&str; 10] =
    ["hi", "timer", "net_tx", "net_rx", "block", "block_iopoll", "tasklet", "sched", "hrtimer", "rcu"];

/// The stat collector.
pub(crate) struct Stat {
    settings: Arc<Settings>,
}

impl Stat {
    pub(crate) fn new(settings: Arc<Settings>) -> Stat {
        Stat { settings }
    }
}

/// The stat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "stat",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Stat::new(settings)),
};

/// Stat's bit among the takers of the shared /proc/stat (cpu's is 0).
const STAT_TAKER: u32 = 1;

impl Collector for Stat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("stat");
        let settings = &self.settings;
        settings.proc_stat.read(&path, settings.collection(), STAT_TAKER, |text| {
            emit(text, &path, settings.stat_softirq, out)
        })?
    }
}

/// The series of the /proc/stat text `text` read from `path`.
fn emit(text: &str, path: &Path, softirq: bool, out: &mut Emitter) -> Result<(), CollectError> {
    let mut found = 0;
    for line in text.lines() {
        let mut fields = line.split_ascii_whitespace();
        let (Some(key), Some(value)) = (fields.next(), fields.next().and_then(parse_u64)) else {
            continue;
        };
        let value = value as f64;
        match key {
            "intr" => out.counter("node_intr_total", "Total number of interrupts serviced.", vec![], value),
            "ctxt" => {
                out.counter("node_context_switches_total", "Total number of context switches.", vec![], value)
            }
            "processes" => out.counter("node_forks_total", "Total number of forks.", vec![], value),
            "btime" => out.gauge("node_boot_time_seconds", "Node boot time, in unixtime.", vec![], value),
            "procs_running" => {
                out.gauge("node_procs_running", "Number of processes in runnable state.", vec![], value)
            }
            "softirq" if softirq => {
                // `value` is the total; the vectors follow it.
                for (vector, count) in SOFTIRQ_VECTORS.iter().zip(fields.by_ref()) {
                    let count = parse_u64(count).ok_or_else(|| CollectError::parse(path, "bad softirq"))?;
                    out.counter(
                        "node_softirqs_total",
                        "Number of softirq calls.",
                        pairs(&[("vector", vector)]),
                        count as f64,
                    );
                }
                continue;
            }
            "procs_blocked" => out.gauge(
                "node_procs_blocked",
                "Number of processes blocked waiting for I/O to complete.",
                vec![],
                value,
            ),
            _ => continue,
        }
        found += 1;
    }
    if found == 0 {
        return Err(CollectError::parse(path, "none of intr, ctxt, processes, btime"));
    }
    Ok(())
}
