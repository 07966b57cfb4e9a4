//! perf (opt-in, as node_exporter's): system-wide hardware, software and hardware-cache event counts
//! per CPU from perf_event_open(2), as `node_perf_*_total{cpu}`. One counting (not sampling) event
//! is opened per (event, CPU) when the collector is built and read at each collection.
//!
//! As node_exporter 1.5 does, an event the kernel refuses (a virtual machine without hardware
//! counters, `perf_event_paranoid`, a CPU that is offline) is left out, its series missing; srekit
//! also says which in [`PerfSettings`]'s warnings (logged once by the exporter). If no event at all
//! can be opened the collection fails, naming the kernel's error. The flags of later releases that
//! pick the profilers (`--collector.perf.{hardware,software,cache}-profilers` with perf-utils'
//! names, `--collector.perf.disable-{hardware,software,cache}-profilers`) are accepted; by default
//! the events of node_exporter 1.5 are opened (stalled cycles and the data TLB ones only when
//! named). Tracepoints (`--collector.perf.tracepoint subsystem:event`) are counted the same way, as
//! `node_perf_<subsystem>_<event>{cpu}` ([`super::perf_tracepoint`]).

use super::perf_tracepoint::{self, Tracepoint};
use crate::host::emit::{pairs, Emitter};
use crate::host::error::{CollectError, HostError};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::fs::File;
use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// perf_event_attr.type of a generalized hardware event.
const TYPE_HARDWARE: u32 = 0;
/// perf_event_attr.type of a software event.
const TYPE_SOFTWARE: u32 = 1;
/// perf_event_attr.type of a tracepoint (its config is the tracepoint's id).
const TYPE_TRACEPOINT: u32 = 2;
/// perf_event_attr.type of a hardware cache event.
const TYPE_HW_CACHE: u32 = 3;
/// perf_event_attr flag bit `exclude_hv` (as perf-utils, which node_exporter uses, sets it).
const EXCLUDE_HV: u64 = 1 << 6;
/// perf_event_open flag: the descriptor is close-on-exec.
const FLAG_FD_CLOEXEC: libc::c_ulong = 8;

/// One perf event node_exporter exports.
#[derive(Debug)]
pub(crate) struct PerfEvent {
    /// perf-utils' name, as the `--collector.perf.*-profilers` flags take it.
    name: &'static str,
    metric: &'static str,
    help: &'static str,
    kind: u32,
    config: u64,
    /// Whether node_exporter 1.5 opens it (the others only when named in a profilers flag).
    in_1_5: bool,
}

const fn event(
    name: &'static str,
    metric: &'static str,
    help: &'static str,
    kind: u32,
    config: u64,
) -> PerfEvent {
    PerfEvent { name, metric, help, kind, config, in_1_5: true }
}

const fn newer(event: PerfEvent) -> PerfEvent {
    PerfEvent { in_1_5: false, ..event }
}

/// A hardware cache event's config: cache id, operation (0 read, 1 write), result (0 access, 1 miss).
const fn cache(id: u64, op: u64, result: u64) -> u64 {
    id | (op << 8) | (result << 16)
}

/// The hardware events (`--collector.perf.hardware-profilers`).
static HARDWARE: [PerfEvent; 9] = [
    event(
        "CpuCycles",
        "node_perf_cpucycles_total",
        "Number of CPU cycles (frequency scaled)",
        TYPE_HARDWARE,
        0,
    ),
    event("CpuInstr", "node_perf_instructions_total", "Number of CPU instructions", TYPE_HARDWARE, 1),
    event(
        "BranchInstr",
        "node_perf_branch_instructions_total",
        "Number of CPU branch instructions",
        TYPE_HARDWARE,
        4,
    ),
    event("BranchMisses", "node_perf_branch_misses_total", "Number of CPU branch misses", TYPE_HARDWARE, 5),
    event(
        "CacheRef",
        "node_perf_cache_refs_total",
        "Number of cache references (non frequency scaled)",
        TYPE_HARDWARE,
        2,
    ),
    event("CacheMisses", "node_perf_cache_misses_total", "Number of cache misses", TYPE_HARDWARE, 3),
    event("RefCpuCycles", "node_perf_ref_cpucycles_total", "Number of CPU cycles", TYPE_HARDWARE, 9),
    newer(event(
        "StalledCyclesBackend",
        "node_perf_stalled_cycles_backend_total",
        "Number of stalled backend CPU cycles",
        TYPE_HARDWARE,
        8,
    )),
    newer(event(
        "StalledCyclesFrontend",
        "node_perf_stalled_cycles_frontend_total",
        "Number of stalled frontend CPU cycles",
        TYPE_HARDWARE,
        7,
    )),
];

