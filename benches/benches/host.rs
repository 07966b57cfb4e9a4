//! host benchmarks: one full default collection on this host (every default collector, as
//! `HostCollector::collect` runs them for a scrape), the same followed by text encoding (what an
//! exporter scrape costs), and — as the peer, in the same run — one scrape of the real node_exporter
//! (Debian's `prometheus-node-exporter`, default collectors) started on a free 127.0.0.1 port. The
//! systemd collector is off on both sides (Debian enables node_exporter's; its D-Bus round trips
//! would flatter the ratio). benches/compare/node_exporter_scrape.sh times both exporters' HTTP
//! scrapes with the same client, with their CPU time.
//!
//! `host_cpu/collect_recycled_probing` is `collect_recycled` with `HostConfig::absent_recheck` zero:
//! every absent subsystem (nvme, bcache, mdstat, ...) probed on every collection, as before probes
//! were remembered (core/src/host/probe.rs), in the same run.
//!
//! `host_after_pause/*` time one collection, one HTTP scrape of our exporter (`srekit-exporter`,
//! built by `make bench`) and one of node_exporter, each after a 10 ms pause (not timed) instead of
//! back to back: the cold case every real scrape is, which the other groups hide. Both scrapes use
//! the same lean client (a fresh connection, HTTP/1.0, read to the end), so the ratio is the
//! servers' and not a client's fixed cost.
//!
//! `host/read_floor_default` and `host/read_floor_kept` are the floor under `collect_default`: they
//! only read, without parsing, every procfs/sysfs file whose contents one default collection (systemd
//! off) reads on this host, into one reused buffer, one file after the other on one thread. The list
//! ([`floor_files`]) was taken from `strace -f -y -e trace=openat,read,pread64,... ` of three
//! collections in a row (a throwaway example calling `HostCollector::collect`): every path the third
//! collection read bytes from. `read_floor_default` opens, reads to end of file and closes each one
//! (the cost without kept descriptors); `read_floor_kept` reads them from offset 0 to end of file
//! through descriptors kept open, which is what the collection does (see core/src/host/read.rs).
//! Left out, because they are no file reads: the `RTM_GETLINK` netlink dump (one, which netclass
//! and netdev share), the sock_diag UDP dumps (udp_queues, one per family that /proc/net/sockstat{,6}
//! counts sockets of: none here; before those it read /proc/net/udp and udp6, which cost ~40 us of
//! kernel time here), `statfs` of each mount, the directory listings and `statx`/`openat` probes of paths
//! absent here (bcache, btrfs, hwmon, nvme, ...), `uname`, `adjtimex`, and /etc/os-release.

use criterion::{criterion_group, criterion_main, Criterion};
use srekit::expfmt::{encode, Format};
use srekit::host::{HostCollector, HostConfig, HostOption};
use srekit_benches::cpu_time::{process_cpu_time, process_cpu_time_of};
use std::fs::File;
use std::hint::black_box;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::FileExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

/// An exporter (node_exporter, or ours) running on 127.0.0.1; killed on drop.
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
    start_exporter(std::path::Path::new(NODE_EXPORTER), &[])
}

/// Our `srekit-exporter`, as `make bench` builds it beside this bench (target/release), or
/// `$SREKIT_EXPORTER`; `None` (with a message) when it is not built.
fn start_srekit_exporter() -> Option<NodeExporter> {
    let path = match std::env::var_os("SREKIT_EXPORTER") {
        Some(path) => std::path::PathBuf::from(path),
        // This bench runs as target/release/deps/host-<hash>.
        None => std::env::current_exe().ok()?.parent()?.parent()?.join("srekit-exporter"),
    };
    if !path.exists() {
        eprintln!(
            "{} not built (cargo build --release -p srekit-exporter): skipping its HTTP scrape benchmark",
            path.display()
        );
        return None;
    }
    start_exporter(&path, &["--log.level=warn"])
}

