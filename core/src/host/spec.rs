//! What a collector is to the machinery: the [`Collector`] trait, the [`CollectorSpec`] each
//! collector declares next to its code (name, default, placement, constructor) and [`Placement`].
//! This module names no collector; `collectors::ALL` is the one list of them.

use super::emit::Emitter;
use super::error::CollectError;
use super::settings::Settings;
use std::sync::Arc;
use std::time::Instant;

/// One collector: reads its sources and emits families. Owned by one worker thread, so it may keep
/// buffers between collections.
pub(crate) trait Collector: Send {
    /// Gathers this collector's metrics into `out`, or fails (the scrape goes on without it).
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError>;

    /// Until when [`update`](Collector::update) is quiet: it touches no file, device or socket,
    /// answering only from what it remembers (absences within their recheck interval, cached
    /// values), so it cannot block. `None` (the default): it may read. A lane whose every collector
    /// is quiet is run by the collecting thread instead of waking its worker.
    ///
    /// ```text
    /// fn quiet_until(&self) -> Option<Instant> {
    ///     self.settings.absences.remembered_until(&self.class)
    /// }
    /// ```
    fn quiet_until(&self) -> Option<Instant> {
        None
    }
}

/// A collector's entry in the catalog, declared as `SPEC` in the collector's own file.
#[derive(Clone, Copy)]
pub(crate) struct CollectorSpec {
    /// node_exporter's name of the collector (`--collector.<name>`).
    pub(crate) name: &'static str,
    /// Whether node_exporter enables it by default.
    pub(crate) enabled_by_default: bool,
    /// Which thread runs it.
    pub(crate) placement: Placement,
    /// What it means when the file or directory it reads does not exist.
    pub(crate) when_absent: WhenAbsent,
    /// Builds the collector from the shared settings.
    pub(crate) build: fn(Arc<Settings>) -> Box<dyn Collector>,
}

/// What the absence (`ENOENT`, `ENOTDIR`) of the file or directory a collector reads means, as
/// node_exporter tells a collector that "returned no data" (`ErrNoData`, logged at debug level) from one
/// that failed (logged as an error). Either way the collector reports success 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WhenAbsent {
    /// The subsystem is optional (NVMe, InfiniBand, NFS, ZFS, hwmon, ...): a host without it has no
    /// data for this collector, and that is no fault.
    NoData,
    /// Every Linux kernel has it (`/proc/stat`, `/proc/meminfo`, `/sys/class/net`, ...): its absence
    /// means a wrong `--path.procfs`/`--path.sysfs` or an unmounted /proc or /sys, a real failure.
    Failure,
}

/// Which thread runs a collector. Every worker costs a thread wake-up per scrape, so collectors
/// share a few of them, grouped by what can make them block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// The collecting thread, before it waits for the workers: collectors that only read counters
    /// the kernel keeps in memory (procfs files whose generation takes no sleeping lock and touches
    /// no device or filesystem, the clock, `uname`). They cannot hang, and running them inline saves
    /// a worker wake-up, which on a virtual machine with an idle vCPU costs tens of microseconds.
    Inline,
    /// Lane 0: procfs/sysfs/netlink readers that may wait on a kernel lock (rtnl for netclass and
    /// netdev, filesystem ioctls for btrfs) or walk large tables (udp_queues).
    Kernel,
    /// Lane 1: hardware sensors read through drivers that can be slow (i2c sensors, ACPI thermal
    /// zones, cpufreq on some CPUs).
    Hardware,
    /// Lane 2: mounted filesystems, which can hang on a dead NFS server (the textfile directory,
    /// mountstats).
    Mounts,
    /// Mounted filesystems read by a collector that bounds its own waits: filesystem statfs-es network
    /// and FUSE mounts (the ones that hang) on threads of their own and waits for them only until
    /// 0.8 of its deadline, and local filesystems answer statfs from memory. Lane 2 beside the other
    /// mount readers when there are more than two CPUs; with two or fewer, the kernel lane (see
    /// [`Placement::lane`]).
    SelfBounded,
    /// Lane 3: systemd, another process over D-Bus (up to the deadline if the bus stalls).
    Systemd,
    /// Beside the collecting thread when there is a second CPU, else on it: collectors as safe as
    /// `Inline` ones but slow enough cold (netstat formats three long procfs tables: ~160 µs after
    /// an idle spell, a third of the inline time) that running them beside the inline collectors
    /// shortens a collection by more than a wake-up costs. Lane 4 with more than two CPUs, the
    /// kernel lane with two; with one CPU they would only take turns with the collecting thread, so
    /// they run inline.
    Parallel,
}

impl Placement {
    /// The worker lane on a host with `cpus` CPUs, or `None` for the collecting thread.
    ///
    /// With two CPUs or fewer, only one worker can run beside the collecting thread, and every other
    /// worker woken costs a wake-up and a context switch without running anything sooner (on a
    /// virtual machine after an idle spell, waking two workers fewer saved 30-40% of a collection's
    /// CPU time): the collectors that can share a worker with the kernel lane without ever stalling
    /// it past its deadline (`Parallel`, `SelfBounded`) join it, so a default collection wakes one
    /// worker instead of three.
    pub(crate) fn lane(self, cpus: usize) -> Option<usize> {
        let few_cpus = cpus <= 2;
        match self {
            Placement::Inline => None,
            Placement::Kernel => Some(0),
            Placement::Hardware => Some(1),
            Placement::Mounts => Some(2),
            Placement::SelfBounded => Some(if few_cpus { 0 } else { 2 }),
            Placement::Systemd => Some(3),
            Placement::Parallel if cpus <= 1 => None,
            Placement::Parallel => Some(if few_cpus { 0 } else { 4 }),
        }
    }

    /// Where a collector runs within its lane: those that may wait (up to their own bound) after
    /// the others, so a wait delays none of them.
    pub(crate) fn rank_in_lane(self) -> u8 {
        match self {
            Placement::SelfBounded => 1,
            _ => 0,
        }
    }
}
