//! netclass: interface properties (`node_network_info`, `_up`, `_mtu_bytes`, `_speed_bytes`,
//! `_carrier`, `_flags`, ...) from /sys/class/net/<iface>/, or on the live host from one rtnetlink dump
//! plus the six attributes only sysfs has. A property the kernel refuses to give (e.g. `carrier` of a
//! down interface) is left out, as node_exporter does; both sources give the same output. The dump
//! is shared with netdev within a collection (see `SharedLinks`).

use crate::host::emit::{pairs, Emitter, FastMap};
use crate::host::error::CollectError;
use crate::host::netlink::{Link, IFF_DORMANT, IFF_UP};
use crate::host::read::{list_dir, parse_f64, parse_hex, path_in, Dir, KeptFile};
use crate::host::settings::{device_selected, Settings};
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use crate::metrics::MetricType;
use std::ffi::CStr;
use std::fmt::Write;
use std::path::Path;
use std::sync::Arc;

/// Indexes into [`PROPERTIES`] of the values netlink provides.
const ADDR_ASSIGN_TYPE: usize = 0;
const CARRIER: usize = 1;
const CARRIER_CHANGES: usize = 2;
const CARRIER_UP: usize = 3;
const CARRIER_DOWN: usize = 4;
const DEV_ID: usize = 5;
const DORMANT: usize = 6;
const FLAGS: usize = 7;
const IFINDEX: usize = 8;
const IFLINK: usize = 9;
const LINK_MODE: usize = 10;
const MTU: usize = 11;
const NAME_ASSIGN_TYPE: usize = 12;
const NETDEV_GROUP: usize = 13;
const TX_QUEUE_LEN: usize = 14;
const TYPE: usize = 15;

/// Properties that never change for a given interface name, index and address.
const FIXED: [usize; 3] = [ADDR_ASSIGN_TYPE, DEV_ID, NAME_ASSIGN_TYPE];

/// `ARPHRD_LOOPBACK`, the link type of the loopback device.
const ARPHRD_LOOPBACK: u16 = 772;

/// Cache key of what is known about an interface: its name, index and hardware address, written
/// `name/index/address` (a `/` cannot be in an interface name).
type DeviceKey = String;

/// The sysfs attributes read on every scrape of the live host, which netlink does not give (`flags`
/// as set, not as netlink reports them).
const LIVE: [&CStr; 3] = [c"flags", c"duplex", c"speed"];

/// Indexes into [`LIVE`].
const FLAGS_FILE: usize = 0;
const DUPLEX_FILE: usize = 1;
const SPEED_FILE: usize = 2;

/// What is kept about a live interface between scrapes: its [`FIXED`] values and its [`LIVE`]
/// attribute files, kept open (reading a kept sysfs file again costs a third of opening it).
#[derive(Debug)]
struct KnownDevice {
    /// Whether the interface was there in the current collection (the others are forgotten).
    seen: bool,
    fixed: [Option<f64>; 3],
    /// `None` where the file could not be kept (absent, or the process's budget of kept files is
    /// spent): then it is opened through the directory on each scrape.
    live: [Option<KeptFile>; 3],
}

/// Reads [`LIVE`] attribute `which` of the interface `name`: from its kept file, else relative to
/// the class directory (opened into `class_dir` on first need in a collection, so an interface
/// whose files could not be kept costs no path, descriptor or allocation of its own).
fn live_attribute<'b>(
    known: &KnownDevice,
    which: usize,
    class_dir: &mut ClassDir,
    name: &str,
    buf: &'b mut [u8; 4096],
) -> Option<&'b str> {
    match &known.live[which] {
        Some(kept) => kept.attribute(buf),
        None => {
            let ClassDir { path, dir, relative } = class_dir;
            let dir = dir.get_or_insert_with(|| Dir::open(path).ok()).as_ref()?;
            dir.entry_attribute(name, LIVE[which], relative, buf)
        }
    }
}

/// `/sys/class/net` within one collection: its path, the directory once opened (`Some(None)`: it
/// could not be), and the reused relative path of an attribute.
struct ClassDir<'p> {
    path: &'p Path,
    dir: Option<Option<Dir>>,
    relative: &'p mut Vec<u8>,
}

