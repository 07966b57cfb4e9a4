//! textfile: metrics from `*.prom` files in a directory (read with [`crate::expfmt::parse_text`]),
//! `node_textfile_mtime_seconds{file}` for each file read, and `node_textfile_scrape_error` (1 when a
//! file could not be read or parsed, or carries sample timestamps, which node_exporter rejects too; the
//! other files are still exported).
//!
//! Hostile files are bounded and cannot forge or break the output: a file over
//! `textfile_max_file_bytes` (checked on its metadata, and again while reading, so a file growing
//! while read is cut at the cap), or past `textfile_max_total_bytes` for the whole collection, is
//! skipped; so is a file with a metric or label name the text format 0.0.4 cannot carry (a Prometheus
//! 3 UTF-8 name such as `{"http.server.duration"}`), or a family named like the collector's own. A
//! family clashing with another collector's or a reserved (exporter) name is dropped afterwards by
//! [`drop_forged`]. Each problem sets the error metric and is reported with the file's path in
//! [`TextfileReport::warnings`].

use crate::expfmt::parse_text;
use crate::expfmt::NameEscaping;
use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::order::exposition_name;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use crate::metrics::{is_valid_metric_name, MetricFamily};
use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, UNIX_EPOCH};

const SCRAPE_ERROR: &str = "node_textfile_scrape_error";
const MTIME: &str = "node_textfile_mtime_seconds";

/// What the last collection learnt that the collector's output cannot say: which file each family
/// came from (to name it when the family is dropped later) and the problems found, as warnings.
#[derive(Debug, Default)]
pub(crate) struct TextfileReport {
    sources: HashMap<String, PathBuf>,
    pub(crate) warnings: Vec<String>,
}

/// The textfile collector.
pub(crate) struct Textfile {
    settings: Arc<Settings>,
}

impl Textfile {
    pub(crate) fn new(settings: Arc<Settings>) -> Textfile {
        Textfile { settings }
    }
}

/// The textfile collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "textfile",
    enabled_by_default: true,
    placement: Placement::Mounts,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Textfile::new(settings)),
};

impl Collector for Textfile {
    /// Without a directory it reads nothing (it only reports `node_textfile_scrape_error 0`), so its
    /// lane need not be woken for it.
    fn quiet_until(&self) -> Option<Instant> {
        self.settings.textfile_directory.is_none().then(|| Instant::now() + Duration::from_secs(3600))
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let mut report = TextfileReport::default();
        if let Some(directory) = &self.settings.textfile_directory {
            let mut files: Vec<PathBuf> = match std::fs::read_dir(directory) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "prom"))
                    .collect(),
                Err(err) => {
                    report
                        .warnings
                        .push(format!("textfile: cannot read directory {}: {err}", directory.display()));
                    Vec::new()
                }
            };
            files.sort();
            let mut budget = self.settings.textfile_max_total_bytes;
            for path in files {
                let shown = path.to_string_lossy().into_owned();
                match read_file(&path, self.settings.textfile_max_file_bytes, &mut budget) {
                    Ok((families, mtime)) => {
                        for mut family in families {
                            if family.help.is_empty() {
                                family.help = format!("Metric read from {shown}");
                            }
                            report.sources.insert(family.name.clone(), path.clone());
                            out.add_family(family);
                        }
                        if let Some(mtime) = mtime {
                            out.gauge(
                                MTIME,
                                "Unixtime mtime of textfiles successfully read.",
                                pairs(&[("file", &shown)]),
                                mtime,
                            );
                        }
                    }
                    Err(problem) => report.warnings.push(format!("textfile: skipped {shown}: {problem}")),
                }
            }
        }
        out.gauge(
            SCRAPE_ERROR,
            "1 if there was an error opening or reading a file, 0 otherwise",
            vec![],
            if report.warnings.is_empty() { 0.0 } else { 1.0 },
        );
        if let Ok(mut shared) = self.settings.textfile_report.lock() {
            *shared = report;
        }
        Ok(())
    }
}

