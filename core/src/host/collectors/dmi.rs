//! dmi: `node_dmi_info`, a gauge of value 1 labelled with the DMI strings of
//! /sys/class/dmi/id (BIOS, board, chassis, product, vendor) that are present and readable (serials
//! are root-only). Read once, on the first collection: DMI does not change until a reboot. A
//! platform without DMI reports success 0, as node_exporter does.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use crate::metrics::Label;
use std::sync::Arc;
use std::time::Instant;

/// `(label, file under /sys/class/dmi/id)`, in label order.
const FIELDS: [(&str, &str); 20] = [
    ("bios_date", "bios_date"),
    ("bios_release", "bios_release"),
    ("bios_vendor", "bios_vendor"),
    ("bios_version", "bios_version"),
    ("board_asset_tag", "board_asset_tag"),
    ("board_name", "board_name"),
    ("board_serial", "board_serial"),
    ("board_vendor", "board_vendor"),
    ("board_version", "board_version"),
    ("chassis_asset_tag", "chassis_asset_tag"),
    ("chassis_serial", "chassis_serial"),
    ("chassis_vendor", "chassis_vendor"),
    ("chassis_version", "chassis_version"),
    ("product_family", "product_family"),
    ("product_name", "product_name"),
    ("product_serial", "product_serial"),
    ("product_sku", "product_sku"),
    ("product_uuid", "product_uuid"),
    ("product_version", "product_version"),
    ("system_vendor", "sys_vendor"),
];

/// The dmi collector.
pub(crate) struct Dmi {
    settings: Arc<Settings>,
    labels: Option<Vec<Label>>,
}

impl Dmi {
    pub(crate) fn new(settings: Arc<Settings>) -> Dmi {
        Dmi { settings, labels: None }
    }

    fn read_labels(&self) -> Vec<Label> {
        let dir = self.settings.sys("class/dmi/id");
        FIELDS
            .iter()
            .filter_map(|(label, file)| {
                let bytes = std::fs::read(dir.join(file)).ok()?;
                let text = String::from_utf8_lossy(&bytes).trim().to_string();
                Some((label.to_string(), text))
            })
            .collect()
    }
}

/// The dmi collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "dmi",
    enabled_by_default: true,
    placement: Placement::Hardware,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Dmi::new(settings)),
};

impl Collector for Dmi {
    /// Quiet once the labels are read: they are read once per process, as node_exporter does.
    fn quiet_until(&self) -> Option<Instant> {
        self.labels.as_ref().map(|_| Instant::now() + std::time::Duration::from_secs(3600))
    }

    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        if self.labels.is_none() {
            self.labels = Some(self.read_labels());
        }
        let labels = self.labels.clone().unwrap_or_default();
        if labels.is_empty() {
            let dir = self.settings.sys("class/dmi/id");
            return Err(CollectError::io(&dir, std::io::Error::from(std::io::ErrorKind::NotFound)));
        }
        out.gauge(
            "node_dmi_info",
            "A metric with a constant '1' value labeled by bios_date, bios_release, bios_vendor, bios_version, board_asset_tag, board_name, board_serial, board_vendor, board_version, chassis_asset_tag, chassis_serial, chassis_vendor, chassis_version, product_family, product_name, product_serial, product_sku, product_uuid, product_version, system_vendor if provided by DMI.",
            labels,
            1.0,
        );
        Ok(())
    }
}