impl KnownDevice {
    fn open(dir: &Dir, buf: &mut [u8; 4096]) -> KnownDevice {
        let mut fixed = [None; 3];
        for (slot, index) in fixed.iter_mut().zip(FIXED) {
            *slot = dir.attribute(PROPERTIES[index].0, buf).and_then(parse_value);
        }
        let live = LIVE.map(|name| dir.open_file(name).and_then(|file| KeptFile::keep(file).ok()));
        KnownDevice { seen: true, fixed, live }
    }
}

/// `(sysfs file, metric suffix, type)`: numeric properties, each `node_network_<suffix>`.
const PROPERTIES: [(&CStr, &str, MetricType); 16] = [
    (c"addr_assign_type", "address_assign_type", MetricType::Gauge),
    (c"carrier", "carrier", MetricType::Gauge),
    (c"carrier_changes", "carrier_changes_total", MetricType::Counter),
    (c"carrier_up_count", "carrier_up_changes_total", MetricType::Counter),
    (c"carrier_down_count", "carrier_down_changes_total", MetricType::Counter),
    (c"dev_id", "device_id", MetricType::Gauge),
    (c"dormant", "dormant", MetricType::Gauge),
    (c"flags", "flags", MetricType::Gauge),
    (c"ifindex", "iface_id", MetricType::Gauge),
    (c"iflink", "iface_link", MetricType::Gauge),
    (c"link_mode", "iface_link_mode", MetricType::Gauge),
    (c"mtu", "mtu_bytes", MetricType::Gauge),
    (c"name_assign_type", "name_assign_type", MetricType::Gauge),
    (c"netdev_group", "net_dev_group", MetricType::Gauge),
    (c"tx_queue_len", "transmit_queue_length", MetricType::Gauge),
    (c"type", "protocol_type", MetricType::Gauge),
];

/// What one interface reports, from either source.
#[derive(Debug, Default)]
struct Device {
    operstate: String,
    address: String,
    broadcast: String,
    duplex: String,
    ifalias: String,
    properties: [Option<f64>; 16],
    speed: Option<f64>,
}

/// netclass's bit among the takers of the shared link dump.
const LINK_TAKER: u32 = 0;

/// The netclass collector.
pub(crate) struct NetClass {
    settings: Arc<Settings>,
    buf: Box<[u8; 4096]>,
    names: Vec<(String, String)>,
    known: FastMap<DeviceKey, KnownDevice>,
    /// Reused between collections: the key looked up, the device read, the class directory's path,
    /// an attribute's path relative to it.
    key: DeviceKey,
    device: Device,
    class: std::path::PathBuf,
    relative: Vec<u8>,
}

impl NetClass {
    pub(crate) fn new(settings: Arc<Settings>) -> NetClass {
        let names = PROPERTIES
            .iter()
            .map(|(_, suffix, _)| {
                (format!("node_network_{suffix}"), format!("Network device property: {suffix}"))
            })
            .collect();
        NetClass {
            settings,
            buf: Box::new([0; 4096]),
            names,
            known: FastMap::default(),
            key: String::new(),
            device: Device::default(),
            class: std::path::PathBuf::new(),
            relative: Vec::new(),
        }
    }

    /// Everything from sysfs.
    fn read_sysfs(&mut self, dir: &Dir) -> Device {
        let buf = &mut self.buf;
        let mut text = |name: &CStr| dir.attribute(name, buf).unwrap_or_default().to_string();
        let mut device = Device {
            operstate: text(c"operstate"),
            address: text(c"address"),
            broadcast: text(c"broadcast"),
            duplex: text(c"duplex"),
            ifalias: text(c"ifalias"),
            ..Device::default()
        };
        for (value, (file, _, _)) in device.properties.iter_mut().zip(PROPERTIES.iter()) {
            *value = dir.attribute(file, &mut self.buf).and_then(parse_value);
        }
        device.speed = dir.attribute(c"speed", &mut self.buf).and_then(parse_value);
        device
    }