/// The software events (`--collector.perf.software-profilers`).
static SOFTWARE: [PerfEvent; 5] = [
    event("PageFault", "node_perf_page_faults_total", "Number of page faults", TYPE_SOFTWARE, 2),
    event(
        "ContextSwitch",
        "node_perf_context_switches_total",
        "Number of context switches",
        TYPE_SOFTWARE,
        3,
    ),
    event(
        "CpuMigration",
        "node_perf_cpu_migrations_total",
        "Number of CPU process migrations",
        TYPE_SOFTWARE,
        4,
    ),
    event("MinorFault", "node_perf_minor_faults_total", "Number of minor page faults", TYPE_SOFTWARE, 5),
    event("MajorFault", "node_perf_major_faults_total", "Number of major page faults", TYPE_SOFTWARE, 6),
];

/// The hardware cache events (`--collector.perf.cache-profilers`). Cache ids: 0 L1D, 1 L1I, 2 LL,
/// 3 DTLB, 4 ITLB, 5 BPU.
static CACHE: [PerfEvent; 16] = [
    event(
        "L1DataReadHit",
        "node_perf_cache_l1d_read_hits_total",
        "Number L1 data cache read hits",
        TYPE_HW_CACHE,
        cache(0, 0, 0),
    ),
    event(
        "L1DataReadMiss",
        "node_perf_cache_l1d_read_misses_total",
        "Number L1 data cache read misses",
        TYPE_HW_CACHE,
        cache(0, 0, 1),
    ),
    event(
        "L1DataWriteHit",
        "node_perf_cache_l1d_write_hits_total",
        "Number L1 data cache write hits",
        TYPE_HW_CACHE,
        cache(0, 1, 0),
    ),
    event(
        "L1InstrReadMiss",
        "node_perf_cache_l1_instr_read_misses_total",
        "Number instruction L1 instruction read misses",
        TYPE_HW_CACHE,
        cache(1, 0, 1),
    ),
    event(
        "InstrTLBReadHit",
        "node_perf_cache_tlb_instr_read_hits_total",
        "Number instruction TLB read hits",
        TYPE_HW_CACHE,
        cache(4, 0, 0),
    ),
    event(
        "InstrTLBReadMiss",
        "node_perf_cache_tlb_instr_read_misses_total",
        "Number instruction TLB read misses",
        TYPE_HW_CACHE,
        cache(4, 0, 1),
    ),
    newer(event(
        "DataTLBReadHit",
        "node_perf_cache_tlb_data_read_hits_total",
        "Number of data TLB read hits",
        TYPE_HW_CACHE,
        cache(3, 0, 0),
    )),
    newer(event(
        "DataTLBReadMiss",
        "node_perf_cache_tlb_data_read_misses_total",
        "Number of data TLB read misses",
        TYPE_HW_CACHE,
        cache(3, 0, 1),
    )),
    newer(event(
        "DataTLBWriteHit",
        "node_perf_cache_tlb_data_write_hits_total",
        "Number of data TLB write hits",
        TYPE_HW_CACHE,
        cache(3, 1, 0),
    )),
    newer(event(
        "DataTLBWriteMiss",
        "node_perf_cache_tlb_data_write_misses_total",
        "Number of data TLB write misses",
        TYPE_HW_CACHE,
        cache(3, 1, 1),
    )),
    event(
        "LLReadHit",
        "node_perf_cache_ll_read_hits_total",
        "Number last level read hits",
        TYPE_HW_CACHE,
        cache(2, 0, 0),
    ),
    event(
        "LLReadMiss",
        "node_perf_cache_ll_read_misses_total",
        "Number last level read misses",
        TYPE_HW_CACHE,
        cache(2, 0, 1),
    ),
    event(
        "LLWriteHit",
        "node_perf_cache_ll_write_hits_total",
        "Number last level write hits",
        TYPE_HW_CACHE,
        cache(2, 1, 0),
    ),
    event(
        "LLWriteMiss",
        "node_perf_cache_ll_write_misses_total",
        "Number last level write misses",
        TYPE_HW_CACHE,
        cache(2, 1, 1),
    ),
    event(
        "BPUReadHit",
        "node_perf_cache_bpu_read_hits_total",
        "Number BPU read hits",
        TYPE_HW_CACHE,
        cache(5, 0, 0),
    ),
    event(
        "BPUReadMiss",
        "node_perf_cache_bpu_read_misses_total",
        "Number BPU read misses",
        TYPE_HW_CACHE,
        cache(5, 0, 1),
    ),
];

