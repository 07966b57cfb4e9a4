//! cpufreq: per-CPU frequencies from /sys/devices/system/cpu/cpuN/cpufreq (kHz turned into hertz):
//! `node_cpu_frequency_*hertz` and `node_cpu_scaling_frequency_*hertz`, as node_exporter 1.5 has them.
//! A host without cpufreq reports nothing, successfully; that finding is remembered like an absence
//! (`HostConfig::absent_recheck`), so such a host (most virtual machines) lists no directory until
//! the interval has passed, and the collector is quiet ([`Collector::quiet_until`]) meanwhile.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{path_in, DirLister, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// `(file, metric, help)`; values are kHz.
const FREQUENCIES: [(&str, &str, &str); 6] = [
    ("cpuinfo_cur_freq", "node_cpu_frequency_hertz", "Current cpu thread frequency in hertz."),
    ("cpuinfo_max_freq", "node_cpu_frequency_max_hertz", "Maximum cpu thread frequency in hertz."),
    ("cpuinfo_min_freq", "node_cpu_frequency_min_hertz", "Minimum cpu thread frequency in hertz."),
    ("scaling_cur_freq", "node_cpu_scaling_frequency_hertz", "Current scaled CPU thread frequency in hertz."),
    (
        "scaling_max_freq",
        "node_cpu_scaling_frequency_max_hertz",
        "Maximum scaled CPU thread frequency in hertz.",
    ),
    (
        "scaling_min_freq",
        "node_cpu_scaling_frequency_min_hertz",
        "Minimum scaled CPU thread frequency in hertz.",
    ),
];

/// The cpufreq collector.
pub(crate) struct CpuFreq {
    settings: Arc<Settings>,
    reader: FileReader,
    /// Reused between collections.
    lister: DirLister,
    base: PathBuf,
    path: PathBuf,
    /// Until when no CPU is taken to have cpufreq (the last listing found none).
    none_until: Option<Instant>,
}

impl CpuFreq {
    pub(crate) fn new(settings: Arc<Settings>) -> CpuFreq {
        CpuFreq {
            settings,
            reader: FileReader::new(),
            lister: DirLister::keeping(),
            base: PathBuf::new(),
            path: PathBuf::new(),
            none_until: None,
        }
    }
}

/// The cpufreq collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "cpufreq",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(CpuFreq::new(settings)),
};

impl Collector for CpuFreq {
    fn quiet_until(&self) -> Option<Instant> {
        self.none_until.filter(|&until| Instant::now() < until)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        if self.quiet_until().is_some() {
            return Ok(());
        }
        let listed_at = Instant::now();
        let mut found = false;
        let base = path_in(&mut self.base, &self.settings.sysfs, &["devices/system/cpu"]);
        for entry in self.lister.list(base)? {
            let Some(cpu) = entry.strip_prefix("cpu") else { continue };
            if cpu.is_empty() || !cpu.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            if !self.settings.absences.is_dir(path_in(&mut self.path, base, &[entry, "cpufreq"])) {
                continue;
            }
            found = true;
            for (file, name, help) in FREQUENCIES {
                if let Ok(khz) =
                    self.reader.read_f64(path_in(&mut self.path, base, &[entry, "cpufreq", file]))
                {
                    out.gauge(name, help, pairs(&[("cpu", cpu)]), khz * 1000.0);
                }
            }
        }
        let recheck = self.settings.absences.recheck();
        self.none_until = (!found && !recheck.is_zero()).then(|| listed_at + recheck);
        Ok(())
    }
}
