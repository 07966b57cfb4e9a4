//! cpu: `node_cpu_seconds_total{cpu,mode}` and `node_cpu_guest_seconds_total{cpu,mode}` from the
//! per-CPU lines of /proc/stat (USER_HZ = 100 ticks per second, as node_exporter assumes), and the
//! thermal throttle counters `node_cpu_core_throttles_total{core,package}` and
//! `node_cpu_package_throttles_total{package}` from sysfs where the CPU has them. Only online CPUs
//! have a /proc/stat line, so a hot-unplugged CPU simply has no series. With `cpu_info`
//! (`--collector.cpu.info`): `node_cpu_info` per CPU from /proc/cpuinfo, and the first CPU's flags and
//! bugs selected by `cpu_info_flags_include` / `cpu_info_bugs_include` as `node_cpu_flag_info{flag}`
//! and `node_cpu_bug_info{bug}`. `node_cpu_isolated{cpu} 1` for each CPU of the kernel's isolated list
//! (/sys/devices/system/cpu/isolated), as node_exporter 1.5 does.

use super::cpu_throttle::Throttles;
use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, path_in, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Ticks per second in /proc/stat.
const USER_HZ: f64 = 100.0;
/// The modes of a /proc/stat `cpuN` line by name, with their column (user, nice, system, idle, iowait,
/// irq, softirq, steal): the order the output sorts a CPU's samples in, which the collection writes
/// them in, so a steady collection rewrites no label (see `order::Steadiness`).
const MODES_BY_NAME: [(usize, &str); 8] = [
    (3, "idle"),
    (4, "iowait"),
    (5, "irq"),
    (1, "nice"),
    (6, "softirq"),
    (7, "steal"),
    (2, "system"),
    (0, "user"),
];

/// The cpu collector.
pub(crate) struct Cpu {
    settings: Arc<Settings>,
    reader: FileReader,
    /// Reused between collections.
    path: PathBuf,
    throttles: Throttles,
}

impl Cpu {
    pub(crate) fn new(settings: Arc<Settings>) -> Cpu {
        Cpu { settings, reader: FileReader::new(), path: PathBuf::new(), throttles: Throttles::new() }
    }
}

/// The CPUs of a kernel CPU list (`0-3,8,10-11`); `None` if it is not one.
fn cpu_list(text: &str) -> Option<Vec<u32>> {
    let mut cpus = Vec::new();
    for part in text.trim().split(',').filter(|p| !p.is_empty()) {
        match part.split_once('-') {
            Some((first, last)) => cpus.extend(first.parse::<u32>().ok()?..=last.parse::<u32>().ok()?),
            None => cpus.push(part.parse().ok()?),
        }
    }
    Some(cpus)
}

impl Cpu {
    /// `node_cpu_isolated{cpu} 1` for each isolated CPU, if the kernel has the isolated list.
    fn isolated(&mut self, out: &mut Emitter) {
        let path = path_in(&mut self.path, &self.settings.sysfs, &["devices/system/cpu/isolated"]);
        // Read through the kept reader: the file stays open between collections.
        let Ok(text) = self.reader.read_trimmed(path) else { return };
        for cpu in cpu_list(text).unwrap_or_default() {
            out.gauge(
                "node_cpu_isolated",
                "Whether each core is isolated, information from /sys/devices/system/cpu/isolated.",
                pairs(&[("cpu", &cpu.to_string())]),
                1.0,
            );
        }
    }
}

/// The /proc/cpuinfo keys of `node_cpu_info`'s labels, in node_exporter's label order.
const INFO_LABELS: [(&str, &str); 10] = [
    ("package", "physical id"),
    ("core", "core id"),
    ("cpu", "processor"),
    ("vendor", "vendor_id"),
    ("family", "cpu family"),
    ("model", "model"),
    ("model_name", "model name"),
    ("microcode", "microcode"),
    ("stepping", "stepping"),
    ("cachesize", "cache size"),
];