/// Starts `binary` on a free port with default collectors, systemd off and an empty textfile
/// directory, and waits (up to 10 s) until it answers a scrape.
fn start_exporter(binary: &std::path::Path, extra: &[&str]) -> Option<NodeExporter> {
    let port = TcpListener::bind("127.0.0.1:0").ok()?.local_addr().ok()?.port();
    let textfile_dir = tempfile::tempdir().ok()?;
    let child = Command::new(binary)
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg(format!("--collector.textfile.directory={}", textfile_dir.path().display()))
        .arg("--no-collector.systemd")
        .args(extra)
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

/// The procfs/sysfs files one default collection (systemd off) reads on this host, in collection
/// order; /proc/stat twice (cpu and stat read it each), /proc/net/sockstat{,6} twice (sockstat and
/// udp_queues). Only those that exist here.
fn floor_files() -> Vec<std::path::PathBuf> {
    let mut files: Vec<String> = [
        "/proc/net/arp",
        "/proc/sys/net/netfilter/nf_conntrack_count",
        "/proc/sys/net/netfilter/nf_conntrack_max",
        "/proc/net/stat/nf_conntrack",
        "/proc/stat",
        "/sys/devices/system/cpu/isolated",
        "/proc/diskstats",
        "/proc/sys/kernel/random/entropy_avail",
        "/proc/sys/kernel/random/poolsize",
        "/proc/sys/fs/file-nr",
        "/proc/loadavg",
        "/proc/meminfo",
        "/proc/net/netstat",
        "/proc/net/snmp",
        "/proc/net/snmp6",
        "/proc/pressure/cpu",
        "/proc/pressure/io",
        "/proc/pressure/memory",
        "/proc/net/sockstat",
        "/proc/net/sockstat6",
        "/proc/net/softnet_stat",
        // udp_queues reads them again for its socket counts.
        "/proc/net/sockstat",
        "/proc/net/sockstat6",
        "/proc/stat",
        "/sys/devices/system/clocksource/clocksource0/available_clocksource",
        "/sys/devices/system/clocksource/clocksource0/current_clocksource",
        "/proc/vmstat",
        "/proc/1/mounts",
    ]
    .iter()
    .map(|path| path.to_string())
    .collect();
    // netclass: three attributes of each interface (the rest comes from netlink).
    if let Ok(entries) = std::fs::read_dir("/sys/class/net") {
        let mut interfaces: Vec<String> =
            entries.flatten().map(|entry| entry.file_name().to_string_lossy().into_owned()).collect();
        interfaces.sort();
        for interface in interfaces {
            for attribute in ["flags", "duplex", "speed"] {
                files.push(format!("/sys/class/net/{interface}/{attribute}"));
            }
        }
    }
    files.into_iter().map(std::path::PathBuf::from).filter(|path| File::open(path).is_ok()).collect()
}

/// Reads `file` from offset 0 to end of file into `buf` (grown as needed); the bytes read. A read
/// error (a `speed` of a down interface) ends the file, as it does for the collector. A sysfs
/// attribute comes whole in one read, which is all the collector does for those.
fn read_from_start(file: &File, buf: &mut Vec<u8>, attribute: bool) -> usize {
    if attribute {
        return file.read_at(&mut buf[..4096], 0).unwrap_or(0);
    }
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        match file.read_at(&mut buf[len..], len as u64) {
            Ok(0) | Err(_) => return len,
            Ok(n) => len += n,
        }
    }
}

