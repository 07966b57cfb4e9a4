//! Live-host checks that need no node_exporter: the rtnetlink path of netdev/netclass gives the same
//! series (and, for netclass, the same values) as the sysfs/procfs path, and concurrent scrapes
//! sharing one `HostCollector` all get complete results.

mod common;

use common::Series;
use srekit::host::{HostCollector, HostConfig};
use srekit::metrics::MetricFamily;

fn series(families: &[MetricFamily]) -> Series {
    common::series(families, |f| !f.name.starts_with("node_scrape_"))
}

fn collector(netlink: bool, name: &str) -> HostCollector {
    let mut config = HostConfig::default();
    config.netlink = netlink;
    config.disable_defaults();
    config.enable(name).expect("known collector");
    HostCollector::new(config).expect("valid config")
}

fn collect(netlink: bool, name: &str) -> Vec<MetricFamily> {
    let report = collector(netlink, name).collect_report();
    assert!(report.failures.is_empty(), "{name} (netlink {netlink}) failed: {:?}", report.failures);
    report.families
}

#[test]
fn netclass_from_netlink_equals_netclass_from_sysfs() {
    let netlink = collector(true, "netclass");
    let from_netlink = series(&netlink.collect());
    let from_sysfs = series(&collect(false, "netclass"));
    assert!(from_sysfs.keys().any(|(name, _)| name == "node_network_mtu_bytes"));
    assert_eq!(from_netlink, from_sysfs);
    // The second scrape takes the fixed attributes from its cache: still the same.
    assert_eq!(series(&netlink.collect()), from_sysfs);
}

#[test]
fn netdev_from_netlink_has_the_series_of_proc_net_dev() {
    let from_netlink = series(&collect(true, "netdev"));
    let from_proc = series(&collect(false, "netdev"));
    let keys = |s: &Series| s.keys().cloned().collect::<Vec<_>>();
    assert!(!from_proc.is_empty());
    assert_eq!(keys(&from_netlink), keys(&from_proc));
    // Counters only grow between the two reads.
    for (key, value) in &from_netlink {
        if let Some(later) = from_proc.get(key) {
            assert!(later >= value, "{key:?} went from {value} to {later}");
        }
    }
}

#[test]
fn concurrent_scrapes_share_one_collector() {
    let collector = HostCollector::new(HostConfig::default()).expect("valid config");
    let expected = collector.collect().len();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4).map(|_| scope.spawn(|| collector.collect())).collect();
        for handle in handles {
            let families = handle.join().expect("scrape thread");
            let success =
                families.iter().find(|f| f.name == "node_scrape_collector_success").expect("success");
            assert_eq!(success.samples.len(), collector.collectors().len());
            assert!(families.len() + 2 >= expected, "a concurrent scrape lost families");
        }
    });
}
