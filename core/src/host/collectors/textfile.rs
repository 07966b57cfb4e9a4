//! textfile: metrics from `*.prom` files in a directory (read with [`crate::expfmt::parse_text`]),
//! `node_textfile_mtime_seconds{file}` for each file read, and `node_textfile_scrape_error` (1 when a
//! file could not be read or parsed, or carries sample timestamps, which node_exporter rejects too; the
//! other files are still exported).

use crate::expfmt::parse_text;
use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement};
use std::sync::Arc;
use std::time::UNIX_EPOCH;

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
    build: |settings| Box::new(Textfile::new(settings)),
};

impl Collector for Textfile {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let mut error = false;
        if let Some(directory) = &self.settings.textfile_directory {
            let mut files: Vec<std::path::PathBuf> = match std::fs::read_dir(directory) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|x| x == "prom"))
                    .collect(),
                Err(_) => {
                    error = true;
                    Vec::new()
                }
            };
            files.sort();
            for path in files {
                // Only regular files: reading a FIFO or device named `*.prom` could block the scrape.
                if !std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    error = true;
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    error = true;
                    continue;
                };
                let Ok(families) = parse_text(&text) else {
                    error = true;
                    continue;
                };
                // As node_exporter: client-side timestamps are not supported; the whole file is skipped.
                if families.iter().any(|f| f.samples.iter().any(|s| s.timestamp.is_some())) {
                    error = true;
                    continue;
                }
                let shown = path.to_string_lossy();
                for mut family in families {
                    if family.help.is_empty() {
                        family.help = format!("Metric read from {shown}");
                    }
                    out.add_family(family);
                }
                let mtime = std::fs::metadata(&path)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
                    .map(|d| d.as_secs_f64().floor());
                if let Some(mtime) = mtime {
                    out.gauge(
                        "node_textfile_mtime_seconds",
                        "Unixtime mtime of textfiles successfully read.",
                        labels(&[("file", &shown)]),
                        mtime,
                    );
                }
            }
        }
        out.gauge(
            "node_textfile_scrape_error",
            "1 if there was an error opening or reading a file, 0 otherwise",
            vec![],
            if error { 1.0 } else { 0.0 },
        );
        Ok(())
    }
}