/// The `key: value` pairs of /proc/cpuinfo, one map per processor (a `processor` line starts one).
fn cpuinfo_blocks(text: &str) -> Vec<BTreeMap<&str, &str>> {
    let mut blocks: Vec<BTreeMap<&str, &str>> = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else { continue };
        let (key, value) = (key.trim(), value.trim());
        if key == "processor" || blocks.is_empty() {
            blocks.push(BTreeMap::new());
        }
        if let Some(block) = blocks.last_mut() {
            block.insert(key, value);
        }
    }
    blocks
}

impl Cpu {
    /// `node_cpu_info`, `node_cpu_flag_info` and `node_cpu_bug_info` from /proc/cpuinfo.
    fn info(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("cpuinfo");
        let text = self.reader.read_str(&path)?;
        let blocks = cpuinfo_blocks(text);
        for block in &blocks {
            let pairs: Vec<(&str, &str)> = INFO_LABELS
                .iter()
                .map(|(label, key)| (*label, block.get(key).copied().unwrap_or("")))
                .collect();
            out.gauge("node_cpu_info", "CPU information from /proc/cpuinfo.", labels(&pairs), 1.0);
        }
        let Some(first) = blocks.first() else { return Ok(()) };
        let lists = [
            ("flags", "flag", "node_cpu_flag_info", &self.settings.cpu_info_flags_include),
            ("bugs", "bug", "node_cpu_bug_info", &self.settings.cpu_info_bugs_include),
        ];
        for (key, label, name, include) in lists {
            let Some(include) = include else { continue };
            let help =
                format!("The `{key}` field of CPU information from /proc/cpuinfo taken from the first core.");
            for value in first.get(key).copied().unwrap_or("").split_ascii_whitespace() {
                if include.is_match(value) {
                    out.gauge(name, &help, pairs(&[(label, value)]), 1.0);
                }
            }
        }
        Ok(())
    }
}

/// The cpu collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "cpu",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Cpu::new(settings)),
};

/// Cpu's bit among the takers of the shared /proc/stat (stat's is 1).
const STAT_TAKER: u32 = 0;

impl Collector for Cpu {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("stat");
        let settings = &self.settings;
        settings.proc_stat.read(&path, settings.collection(), STAT_TAKER, |text| {
            emit_times(text, &path, settings.cpu_guest, out)
        })??;
        self.isolated(out);
        self.throttles.collect(&self.settings, out);
        if self.settings.cpu_info {
            self.info(out)?;
        }
        Ok(())
    }
}

/// The CPU number of a /proc/stat per-CPU line (`cpu12 ...` gives `12`) and the line's other fields.
fn per_cpu(line: &str) -> Option<(&str, std::str::SplitAsciiWhitespace<'_>)> {
    let mut fields = line.split_ascii_whitespace();
    let cpu = fields.next()?.strip_prefix("cpu")?;
    (!cpu.is_empty() && cpu.bytes().all(|b| b.is_ascii_digit())).then_some((cpu, fields))
}

