//! The exporter's process metrics, as client_golang's process collector writes them (the same names,
//! help texts and types node_exporter serves): CPU time, resident and virtual memory, the virtual
//! memory limit, open and maximum file descriptors and the start time, read from `/proc/self` at each
//! scrape. A value that cannot be read is left out (the others are still written).

use std::path::Path;

use srekit::metrics::MetricFamily;

/// The process metric families of the process whose procfs directory is `proc_self` (`/proc/self`),
/// sorted by name; `proc_root` (`/proc`) gives the boot time.
///
pub fn process_families(proc_root: &Path, proc_self: &Path) -> Vec<MetricFamily> {
    // Our own limits come from getrlimit(2): generating /proc/self/limits costs tens of microseconds.
    let own = proc_self == Path::new("/proc/self");
    let stat = if own { own_stat() } else { read_stat(&proc_self.join("stat")) };
    let limits = if own {
        String::new()
    } else {
        std::fs::read_to_string(proc_self.join("limits")).unwrap_or_default()
    };
    let limit = |name: &str, which| if own { own_soft_limit(which) } else { soft_limit(&limits, name) };
    let boot_time =
        if proc_root == Path::new("/proc") { host_boot_time() } else { read_boot_time(proc_root) };
    let ticks = clock_ticks_per_second();
    let cpu = MetricFamily::counter(
        "process_cpu_seconds_total",
        "Total user and system CPU time spent in seconds.",
    );
    let gauge = MetricFamily::gauge;
    let candidates = [
        (cpu, stat.map(|s| (s.utime + s.stime) as f64 / ticks)),
        (
            gauge("process_max_fds", "Maximum number of open file descriptors."),
            limit("Max open files", Limit::OpenFiles),
        ),
        (
            gauge("process_open_fds", "Number of open file descriptors."),
            if own { own_open_fds() } else { count_entries(&proc_self.join("fd")) },
        ),
        (
            gauge("process_resident_memory_bytes", "Resident memory size in bytes."),
            stat.map(|s| s.rss_pages as f64 * page_size()),
        ),
        (
            gauge("process_start_time_seconds", "Start time of the process since unix epoch in seconds."),
            stat.zip(boot_time).map(|(s, boot)| boot + s.start_ticks as f64 / ticks),
        ),
        (
            gauge("process_virtual_memory_bytes", "Virtual memory size in bytes."),
            stat.map(|s| s.vsize_bytes as f64),
        ),
        (
            gauge("process_virtual_memory_max_bytes", "Maximum amount of virtual memory available in bytes."),
            limit("Max address space", Limit::AddressSpace),
        ),
    ];
    candidates
        .into_iter()
        .filter_map(|(mut family, value)| {
            family.push(Vec::new(), value?);
            Some(family)
        })
        .collect()
}

/// Reads a small procfs file whole: one read into a 1 KiB buffer and one for the end of file
/// (`read_to_string` adds a `statx` for a size hint procfs does not give, then reads 32, 32, 64, 128
/// and 256 bytes). `None` when it cannot be read or is not UTF-8.
fn read_small(path: &Path) -> Option<String> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).ok()?;
    let mut buf = vec![0u8; 1024];
    let mut len = 0;
    loop {
        if len == buf.len() {
            buf.resize(len * 2, 0);
        }
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    buf.truncate(len);
    String::from_utf8(buf).ok()
}

/// This process's `/proc/self/stat`, read through a descriptor opened at the first scrape and kept:
/// one `pread` from offset 0 regenerates the file (a one-piece seq_file, ~300 bytes), instead of an
/// open, two reads and a close on every scrape. A text that fills the buffer is read again whole.
fn own_stat() -> Option<ProcStat> {
    use std::os::unix::fs::FileExt;
    static KEPT: std::sync::OnceLock<Option<std::fs::File>> = std::sync::OnceLock::new();
    let path = Path::new("/proc/self/stat");
    if let Some(file) = KEPT.get_or_init(|| std::fs::File::open(path).ok()) {
        let mut buf = [0u8; 1024];
        let len = file.read_at(&mut buf, 0).ok()?;
        if len < buf.len() {
            return ProcStat::parse(std::str::from_utf8(&buf[..len]).ok()?);
        }
    }
    read_stat(path)
}

/// The fields of the `stat` file at `path`, read afresh.
fn read_stat(path: &Path) -> Option<ProcStat> {
    read_small(path).and_then(|text| ProcStat::parse(&text))
}

/// The fields of `/proc/<pid>/stat` the collector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ProcStat {
    utime: u64,
    stime: u64,
    start_ticks: u64,
    vsize_bytes: u64,
    rss_pages: u64,
}

