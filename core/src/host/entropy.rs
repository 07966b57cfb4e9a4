//! entropy: `node_entropy_available_bits` and `node_entropy_pool_size_bits` from
//! /proc/sys/kernel/random.

use super::catalog::Collector;
use super::config::Settings;
use super::emit::Emitter;
use super::error::CollectError;
use super::read::FileReader;
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

impl Collector for Entropy {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let available = self.reader.read_f64(&self.settings.proc("sys/kernel/random/entropy_avail"))?;
        let pool = self.reader.read_f64(&self.settings.proc("sys/kernel/random/poolsize"))?;
        out.gauge("node_entropy_available_bits", "Bits of available entropy.", vec![], available);
        out.gauge("node_entropy_pool_size_bits", "Bits of entropy pool.", vec![], pool);
        Ok(())
    }
}
