//! filesystem: size, free, available bytes, inodes, read-only flag and `device_error` for each mount in
//! /proc/1/mounts that passes node_exporter's mount-point and fs-type exclusions (`node_filesystem_*`).
//!
//! statfs of a network or FUSE mount (the ones that hang) runs on a short-lived thread and is waited for
//! only until the collector's deadline, so a hung NFS mount costs one `device_error 1` instead of the
//! scrape. While its statfs stays stuck, the mount is not statted again (node_exporter's "stuck
//! mounts"), so stuck threads never pile up. Local filesystems are statted inline (fast), still under
//! the collector's own deadline.
//!
//! The mount table is read again only when it may have changed: on procfs, a descriptor of
//! /proc/1/mounts kept open reports `POLLPRI` after any mount, unmount or remount (proc(5)), so a
//! collection without one reuses the table it parsed last.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStringExt;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One mount from /proc/1/mounts, with octal escapes (`\040`) undone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    pub(crate) device: String,
    pub(crate) mount_point: String,
    pub(crate) fs_type: String,
    pub(crate) options: String,
}

/// What statfs reports, in bytes and inodes.
#[derive(Debug, Clone, Copy)]
struct Usage {
    size: f64,
    free: f64,
    avail: f64,
    files: f64,
    files_free: f64,
}

/// The filesystem collector.
pub(crate) struct Filesystem {
    settings: Arc<Settings>,
    reader: FileReader,
    /// The statfs used (the system call; tests substitute a hanging one).
    statfs: fn(&CStr) -> Option<Usage>,
    /// Mount points whose statfs has not returned yet (stuck since an earlier collection).
    in_flight: Arc<Mutex<HashSet<CString>>>,
    /// The mount table last read and the mounts it selects, parsed again only when it changes.
    table: String,
    /// /proc/1/mounts opened before the table was first read, when it is on procfs: `POLLPRI` on it
    /// says the table changed since (see [`mounts_changed`]).
    watch: Option<std::fs::File>,
    targets: Vec<Target>,
    /// Reused between collections: the statfs results of the selected mounts, in order.
    statted: Vec<Statted>,
}

/// A mount that passes the exclusions, once per (device, mount point), with what statfs needs.
struct Target {
    mount: Mount,
    /// The mount point as labelled (rootfs prefix stripped).
    mount_point: String,
    /// Where to statfs it, made once as the system call takes it (`None`: the path holds a NUL byte,
    /// which no statfs can take).
    path: Option<CString>,
    read_only: bool,
    may_hang: bool,
}

impl Filesystem {
    pub(crate) fn new(settings: Arc<Settings>) -> Filesystem {
        Filesystem {
            settings,
            reader: FileReader::new(),
            statfs,
            in_flight: Arc::new(Mutex::new(HashSet::new())),
            table: String::new(),
            watch: None,
            targets: Vec::new(),
            statted: Vec::new(),
        }
    }

    /// Reads the mount table and, when it changed since the last collection, selects the mounts to
    /// report again.
    fn refresh_targets(&mut self) -> Result<(), CollectError> {
        let primary = self.settings.proc("1/mounts");
        match &self.watch {
            Some(watch) if !self.table.is_empty() && !mounts_changed(watch) => return Ok(()),
            Some(_) => {}
            None => {
                self.watch =
                    std::fs::File::open(&primary).ok().filter(crate::host::read::is_kernel_generated);
            }
        }
        let text = match self.reader.read_str(&primary) {
            Ok(text) => text,
            Err(_) => {
                // The watch tells about /proc/1/mounts only, not about the fallback read here.
                self.watch = None;
                self.reader.read_str(&self.settings.proc("mounts"))?
            }
        };
        if text == self.table {
            return Ok(());
        }
        self.table = text.to_string();
        let mounts = parse_mounts(&self.table);
        let mut seen = HashSet::new();
        let mut targets = Vec::new();
        for mount in mounts {
            let mount_point = self.strip_rootfs(&mount.mount_point);
            if let Some(exclude) = &self.settings.filesystem_mount_points_exclude {
                if exclude.is_match(&mount_point) {
                    continue;
                }
            }
            if let Some(exclude) = &self.settings.filesystem_fs_types_exclude {
                if exclude.is_match(&mount.fs_type) {
                    continue;
                }
            }
            if !seen.insert((mount.device.clone(), mount_point.clone())) {
                continue;
            }
            let path = CString::new(self.settings.root(&mount_point).into_os_string().into_vec()).ok();
            let read_only = mount.options.split(',').any(|o| o == "ro");
            let may_hang = may_hang(&mount);
            targets.push(Target { mount, mount_point, path, read_only, may_hang });
        }
        self.targets = targets;
        Ok(())
    }

