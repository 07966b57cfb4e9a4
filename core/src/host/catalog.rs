//! The list of collectors: their names, whether node_exporter enables them by default, and how each
//! is built. Every collector implements [`Collector`].

use super::config::Settings;
use super::emit::Emitter;
use super::error::CollectError;
use super::{
    arp, bcache, bonding, btrfs, conntrack, cpu, cpufreq, diskstats, dmi, edac, entropy, fibrechannel,
    filefd, filesystem, hwmon, infiniband, ipvs, loadavg, mdadm, meminfo, netclass, netdev, netstat, nfs,
    nfsd, nvme, os, powersupplyclass, pressure, rapl, schedstat, selinux, sockstat, softnet, stat, systemd,
    tapestats, textfile, thermal_zone, time, timex, udp_queues, uname, vmstat, xfs, zfs,
};
use std::sync::Arc;

/// One collector: reads its sources and emits families. Owned by one worker thread, so it may keep
/// buffers between collections.
pub(crate) trait Collector: Send {
    /// Gathers this collector's metrics into `out`, or fails (the scrape goes on without it).
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError>;
}

/// A builder of one collector from the shared settings.
type Build = fn(Arc<Settings>) -> Box<dyn Collector>;

/// Every collector srekit has, by name, with its constructor. Sorted by name.
const CATALOG: &[(&str, Build)] = &[
    ("arp", |s| Box::new(arp::Arp::new(s))),
    ("bcache", |s| Box::new(bcache::Bcache::new(s))),
    ("bonding", |s| Box::new(bonding::Bonding::new(s))),
    ("btrfs", |s| Box::new(btrfs::Btrfs::new(s))),
    ("conntrack", |s| Box::new(conntrack::Conntrack::new(s))),
    ("cpu", |s| Box::new(cpu::Cpu::new(s))),
    ("cpufreq", |s| Box::new(cpufreq::CpuFreq::new(s))),
    ("diskstats", |s| Box::new(diskstats::DiskStats::new(s))),
    ("dmi", |s| Box::new(dmi::Dmi::new(s))),
    ("edac", |s| Box::new(edac::Edac::new(s))),
    ("entropy", |s| Box::new(entropy::Entropy::new(s))),
    ("fibrechannel", |s| Box::new(fibrechannel::FibreChannel::new(s))),
    ("filefd", |s| Box::new(filefd::FileFd::new(s))),
    ("filesystem", |s| Box::new(filesystem::Filesystem::new(s))),
    ("hwmon", |s| Box::new(hwmon::Hwmon::new(s))),
    ("infiniband", |s| Box::new(infiniband::InfiniBand::new(s))),
    ("ipvs", |s| Box::new(ipvs::Ipvs::new(s))),
    ("loadavg", |s| Box::new(loadavg::LoadAvg::new(s))),
    ("mdadm", |s| Box::new(mdadm::Mdadm::new(s))),
    ("meminfo", |s| Box::new(meminfo::MemInfo::new(s))),
    ("netclass", |s| Box::new(netclass::NetClass::new(s))),
    ("netdev", |s| Box::new(netdev::NetDev::new(s))),
    ("netstat", |s| Box::new(netstat::NetStat::new(s))),
    ("nfs", |s| Box::new(nfs::Nfs::new(s))),
    ("nfsd", |s| Box::new(nfsd::Nfsd::new(s))),
    ("nvme", |s| Box::new(nvme::Nvme::new(s))),
    ("os", |s| Box::new(os::Os::new(s))),
    ("powersupplyclass", |s| Box::new(powersupplyclass::PowerSupplyClass::new(s))),
    ("pressure", |s| Box::new(pressure::Pressure::new(s))),
    ("rapl", |s| Box::new(rapl::Rapl::new(s))),
    ("schedstat", |s| Box::new(schedstat::SchedStat::new(s))),
    ("selinux", |s| Box::new(selinux::Selinux::new(s))),
    ("sockstat", |s| Box::new(sockstat::SockStat::new(s))),
    ("softnet", |s| Box::new(softnet::Softnet::new(s))),
    ("stat", |s| Box::new(stat::Stat::new(s))),
    ("systemd", |s| Box::new(systemd::Systemd::new(s))),
    ("tapestats", |s| Box::new(tapestats::TapeStats::new(s))),
    ("textfile", |s| Box::new(textfile::Textfile::new(s))),
    ("thermal_zone", |s| Box::new(thermal_zone::ThermalZone::new(s))),
    ("time", |s| Box::new(time::Time::new(s))),
    ("timex", |s| Box::new(timex::Timex::new(s))),
    ("udp_queues", |s| Box::new(udp_queues::UdpQueues::new(s))),
    ("uname", |s| Box::new(uname::Uname::new(s))),
    ("vmstat", |s| Box::new(vmstat::VmStat::new(s))),
    ("xfs", |s| Box::new(xfs::Xfs::new(s))),
    ("zfs", |s| Box::new(zfs::Zfs::new(s))),
];

