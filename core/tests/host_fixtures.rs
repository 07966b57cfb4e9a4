//! Golden and behaviour tests of the host collectors on the captured fixture tree
//! tests/fixtures/host/basic (see its README for the odd cases added by hand), plus robustness on
//! missing roots and corrupted files: no collector may panic, whatever the file contents.

use srekit::expfmt::{encode_to_string, Format};
use srekit::host::{CollectError, HostCollector};
use srekit::metrics::MetricFamily;
use std::path::{Path, PathBuf};

#[path = "../../tests/support/support.rs"]
mod support;

mod common;
use common::host_fixture::{copy_tree, find, fixture, fixture_config, success, value};

/// Text output with the values of the volatile families (tests/support/volatile-metrics.txt) masked and the fixture's absolute path
/// written `<fixture>`.
fn masked_text(families: &[MetricFamily]) -> String {
    let text =
        encode_to_string(families, Format::Text).replace(&fixture().display().to_string(), "<fixture>");
    let volatile_families = support::volatile_metrics();
    text.lines()
        .map(|line| {
            let volatile = !line.starts_with('#')
                && volatile_families
                    .iter()
                    .any(|v| line.starts_with(v) && line[v.len()..].starts_with(['{', ' ']));
            match line.rsplit_once(' ') {
                Some((series, _)) if volatile => format!("{series} <volatile>\n"),
                _ => format!("{line}\n"),
            }
        })
        .collect()
}

#[test]
fn fixture_output_matches_golden_file() {
    let collector = HostCollector::new(fixture_config(&fixture())).expect("valid config");
    let actual = masked_text(&collector.collect());
    let golden = fixture().join("../basic.expected.prom");
    if std::env::var_os("SREKIT_UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &actual).expect("write golden file");
    }
    let expected = std::fs::read_to_string(&golden).expect("golden file exists");
    if actual != expected {
        let diff: Vec<String> = expected
            .lines()
            .zip(actual.lines())
            .filter(|(e, a)| e != a)
            .take(10)
            .map(|(e, a)| format!("- {e}\n+ {a}"))
            .collect();
        panic!(
            "output differs from {} ({} vs {} lines):\n{}",
            golden.display(),
            expected.lines().count(),
            actual.lines().count(),
            diff.join("\n")
        );
    }
}