    /// The label for a mount point: the rootfs prefix removed when present (node_exporter's
    /// rootfsStripPrefix), so `/host/home` seen from a container is reported as `/home`.
    fn strip_rootfs(&self, mount_point: &str) -> String {
        let root = self.settings.rootfs.to_string_lossy();
        let root = root.trim_end_matches('/');
        match mount_point.strip_prefix(root) {
            Some("") if !root.is_empty() => "/".to_string(),
            Some(rest) if !root.is_empty() && rest.starts_with('/') => rest.to_string(),
            _ => mount_point.to_string(),
        }
    }

    /// Starts statfs of `path` on its own thread unless an earlier one is still stuck.
    fn start_statfs(&self, path: &CStr) -> Option<mpsc::Receiver<Option<Usage>>> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if in_flight.contains(path) {
            return None;
        }
        let path = path.to_owned();
        in_flight.insert(path.clone());
        drop(in_flight);
        let (tx, rx) = mpsc::channel();
        let registry = Arc::clone(&self.in_flight);
        let statfs_fn = self.statfs;
        let spawned =
            std::thread::Builder::new().name("srekit-statfs".into()).stack_size(64 * 1024).spawn(move || {
                let usage = statfs_fn(&path);
                registry.lock().unwrap_or_else(|e| e.into_inner()).remove(&path);
                let _ = tx.send(usage);
            });
        spawned.ok().map(|_| rx)
    }
}

/// The filesystem collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "filesystem",
    enabled_by_default: true,
    placement: Placement::SelfBounded,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Filesystem::new(settings)),
};

impl Collector for Filesystem {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let deadline = Instant::now() + self.settings.collector_timeout.mul_f64(0.8);
        if let Err(error) = self.refresh_targets() {
            self.table.clear();
            self.targets.clear();
            return Err(error);
        }
        let mut statted = std::mem::take(&mut self.statted);
        statted.clear();
        for target in &self.targets {
            let Some(path) = &target.path else {
                statted.push(Statted::Done(None));
                continue;
            };
            statted.push(if target.may_hang {
                Statted::Pending(self.start_statfs(path))
            } else {
                Statted::Done((self.statfs)(path))
            });
        }
        for (target, statted) in self.targets.iter().zip(statted.drain(..)) {
            let usage = match statted {
                Statted::Done(usage) => usage,
                Statted::Pending(receiver) => receiver.and_then(|rx| {
                    let left =
                        deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
                    rx.recv_timeout(left).ok().flatten()
                }),
            };
            let (mount, read_only) = (&target.mount, target.read_only);
            let series: &[(&str, &str)] =
                &[("device", &mount.device), ("fstype", &mount.fs_type), ("mountpoint", &target.mount_point)];
            out.gauge(
                "node_filesystem_device_error",
                "Whether an error occurred while getting statistics for the given device.",
                series,
                if usage.is_some() { 0.0 } else { 1.0 },
            );
            let Some(usage) = usage else { continue };
            out.gauge("node_filesystem_size_bytes", "Filesystem size in bytes.", series, usage.size);
            out.gauge("node_filesystem_free_bytes", "Filesystem free space in bytes.", series, usage.free);
            out.gauge(
                "node_filesystem_avail_bytes",
                "Filesystem space available to non-root users in bytes.",
                series,
                usage.avail,
            );
            out.gauge("node_filesystem_files", "Filesystem total file nodes.", series, usage.files);
            out.gauge(
                "node_filesystem_files_free",
                "Filesystem total free file nodes.",
                series,
                usage.files_free,
            );
            out.gauge(
                "node_filesystem_readonly",
                "Filesystem read-only status.",
                series,
                if read_only { 1.0 } else { 0.0 },
            );
        }
        self.statted = statted;
        Ok(())
    }
}

