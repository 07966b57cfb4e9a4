//! The collectors, one file each (each declares its [`CollectorSpec`] as `SPEC`), and [`ALL`], the
//! one list that names them all.

use super::spec::CollectorSpec;

mod arp;
mod bcache;
mod bonding;
mod btrfs;
mod conntrack;
mod cpu;
mod cpufreq;
mod diskstats;
mod dmi;
mod edac;
mod entropy;
mod fibrechannel;
mod filefd;
mod filesystem;
mod hwmon;
mod infiniband;
mod ipvs;
mod loadavg;
mod mdadm;
mod meminfo;
mod netclass;
mod netdev;
mod netstat;
mod nfs;
mod nfsd;
mod nvme;
mod os;
mod powersupplyclass;
mod pressure;
mod rapl;
mod schedstat;
mod selinux;
mod sockstat;
mod softnet;
mod stat;
mod systemd;
mod tapestats;
pub(crate) mod textfile;
mod thermal_zone;
mod time;
mod timex;
mod udp_queues;
mod uname;
mod vmstat;
mod xfs;
mod zfs;

/// Every collector srekit has, sorted by name.
pub(crate) static ALL: &[CollectorSpec] = &[
    arp::SPEC,
    bcache::SPEC,
    bonding::SPEC,
    btrfs::SPEC,
    conntrack::SPEC,
    cpu::SPEC,
    cpufreq::SPEC,
    diskstats::SPEC,
    dmi::SPEC,
    edac::SPEC,
    entropy::SPEC,
    fibrechannel::SPEC,
    filefd::SPEC,
    filesystem::SPEC,
    hwmon::SPEC,
    infiniband::SPEC,
    ipvs::SPEC,
    loadavg::SPEC,
    mdadm::SPEC,
    meminfo::SPEC,
    netclass::SPEC,
    netdev::SPEC,
    netstat::SPEC,
    nfs::SPEC,
    nfsd::SPEC,
    nvme::SPEC,
    os::SPEC,
    powersupplyclass::SPEC,
    pressure::SPEC,
    rapl::SPEC,
    schedstat::SPEC,
    selinux::SPEC,
    sockstat::SPEC,
    softnet::SPEC,
    stat::SPEC,
    systemd::SPEC,
    tapestats::SPEC,
    textfile::SPEC,
    thermal_zone::SPEC,
    time::SPEC,
    timex::SPEC,
    udp_queues::SPEC,
    uname::SPEC,
    vmstat::SPEC,
    xfs::SPEC,
    zfs::SPEC,
];

#[cfg(test)]
mod tests {
    use super::ALL;

    #[test]
    fn names_are_sorted_and_unique() {
        let names: Vec<&str> = ALL.iter().map(|spec| spec.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted, names);
    }
}