#[test]
fn odd_cases_are_handled_like_node_exporter() {
    let families = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    // Hot-plugged cpu2 and offline cpu1.
    let cpus: Vec<&str> = find(&families, "node_cpu_seconds")
        .expect("cpu family")
        .samples
        .iter()
        .filter_map(|s| s.label("cpu"))
        .collect();
    assert!(cpus.contains(&"0") && cpus.contains(&"2") && !cpus.contains(&"1"));
    assert_eq!(value(&families, "node_cpu_seconds", &[("cpu", "2"), ("mode", "user")]), Some(12.0));
    assert_eq!(value(&families, "node_cpu_guest_seconds", &[("cpu", "2"), ("mode", "nice")]), Some(0.2));
    assert_eq!(value(&families, "node_cpu_scaling_frequency_hertz", &[("cpu", "2")]), Some(1.8e9));
    assert_eq!(value(&families, "node_cpu_frequency_hertz", &[("cpu", "2")]), None, "no cpuinfo_cur_freq");
    // Kernel without PSI: pressure fails, the scrape goes on.
    assert_eq!(success(&families, "pressure"), Some(0.0));
    assert!(find(&families, "node_pressure_cpu_waiting_seconds").is_none());
    assert_eq!(success(&families, "meminfo"), Some(1.0));
    // Mount point with a space, read-only; unreachable NFS; default exclusions; duplicate /.
    let my_disk = [("mountpoint", "/srv/my disk")];
    assert_eq!(value(&families, "node_filesystem_readonly", &my_disk), Some(1.0));
    assert_eq!(value(&families, "node_filesystem_device_error", &my_disk), Some(0.0));
    assert_eq!(value(&families, "node_filesystem_device_error", &[("mountpoint", "/data")]), Some(1.0));
    assert_eq!(value(&families, "node_filesystem_size_bytes", &[("mountpoint", "/data")]), None);
    let mut mounts: Vec<&str> = find(&families, "node_filesystem_device_error")
        .expect("filesystem family")
        .samples
        .iter()
        .filter_map(|s| s.label("mountpoint"))
        .collect();
    mounts.sort();
    assert_eq!(mounts, vec!["/", "/data", "/srv/my disk"], "excluded and duplicate mounts dropped");
    // Disk exclusion and udev info.
    assert_eq!(
        value(
            &families,
            "node_disk_info",
            &[("device", "vda"), ("model", "QEMU_HARDDISK"), ("serial", "QM00001")]
        ),
        Some(1.0)
    );
    // netdev drops lo by default; netclass keeps it.
    assert_eq!(value(&families, "node_network_receive_bytes", &[("device", "lo")]), None);
    assert_eq!(value(&families, "node_network_receive_bytes", &[("device", "veth1a2b")]), Some(1234.0));
    assert_eq!(value(&families, "node_network_up", &[("device", "lo")]), Some(0.0));
    assert_eq!(value(&families, "node_network_flags", &[("device", "veth1a2b")]), Some(4099.0));
    assert_eq!(value(&families, "node_network_speed_bytes", &[("device", "veth1a2b")]), Some(1.25e9));
    // hwmon: good sensors in, unparsable temp2 out; thermal zone in Celsius.
    assert_eq!(value(&families, "node_hwmon_temp_celsius", &[("sensor", "temp1")]), Some(45.0));
    assert_eq!(value(&families, "node_hwmon_temp_celsius", &[("sensor", "temp2")]), None);
    assert_eq!(value(&families, "node_hwmon_in_volts", &[("sensor", "in0")]), Some(1.18));
    assert_eq!(value(&families, "node_thermal_zone_temp", &[("zone", "0")]), Some(47.0));
    // schedstat ns -> seconds.
    assert_eq!(value(&families, "node_schedstat_running_seconds", &[("cpu", "0")]), Some(2.5));
    // ipvs: hex totals; backends summed per label set (the FWM service lists one real server twice).
    assert_eq!(value(&families, "node_ipvs_connections", &[]), Some(0x23765872u64 as f64));
    assert_eq!(value(&families, "node_ipvs_incoming_bytes", &[]), Some(0xA5E0D0B5E3u64 as f64));
    let backend = [
        ("local_address", "192.168.0.22"),
        ("local_port", "3306"),
        ("remote_address", "192.168.82.22"),
        ("remote_port", "3306"),
        ("proto", "TCP"),
        ("local_mark", ""),
    ];
    assert_eq!(value(&families, "node_ipvs_backend_connections_active", &backend), Some(248.0));
    assert_eq!(value(&families, "node_ipvs_backend_weight", &backend), Some(100.0));
    let marked = [
        ("local_address", ""),
        ("local_port", "0"),
        ("remote_address", "192.168.50.26"),
        ("remote_port", "3306"),
        ("proto", "FWM"),
        ("local_mark", "10001000"),
    ];
    assert_eq!(value(&families, "node_ipvs_backend_connections_inactive", &marked), Some(3.0));
    assert_eq!(value(&families, "node_ipvs_backend_weight", &marked), Some(5.0));
    let v6 = [
        ("local_address", "2620::1"),
        ("local_port", "53"),
        ("remote_address", "2620::2"),
        ("remote_port", "53"),
        ("proto", "UDP"),
        ("local_mark", ""),
    ];
    assert_eq!(value(&families, "node_ipvs_backend_connections_inactive", &v6), Some(7.0));
    // xfs: per device from sys/fs/xfs/<device>/stats/stats; the global sys/fs/xfs/stats is not a device.
    assert_eq!(
        value(&families, "node_xfs_extent_allocation_extents_allocated", &[("device", "sda1")]),
        Some(92447.0)
    );
    assert_eq!(value(&families, "node_xfs_inode_operation_missed", &[("device", "sda1")]), Some(126238.0));
    // The kernel's `rw` line is "write_calls read_calls".
    assert_eq!(value(&families, "node_xfs_write_calls", &[("device", "sda1")]), Some(107739.0));
    assert_eq!(value(&families, "node_xfs_read_calls", &[("device", "stats")]), None);
    // bcache: bch_hprint sizes (fractions in 1/1024ths, signed terms) read as node_exporter reads them.
    let set = [("uuid", "deaddd54-c735-46d5-868e-f331c5fd7c74"), ("backing_device", "bdev0")];
    assert_eq!(value(&families, "node_bcache_dirty_data_bytes", &set), Some(21894266880.0));
    assert_eq!(value(&families, "node_bcache_writeback_rate_integral_term", &set), Some(-437748.0));
    assert_eq!(value(&families, "node_bcache_bypassed_bytes", &set), Some(1150976.0));
    assert_eq!(value(&families, "node_bcache_written_bytes", &[("cache_device", "cache0")]), Some(2548.0));
    // btrfs: device sizes in sectors, RAID ratios, an unparsable value read as 0 (as node_exporter).
    let fs = ("uuid", "0abb23a9-9aab-4e27-a0a2-e26aba1e5bd8");
    assert_eq!(
        value(&families, "node_btrfs_device_size_bytes", &[fs, ("device", "loop25")]),
        Some(10737418240.0)
    );
    let metadata = [fs, ("block_group_type", "metadata"), ("mode", "raid1")];
    assert_eq!(value(&families, "node_btrfs_allocation_ratio", &metadata), Some(2.0));
    assert_eq!(value(&families, "node_btrfs_used_bytes", &metadata), Some(933888.0));
    let system = [fs, ("block_group_type", "system"), ("mode", "raid1")];
    assert_eq!(value(&families, "node_btrfs_used_bytes", &system), Some(0.0));
    assert_eq!(value(&families, "node_btrfs_info", &[fs, ("label", "fixture")]), Some(1.0));
    // zfs: unsigned 64-bit kstats only, pool io columns, datasets and the pool state.
    assert_eq!(value(&families, "node_zfs_arc_hits", &[]), Some(8772612.0));
    assert!(find(&families, "node_zfs_arc_memory_direct_count").is_none());
    assert_eq!(value(&families, "node_zfs_zpool_nread", &[("zpool", "pool1")]), Some(1884160.0));
    let dataset = [("zpool", "pool1"), ("dataset", "pool1/dataset1")];
    assert_eq!(value(&families, "node_zfs_zpool_dataset_nunlinks", &dataset), Some(14148.0));
    assert_eq!(
        value(&families, "node_zfs_zpool_state", &[("zpool", "pool1"), ("state", "online")]),
        Some(1.0)
    );
    assert_eq!(
        value(&families, "node_zfs_zpool_state", &[("zpool", "pool1"), ("state", "faulted")]),
        Some(0.0)
    );
    // textfile: the good file is exported, the broken one flags an error, .txt is ignored.
    assert_eq!(value(&families, "app_jobs", &[("queue", "default")]), Some(42.0));
    assert_eq!(value(&families, "app_temperature", &[]), Some(21.5));
    assert_eq!(value(&families, "node_textfile_scrape_error", &[]), Some(1.0));
    assert!(find(&families, "ignored").is_none());
}