impl ProcStat {
    /// Parses the line; the command name (field 2) may hold spaces and parentheses, so the fields are
    /// counted from after its last `)`.
    fn parse(text: &str) -> Option<ProcStat> {
        let rest = &text[text.rfind(')')? + 1..];
        // After the name: field 3 (state) is index 0, so field N is index N - 3.
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
        Some(ProcStat {
            utime: field(14)?,
            stime: field(15)?,
            start_ticks: field(22)?,
            vsize_bytes: field(23)?,
            rss_pages: field(24)?,
        })
    }
}

/// The soft limit of `name` in a `/proc/<pid>/limits` table; `unlimited` is the largest u64, as
/// client_golang reports it.
fn soft_limit(limits: &str, name: &str) -> Option<f64> {
    let line = limits.lines().find(|line| line.starts_with(name))?;
    let soft = line[name.len()..].split_whitespace().next()?;
    match soft {
        "unlimited" => Some(u64::MAX as f64),
        number => number.parse::<u64>().ok().map(|n| n as f64),
    }
}

/// The resource limits the process metrics report.
#[derive(Debug, Clone, Copy)]
enum Limit {
    OpenFiles,
    AddressSpace,
}

/// The soft limit `which` of this process (`RLIM_INFINITY` as the largest u64, like `unlimited`).
fn own_soft_limit(which: Limit) -> Option<f64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes one rlimit into the valid, writable struct it is given.
    let answer = unsafe {
        match which {
            Limit::OpenFiles => libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit),
            Limit::AddressSpace => libc::getrlimit(libc::RLIMIT_AS, &mut limit),
        }
    };
    if answer != 0 {
        return None;
    }
    Some(if limit.rlim_cur == libc::RLIM_INFINITY { u64::MAX as f64 } else { limit.rlim_cur as f64 })
}

/// This host's boot time, read from /proc/stat once (it does not change while we run).
fn host_boot_time() -> Option<f64> {
    static BOOT_TIME: std::sync::OnceLock<Option<f64>> = std::sync::OnceLock::new();
    *BOOT_TIME.get_or_init(|| read_boot_time(Path::new("/proc")))
}

/// The boot time in `proc_root`'s `stat`.
fn read_boot_time(proc_root: &Path) -> Option<f64> {
    std::fs::read_to_string(proc_root.join("stat")).ok().and_then(|text| boot_time(&text))
}

/// `btime` of `/proc/stat`: the boot time in Unix seconds.
fn boot_time(stat: &str) -> Option<f64> {
    stat.lines().find_map(|line| line.strip_prefix("btime "))?.trim().parse::<u64>().ok().map(|s| s as f64)
}

fn count_entries(dir: &Path) -> Option<f64> {
    Some(std::fs::read_dir(dir).ok()?.count() as f64)
}

/// This process's open descriptors as client_golang counts them (listing `/proc/self/fd`, which
/// counts the descriptor of the listing too). Since Linux 6.2 a `stat` of the directory gives the
/// count without listing it (its size, `0` before): that count plus one, the listing's descriptor.
/// Listing the ~60 descriptors a running exporter holds (it keeps procfs/sysfs files open) cost
/// ~5% of a scrape's CPU time.
fn own_open_fds() -> Option<f64> {
    let fd_dir = Path::new("/proc/self/fd");
    match std::fs::metadata(fd_dir) {
        Ok(meta) if meta.len() > 0 => Some((meta.len() + 1) as f64),
        _ => count_entries(fd_dir),
    }
}

fn clock_ticks_per_second() -> f64 {
    system_constant(libc::_SC_CLK_TCK, 100.0)
}

fn page_size() -> f64 {
    system_constant(libc::_SC_PAGESIZE, 4096.0)
}