/// `node_cpu_seconds_total` (and `node_cpu_guest_seconds_total` with `guest`) of the /proc/stat
/// text `text` read from `path`. CPUs are written in the order the output sorts their `cpu` label
/// (`10` before `2`), so a steady collection rewrites no label (see `order::Steadiness`): in the
/// file's order while every CPU number has one digit, else sorted (one allocation).
fn emit_times(text: &str, path: &Path, guest: bool, out: &mut Emitter) -> Result<(), CollectError> {
    let one_digit = text.lines().filter_map(per_cpu).all(|(cpu, _)| cpu.len() == 1);
    let mut cpus = 0;
    let mut emit = |cpu: &str, fields: std::str::SplitAsciiWhitespace<'_>| {
        let mut columns = [0.0f64; 10];
        let mut found = 0;
        for (column, field) in columns.iter_mut().zip(fields) {
            *column = parse_u64(field).unwrap_or(0) as f64 / USER_HZ;
            found += 1;
        }
        let values = &columns[..found];
        if values.len() < 4 {
            return Err(CollectError::parse(path, "cpu line with fewer than 4 columns"));
        }
        cpus += 1;
        for (value, mode) in
            MODES_BY_NAME.iter().filter_map(|&(column, mode)| Some((values.get(column)?, mode)))
        {
            out.counter(
                "node_cpu_seconds_total",
                "Seconds the CPUs spent in each mode.",
                pairs(&[("cpu", cpu), ("mode", mode)]),
                *value,
            );
        }
        if guest {
            let guest_modes = [("nice", values.get(9)), ("user", values.get(8))];
            for (mode, value) in guest_modes {
                out.counter(
                    "node_cpu_guest_seconds_total",
                    "Seconds the CPUs spent in guests (VMs) for each mode.",
                    pairs(&[("cpu", cpu), ("mode", mode)]),
                    value.copied().unwrap_or(0.0),
                );
            }
        }
        Ok(())
    };
    if one_digit {
        for (cpu, fields) in text.lines().filter_map(per_cpu) {
            emit(cpu, fields)?;
        }
    } else {
        let mut lines: Vec<(&str, std::str::SplitAsciiWhitespace<'_>)> =
            text.lines().filter_map(per_cpu).collect();
        lines.sort_by(|a, b| a.0.cmp(b.0));
        for (cpu, fields) in lines {
            emit(cpu, fields)?;
        }
    }
    if cpus == 0 {
        return Err(CollectError::parse(path, "no per-CPU lines"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{cpuinfo_blocks, emit_times};
    use crate::host::emit::Emitter;
    use crate::host::order::finish;
    use crate::host::recycle::FamilyPool;
    use std::sync::Arc;

    #[test]
    fn cpuinfo_splits_into_processors() {
        let blocks =
            cpuinfo_blocks("processor\t: 0\nflags\t\t: fpu aes\n\nprocessor\t: 1\nmodel name\t: X: Y\n");
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].get("flags"), Some(&"fpu aes"));
        assert_eq!(blocks[1].get("model name"), Some(&"X: Y"));
    }

    #[test]
    fn cpu_lists_expand_ranges() {
        assert_eq!(super::cpu_list("0-2,5\n"), Some(vec![0, 1, 2, 5]));
        assert_eq!(super::cpu_list(""), Some(vec![]));
        assert_eq!(super::cpu_list("x"), None);
    }

    #[test]
    fn cpus_are_written_in_label_order_so_a_second_collection_rewrites_no_label() {
        let text: String = (0..12).map(|cpu| format!("cpu{cpu} 1 2 3 4 5 6 7 8 9 10\n")).collect();
        let text = format!("cpu  1 2 3 4 5 6 7 8 9 10\n{text}intr 1\n");
        let pool = Arc::new(FamilyPool::default());
        let mut out = Emitter::recycling(Arc::clone(&pool), 0);
        for collection in 0..2 {
            out.begin();
            emit_times(&text, std::path::Path::new("stat"), true, &mut out).expect("parses");
            let families = out.take_families();
            let first: Vec<(&str, &str)> = families[0]
                .samples
                .iter()
                .take(9)
                .filter_map(|s| Some((s.label("cpu")?, s.label("mode")?)))
                .collect();
            assert_eq!(first[..2], [("0", "idle"), ("0", "iowait")], "modes by name");
            assert_eq!(first[8], ("1", "idle"), "then cpu 1");
            let cpus: Vec<&str> =
                families[0].samples.iter().step_by(8).filter_map(|s| s.label("cpu")).collect();
            assert_eq!(cpus[..4], ["0", "1", "10", "11"], "CPUs by label");
            let steadiness = out.steadiness();
            if collection == 1 {
                assert_eq!((steadiness.same_families, steadiness.relabelled), (true, 0));
            }
            pool.keep(finish(families));
        }
    }
}