#[test]
fn power_supplies_are_read_like_node_exporter() {
    let families = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    assert_eq!(success(&families, "powersupplyclass"), Some(1.0));
    let bat = [("power_supply", "BAT0")];
    assert_eq!(value(&families, "node_power_supply_capacity", &bat), Some(78.0));
    assert_eq!(value(&families, "node_power_supply_cyclecount", &bat), Some(312.0));
    assert_eq!(value(&families, "node_power_supply_energy_watthour", &bat), Some(39.12));
    assert_eq!(value(&families, "node_power_supply_power_watt", &bat), Some(9.87));
    assert_eq!(value(&families, "node_power_supply_voltage_volt", &bat), Some(12.186));
    assert_eq!(value(&families, "node_power_supply_online", &[("power_supply", "AC")]), Some(1.0));
    // No temp file: no temperature series; time_to_empty_avg is read but not exported.
    assert_eq!(value(&families, "node_power_supply_temp_celsius", &bat), None);
    assert!(find(&families, "node_power_supply_time_to_empty_seconds").is_none());
    // Info: non-empty string attributes only (serial_number is empty).
    let info = find(&families, "node_power_supply_info").expect("info family");
    let battery = info.samples.iter().find(|s| s.label("power_supply") == Some("BAT0")).expect("BAT0 info");
    assert_eq!(battery.label("status"), Some("Discharging"));
    assert_eq!(battery.label("model_name"), Some("5B10W13975"));
    assert_eq!(battery.label("serial_number"), None);
    let ac = info.samples.iter().find(|s| s.label("power_supply") == Some("AC")).expect("AC info");
    assert_eq!(ac.labels.len(), 2, "power_supply and type: {:?}", ac.labels);
}