/// `sysconf(name)`, or `fallback` where the system does not say.
fn system_constant(name: libc::c_int, fallback: f64) -> f64 {
    // SAFETY: sysconf reads a constant of the system.
    let value = unsafe { libc::sysconf(name) };
    if value > 0 {
        value as f64
    } else {
        fallback
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis() {
        let line = "42 (a) b) (c) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1234 10485760 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
        let stat = ProcStat::parse(line).expect("parses");
        assert_eq!(
            stat,
            ProcStat { utime: 250, stime: 50, start_ticks: 1234, vsize_bytes: 10_485_760, rss_pages: 300 }
        );
        assert_eq!(ProcStat::parse("42 (truncated"), None);
        assert_eq!(ProcStat::parse("42 (x) S 1 2"), None);
    }

    #[test]
    fn limits_read_the_soft_column_and_unlimited_is_the_largest_u64() {
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max open files            1024                 524288               files     \n\
                      Max address space         unlimited            unlimited            bytes     \n";
        let limits: String = limits.lines().map(|l| format!("{}\n", l.trim_start())).collect();
        assert_eq!(soft_limit(&limits, "Max open files"), Some(1024.0));
        assert_eq!(soft_limit(&limits, "Max address space"), Some(18446744073709551615.0));
        assert_eq!(soft_limit(&limits, "Max processes"), None);
    }

    #[test]
    fn read_small_reads_files_whole_past_its_first_buffer() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("stat");
        let long: String = (0..3000).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
        std::fs::write(&path, &long).expect("test setup");
        assert_eq!(read_small(&path), Some(long));
        assert_eq!(read_small(&dir.path().join("absent")), None);
        std::fs::write(&path, [0xff, 0xfe]).expect("test setup");
        assert_eq!(read_small(&path), None, "not UTF-8");
        let stat = read_small(Path::new("/proc/self/stat")).expect("procfs");
        assert!(ProcStat::parse(&stat).is_some());
    }

    #[test]
    fn own_limits_from_getrlimit_equal_those_of_proc_self_limits() {
        let limits = std::fs::read_to_string("/proc/self/limits").expect("procfs");
        assert_eq!(own_soft_limit(Limit::OpenFiles), soft_limit(&limits, "Max open files"));
        assert_eq!(own_soft_limit(Limit::AddressSpace), soft_limit(&limits, "Max address space"));
        assert_eq!(host_boot_time(), read_boot_time(Path::new("/proc")));
    }

    #[test]
    fn this_process_has_every_family_with_plausible_values() {
        let families = process_families(Path::new("/proc"), Path::new("/proc/self"));
        let value = |name: &str| {
            families.iter().find(|f| f.name == name).map(|f| f.samples[0].value).unwrap_or(f64::NAN)
        };
        assert_eq!(families.len(), 7, "{:?}", families.iter().map(|f| &f.name).collect::<Vec<_>>());
        assert!(value("process_cpu_seconds") >= 0.0);
        assert!(value("process_open_fds") >= 3.0);
        assert!(value("process_max_fds") >= value("process_open_fds"));
        assert!(value("process_resident_memory_bytes") > 1e6);
        assert!(value("process_virtual_memory_bytes") >= value("process_resident_memory_bytes"));
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64());
        let started = value("process_start_time_seconds");
        assert!(started <= now + 1.0 && started > now - 86_400.0 * 365.0, "{started} vs {now}");
    }

    #[test]
    fn own_open_fds_equal_a_listing_of_proc_self_fd() {
        // Other tests open and close files meanwhile: equal in one of a few tries, each pair read
        // back to back.
        let listed_and_counted: Vec<(Option<f64>, Option<f64>)> =
            (0..50).map(|_| (count_entries(Path::new("/proc/self/fd")), own_open_fds())).collect();
        assert!(
            listed_and_counted.iter().any(|(listed, counted)| listed.is_some() && listed == counted),
            "{listed_and_counted:?}"
        );
        let _more: Vec<std::fs::File> =
            (0..5).filter_map(|_| std::fs::File::open("/proc/self/stat").ok()).collect();
        let after: Vec<(Option<f64>, Option<f64>)> =
            (0..50).map(|_| (count_entries(Path::new("/proc/self/fd")), own_open_fds())).collect();
        assert!(after.iter().any(|(listed, counted)| listed.is_some() && listed == counted), "{after:?}");
    }

    #[test]
    fn the_kept_stat_descriptor_reads_fresh_values() {
        let read_anew = || read_stat(Path::new("/proc/self/stat"));
        let (before, kept) = (read_anew().expect("procfs"), own_stat().expect("procfs"));
        assert_eq!((kept.start_ticks, kept.utime >= before.utime), (before.start_ticks, true));
        // Burn CPU until the kernel's tick-based count moves, then the kept descriptor must see it.
        let started = std::time::Instant::now();
        let mut spin = 0u64;
        while read_anew().expect("procfs").utime + read_anew().expect("procfs").stime
            == before.utime + before.stime
            && started.elapsed() < std::time::Duration::from_secs(5)
        {
            spin = spin.wrapping_add(std::hint::black_box(1));
        }
        let later = own_stat().expect("procfs");
        assert!(later.utime + later.stime > before.utime + before.stime, "{before:?} {later:?} {spin}");
    }

    #[test]
    fn unreadable_files_leave_their_metrics_out() {
        assert!(process_families(Path::new("/nonexistent"), Path::new("/nonexistent/self")).is_empty());
    }
}