/// The names in [`CATALOG`], in the same order.
const ALL: &[&str] = &[
    "arp",
    "bcache",
    "bonding",
    "btrfs",
    "conntrack",
    "cpu",
    "cpufreq",
    "diskstats",
    "dmi",
    "edac",
    "entropy",
    "fibrechannel",
    "filefd",
    "filesystem",
    "hwmon",
    "infiniband",
    "ipvs",
    "loadavg",
    "mdadm",
    "meminfo",
    "netclass",
    "netdev",
    "netstat",
    "nfs",
    "nfsd",
    "nvme",
    "os",
    "powersupplyclass",
    "pressure",
    "rapl",
    "schedstat",
    "selinux",
    "sockstat",
    "softnet",
    "stat",
    "systemd",
    "tapestats",
    "textfile",
    "thermal_zone",
    "time",
    "timex",
    "udp_queues",
    "uname",
    "vmstat",
    "xfs",
    "zfs",
];

/// Every collector srekit implements, sorted by name.
///
/// ```
/// let all = srekit::host::all_collectors();
/// assert!(all.contains(&"cpu") && all.contains(&"netclass") && all.contains(&"timex"));
/// ```
pub fn all_collectors() -> &'static [&'static str] {
    ALL
}

/// The collectors enabled by default: all of srekit's collectors are enabled by default in
/// node_exporter 1.5 on Linux as Debian builds it (systemd included), so this is [`all_collectors`].
///
/// ```
/// assert!(srekit::host::default_collectors().contains(&"meminfo"));
/// ```
pub fn default_collectors() -> &'static [&'static str] {
    ALL
}

/// Collectors reading hardware sensors through drivers that can be slow (i2c sensors, ACPI thermal
/// zones, cpufreq on some CPUs): they share a worker away from the procfs lanes.
const HARDWARE: &[&str] = &[
    "cpufreq",
    "dmi",
    "edac",
    "fibrechannel",
    "hwmon",
    "infiniband",
    "nvme",
    "powersupplyclass",
    "rapl",
    "tapestats",
    "thermal_zone",
];

/// Collectors touching mounted filesystems, which can hang on a dead NFS server (filesystem also
/// statfs-es network mounts on threads of their own): they share a worker away from the rest.
const MOUNTS: &[&str] = &["filesystem", "textfile"];

/// Collectors that only read counters the kernel keeps in memory (procfs files whose generation
/// takes no sleeping lock and touches no device or filesystem, the clock, `uname`): they cannot hang,
/// so they run on the collecting thread itself while the workers run the rest. That saves a worker
/// wake-up, which on a virtual machine with an idle vCPU costs tens of microseconds.
const INLINE: &[&str] = &[
    "arp",
    "conntrack",
    "cpu",
    "diskstats",
    "entropy",
    "filefd",
    "loadavg",
    "meminfo",
    "netstat",
    "pressure",
    "schedstat",
    "sockstat",
    "softnet",
    "stat",
    "time",
    "timex",
    "uname",
    "vmstat",
];

/// Where collector `name` runs: on the collecting thread ([`INLINE`]) or on one of four workers.
/// Lane 0 takes the procfs/sysfs/netlink readers that may wait on a kernel lock (rtnl for netclass
/// and netdev, filesystem ioctls for btrfs) or walk large tables (udp_queues); the others keep what
/// can block for long apart: hardware sensors, mounted filesystems, and systemd (another process
/// over D-Bus, up to the deadline if the bus stalls). Every extra worker costs a thread wake-up per
/// scrape.
pub(crate) fn placement(name: &str) -> Placement {
    if name == "systemd" {
        Placement::Lane(3)
    } else if MOUNTS.contains(&name) {
        Placement::Lane(2)
    } else if HARDWARE.contains(&name) {
        Placement::Lane(1)
    } else if INLINE.contains(&name) {
        Placement::Inline
    } else {
        Placement::Lane(0)
    }
}

/// Which worker thread runs a collector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Placement {
    /// The collecting thread, before it waits for the workers.
    Inline,
    /// The given lane (worker thread), shared with the other collectors placed there.
    Lane(usize),
}

/// The static name of collector `name`, if it exists.
pub(crate) fn lookup(name: &str) -> Option<&'static str> {
    ALL.iter().copied().find(|n| *n == name)
}

/// Builds collector `name`.
pub(crate) fn build(name: &str, settings: Arc<Settings>) -> Option<Box<dyn Collector>> {
    CATALOG.iter().find(|(n, _)| *n == name).map(|(_, build)| build(settings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_catalog_agree_and_are_sorted() {
        let names: Vec<&str> = CATALOG.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ALL);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, names);
    }
}
