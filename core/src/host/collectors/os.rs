//! os: `node_os_info{id,name,version,...}` and `node_os_version{id,id_like,name}` from os-release
//! (`<rootfs>/etc/os-release`, falling back to `<rootfs>/usr/lib/os-release`).

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::collections::HashMap;
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
    settings: Arc<Settings>,
    reader: FileReader,
    /// The os-release text last read and its values, parsed again only when the text changes.
    text: String,
    release: HashMap<String, String>,
}

impl Os {
    pub(crate) fn new(settings: Arc<Settings>) -> Os {
        Os { settings, reader: FileReader::new(), text: String::new(), release: HashMap::new() }
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
    build: |settings| Box::new(Os::new(settings)),
};

impl Collector for Os {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let primary = self.settings.root("etc/os-release");
        let text = match self.reader.read(&primary) {
            Ok(text) => text,
            Err(_) => self.reader.read(&self.settings.root("usr/lib/os-release"))?,
        };
        if text != self.text.as_bytes() {
            self.text = String::from_utf8_lossy(text).into_owned();
            self.release = parse_os_release(&self.text);
        }
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
    fn quoting_and_versions() {
        let r = parse_os_release("NAME=\"Debian \\\"GNU\\\"\"\nID=debian\nVERSION_ID='12'\n# c\nbad\n");
        assert_eq!(r["NAME"], "Debian \"GNU\"");
        assert_eq!(r["VERSION_ID"], "12");
        assert_eq!(major_minor("22.04.3"), 22.04);
        assert_eq!(major_minor("12"), 12.0);
        assert_eq!(major_minor("rolling"), 0.0);
    }
}
