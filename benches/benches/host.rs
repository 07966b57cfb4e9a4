//! host benchmarks: one full default collection on this host (every default collector, as
//! `HostCollector::collect` runs them for a scrape), the same followed by text encoding (what an
//! exporter scrape costs), and — as the peer, in the same run — one scrape of the real node_exporter
//! (Debian's `prometheus-node-exporter`, default collectors) started on a free 127.0.0.1 port. The
//! systemd collector is off on both sides (Debian enables node_exporter's; its D-Bus round trips
//! would flatter the ratio). benches/compare/node_exporter_scrape.sh times both exporters' HTTP
//! scrapes with the same client, with their CPU time.

use criterion::{criterion_group, criterion_main, Criterion};
use srekit::expfmt::{encode, Format};
use srekit::host::{HostCollector, HostConfig, HostOption};
use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

/// node_exporter running on 127.0.0.1; killed on drop.
struct NodeExporter {
    child: Child,
    port: u16,
    _textfile_dir: tempfile::TempDir,
}

impl Drop for NodeExporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.0 scrape of `/metrics`; the number of body bytes read.
fn scrape(port: u16) -> std::io::Result<usize> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/plain\r\n\r\n")?;
    let mut response = Vec::with_capacity(128 * 1024);
    stream.read_to_end(&mut response)?;
    Ok(response.len())
}

fn start_node_exporter() -> Option<NodeExporter> {
    if !std::path::Path::new(NODE_EXPORTER).exists() {
        eprintln!("{NODE_EXPORTER} not installed: skipping the node_exporter peer benchmark");
        return None;
    }
    let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let textfile_dir = tempfile::tempdir().ok()?;
    let child = Command::new(NODE_EXPORTER)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--collector.textfile.directory={}", textfile_dir.path().display()))
        .arg("--no-collector.systemd")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let exporter = NodeExporter { child, port, _textfile_dir: textfile_dir };
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if scrape(port).is_ok() {
            return Some(exporter);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

fn host_collection(c: &mut Criterion) {
    let mut config = HostConfig::default();
    if let Err(error) = config.disable("systemd") {
        panic!("systemd is a known collector: {error}");
    }
    let collector = match HostCollector::new(config) {
        Ok(collector) => collector,
        Err(error) => panic!("default host configuration must be valid: {error}"),
    };
    let mut group = c.benchmark_group("host");
    group.sample_size(50).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    group.bench_function("collect_default", |b| b.iter(|| black_box(collector.collect())));
    let mut buf = Vec::with_capacity(128 * 1024);
    group.bench_function("collect_and_encode_text", |b| {
        b.iter(|| {
            buf.clear();
            encode(&collector.collect(), Format::Text, &mut buf);
            black_box(buf.len())
        })
    });
    if let Some(exporter) = start_node_exporter() {
        group.bench_function("node_exporter_scrape", |b| {
            b.iter(|| match scrape(exporter.port) {
                Ok(bytes) => black_box(bytes),
                Err(error) => panic!("scraping node_exporter failed: {error}"),
            })
        });
    }
    group.finish();
}

/// A collector, whether it reads the fixture tree, and the options it is benchmarked with.
type OptInCase = (&'static str, bool, &'static [(&'static str, HostOption<'static>)]);

/// One collection by each opt-in collector alone (its cost as the README reports it): on this host
/// where it has data, on the opt-in fixture tree (tests/fixtures/host/optin) where it does not.
fn opt_in_collectors(c: &mut Criterion) {
    let tree = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/host/optin");
    let cases: [OptInCase; 30] = [
        ("processes", false, &[]),
        ("interrupts", false, &[]),
        ("tcpstat", false, &[]),
        ("stat", false, &[("stat_softirq", HostOption::Switch(true))]),
        ("ksmd", false, &[]),
        ("buddyinfo", false, &[]),
        ("zoneinfo", false, &[]),
        ("meminfo_numa", false, &[]),
        (
            "sysctl",
            false,
            &[("sysctl_include", HostOption::Text("vm.swappiness fs.file-nr:allocated,unused,max"))],
        ),
        ("network_route", false, &[]),
        ("lnstat", false, &[]),
        ("slabinfo", false, &[]),
        ("cgroups", false, &[]),
        ("drbd", true, &[]),
        ("mountstats", true, &[]),
        (
            "cpu",
            false,
            &[
                ("cpu_info", HostOption::Switch(true)),
                ("cpu_info_flags_include", HostOption::Text("^(aes|avx2)$")),
            ],
        ),
        ("cpu_vulnerabilities", false, &[]),
        ("kernel_hung", false, &[]),
        ("watchdog", true, &[]),
        ("pressure", true, &[]),
        ("softnet", false, &[]),
        ("cpu", false, &[]),
        ("stat", false, &[]),
        ("processes", true, &[]),
        ("softirqs", false, &[]),
        ("xfrm", false, &[]),
        ("qdisc", false, &[]),
        ("arp", true, &[("arp_device_include", HostOption::Text("^eth"))]),
        ("softirqs", true, &[]),
        ("ethtool", false, &[]),
    ];
    let mut group = c.benchmark_group("host_opt_in");
    group.sample_size(20).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    for (name, on_tree, options) in cases {
        let mut config = if on_tree {
            HostConfig::with_roots(tree.join("proc"), tree.join("sys"), tree.join("root"))
        } else {
            HostConfig::default()
        };
        config.disable_defaults();
        if let Err(error) = config.enable(name) {
            panic!("{name} is a collector: {error}");
        }
        let mut id = name.to_string();
        for (option, value) in options {
            if let Err(error) = config.set_option(option, *value) {
                panic!("{option}: {error}");
            }
            id = format!("{id}+{option}");
        }
        if on_tree {
            id.push_str("@fixture");
        }
        let collector = match HostCollector::new(config) {
            Ok(collector) => collector,
            Err(error) => panic!("{name}: {error}"),
        };
        group.bench_function(id, |b| b.iter(|| black_box(collector.collect())));
    }
    group.finish();
}

criterion_group!(benches, host_collection, opt_in_collectors);
criterion_main!(benches);