#[test]
fn a_garbage_power_supply_number_fails_the_collector_like_node_exporter() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    std::fs::write(dir.path().join("sys/class/power_supply/BAT0/capacity"), "n/a\n").expect("write");
    let families = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect();
    assert_eq!(success(&families, "powersupplyclass"), Some(0.0));
    assert!(find(&families, "node_power_supply_info").is_none());
    assert_eq!(success(&families, "meminfo"), Some(1.0));
}

#[test]
fn rapl_zones_are_read_like_node_exporter() {
    let families = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    assert_eq!(success(&families, "rapl"), Some(1.0));
    // `package-0` is split into name and index; the `intel-rapl` control type (no name file) is skipped.
    assert_eq!(value(&families, "node_rapl_package_joules", &[("index", "0")]), Some(84739.161836));
    assert_eq!(value(&families, "node_rapl_core_joules", &[("index", "0")]), Some(31248.071226));
    assert_eq!(value(&families, "node_rapl_dram_joules", &[("index", "0")]), Some(9876.54321));
    assert_eq!(value(&families, "node_rapl_psys_joules", &[("index", "0")]), Some(150.000123));
    let package = find(&families, "node_rapl_package_joules").expect("package family");
    assert_eq!(package.samples.len(), 1);
    let path = package.samples[0].label("path").expect("path label");
    assert!(path.ends_with("sys/class/powercap/intel-rapl:0"), "{path}");
    // A zone whose energy counter is unreadable fails the collector (root-only energy_uj).
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    std::fs::remove_file(dir.path().join("sys/class/powercap/intel-rapl:1/energy_uj")).expect("remove");
    let families = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect();
    assert_eq!(success(&families, "rapl"), Some(0.0));
    assert!(find(&families, "node_rapl_package_joules").is_none());
}

#[test]
fn fibre_channel_hosts_are_read_like_node_exporter() {
    let families = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    assert_eq!(success(&families, "fibrechannel"), Some(1.0));
    let host = [("fc_host", "host0")];
    // Hexadecimal counters; nos_count is absent (0); invalid_crc_count is all ones (not implemented).
    assert_eq!(value(&families, "node_fibrechannel_rx_frames", &host), Some(1_915_994.0));
    assert_eq!(value(&families, "node_fibrechannel_fcp_packet_aborts", &host), Some(19.0));
    assert_eq!(value(&families, "node_fibrechannel_seconds_since_last_reset", &host), Some(604_800.0));
    assert_eq!(value(&families, "node_fibrechannel_nos", &host), Some(0.0));
    assert!(find(&families, "node_fibrechannel_invalid_crc").is_none());
    let info = find(&families, "node_fibrechannel_info").expect("info family");
    let sample = &info.samples[0];
    assert_eq!(sample.label("port_id"), Some("010200"));
    assert_eq!(sample.label("port_name"), Some("10000090fa94ab3c"));
    assert_eq!(sample.label("speed"), Some("16 Gbit"));
    assert_eq!(sample.label("node_name"), None);
    assert_eq!(sample.labels.len(), 11);
    // A missing info attribute fails the collector, as in node_exporter 1.5.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    std::fs::remove_file(dir.path().join("sys/class/fc_host/host0/symbolic_name")).expect("remove");
    let families = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect();
    assert_eq!(success(&families, "fibrechannel"), Some(0.0));
    assert!(find(&families, "node_fibrechannel_info").is_none());
}

