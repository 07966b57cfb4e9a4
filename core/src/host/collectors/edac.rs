//! edac: memory error counters of EDAC memory controllers (/sys/devices/system/edac/mc/mcN):
//! `node_edac_{correctable,uncorrectable}_errors_total{controller}` and the per-csrow
//! `node_edac_csrow_{correctable,uncorrectable}_errors_total{controller,csrow}` (csrow `unknown` for
//! errors without location). A host without EDAC has no controllers and reports nothing, successfully.

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, parse_u64, read_trimmed};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

/// The edac collector.
pub(crate) struct Edac {
    settings: Arc<Settings>,
    /// `devices/system/edac/mc`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
}

impl Edac {
    pub(crate) fn new(settings: Arc<Settings>) -> Edac {
        Edac { class: settings.sys("devices/system/edac/mc"), settings }
    }
}

/// A counter file as a number (node_exporter fails the collector on unreadable ones).
fn count(path: &Path) -> Result<f64, CollectError> {
    let text = read_trimmed(path)?;
    parse_u64(text.trim()).map(|v| v as f64).ok_or_else(|| CollectError::parse(path, "not a count"))
}

/// `N` when `name` is `<prefix>N` with N digits (or empty, as node_exporter's glob allows).
fn numbered<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let number = name.strip_prefix(prefix)?;
    number.bytes().all(|b| b.is_ascii_digit()).then_some(number)
}

/// The edac collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "edac",
    enabled_by_default: true,
    placement: Placement::Hardware,
    build: |settings| Box::new(Edac::new(settings)),
};

impl Collector for Edac {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let base = self.class.clone();
        // Like node_exporter's glob: no EDAC directory means no controllers, not an error.
        let Ok(entries) = self.settings.absences.list_dir(&base) else { return Ok(()) };
        for entry in entries {
            let Some(controller) = numbered(&entry, "mc").filter(|n| !n.is_empty()) else { continue };
            let dir = base.join(&entry);
            let series = |csrow: Option<&str>| match csrow {
                Some(csrow) => labels(&[("controller", controller), ("csrow", csrow)]),
                None => labels(&[("controller", controller)]),
            };
            out.counter(
                "node_edac_correctable_errors_total",
                "Total correctable memory errors.",
                series(None),
                count(&dir.join("ce_count"))?,
            );
            out.counter(
                "node_edac_csrow_correctable_errors_total",
                "Total correctable memory errors for this csrow.",
                series(Some("unknown")),
                count(&dir.join("ce_noinfo_count"))?,
            );
            out.counter(
                "node_edac_uncorrectable_errors_total",
                "Total uncorrectable memory errors.",
                series(None),
                count(&dir.join("ue_count"))?,
            );
            out.counter(
                "node_edac_csrow_uncorrectable_errors_total",
                "Total uncorrectable memory errors for this csrow.",
                series(Some("unknown")),
                count(&dir.join("ue_noinfo_count"))?,
            );
            for row in list_dir(&dir)? {
                let Some(csrow) = numbered(&row, "csrow").filter(|n| !n.is_empty()) else { continue };
                let row_dir = dir.join(&row);
                out.counter(
                    "node_edac_csrow_correctable_errors_total",
                    "Total correctable memory errors for this csrow.",
                    series(Some(csrow)),
                    count(&row_dir.join("ce_count"))?,
                );
                out.counter(
                    "node_edac_csrow_uncorrectable_errors_total",
                    "Total uncorrectable memory errors for this csrow.",
                    series(Some(csrow)),
                    count(&row_dir.join("ue_count"))?,
                );
            }
        }
        Ok(())
    }
}