/// Reads every kept file from its start (see [`read_from_start`]); the bytes read.
fn read_kept(kept: &[(File, bool)], buf: &mut Vec<u8>) -> usize {
    kept.iter().map(|(file, attribute)| read_from_start(file, buf, *attribute)).sum()
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
    // As the exporter scrapes: the families are handed back once encoded, and the next collection
    // fills them in place.
    group
        .bench_function("collect_recycled", |b| b.iter(|| collector.recycle(black_box(collector.collect()))));
    // The same with every absent subsystem probed on every collection (`absent_recheck` zero), as
    // before probes were remembered: what the remembered absences save, in the same run.
    let mut probing = HostConfig::default();
    if let Err(error) = probing.disable("systemd") {
        panic!("systemd is a known collector: {error}");
    }
    probing.absent_recheck = Duration::ZERO;
    let probing = match HostCollector::new(probing) {
        Ok(collector) => collector,
        Err(error) => panic!("default host configuration must be valid: {error}"),
    };
    let files = floor_files();
    eprintln!("read floor: {} files", files.len());
    let mut floor_buf = vec![0u8; 8192];
    group.bench_function("read_floor_default", |b| {
        b.iter(|| {
            let mut bytes = 0;
            for path in &files {
                if let Ok(file) = File::open(path) {
                    bytes += read_from_start(&file, &mut floor_buf, path.starts_with("/sys/class/net"));
                }
            }
            black_box(bytes)
        })
    });
    let kept: Vec<(File, bool)> = files
        .iter()
        .filter_map(|path| Some((File::open(path).ok()?, path.starts_with("/sys/class/net"))))
        .collect();
    group.bench_function("read_floor_kept", |b| b.iter(|| black_box(read_kept(&kept, &mut floor_buf))));
    let mut buf = Vec::with_capacity(128 * 1024);
    group.bench_function("collect_and_encode_text", |b| {
        b.iter(|| {
            buf.clear();
            encode(&collector.collect(), Format::Text, &mut buf);
            black_box(buf.len())
        })
    });
    let exporter = start_node_exporter();
    if let Some(exporter) = &exporter {
        group.bench_function("node_exporter_scrape", |b| {
            b.iter(|| match scrape(exporter.port) {
                Ok(bytes) => black_box(bytes),
                Err(error) => panic!("scraping node_exporter failed: {error}"),
            })
        });
    }
    group.finish();

    // The same, timed in CPU time instead of wall time (the machine is shared: CPU time is what the
    // load disturbs least). Ours: this process's CPU time, every thread; node_exporter: its own CPU
    // time (every thread), without the client's.
    let mut group = c.benchmark_group("host_cpu");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
    group.bench_function("collect_default", |b| {
        b.iter_custom(|iters| {
            let start = process_cpu_time();
            for _ in 0..iters {
                black_box(collector.collect());
            }
            process_cpu_time().saturating_sub(start)
        })
    });
    group.bench_function("collect_recycled", |b| {
        b.iter_custom(|iters| {
            let start = process_cpu_time();
            for _ in 0..iters {
                collector.recycle(black_box(collector.collect()));
            }
            process_cpu_time().saturating_sub(start)
        })
    });
    group.bench_function("collect_recycled_probing", |b| {
        b.iter_custom(|iters| {
            let start = process_cpu_time();
            for _ in 0..iters {
                probing.recycle(black_box(probing.collect()));
            }
            process_cpu_time().saturating_sub(start)
        })
    });
    group.bench_function("read_floor_kept", |b| {
        b.iter_custom(|iters| {
            let start = process_cpu_time();
            for _ in 0..iters {
                black_box(read_kept(&kept, &mut floor_buf));
            }
            process_cpu_time().saturating_sub(start)
        })
    });
    group.bench_function("collect_and_encode_text", |b| {
        b.iter_custom(|iters| {
            let start = process_cpu_time();
            for _ in 0..iters {
                buf.clear();
                encode(&collector.collect(), Format::Text, &mut buf);
                black_box(buf.len());
            }
            process_cpu_time().saturating_sub(start)
        })
    });
    if let Some(exporter) = &exporter {
        let pid = exporter.child.id();
        group.bench_function("node_exporter_scrape", |b| {
            b.iter_custom(|iters| {
                let start = process_cpu_time_of(pid);
                for _ in 0..iters {
                    if let Err(error) = scrape(exporter.port) {
                        panic!("scraping node_exporter failed: {error}");
                    }
                }
                process_cpu_time_of(pid).saturating_sub(start)
            })
        });
    }
    group.finish();

    // Not back to back: a pause before each collection (and each HTTP scrape), untimed, as
    // between real scrapes. Code and data go cold and idle vCPUs halt, which the back-to-back
    // benches above hide: this is the collection an HTTP scrape pays (wall time).
    let mut group = c.benchmark_group("host_after_pause");
    group.sample_size(10).warm_up_time(Duration::from_millis(100)).measurement_time(Duration::from_secs(1));
    group.bench_function("collect_recycled", |b| {
        b.iter_custom(|iters| after_pauses(iters, || collector.recycle(black_box(collector.collect()))))
    });
    // The HTTP scrape as a user sees it, ours and node_exporter's, by the same client (a fresh
    // connection per scrape, uncompressed text), each after the same pause.
    let ours = start_srekit_exporter();
    for (name, exporter) in [("srekit_exporter_scrape", &ours), ("node_exporter_scrape", &exporter)] {
        let Some(exporter) = exporter else { continue };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                after_pauses(iters, || {
                    if let Err(error) = scrape(exporter.port) {
                        panic!("scraping {name} failed: {error}");
                    }
                })
            })
        });
    }
    group.finish();
}

/// The pause before each iteration of `host_after_pause`.
const PAUSE: Duration = Duration::from_millis(10);

/// Runs `run` `iters` times, each after an untimed [`PAUSE`]; the wall time of the runs alone.
fn after_pauses(iters: u64, mut run: impl FnMut()) -> Duration {
    let mut spent = Duration::ZERO;
    for _ in 0..iters {
        std::thread::sleep(PAUSE);
        let start = Instant::now();
        run();
        spent += start.elapsed();
    }
    spent
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