#[test]
fn infiniband_ports_are_read_like_node_exporter() {
    let families = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    assert_eq!(success(&families, "infiniband"), Some(1.0));
    let mlx4 = [("device", "mlx4_0"), ("port", "1")];
    let mlx5 = [("device", "mlx5_0"), ("port", "1")];
    assert_eq!(value(&families, "node_infiniband_state_id", &mlx4), Some(4.0));
    assert_eq!(value(&families, "node_infiniband_physical_state_id", &mlx4), Some(5.0));
    assert_eq!(value(&families, "node_infiniband_rate_bytes_per_second", &mlx4), Some(5e9));
    assert_eq!(value(&families, "node_infiniband_rate_bytes_per_second", &mlx5), Some(3.125e8));
    // Data counters count 32-bit words: times 4.
    assert_eq!(value(&families, "node_infiniband_port_data_received_bytes", &mlx4), Some(8_884_894_436.0));
    assert_eq!(value(&families, "node_infiniband_port_packets_received", &mlx4), Some(87_169_372.0));
    assert_eq!(value(&families, "node_infiniband_vl15_dropped", &mlx4), Some(0.0));
    // mlx5_0: pre-4.5 counters_ext (hexadecimal), symbol_error `N/A (no PMA)` left out, no hca_type.
    assert_eq!(value(&families, "node_infiniband_legacy_data_received_bytes", &mlx5), Some(64.0));
    assert_eq!(value(&families, "node_infiniband_legacy_packets_received", &mlx5), Some(16.0));
    assert_eq!(value(&families, "node_infiniband_symbol_error", &mlx5), None);
    assert_eq!(value(&families, "node_infiniband_symbol_error", &mlx4), Some(0.0));
    assert_eq!(
        value(&families, "node_infiniband_info", &[("device", "mlx5_0"), ("hca_type", "")]),
        Some(1.0)
    );
    assert_eq!(
        value(&families, "node_infiniband_info", &[("device", "mlx4_0"), ("firmware_version", "2.42.5000")]),
        Some(1.0)
    );
    // A port without a counters directory fails the collector, as in node_exporter 1.5.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    std::fs::remove_dir_all(dir.path().join("sys/class/infiniband/mlx4_0/ports/1/counters")).expect("remove");
    let families = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect();
    assert_eq!(success(&families, "infiniband"), Some(0.0));
    assert!(find(&families, "node_infiniband_info").is_none());
}

#[test]
fn tape_statistics_are_read_like_node_exporter() {
    let families = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    assert_eq!(success(&families, "tapestats"), Some(1.0));
    let st0 = [("device", "st0")];
    assert_eq!(value(&families, "node_tape_io_now", &st0), Some(0.0));
    assert_eq!(value(&families, "node_tape_io_time_seconds", &st0), Some(9247.01108772));
    assert_eq!(value(&families, "node_tape_read_time_seconds", &st0), Some(33.788355744));
    assert_eq!(value(&families, "node_tape_read_bytes", &st0), Some(979_383_912.0));
    assert_eq!(value(&families, "node_tape_writes_completed", &st0), Some(19.0));
    // resid_cnt is absent: 0. nst0 and st0a (other views of the same drive) are not read; st1 is a
    // second drive.
    assert_eq!(value(&families, "node_tape_residual", &st0), Some(0.0));
    let devices: Vec<&str> = find(&families, "node_tape_io_now")
        .expect("tape family")
        .samples
        .iter()
        .filter_map(|s| s.label("device"))
        .collect();
    assert_eq!(devices, vec!["st0", "st1"]);
    assert_eq!(value(&families, "node_tape_io_now", &[("device", "st1")]), Some(1.0));
    // An unparsable statistic fails the collector (node_exporter 1.5 crashes on it).
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    std::fs::write(dir.path().join("sys/class/scsi_tape/st0/stats/read_cnt"), "lots\n").expect("write");
    let families = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect();
    assert_eq!(success(&families, "tapestats"), Some(0.0));
    assert!(find(&families, "node_tape_io_now").is_none());
}

