//! filefd: `node_filefd_allocated` and `node_filefd_maximum` from /proc/sys/fs/file-nr.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::{parse_f64, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The filefd collector.
pub(crate) struct FileFd {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl FileFd {
    pub(crate) fn new(settings: Arc<Settings>) -> FileFd {
        FileFd { settings, reader: FileReader::new() }
    }
}

/// The filefd collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "filefd",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(FileFd::new(settings)),
};

impl Collector for FileFd {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("sys/fs/file-nr");
        let text = self.reader.read_str_one_piece(&path)?;
        let fields: Vec<&str> = text.split_ascii_whitespace().collect();
        let (Some(allocated), Some(maximum)) =
            (fields.first().and_then(|f| parse_f64(f)), fields.get(2).and_then(|f| parse_f64(f)))
        else {
            return Err(CollectError::parse(&path, "want 3 numbers"));
        };
        out.gauge("node_filefd_allocated", "File descriptor statistics: allocated.", vec![], allocated);
        out.gauge("node_filefd_maximum", "File descriptor statistics: maximum.", vec![], maximum);
        Ok(())
    }
}
