//! schedstat: per-CPU scheduler statistics from /proc/schedstat
//! (`node_schedstat_running_seconds_total`, `_waiting_seconds_total`, `_timeslices_total` by `cpu`).

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::Path;
use std::sync::Arc;

/// The schedstat collector.
pub(crate) struct SchedStat {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl SchedStat {
    pub(crate) fn new(settings: Arc<Settings>) -> SchedStat {
        SchedStat { settings, reader: FileReader::new() }
    }
}

/// The schedstat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "schedstat",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(SchedStat::new(settings)),
};

impl Collector for SchedStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("schedstat");
        let text = self.settings.absences.read_str(&mut self.reader, &path)?;
        emit_all(text, &path, out)
    }
}

/// The samples of the /proc/schedstat text `text` (read from `path`). CPUs are written in the order
/// the output sorts their `cpu` label (`10` before `2`), so a steady collection rewrites no label
/// (see `order::Steadiness`); with at most ten CPUs that is the file's order.
fn emit_all(text: &str, path: &Path, out: &mut Emitter) -> Result<(), CollectError> {
    let cpu_lines = text.lines().filter_map(|line| {
        let (first, rest) = line.split_once(|c: char| c.is_ascii_whitespace()).unwrap_or((line, ""));
        Some((first.strip_prefix("cpu")?, rest))
    });
    if cpu_lines.clone().all(|(cpu, _)| cpu.len() < 2) {
        for (cpu, rest) in cpu_lines {
            emit_cpu(cpu, rest, path, out)?;
        }
    } else {
        let mut sorted: Vec<(&str, &str)> = cpu_lines.collect();
        sorted.sort_unstable_by(|a, b| a.0.cmp(b.0));
        for (cpu, rest) in sorted {
            emit_cpu(cpu, rest, path, out)?;
        }
    }
    Ok(())
}

/// The samples of CPU `cpu`, whose /proc/schedstat line (at `path`) goes on with `values`.
fn emit_cpu(cpu: &str, values: &str, path: &Path, out: &mut Emitter) -> Result<(), CollectError> {
    let mut columns = [0u64; 9];
    let mut found = 0;
    for (slot, value) in columns.iter_mut().zip(values.split_ascii_whitespace()) {
        *slot = parse_u64(value).unwrap_or(0);
        found += 1;
    }
    if found < columns.len() {
        return Err(CollectError::parse(path, "cpu line with fewer than 9 values"));
    }
    let cpu: &[(&str, &str)] = &[("cpu", cpu)];
    out.counter(
        "node_schedstat_running_seconds_total",
        "Number of seconds CPU spent running a process.",
        cpu,
        columns[6] as f64 / 1e9,
    );
    out.counter(
        "node_schedstat_waiting_seconds_total",
        "Number of seconds spent by processing waiting for this CPU.",
        cpu,
        columns[7] as f64 / 1e9,
    );
    out.counter(
        "node_schedstat_timeslices_total",
        "Number of timeslices executed by CPU.",
        cpu,
        columns[8] as f64,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::order::finish;
    use crate::host::recycle::FamilyPool;

    /// /proc/schedstat of `cpus` CPUs, each followed by a domain line.
    fn schedstat(cpus: usize) -> String {
        let mut text = String::from("version 15\ntimestamp 4295011523\n");
        for cpu in 0..cpus {
            text += &format!("cpu{cpu} 0 0 0 0 0 0 {} 2000000000 {}\n", (cpu + 1) * 1_000_000_000, cpu + 7);
            text += "domain0 00000003 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        }
        text
    }

    #[test]
    fn cpus_are_written_in_label_order_so_a_second_collection_rewrites_no_label() {
        let text = schedstat(12);
        let pool = Arc::new(FamilyPool::default());
        let mut out = Emitter::recycling(Arc::clone(&pool), 0);
        for collection in 0..2 {
            out.begin();
            emit_all(&text, Path::new("schedstat"), &mut out).expect("parses");
            let families = out.take_families();
            assert_eq!(families.len(), 3);
            let running = &families[0];
            let cpus: Vec<&str> = running.samples.iter().filter_map(|s| s.label("cpu")).collect();
            assert_eq!(cpus[..4], ["0", "1", "10", "11"], "label order");
            assert_eq!(cpus.len(), 12);
            // cpu10 ran 11 s; its timeslices are 17.
            assert_eq!(running.samples[2].value, 11.0);
            assert_eq!(families[2].samples[2].value, 17.0);
            let steadiness = out.steadiness();
            if collection == 1 {
                assert_eq!((steadiness.same_families, steadiness.relabelled), (true, 0));
            }
            pool.keep(finish(families));
        }
    }

    #[test]
    fn a_short_cpu_line_is_an_error_naming_the_file() {
        let mut out = Emitter::recycling(Arc::new(FamilyPool::default()), 0);
        out.begin();
        for text in ["cpu0 1 2 3\n", "cpu0\n"] {
            let err = emit_all(text, Path::new("/proc/schedstat"), &mut out).expect_err("too short");
            let message = err.to_string();
            assert!(message.contains("/proc/schedstat") && message.contains("fewer than 9"), "{message}");
        }
    }
}