#[test]
fn nfs_client_statistics_are_read_like_node_exporter() {
    let families = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    assert_eq!(success(&families, "nfs"), Some(1.0));
    assert_eq!(value(&families, "node_nfs_rpcs", &[]), Some(1_218_785.0));
    assert_eq!(value(&families, "node_nfs_rpc_retransmissions", &[]), Some(12.0));
    assert_eq!(value(&families, "node_nfs_packets", &[("protocol", "tcp")]), Some(0.0));
    let request = |proto: &str, method: &str| {
        value(&families, "node_nfs_requests", &[("proto", proto), ("method", method)])
    };
    assert_eq!(request("3", "GetAttr"), Some(589_227.0));
    assert_eq!(request("3", "Commit"), Some(162.0));
    assert_eq!(request("4", "Getattr"), Some(112.0));
    assert_eq!(request("4", "Sequence"), Some(1040.0));
    // No proc2 line (a kernel without NFSv2): its procedures are reported as 0, as node_exporter does;
    // the ten v4 operations beyond the 59 node_exporter 1.5 knows are ignored.
    assert_eq!(request("2", "Null"), Some(0.0));
    let requests = find(&families, "node_nfs_requests").expect("requests family");
    assert_eq!(requests.samples.len(), 18 + 22 + 59);
    // A line the parser does not know fails the collector.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    let path = dir.path().join("proc/net/rpc/nfs");
    let text = std::fs::read_to_string(&path).expect("read");
    std::fs::write(&path, format!("{text}wdeleg_getattr 0\n")).expect("write");
    let families = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect();
    assert_eq!(success(&families, "nfs"), Some(0.0));
    assert!(find(&families, "node_nfs_requests").is_none());
}

#[test]
fn nfs_server_statistics_are_read_like_node_exporter() {
    let families = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    assert_eq!(success(&families, "nfsd"), Some(1.0));
    assert_eq!(value(&families, "node_nfsd_server_threads", &[]), Some(8.0));
    assert_eq!(value(&families, "node_nfsd_reply_cache_nocache", &[]), Some(50012.0));
    assert_eq!(value(&families, "node_nfsd_disk_bytes_written", &[]), Some(1_610_612_736.0));
    assert_eq!(value(&families, "node_nfsd_packets", &[("proto", "tcp")]), Some(51853.0));
    assert_eq!(value(&families, "node_nfsd_connections", &[]), Some(12.0));
    assert_eq!(value(&families, "node_nfsd_server_rpcs", &[]), Some(51853.0));
    assert_eq!(value(&families, "node_nfsd_rpc_errors", &[("error", "cInt")]), Some(0.0));
    // No ra line (removed in Linux 5.x): 0, as node_exporter reports.
    assert_eq!(value(&families, "node_nfsd_read_ahead_cache_size_blocks", &[]), Some(0.0));
    let request = |proto: &str, method: &str| {
        value(&families, "node_nfsd_requests", &[("proto", proto), ("method", method)])
    };
    assert_eq!(request("3", "GetAttr"), Some(4517.0));
    assert_eq!(request("3", "Commit"), Some(1530.0));
    assert_eq!(request("3", "Null"), None, "NULL procedures are not reported");
    assert_eq!(request("4", "Access"), Some(2120.0));
    assert_eq!(request("4", "PutFH"), Some(13870.0));
    assert_eq!(request("4", "Read"), Some(9821.0));
    assert_eq!(request("4", "Write"), Some(5302.0));
    assert_eq!(request("4", "RelLockOwner"), Some(2.0));
    assert_eq!(request("2", "GetAttr"), Some(0.0));
    let requests = find(&families, "node_nfsd_requests").expect("requests family");
    assert_eq!(requests.samples.len(), 17 + 21 + 33);
    // A malformed line fails the collector.
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    std::fs::write(dir.path().join("proc/net/rpc/nfsd"), "th 8\n").expect("write");
    let families = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect();
    assert_eq!(success(&families, "nfsd"), Some(0.0));
    assert!(find(&families, "node_nfsd_requests").is_none());
}

