//! bonding: `node_bonding_slaves{master}` and `node_bonding_active{master}` (slaves whose MII status
//! is up) for each bonding interface listed in /sys/class/net/bonding_masters. A host without bonding
//! reports success 0, as node_exporter does.

use crate::host::emit::{labels, Emitter};
use crate::host::error::CollectError;
use crate::host::read::read_trimmed;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The bonding collector.
pub(crate) struct Bonding {
    settings: Arc<Settings>,
}

impl Bonding {
    pub(crate) fn new(settings: Arc<Settings>) -> Bonding {
        Bonding { settings }
    }
}

/// The bonding collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "bonding",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Bonding::new(settings)),
};

impl Collector for Bonding {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let root = self.settings.sys("class/net");
        let masters = self.settings.absences.read_trimmed(&root.join("bonding_masters"))?;
        for master in masters.split_whitespace() {
            let slaves = read_trimmed(&root.join(master).join("bonding/slaves"))?;
            let (mut configured, mut active) = (0u32, 0u32);
            for slave in slaves.split_whitespace() {
                let lower = root.join(master).join(format!("lower_{slave}")).join("bonding_slave/mii_status");
                let state = match read_trimmed(&lower) {
                    Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                        // Older kernels name the link slave_<name>.
                        read_trimmed(
                            &root
                                .join(master)
                                .join(format!("slave_{slave}"))
                                .join("bonding_slave/mii_status"),
                        )?
                    }
                    other => other?,
                };
                configured += 1;
                if state.trim() == "up" {
                    active += 1;
                }
            }
            let series = labels(&[("master", master)]);
            out.gauge(
                "node_bonding_slaves",
                "Number of configured slaves per bonding interface.",
                series.clone(),
                f64::from(configured),
            );
            out.gauge(
                "node_bonding_active",
                "Number of active slaves per bonding interface.",
                series,
                f64::from(active),
            );
        }
        Ok(())
    }
}