/// A statfs result, or the channel it will arrive on (`None`: not started, the mount is stuck).
enum Statted {
    Done(Option<Usage>),
    Pending(Option<mpsc::Receiver<Option<Usage>>>),
}

/// Filesystem types whose statfs goes over the network or to a userspace daemon, and can hang.
const REMOTE_FS_TYPES: &[&str] = &[
    "9p",
    "afs",
    "beegfs",
    "ceph",
    "cifs",
    "davfs",
    "glusterfs",
    "gpfs",
    "lustre",
    "ncpfs",
    "nfs",
    "nfs4",
    "smb3",
    "smbfs",
    "sshfs",
    "virtiofs",
];

/// Whether statfs of `mount` may hang: network and FUSE filesystems, or a `host:/path` device.
fn may_hang(mount: &Mount) -> bool {
    REMOTE_FS_TYPES.contains(&mount.fs_type.as_str())
        || mount.fs_type.starts_with("fuse")
        || mount.device.contains(":/")
        || mount.device.starts_with("//")
}

/// Whether the mount table of `watch` (a procfs mounts file) changed since the last call, or since it
/// was opened: the kernel marks the file `POLLPRI` (and `POLLERR`) once per change of the mount
/// namespace, and a poll clears the mark. An error of `poll` counts as a change.
fn mounts_changed(watch: &std::fs::File) -> bool {
    use std::os::fd::AsRawFd;
    let mut poll = libc::pollfd { fd: watch.as_raw_fd(), events: libc::POLLPRI, revents: 0 };
    // SAFETY: `poll` is one valid pollfd for the call, whose fd `watch` keeps open; timeout 0.
    let ready = unsafe { libc::poll(&mut poll, 1, 0) };
    ready != 0 && (ready < 0 || poll.revents & (libc::POLLPRI | libc::POLLERR) != 0)
}

/// Parses /proc/mounts text; lines with fewer than 4 fields are skipped.
pub(crate) fn parse_mounts(text: &str) -> Vec<Mount> {
    text.lines()
        .filter_map(|line| {
            let mut fields = line.split_ascii_whitespace();
            Some(Mount {
                device: unescape(fields.next()?),
                mount_point: unescape(fields.next()?),
                fs_type: unescape(fields.next()?),
                options: fields.next()?.to_string(),
            })
        })
        .collect()
}

