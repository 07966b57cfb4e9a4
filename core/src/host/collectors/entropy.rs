//! entropy: `node_entropy_available_bits` and `node_entropy_pool_size_bits` from
//! /proc/sys/kernel/random.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The entropy collector.
pub(crate) struct Entropy {
    settings: Arc<Settings>,
    reader: FileReader,
}

impl Entropy {
    pub(crate) fn new(settings: Arc<Settings>) -> Entropy {
        Entropy { settings, reader: FileReader::new() }
    }
}

/// The entropy collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "entropy",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Entropy::new(settings)),
};

impl Collector for Entropy {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let available = self.reader.read_f64(&self.settings.proc("sys/kernel/random/entropy_avail"))?;
        let pool = self.reader.read_f64(&self.settings.proc("sys/kernel/random/poolsize"))?;
        out.gauge("node_entropy_available_bits", "Bits of available entropy.", vec![], available);
        out.gauge("node_entropy_pool_size_bits", "Bits of entropy pool.", vec![], pool);
        Ok(())
    }
}