/// The perf options as the host configuration gives them (text as set, switches).
pub(crate) struct PerfOptions<'a> {
    /// `--path.sysfs`, under which tracefs is looked for.
    pub(crate) sysfs: &'a Path,
    pub(crate) cpus: Option<&'a str>,
    pub(crate) tracepoint: Option<&'a str>,
    pub(crate) disable_hardware: bool,
    pub(crate) disable_software: bool,
    pub(crate) disable_cache: bool,
    pub(crate) hardware: Option<&'a str>,
    pub(crate) software: Option<&'a str>,
    pub(crate) cache: Option<&'a str>,
}

/// The perf collector's compiled settings: which CPUs and events, and what could not be opened.
#[derive(Debug, Default)]
pub(crate) struct PerfSettings {
    /// The CPUs to count on (`None`: every CPU the process may run on).
    cpus: Option<Vec<usize>>,
    /// The events to open, in node_exporter's order.
    events: Vec<&'static PerfEvent>,
    /// The tracepoints to open, after the events.
    tracepoints: Vec<Tracepoint>,
    /// The events the kernel refused when the collector was built, as warnings.
    pub(crate) unavailable: Mutex<Vec<String>>,
}

impl PerfSettings {
    /// Checks and compiles the options; an error names the option and the bad part.
    pub(crate) fn compile(options: &PerfOptions<'_>) -> Result<PerfSettings, HostError> {
        let tracepoints = perf_tracepoint::resolve(options.tracepoint.unwrap_or(""), options.sysfs)
            .map_err(|message| HostError::InvalidValue { option: "perf_tracepoint", message })?;
        let cpus = match options.cpus.filter(|c| !c.is_empty()) {
            Some(list) => Some(
                parse_cpus(list)
                    .map_err(|message| HostError::InvalidValue { option: "perf_cpus", message })?,
            ),
            None => None,
        };
        let mut events = Vec::new();
        for (disabled, table, names, option) in [
            (options.disable_hardware, &HARDWARE[..], options.hardware, "perf_hardware_profilers"),
            (options.disable_software, &SOFTWARE[..], options.software, "perf_software_profilers"),
            (options.disable_cache, &CACHE[..], options.cache, "perf_cache_profilers"),
        ] {
            if !disabled {
                let chosen =
                    select(table, names).map_err(|message| HostError::InvalidValue { option, message })?;
                events.extend(chosen);
            }
        }
        Ok(PerfSettings { cpus, events, tracepoints, unavailable: Mutex::default() })
    }
}

/// The events of `table` named in `names` (whitespace-separated perf-utils names), or node_exporter
/// 1.5's events of the table when none are named.
fn select(table: &'static [PerfEvent], names: Option<&str>) -> Result<Vec<&'static PerfEvent>, String> {
    let names: Vec<&str> = names.map(|n| n.split_whitespace().collect()).unwrap_or_default();
    if names.is_empty() {
        return Ok(table.iter().filter(|e| e.in_1_5).collect());
    }
    for name in &names {
        if !table.iter().any(|e| e.name == *name) {
            let known: Vec<&str> = table.iter().map(|e| e.name).collect();
            return Err(format!("unknown profiler {name:?} (known: {})", known.join(", ")));
        }
    }
    Ok(table.iter().filter(|e| names.contains(&e.name)).collect())
}

/// Parses node_exporter's `--collector.perf.cpus`: comma-separated CPUs and ranges, a range with an
/// optional stride (`1-10:5` is 1, 6).
///
/// ```text
/// "0,2-4,8-12:2" -> [0, 2, 3, 4, 8, 10, 12]
/// ```
pub(crate) fn parse_cpus(list: &str) -> Result<Vec<usize>, String> {
    let number =
        |text: &str| text.parse::<usize>().map_err(|_| format!("{text:?} in {list:?} is not a CPU number"));
    let mut cpus = Vec::new();
    for part in list.split(',') {
        let Some((start, rest)) = part.split_once('-') else {
            cpus.push(number(part)?);
            continue;
        };
        let (end, stride) = match rest.split_once(':') {
            Some((end, stride)) => (end, number(stride)?),
            None => (rest, 1),
        };
        if stride == 0 {
            return Err(format!("stride 0 in {part:?} of {list:?}"));
        }
        let (start, end) = (number(start)?, number(end)?);
        cpus.extend((start..=end).step_by(stride));
    }
    Ok(cpus)
}

/// The CPUs this process may run on, numbered 0..n as Go's `runtime.NumCPU()` counts them.
fn default_cpus() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity writes at most its size.
    let count = unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) == 0 {
            libc::CPU_COUNT(&set) as usize
        } else {
            std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
        }
    };
    (0..count).collect()
}