/// Undoes the kernel's octal escapes in mount fields (`\040` space, `\011` tab, `\012`, `\134`).
fn unescape(field: &str) -> String {
    if !field.contains('\\') {
        return field.to_string();
    }
    let bytes = field.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\'
            && i + 3 < bytes.len()
            && bytes[i + 1..i + 4].iter().all(|b| (b'0'..=b'7').contains(b))
        {
            let value = (bytes[i + 1] - b'0') as u32 * 64
                + (bytes[i + 2] - b'0') as u32 * 8
                + (bytes[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(value) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// statfs(2) of `path`; `None` when it fails.
fn statfs(path: &CStr) -> Option<Usage> {
    let mut buf = std::mem::MaybeUninit::<libc::statfs>::zeroed();
    // SAFETY: path is a valid NUL-terminated string and buf points to writable memory of the
    // right type; statfs fills it on success (return 0).
    let rc = unsafe { libc::statfs(path.as_ptr(), buf.as_mut_ptr()) };
    if rc != 0 {
        return None;
    }
    // SAFETY: statfs returned 0, so it initialised buf (and it was zeroed before anyway).
    let st = unsafe { buf.assume_init() };
    let block = st.f_bsize as f64;
    Some(Usage {
        size: st.f_blocks as f64 * block,
        free: st.f_bfree as f64 * block,
        avail: st.f_bavail as f64 * block,
        files: st.f_files as f64,
        files_free: st.f_ffree as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_fields_are_unescaped() {
        let mounts = parse_mounts("/dev/sdb1 /srv/my\\040disk ext4 ro,relatime 0 0\nbad line\n");
        assert_eq!(mounts.len(), 1);
        assert_eq!(mounts[0].mount_point, "/srv/my disk");
        assert_eq!(unescape("a\\011b\\134"), "a\tb\\");
        assert_eq!(unescape("\\"), "\\");
        assert_eq!(unescape("x\\99"), "x\\99");
    }

    /// A statfs that hangs for 600 ms on any path containing "hung", like a dead NFS server.
    fn hanging_statfs(path: &CStr) -> Option<Usage> {
        if path.to_string_lossy().contains("hung") {
            std::thread::sleep(std::time::Duration::from_millis(600));
        }
        Some(Usage { size: 1.0, free: 1.0, avail: 1.0, files: 1.0, files_free: 1.0 })
    }

    #[test]
    fn hung_network_mount_reports_device_error_and_is_not_reentered() {
        let dir = tempfile::tempdir().expect("test setup");
        std::fs::create_dir_all(dir.path().join("1")).expect("test setup");
        std::fs::write(
            dir.path().join("1/mounts"),
            "/dev/sda1 / ext4 rw 0 0\nnas:/hung /srv/hung nfs4 rw 0 0\nnas:/ok /srv/ok nfs4 rw 0 0\n",
        )
        .expect("test setup");
        let mut config = crate::host::HostConfig::with_roots(dir.path(), dir.path(), "/");
        config.collector_timeout = std::time::Duration::from_millis(200);
        let mut collector = Filesystem::new(Arc::new(config.compile().expect("test setup")));
        collector.statfs = hanging_statfs;
        let errors = |collector: &mut Filesystem| {
            let mut out = Emitter::new();
            let started = std::time::Instant::now();
            collector.update(&mut out).expect("filesystem collects");
            assert!(
                started.elapsed() < std::time::Duration::from_millis(400),
                "returned before the hang ends"
            );
            let families = out.into_families();
            let family = families.iter().find(|f| f.name == "node_filesystem_device_error").expect("family");
            let mut errors: Vec<(String, f64)> = family
                .samples
                .iter()
                .map(|s| (s.label("mountpoint").unwrap_or("").to_string(), s.value))
                .collect();
            errors.sort_by(|a, b| a.0.cmp(&b.0));
            errors
        };
        let expected =
            vec![("/".to_string(), 0.0), ("/srv/hung".to_string(), 1.0), ("/srv/ok".to_string(), 0.0)];
        assert_eq!(errors(&mut collector), expected);
        // Still stuck: not statted again (one thread, not one per scrape), still reported.
        assert_eq!(errors(&mut collector), expected);
        assert_eq!(collector.in_flight.lock().expect("test setup").len(), 1);
        // Once the statfs returns, the mount is statted again and recovers.
        std::thread::sleep(std::time::Duration::from_millis(700));
        assert!(collector.in_flight.lock().expect("test setup").is_empty());
    }

    #[test]
    fn statfs_of_missing_path_is_none() {
        assert!(statfs(c"/definitely/not/here").is_none());
        assert!(statfs(c"/").is_some_and(|u| u.size > 0.0));
    }
}