    /// Netlink's values, plus the attributes only sysfs has (speed, duplex, flags as set, ...), into
    /// `self.device`.
    fn read_netlink(&mut self, link: &Link, class: &mut ClassDir<'_>) {
        let device = &mut self.device;
        assign(&mut device.operstate, link.operstate);
        assign(&mut device.address, &link.address);
        assign(&mut device.broadcast, &link.broadcast);
        assign(&mut device.ifalias, &link.ifalias);
        device.duplex.clear();
        device.speed = None;
        let up = link.flags & IFF_UP != 0;
        let p = &mut device.properties;
        *p = [None; 16];
        p[CARRIER] = link.carrier.filter(|_| up).map(f64::from);
        p[CARRIER_CHANGES] = link.carrier_changes.map(f64::from);
        p[CARRIER_UP] = link.carrier_up.map(f64::from);
        p[CARRIER_DOWN] = link.carrier_down.map(f64::from);
        p[DORMANT] = up.then_some(if link.flags & IFF_DORMANT != 0 { 1.0 } else { 0.0 });
        p[IFINDEX] = Some(f64::from(link.index));
        p[IFLINK] = Some(link.link.map(f64::from).unwrap_or(f64::from(link.index)));
        p[LINK_MODE] = link.link_mode.map(f64::from);
        p[MTU] = link.mtu.map(f64::from);
        p[NETDEV_GROUP] = link.group.map(f64::from);
        p[TX_QUEUE_LEN] = link.txqlen.map(f64::from);
        p[TYPE] = Some(f64::from(link.kind));
        // dev_id, name_assign_type and addr_assign_type are fixed for an interface's life (the last
        // until its MAC address is set): read once per (name, ifindex, address).
        self.key.clear();
        let _ = write!(self.key, "{}/{}/{}", link.name, link.index, link.address);
        if !self.known.contains_key(self.key.as_str()) {
            let Ok(dir) = Dir::open(&class.path.join(&link.name)) else { return };
            self.known.insert(self.key.clone(), KnownDevice::open(&dir, &mut self.buf));
        }
        let Some(known) = self.known.get_mut(self.key.as_str()) else { return };
        known.seen = true;
        for (value, index) in known.fixed.into_iter().zip(FIXED) {
            device.properties[index] = value;
        }
        let (name, buf) = (link.name.as_str(), &mut self.buf);
        device.properties[FLAGS] = live_attribute(known, FLAGS_FILE, class, name, buf).and_then(parse_value);
        // The kernel answers duplex and speed only for an interface that is up (`netif_running`, the
        // IFF_UP netlink reports) and whose driver reports link settings: for one that is down, or
        // the loopback device (its ethtool operations have none), both reads fail with EINVAL, so
        // they are not made (two system calls, and a trylock of rtnl, per such interface and scrape).
        if !up || link.kind == ARPHRD_LOOPBACK {
            return;
        }
        let duplex = live_attribute(known, DUPLEX_FILE, class, name, buf).unwrap_or_default();
        device.duplex.push_str(duplex);
        device.speed = live_attribute(known, SPEED_FILE, class, name, buf).and_then(parse_value);
    }

    fn emit(&self, out: &mut Emitter, name: &str, device: &Device) {
        out.gauge(
            "node_network_up",
            "Value is 1 if operstate is 'up', 0 otherwise.",
            pairs(&[("device", name)]),
            if device.operstate == "up" { 1.0 } else { 0.0 },
        );
        out.gauge(
            "node_network_info",
            "Non-numeric data from /sys/class/net/<iface>, value is always 1.",
            pairs(&[
                ("address", &device.address),
                ("broadcast", &device.broadcast),
                ("device", name),
                ("duplex", &device.duplex),
                ("ifalias", &device.ifalias),
                ("operstate", &device.operstate),
            ]),
            1.0,
        );
        for ((value, (_, _, kind)), (metric, help)) in
            device.properties.iter().zip(PROPERTIES.iter()).zip(&self.names)
        {
            if let Some(value) = value {
                out.sample(metric, help, *kind, pairs(&[("device", name)]), *value);
            }
        }
        if let Some(speed) = device.speed {
            if !(self.settings.netclass_ignore_invalid_speed && speed < 0.0) {
                out.gauge(
                    "node_network_speed_bytes",
                    "Network device property: speed_bytes",
                    pairs(&[("device", name)]),
                    speed * 1000.0 * 1000.0 / 8.0,
                );
            }
        }
    }

    /// From the collection's link dump (shared with netdev), sorted by name.
    fn update_from_netlink(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let settings = Arc::clone(&self.settings);
        settings.links.read(settings.collection(), LINK_TAKER, |links| self.update_from_links(out, links))
    }

