//! os: `node_os_info{id,name,version,...}` and `node_os_version{id,id_like,name}` from os-release
//! (`<rootfs>/etc/os-release`, falling back to `<rootfs>/usr/lib/os-release`). The file is read again
//! only when its `stat` changes (node_exporter compares the modification time): one system call per
//! collection instead of five.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::Arc;

/// `(os-release key, label)` of `node_os_info`, in label order.
const INFO_LABELS: [(&str, &str); 12] = [
    ("BUILD_ID", "build_id"),
    ("ID", "id"),
    ("ID_LIKE", "id_like"),
    ("IMAGE_ID", "image_id"),
    ("IMAGE_VERSION", "image_version"),
    ("NAME", "name"),
    ("PRETTY_NAME", "pretty_name"),
    ("VARIANT", "variant"),
    ("VARIANT_ID", "variant_id"),
    ("VERSION", "version"),
    ("VERSION_CODENAME", "version_codename"),
    ("VERSION_ID", "version_id"),
];

/// The os collector.
pub(crate) struct Os {
    reader: FileReader,
    /// `<rootfs>/etc/os-release` and the fallback `<rootfs>/usr/lib/os-release`.
    primary: PathBuf,
    fallback: PathBuf,
    /// The `stat` of the os-release file when it was last read, and its values.
    read_at: Option<Stamp>,
    release: HashMap<String, String>,
}

/// What identifies one version of a file: device, inode, size, modification and change times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp([i64; 7]);

impl Stamp {
    /// The stamp of the file at `path` (links followed), or `None` if it cannot be `stat`-ed.
    fn of(path: &std::path::Path) -> Option<Stamp> {
        let meta = std::fs::metadata(path).ok()?;
        Some(Stamp([
            meta.dev() as i64,
            meta.ino() as i64,
            meta.size() as i64,
            meta.mtime(),
            meta.mtime_nsec(),
            meta.ctime(),
            meta.ctime_nsec(),
        ]))
    }
}

impl Os {
    pub(crate) fn new(settings: Arc<Settings>) -> Os {
        Os {
            reader: FileReader::new(),
            primary: settings.root("etc/os-release"),
            fallback: settings.root("usr/lib/os-release"),
            read_at: None,
            release: HashMap::new(),
        }
    }

    /// Reads and parses os-release (the primary file, else the fallback) unless the file `stat`
    /// gives is the one last read.
    fn refresh(&mut self) -> Result<(), CollectError> {
        let stamp = Stamp::of(&self.primary).or_else(|| Stamp::of(&self.fallback));
        if stamp.is_some() && stamp == self.read_at {
            return Ok(());
        }
        self.read_at = None;
        let text = match self.reader.read(&self.primary) {
            Ok(text) => text,
            Err(_) => self.reader.read(&self.fallback)?,
        };
        self.release = parse_os_release(&String::from_utf8_lossy(text));
        // A change between the stat and the read shows as a new stamp next time: read again then.
        self.read_at = stamp;
        Ok(())
    }
}

/// Parses os-release's `KEY=value` lines, undoing shell quoting (`"..."`, `'...'`, backslashes).
pub(crate) fn parse_os_release(text: &str) -> HashMap<String, String> {
    let mut values = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else { continue };
        let value = if let Some(inner) = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')) {
            let mut unescaped = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(next) = chars.next() {
                        unescaped.push(next);
                    }
                } else {
                    unescaped.push(c);
                }
            }
            unescaped
        } else if let Some(inner) = raw.strip_prefix('\'').and_then(|r| r.strip_suffix('\'')) {
            inner.to_string()
        } else {
            raw.to_string()
        };
        values.insert(key.trim().to_string(), value);
    }
    values
}

/// The leading `major.minor` of VERSION_ID as a number (0 when there is none).
fn major_minor(version_id: &str) -> f64 {
    let digits: String = version_id.chars().take_while(|c| c.is_ascii_digit() || *c == '.').collect();
    let mut parts = digits.split('.').filter(|p| !p.is_empty());
    match (parts.next(), parts.next()) {
        (Some(major), Some(minor)) => format!("{major}.{minor}").parse().unwrap_or(0.0),
        (Some(major), None) => major.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// The os collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "os",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Os::new(settings)),
};

impl Collector for Os {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        self.refresh()?;
        let get = |key: &str| self.release.get(key).map(String::as_str).unwrap_or("");
        let info = INFO_LABELS.map(|(key, label)| (label, get(key)));
        out.gauge(
            "node_os_info",
            "A metric with a constant '1' value labeled by build_id, id, id_like, image_id, image_version, name, pretty_name, variant, variant_id, version, version_codename, version_id.",
            pairs(&info),
            1.0,
        );
        out.gauge(
            "node_os_version",
            "Metric containing the major.minor part of the OS version.",
            pairs(&[("id", get("ID")), ("id_like", get("ID_LIKE")), ("name", get("NAME"))]),
            major_minor(get("VERSION_ID")),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_release_is_read_again_when_it_changes_and_falls_back_to_usr_lib() {
        let root = tempfile::tempdir().expect("test setup");
        let (etc, lib) = (root.path().join("etc"), root.path().join("usr/lib"));
        std::fs::create_dir_all(&etc).expect("test setup");
        std::fs::create_dir_all(&lib).expect("test setup");
        std::fs::write(lib.join("os-release"), "ID=fallback\n").expect("test setup");
        let mut config = crate::host::HostConfig::with_roots(
            root.path().join("proc"),
            root.path().join("sys"),
            root.path(),
        );
        config.absent_recheck = std::time::Duration::ZERO;
        let settings = Arc::new(config.compile().expect("settings"));
        let mut os = Os::new(settings);
        let id = |os: &mut Os| {
            os.refresh().expect("os-release read");
            os.release.get("ID").cloned().unwrap_or_default()
        };
        assert_eq!(id(&mut os), "fallback");
        std::fs::write(etc.join("os-release"), "ID=debian\nVERSION_ID=12\n").expect("test setup");
        assert_eq!(id(&mut os), "debian", "the primary file, once it exists");
        assert_eq!(id(&mut os), "debian", "unchanged");
        std::fs::write(etc.join("os-release"), "ID=ubuntu\n").expect("test setup");
        assert_eq!(id(&mut os), "ubuntu", "rewritten in place");
        std::fs::write(root.path().join("next"), "ID=fedora\n").expect("test setup");
        std::fs::rename(root.path().join("next"), etc.join("os-release")).expect("test setup");
        assert_eq!(id(&mut os), "fedora", "replaced by a rename");
        std::fs::remove_file(etc.join("os-release")).expect("test setup");
        assert_eq!(id(&mut os), "fallback", "back to the fallback");
        std::fs::remove_file(lib.join("os-release")).expect("test setup");
        assert!(os.refresh().is_err(), "neither file: the collector fails");
    }

    #[test]
    fn quoting_and_versions() {
        let r = parse_os_release("NAME=\"Debian \\\"GNU\\\"\"\nID=debian\nVERSION_ID='12'\n# c\nbad\n");
        assert_eq!(r["NAME"], "Debian \"GNU\"");
        assert_eq!(r["VERSION_ID"], "12");
        assert_eq!(major_minor("22.04.3"), 22.04);
        assert_eq!(major_minor("12"), 12.0);
        assert_eq!(major_minor("rolling"), 0.0);
    }
}