/// Reads and checks one file within the caps, taking its bytes from `budget`; the families and the
/// file's mtime, or why the file is skipped.
fn read_file(
    path: &Path,
    max_bytes: u64,
    budget: &mut u64,
) -> Result<(Vec<MetricFamily>, Option<f64>), String> {
    // Only regular files: reading a FIFO or device named `*.prom` could block the scrape.
    let metadata = std::fs::metadata(path).map_err(|err| err.to_string())?;
    if !metadata.is_file() {
        return Err("not a regular file".to_owned());
    }
    if metadata.len() > max_bytes {
        return Err(format!("{} bytes, over the {max_bytes}-byte file limit", metadata.len()));
    }
    if metadata.len() > *budget {
        return Err(format!(
            "{} bytes, over what is left of the per-scrape limit ({budget} bytes)",
            metadata.len()
        ));
    }
    let limit = max_bytes.min(*budget);
    let file = std::fs::File::open(path).map_err(|err| err.to_string())?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    // One byte past the limit tells a file that grew while read from one exactly at it.
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).map_err(|err| err.to_string())?;
    let read = bytes.len() as u64;
    if read > limit {
        return Err(format!("grew past the {limit}-byte limit while read"));
    }
    *budget -= read;
    let text = String::from_utf8(bytes).map_err(|err| format!("not UTF-8: {err}"))?;
    let families = parse_text(&text).map_err(|err| err.to_string())?;
    drop(text);
    // As node_exporter: client-side timestamps are not supported; the whole file is skipped.
    if families.iter().any(|f| f.samples.iter().any(|s| s.timestamp.is_some())) {
        return Err("samples carry timestamps, which the textfile collector does not support".to_owned());
    }
    // UTF-8 names (Prometheus 3) are taken: the exporter writes them quoted only to a scraper that
    // allows them and escapes them for every other one.
    for family in &families {
        if family.name == SCRAPE_ERROR || family.name == MTIME {
            return Err(format!("family {} is the textfile collector's own", family.name));
        }
    }
    let mtime = metadata
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs_f64().floor());
    Ok((families, mtime))
}

/// Drops the textfile `families` that a scrape would write like one of `others` (the other
/// collectors' families), a reserved name, the collector's own two families or an earlier textfile
/// family of another name, under any escaping a scraper may ask for (`node.load1` is `node_load1` to
/// one that does not allow UTF-8 names), setting `node_textfile_scrape_error` to 1; as node_exporter
/// drops a family it cannot register. Returns the collection's textfile warnings plus one per
/// dropped family, naming its file.
pub(crate) fn drop_forged(
    families: &mut Vec<MetricFamily>,
    others: &[MetricFamily],
    settings: &Settings,
) -> Vec<String> {
    let Ok(mut report) = settings.textfile_report.lock() else { return Vec::new() };
    let mut warnings = std::mem::take(&mut report.warnings);
    if families.iter().all(|f| f.name == SCRAPE_ERROR || f.name == MTIME) {
        return warnings;
    }
    let mut taken = WrittenNames::default();
    for family in others {
        taken.insert_family(family, None);
    }
    for own in [SCRAPE_ERROR, MTIME] {
        taken.insert_name(own);
    }
    if let Ok(reserved) = settings.reserved_names.read() {
        for name in reserved.iter() {
            taken.insert_name(name);
        }
    }
    let before = warnings.len();
    families.retain(|family| {
        if family.name == SCRAPE_ERROR || family.name == MTIME {
            return true;
        }
        let clash = taken.clash(family);
        match &clash {
            None => taken.insert_family(family, Some(&family.name)),
            Some(owner) => {
                let file = report
                    .sources
                    .get(&family.name)
                    .map_or_else(|| "?".to_owned(), |p| p.display().to_string());
                let whose = match owner {
                    Some(textfile) => format!("textfile family {textfile} (written alike once escaped)"),
                    None => "another collector or the exporter".to_owned(),
                };
                warnings.push(format!(
                    "textfile: dropped family {} from {file}: the name belongs to {whose}",
                    family.name
                ));
            }
        }
        clash.is_none()
    });
    if warnings.len() > before {
        let error = families.iter_mut().find(|f| f.name == SCRAPE_ERROR);
        for sample in error.into_iter().flat_map(|f| f.samples.iter_mut()) {
            sample.value = 1.0;
        }
    }
    warnings
}

/// Every scheme a scraper may ask names to be written in.
const SCHEMES: [NameEscaping; 4] =
    [NameEscaping::AllowUtf8, NameEscaping::Underscores, NameEscaping::Dots, NameEscaping::Values];

/// The names a scrape writes, each with the textfile family that took it (None: another collector,
/// the collector's own or a reserved name). A legacy name is written alike under every scheme and
/// kept once (the host families: no escaping work per scrape); other names per scheme.
#[derive(Default)]
struct WrittenNames {
    legacy: HashMap<String, Option<String>>,
    escaped: HashMap<(NameEscaping, String), Option<String>>,
}