#[test]
fn user_device_exclusion_drops_veth_churn() {
    let mut config = fixture_config(&fixture());
    config.netdev_device_exclude = Some("^(lo|veth.*)$".into());
    config.netclass_device_exclude = Some("^veth".into());
    let families = HostCollector::new(config).expect("valid config").collect();
    assert_eq!(value(&families, "node_network_receive_bytes", &[("device", "veth1a2b")]), None);
    assert_eq!(value(&families, "node_network_up", &[("device", "veth1a2b")]), None);
    assert!(value(&families, "node_network_receive_bytes", &[("device", "eth0")]).is_some());
    assert!(value(&families, "node_network_up", &[("device", "eth0")]).is_some());
}

#[test]
fn an_empty_netdev_device_exclusion_keeps_every_device_as_node_exporter_does() {
    let default = HostCollector::new(fixture_config(&fixture())).expect("valid config").collect();
    assert_eq!(value(&default, "node_network_receive_bytes", &[("device", "lo")]), None);
    let mut config = fixture_config(&fixture());
    config.netdev_device_exclude = Some(String::new());
    let families = HostCollector::new(config).expect("valid config").collect();
    assert!(value(&families, "node_network_receive_bytes", &[("device", "lo")]).is_some());
    assert!(value(&families, "node_network_receive_bytes", &[("device", "eth0")]).is_some());
}

#[test]
fn missing_roots_fail_per_collector_without_failing_the_scrape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let report = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect_report();
    let failed: Vec<&str> = report.failures.iter().map(|(name, _)| *name).collect();
    for name in ["cpu", "meminfo", "diskstats", "netdev", "netclass", "filesystem", "os", "hwmon"] {
        assert!(failed.contains(&name), "{name} should fail on an empty root: {failed:?}");
        assert_eq!(success(&report.families, name), Some(0.0));
    }
    // textfile's directory is missing: it still reports, with the error flag.
    assert_eq!(value(&report.families, "node_textfile_scrape_error", &[]), Some(1.0));
    assert!(report.failures.iter().all(|(_, e)| matches!(e, CollectError::Io { .. })));
}

#[test]
fn a_fifo_in_the_textfile_directory_does_not_block_the_scrape() {
    // Reading a FIFO blocks until something writes to it; the collector must skip it, flag the error
    // and still export the regular files beside it.
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("good.prom"), "app_up 1\n").expect("write");
    let fifo = dir.path().join("stuck.prom");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("run mkfifo");
    assert!(made.success());
    let mut config = fixture_config(&fixture());
    config.textfile_directory = Some(dir.path().to_path_buf());
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let families = HostCollector::new(config).expect("valid config").collect();
        let _ = done.send(families);
    });
    let families = wait.recv_timeout(std::time::Duration::from_secs(20)).expect("the scrape finishes");
    assert_eq!(value(&families, "app_up", &[]), Some(1.0));
    assert_eq!(value(&families, "node_textfile_scrape_error", &[]), Some(1.0));
}

#[test]
fn textfiles_with_timestamps_are_skipped_like_node_exporter() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("good.prom"), "app_up 1\n").expect("write");
    std::fs::write(dir.path().join("stamped.prom"), "app_stamped 1 1700000000000\n").expect("write");
    let mut config = fixture_config(&fixture());
    config.textfile_directory = Some(dir.path().to_path_buf());
    let families = HostCollector::new(config).expect("valid config").collect();
    assert_eq!(value(&families, "app_up", &[]), Some(1.0));
    assert_eq!(value(&families, "app_stamped", &[]), None);
    assert_eq!(value(&families, "node_textfile_scrape_error", &[]), Some(1.0));
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        if entry.file_type().map(|t| t.is_symlink()).unwrap_or(true) {
            continue;
        }
        if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
            files_under(&entry.path(), out);
        } else {
            out.push(entry.path());
        }
    }
}