    fn update_from_links(&mut self, out: &mut Emitter, links: &[Link]) {
        let mut class = std::mem::take(&mut self.class);
        let mut relative = std::mem::take(&mut self.relative);
        let path = path_in(&mut class, &self.settings.sysfs, &["class/net"]);
        let mut class_dir = ClassDir { path, dir: None, relative: &mut relative };
        for known in self.known.values_mut() {
            known.seen = false;
        }
        for link in links.iter() {
            if !self.selected(&link.name) {
                continue;
            }
            self.read_netlink(link, &mut class_dir);
            self.emit(out, &link.name, &self.device);
        }
        drop(class_dir);
        self.class = class;
        self.relative = relative;
        // Forget interfaces that are gone (veth churn must not grow the cache).
        self.known.retain(|_, known| known.seen);
    }

    fn selected(&self, device: &str) -> bool {
        device_selected(
            device,
            &self.settings.netclass_device_include,
            &self.settings.netclass_device_exclude,
        )
    }
}

/// Sets `target` to `text`, keeping its allocation.
fn assign(target: &mut String, text: &str) {
    target.clear();
    target.push_str(text);
}

/// A numeric sysfs value: decimal, negative, or `0x` hex (flags).
fn parse_value(text: &str) -> Option<f64> {
    match text.strip_prefix("0x") {
        Some(hex) => parse_hex(hex).map(|v| v as f64),
        None => parse_f64(text),
    }
}

/// The netclass collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "netclass",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(NetClass::new(settings)),
};

impl Collector for NetClass {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        if self.settings.use_netlink {
            return self.update_from_netlink(out);
        }
        let class = self.settings.sys("class/net");
        for name in list_dir(&class)? {
            if !self.selected(&name) {
                continue;
            }
            // Entries that are not directories (bonding_masters) fail here and are skipped.
            let Ok(dir) = Dir::open(&class.join(&name)) else { continue };
            let device = self.read_sysfs(&dir);
            self.emit(out, &name, &device);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An interface whose attribute files could not be kept (the process's budget of kept files is
    /// spent on a host with hundreds of veths) is read relative to the class directory.
    #[test]
    fn unkept_attributes_are_read_relative_to_the_class_directory() {
        let root = tempfile::tempdir().expect("tempdir");
        let eth0 = root.path().join("eth0");
        std::fs::create_dir(&eth0).expect("test setup");
        std::fs::write(eth0.join("flags"), "0x1003\n").expect("test setup");
        std::fs::write(eth0.join("speed"), "1000\n").expect("test setup");
        std::fs::write(root.path().join("flags"), "0x1\n").expect("test setup");
        let unkept = KnownDevice { seen: true, fixed: [None; 3], live: [None, None, None] };
        let mut relative = Vec::new();
        let mut class = ClassDir { path: root.path(), dir: None, relative: &mut relative };
        let mut buf = [0; 4096];
        let flags = live_attribute(&unkept, FLAGS_FILE, &mut class, "eth0", &mut buf).and_then(parse_value);
        assert_eq!(flags, Some(4099.0));
        let speed = live_attribute(&unkept, SPEED_FILE, &mut class, "eth0", &mut buf).and_then(parse_value);
        assert_eq!(speed, Some(1000.0));
        assert_eq!(live_attribute(&unkept, DUPLEX_FILE, &mut class, "eth0", &mut buf), None);
        assert_eq!(live_attribute(&unkept, FLAGS_FILE, &mut class, "eth1", &mut buf), None);
        // Names that are not one path component never reach outside the interface's directory.
        for name in ["", ".", "..", "../eth0", "eth0/..", "a\0b"] {
            assert_eq!(live_attribute(&unkept, FLAGS_FILE, &mut class, name, &mut buf), None, "{name:?}");
        }
        assert!(matches!(class.dir, Some(Some(_))), "the class directory is opened once and kept");

        let missing = root.path().join("absent");
        let mut class = ClassDir { path: &missing, dir: None, relative: &mut relative };
        assert_eq!(live_attribute(&unkept, FLAGS_FILE, &mut class, "eth0", &mut buf), None);
        assert!(matches!(class.dir, Some(None)), "a class directory that cannot be opened is not retried");
    }
}