impl WrittenNames {
    /// Every way `base`, exposed as `exposed` (`base` or `base` plus a `_total` / `_info` suffix), can
    /// be written: per scheme the escaped base, the escaped exposition name and the escaped base with
    /// the suffix after it (how sample lines are written).
    fn forms(base: &str, exposed: &str) -> Vec<(NameEscaping, String)> {
        let suffix = exposed.strip_prefix(base).unwrap_or("");
        let mut forms = Vec::with_capacity(SCHEMES.len() * 3);
        for scheme in SCHEMES {
            let escaped = scheme.escape_metric_name(base);
            forms.push((scheme, format!("{escaped}{suffix}")));
            forms.push((scheme, escaped.into_owned()));
            forms.push((scheme, scheme.escape_metric_name(exposed).into_owned()));
        }
        forms
    }

    fn insert(&mut self, base: &str, exposed: &str, owner: Option<&str>) {
        if is_valid_metric_name(base) && is_valid_metric_name(exposed) {
            for name in [base, exposed] {
                self.legacy.entry(name.to_owned()).or_insert_with(|| owner.map(str::to_owned));
            }
            return;
        }
        for form in Self::forms(base, exposed) {
            self.escaped.entry(form).or_insert_with(|| owner.map(str::to_owned));
        }
    }

    fn insert_family(&mut self, family: &MetricFamily, owner: Option<&str>) {
        self.insert(&family.name, &exposition_name(family), owner);
    }

    /// A reserved name, which may be a counter's `<base>_total` or an info metric's `<base>_info`.
    fn insert_name(&mut self, name: &str) {
        self.insert(name, name, None);
        if let Some(base) = name.strip_suffix("_total").or_else(|| name.strip_suffix("_info")) {
            self.insert(base, name, None);
        }
    }

    /// Who already writes a name `family` would be written as: Some(None) for another collector or a
    /// reserved name, Some(Some(name)) for an earlier textfile family of another name; None if nobody.
    fn clash(&self, family: &MetricFamily) -> Option<Option<String>> {
        Self::forms(&family.name, &exposition_name(family))
            .into_iter()
            .filter_map(|(scheme, form)| self.legacy.get(&form).or_else(|| self.escaped.get(&(scheme, form))))
            .find(|owner| owner.as_deref() != Some(family.name.as_str()))
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_longer_than_its_metadata_says_is_cut_at_the_cap_and_skipped() {
        // procfs files report length 0 yet hold more, as a file growing while read does.
        let mut budget = 1 << 20;
        let err = read_file(Path::new("/proc/self/status"), 10, &mut budget).unwrap_err();
        assert_eq!(err, "grew past the 10-byte limit while read");
        assert_eq!(budget, 1 << 20, "nothing is taken from the budget for a skipped file");
    }

    #[test]
    fn without_a_directory_it_is_quiet_and_still_reports_no_error() {
        let config = crate::host::HostConfig::default();
        let mut collector = Textfile::new(Arc::new(config.compile().unwrap()));
        assert!(collector
            .quiet_until()
            .is_some_and(|until| until > Instant::now() + Duration::from_secs(60)));
        let mut out = Emitter::new();
        collector.update(&mut out).unwrap();
        let families = out.into_families();
        assert_eq!(families.len(), 1);
        assert_eq!((families[0].name.as_str(), families[0].samples[0].value), (SCRAPE_ERROR, 0.0));
        let dir = tempfile::tempdir().unwrap();
        let mut config = crate::host::HostConfig::default();
        config.textfile_directory = Some(dir.path().to_path_buf());
        let collector = Textfile::new(Arc::new(config.compile().unwrap()));
        assert_eq!(collector.quiet_until(), None, "a directory is read on every collection");
    }

    #[test]
    fn what_a_file_reads_is_taken_from_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.prom");
        std::fs::write(&path, "app_a 1\n").unwrap();
        let mut budget = 20;
        let (families, mtime) = read_file(&path, 100, &mut budget).unwrap();
        assert_eq!((families.len(), budget), (1, 12));
        assert!(mtime.is_some());
        let err = read_file(&path, 100, &mut 7).unwrap_err();
        assert!(err.contains("per-scrape limit (7 bytes)"), "{err}");
    }
}