#[test]
fn corrupted_files_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_tree(&fixture(), dir.path());
    let mut files = Vec::new();
    files_under(dir.path(), &mut files);
    let corruptions: [&[u8]; 6] = [
        b"",
        b"\n\n\n",
        b"cpu0 x y z\nintr\nctxt -5\n: : :\n",
        b"\xff\xfe\x00garbage\x00\n",
        b"1 2\n3\n",
        b"Inter-|\n face |\n eth0: 1 2 3\nTcpExt: A B\nTcpExt: 1\n",
    ];
    let mut config = fixture_config(dir.path());
    config.collector_timeout = std::time::Duration::from_secs(10);
    let collector = HostCollector::new(config).expect("valid config");
    for (round, corruption) in corruptions.iter().enumerate() {
        for file in &files {
            std::fs::write(file, corruption).expect("corrupt file");
        }
        let report = collector.collect_report();
        for (name, error) in &report.failures {
            assert!(!matches!(error, CollectError::WorkerGone), "collector {name} panicked in round {round}");
        }
        assert!(find(&report.families, "node_scrape_collector_success").is_some());
    }
}

mod random_contents {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        /// Any bytes in any one collector input (lines of digits, separators and junk favoured) are
        /// reported as data or as a failed collector, never as a panic.
        #[test]
        fn any_file_contents_never_panic(
            file_pick in 0usize..1000,
            contents in prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..600),
                "[a-zA-Z0-9_:() \\t\\n.-]{0,600}".prop_map(String::into_bytes),
            ],
        ) {
            let dir = tempfile::tempdir().expect("tempdir");
            copy_tree(&fixture(), dir.path());
            let mut files = Vec::new();
            files_under(dir.path(), &mut files);
            files.sort();
            let target = &files[file_pick % files.len()];
            std::fs::write(target, &contents).expect("write");
            let collector = HostCollector::new(fixture_config(dir.path())).expect("valid config");
            let report = collector.collect_report();
            for (name, error) in &report.failures {
                prop_assert!(!matches!(error, CollectError::WorkerGone), "collector {name} panicked on {target:?}");
            }
        }
    }
}

#[test]
fn recycled_families_give_the_same_output_as_fresh_ones() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_tree(&fixture(), dir.path());
    let net_dev = dir.path().join("proc/net/dev");
    let full = std::fs::read_to_string(&net_dev).expect("fixture net/dev");
    // Fewer devices, other devices, then all of them again: samples are dropped, relabelled and added.
    let fewer: String = full.lines().take(3).map(|line| format!("{line}\n")).collect();
    let renamed = full.replace("ifb", "tun");
    // Line-keyed files whose kept layouts (netstat headers, snmp6 and vmstat lines) must follow
    // changes: lines reversed, pairs dropped, then the original again.
    let reversed = |text: &str| text.lines().rev().map(|line| format!("{line}\n")).collect::<String>();
    let layouts: Vec<(PathBuf, String, String)> = ["proc/vmstat", "proc/net/snmp6", "proc/net/netstat"]
        .iter()
        .map(|relative| {
            let path = dir.path().join(relative);
            let text = std::fs::read_to_string(&path).expect("fixture file");
            let changed = if relative.ends_with("netstat") {
                text.lines().skip(2).map(|line| format!("{line}\n")).collect()
            } else {
                reversed(&text)
            };
            (path, text, changed)
        })
        .collect();
    let recycling = HostCollector::new(fixture_config(dir.path())).expect("valid config");
    for (round, net) in [&full, &fewer, &renamed, &full].into_iter().enumerate() {
        std::fs::write(&net_dev, net).expect("write net/dev");
        for (path, original, changed) in &layouts {
            std::fs::write(path, if round % 2 == 1 { changed } else { original }).expect("write");
        }
        let fresh = HostCollector::new(fixture_config(dir.path())).expect("valid config").collect();
        let recycled = recycling.collect();
        assert_eq!(masked_text(&recycled), masked_text(&fresh), "round {round}");
        recycling.recycle(recycled);
    }
}