/// perf_event_attr up to its first published size (PERF_ATTR_SIZE_VER0, 64 bytes).
#[repr(C)]
#[derive(Default)]
struct PerfEventAttr {
    kind: u32,
    size: u32,
    config: u64,
    sample_period: u64,
    sample_type: u64,
    read_format: u64,
    flags: u64,
    wakeup_events: u32,
    bp_type: u32,
    config1: u64,
}

/// Opens a counting event (`kind`, `config`) for every process on `cpu`, started at once.
fn open((kind, config): (u32, u64), cpu: usize) -> std::io::Result<File> {
    let attr = PerfEventAttr {
        kind,
        size: std::mem::size_of::<PerfEventAttr>() as u32,
        config,
        flags: EXCLUDE_HV,
        ..PerfEventAttr::default()
    };
    let cpu = libc::c_int::try_from(cpu).map_err(|_| std::io::Error::from_raw_os_error(libc::EINVAL))?;
    // SAFETY: `attr` is a perf_event_attr of the size it declares, alive for the call; the kernel
    // only reads it. pid -1 with a cpu counts every process on that CPU; group_fd -1: no group.
    let fd = unsafe {
        libc::syscall(libc::SYS_perf_event_open, &attr as *const PerfEventAttr, -1, cpu, -1, FLAG_FD_CLOEXEC)
    };
    if fd < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: the kernel returned a new descriptor that nothing else owns.
    Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
}

/// What a counter counts: an event of the tables or a tracepoint.
enum Counted {
    Event(&'static PerfEvent),
    Tracepoint(Arc<Tracepoint>),
}

impl Counted {
    fn attr(&self) -> (u32, u64) {
        match self {
            Counted::Event(event) => (event.kind, event.config),
            Counted::Tracepoint(tracepoint) => (TYPE_TRACEPOINT, tracepoint.id),
        }
    }

    /// The metric and perf-utils' (or the tracepoint's) name.
    fn names(&self) -> (&str, &str) {
        match self {
            Counted::Event(event) => (event.metric, event.name),
            Counted::Tracepoint(tracepoint) => (&tracepoint.metric, &tracepoint.name),
        }
    }

    fn help(&self) -> &str {
        match self {
            Counted::Event(event) => event.help,
            Counted::Tracepoint(tracepoint) => &tracepoint.help,
        }
    }

    fn share(&self) -> Counted {
        match self {
            Counted::Event(event) => Counted::Event(event),
            Counted::Tracepoint(tracepoint) => Counted::Tracepoint(Arc::clone(tracepoint)),
        }
    }
}

/// One open event on one CPU.
struct Counter {
    counted: Counted,
    cpu: String,
    file: File,
}

/// The perf collector.
pub(crate) struct Perf {
    counters: Vec<Counter>,
    /// Why nothing could be opened (the first refusal), if nothing was.
    refused: Option<std::io::Error>,
}

/// The perf collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "perf",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Perf::open_all(&settings)),
};

impl Perf {
    /// Opens every configured (event, CPU); records the ones refused in the settings' warnings.
    fn open_all(settings: &Arc<Settings>) -> Perf {
        let perf = &settings.perf;
        let cpus = perf.cpus.clone().unwrap_or_else(default_cpus);
        let (mut counters, mut refused, mut unavailable) = (Vec::new(), None, Vec::new());
        let events = perf.events.iter().map(|event| Counted::Event(event));
        let tracepoints = perf.tracepoints.iter().map(|t| Counted::Tracepoint(Arc::new(t.clone())));
        for counted in events.chain(tracepoints) {
            let (mut missing, mut first_error) = (Vec::new(), None);
            for &cpu in &cpus {
                match open(counted.attr(), cpu) {
                    Ok(file) => {
                        counters.push(Counter { counted: counted.share(), cpu: cpu.to_string(), file })
                    }
                    Err(error) => {
                        missing.push(cpu.to_string());
                        first_error.get_or_insert_with(|| error.to_string());
                        refused.get_or_insert(error);
                    }
                }
            }
            if let Some(error) = first_error {
                let ((metric, name), cpus) = (counted.names(), missing.join(","));
                unavailable.push(format!("perf: {metric} ({name}) unavailable on cpu {cpus}: {error}"));
            }
        }
        if let Ok(mut list) = perf.unavailable.lock() {
            *list = unavailable;
        }
        Perf { refused: if counters.is_empty() { refused } else { None }, counters }
    }
}

