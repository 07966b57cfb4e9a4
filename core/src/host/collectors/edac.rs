//! edac: memory error counters of EDAC memory controllers (/sys/devices/system/edac/mc/mcN):
//! `node_edac_{correctable,uncorrectable}_errors_total{controller}` and the per-csrow
//! `node_edac_csrow_{correctable,uncorrectable}_errors_total{controller,csrow}` (csrow `unknown` for
//! errors without location). A host without EDAC has no controllers and reports nothing, successfully.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_u64, path_in, DirLister, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

/// The edac collector. A server has a controller per memory channel group and a csrow per rank, read
/// at every collection: the listings, paths and counter files are reused (the counters kept open by
/// the reader), and samples get borrowed label pairs, so nothing is allocated per controller or csrow.
pub(crate) struct Edac {
    settings: Arc<Settings>,
    /// `devices/system/edac/mc`, where the devices are listed (its absence or emptiness is remembered).
    class: PathBuf,
    controllers: DirLister,
    rows: DirLister,
    reader: FileReader,
    path: PathBuf,
}

impl Edac {
    pub(crate) fn new(settings: Arc<Settings>) -> Edac {
        Edac {
            class: settings.sys("devices/system/edac/mc"),
            settings,
            controllers: DirLister::keeping(),
            rows: DirLister::default(),
            reader: FileReader::new(),
            path: PathBuf::new(),
        }
    }

    /// The counter file `parts` under the class directory as a number (node_exporter fails the
    /// collector on unreadable ones).
    fn count(&mut self, parts: &[&str]) -> Result<f64, CollectError> {
        let path = path_in(&mut self.path, &self.class, parts);
        let text = self.reader.read_str_one_piece(path)?;
        parse_u64(text.trim()).map(|v| v as f64).ok_or_else(|| CollectError::parse(path, "not a count"))
    }
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
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Edac::new(settings)),
};

impl Collector for Edac {
    /// Quiet while the device directory is remembered absent or empty: then nothing is read.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.absences.remembered_until(&self.class)
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        // Like node_exporter's glob: no EDAC directory means no controllers, not an error. Absent or
        // empty, it is listed through the absences, which remember it for `quiet_until`.
        if self.quiet_until().is_some() {
            let _ = self.settings.absences.list_dir(&self.class);
            return Ok(());
        }
        let mut controllers = std::mem::take(&mut self.controllers);
        let result = match controllers.list(&self.class) {
            Ok(entries) if !entries.is_empty() => self.update_controllers(out, entries),
            _ => {
                let _ = self.settings.absences.list_dir(&self.class);
                Ok(())
            }
        };
        self.controllers = controllers;
        result
    }
}

impl Edac {
    fn update_controllers(&mut self, out: &mut Emitter, entries: &[String]) -> Result<(), CollectError> {
        let mut rows = std::mem::take(&mut self.rows);
        let result = entries.iter().try_for_each(|entry| self.update_controller(out, entry, &mut rows));
        self.rows = rows;
        result
    }

    fn update_controller(
        &mut self,
        out: &mut Emitter,
        entry: &str,
        rows: &mut DirLister,
    ) -> Result<(), CollectError> {
        let Some(controller) = numbered(entry, "mc").filter(|n| !n.is_empty()) else { return Ok(()) };
        let whole = [("controller", controller)];
        let unknown = [("controller", controller), ("csrow", "unknown")];
        let value = self.count(&[entry, "ce_count"])?;
        out.counter("node_edac_correctable_errors_total", "Total correctable memory errors.", &whole, value);
        let value = self.count(&[entry, "ce_noinfo_count"])?;
        out.counter(CSROW_CE.0, CSROW_CE.1, &unknown, value);
        let value = self.count(&[entry, "ue_count"])?;
        out.counter(
            "node_edac_uncorrectable_errors_total",
            "Total uncorrectable memory errors.",
            &whole,
            value,
        );
        let value = self.count(&[entry, "ue_noinfo_count"])?;
        out.counter(CSROW_UE.0, CSROW_UE.1, &unknown, value);
        let dir = path_in(&mut self.path, &self.class, &[entry]);
        for row in rows.list(dir)? {
            let Some(csrow) = numbered(row, "csrow").filter(|n| !n.is_empty()) else { continue };
            let series = [("controller", controller), ("csrow", csrow)];
            let value = self.count(&[entry, row, "ce_count"])?;
            out.counter(CSROW_CE.0, CSROW_CE.1, &series, value);
            let value = self.count(&[entry, row, "ue_count"])?;
            out.counter(CSROW_UE.0, CSROW_UE.1, &series, value);
        }
        Ok(())
    }
}

/// `(name, help)` of the per-csrow counters.
const CSROW_CE: (&str, &str) =
    ("node_edac_csrow_correctable_errors_total", "Total correctable memory errors for this csrow.");
const CSROW_UE: (&str, &str) =
    ("node_edac_csrow_uncorrectable_errors_total", "Total uncorrectable memory errors for this csrow.");