impl Collector for Perf {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        if let Some(error) = &self.refused {
            return Err(CollectError::Syscall {
                call: "perf_event_open",
                source: std::io::Error::new(error.kind(), error.to_string()),
            });
        }
        let mut buffer = [0u8; 8];
        for counter in &mut self.counters {
            counter
                .file
                .read_exact(&mut buffer)
                .map_err(|source| CollectError::Syscall { call: "read(perf event)", source })?;
            let value = u64::from_ne_bytes(buffer);
            out.counter(
                counter.counted.names().0,
                counter.counted.help(),
                pairs(&[("cpu", &counter.cpu)]),
                value as f64,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options() -> PerfOptions<'static> {
        PerfOptions {
            sysfs: Path::new("/nonexistent"),
            cpus: None,
            tracepoint: None,
            disable_hardware: false,
            disable_software: false,
            disable_cache: false,
            hardware: None,
            software: None,
            cache: None,
        }
    }

    fn metrics(settings: &PerfSettings) -> Vec<&'static str> {
        settings.events.iter().map(|e| e.metric).collect()
    }

    #[test]
    fn cpu_lists_parse_as_node_exporter_parses_them() {
        assert_eq!(parse_cpus("0").unwrap(), vec![0]);
        assert_eq!(parse_cpus("0,2-4,8-12:2").unwrap(), vec![0, 2, 3, 4, 8, 10, 12]);
        assert_eq!(parse_cpus("1-10:5").unwrap(), vec![1, 6]);
        assert!(parse_cpus("a").unwrap_err().contains("\"a\""));
        assert!(parse_cpus("1-").is_err());
        assert!(parse_cpus("1-4:0").unwrap_err().contains("stride 0"));
        assert!(parse_cpus("").is_err());
    }

    #[test]
    fn defaults_are_node_exporter_1_5s_events() {
        let settings = PerfSettings::compile(&options()).unwrap();
        let names = metrics(&settings);
        assert_eq!(names.len(), 7 + 5 + 12);
        assert!(
            names.contains(&"node_perf_cpucycles_total") && names.contains(&"node_perf_page_faults_total")
        );
        assert!(!names.contains(&"node_perf_stalled_cycles_backend_total"));
        assert!(!names.contains(&"node_perf_cache_tlb_data_read_hits_total"));
        assert_eq!(settings.cpus, None);
    }

    #[test]
    fn profiler_flags_select_and_disable() {
        let chosen = PerfOptions {
            disable_hardware: true,
            disable_cache: true,
            software: Some("ContextSwitch PageFault"),
            cpus: Some("1"),
            ..options()
        };
        let settings = PerfSettings::compile(&chosen).unwrap();
        assert_eq!(
            metrics(&settings),
            vec!["node_perf_page_faults_total", "node_perf_context_switches_total"]
        );
        assert_eq!(settings.cpus, Some(vec![1]));
        let newer = PerfOptions { hardware: Some("StalledCyclesFrontend"), ..options() };
        assert!(metrics(&PerfSettings::compile(&newer).unwrap())
            .contains(&"node_perf_stalled_cycles_frontend_total"));
    }

    #[test]
    fn bad_perf_options_name_the_option() {
        for (bad, option) in [
            (PerfOptions { cpus: Some("x"), ..options() }, "perf_cpus"),
            (PerfOptions { cache: Some("L1Bogus"), ..options() }, "perf_cache_profilers"),
            (PerfOptions { tracepoint: Some("sched:sched_switch"), ..options() }, "perf_tracepoint"),
            (PerfOptions { tracepoint: Some("sched_switch"), ..options() }, "perf_tracepoint"),
        ] {
            match PerfSettings::compile(&bad) {
                Err(HostError::InvalidValue { option: named, .. }) => assert_eq!(named, option),
                other => panic!("expected InvalidValue for {option}, got {:?}", other.map(|_| ())),
            }
        }
    }

    #[test]
    fn every_event_is_named_once() {
        let all: Vec<&PerfEvent> = HARDWARE.iter().chain(&SOFTWARE).chain(&CACHE).collect();
        for event in &all {
            assert_eq!(all.iter().filter(|e| e.name == event.name).count(), 1, "{}", event.name);
            assert_eq!(all.iter().filter(|e| e.metric == event.metric).count(), 1, "{}", event.metric);
            assert!(event.metric.starts_with("node_perf_") && event.metric.ends_with("_total"));
        }
    }
}
