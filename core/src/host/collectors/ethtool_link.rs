//! The link modes of a network device as the ethtool collector reports them: the `supported` and
//! `advertising` masks of the legacy `ETHTOOL_GSET` answer (`struct ethtool_cmd`, the request
//! node_exporter 1.5's ethtool library sends; bit numbers are the kernel's
//! `ethtool_link_mode_bit_indices`, of which a `u32` mask holds the first 32) turned into node_exporter
//! 1.5's series: `node_network_{supported,advertised}_speed_bytes{device,duplex,mode}` (the speed in
//! bytes per second, as node_network_speed_bytes), `node_network_supported_port_info{device,type}`,
//! `node_network_{autonegotiate,pause,asymmetricpause}_{supported,advertised}{device}` and
//! `node_network_autonegotiate{device}`. The mapping is plain functions of the masks, tested bit by bit.

use crate::host::emit::{pairs, Emitter};

/// `struct ethtool_cmd` offsets: the two masks and the `autoneg` byte.
const SUPPORTED_AT: usize = 4;
const ADVERTISING_AT: usize = 8;
const AUTONEG_AT: usize = 18;

/// Link mode bits of the pause and autonegotiation capabilities.
const AUTONEG_BIT: u32 = 6;
const PAUSE_BIT: u32 = 13;
const ASYM_PAUSE_BIT: u32 = 14;

/// A link mode node_exporter 1.5 reports as a speed: its bit, speed in Mbit/s, duplex and mode.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct LinkSpeed {
    pub(crate) bit: u32,
    pub(crate) megabits: u32,
    pub(crate) duplex: &'static str,
    pub(crate) mode: &'static str,
}

impl LinkSpeed {
    /// The speed in bytes per second (node_exporter's `Mbps` is 1000000 / 8 bytes).
    pub(crate) fn bytes_per_second(&self) -> f64 {
        f64::from(self.megabits) * 125_000.0
    }
}

const fn speed(bit: u32, megabits: u32, duplex: &'static str, mode: &'static str) -> LinkSpeed {
    LinkSpeed { bit, megabits, duplex, mode }
}

/// Every speed bit node_exporter 1.5 maps (bits 0-31 less the port and capability bits), with its
/// labels: `2500baseX` (bit 15) and `10000baseR_FEC` (bit 20) are its spellings.
const SPEEDS: [LinkSpeed; 23] = [
    speed(0, 10, "half", "10baseT"),
    speed(1, 10, "full", "10baseT"),
    speed(2, 100, "half", "100baseT"),
    speed(3, 100, "full", "100baseT"),
    speed(4, 1000, "half", "1000baseT"),
    speed(5, 1000, "full", "1000baseT"),
    speed(12, 10_000, "full", "10000baseT"),
    speed(15, 2500, "full", "2500baseX"),
    speed(17, 1000, "full", "1000baseKX"),
    speed(18, 10_000, "full", "10000baseKX4"),
    speed(19, 10_000, "full", "10000baseKR"),
    speed(20, 10_000, "full", "10000baseR_FEC"),
    speed(21, 20_000, "full", "20000baseMLD2"),
    speed(22, 20_000, "full", "20000baseKR2"),
    speed(23, 40_000, "full", "40000baseKR4"),
    speed(24, 40_000, "full", "40000baseCR4"),
    speed(25, 40_000, "full", "40000baseSR4"),
    speed(26, 40_000, "full", "40000baseLR4"),
    speed(27, 56_000, "full", "56000baseKR4"),
    speed(28, 56_000, "full", "56000baseCR4"),
    speed(29, 56_000, "full", "56000baseSR4"),
    speed(30, 56_000, "full", "56000baseLR4"),
    speed(31, 25_000, "full", "25000baseCR"),
];

/// Port (PHY) type bits and the `type` label node_exporter 1.5 gives them.
const PORTS: [(u32, &str); 6] =
    [(7, "TP"), (8, "AUI"), (9, "MII"), (10, "FIBRE"), (11, "BNC"), (16, "Backplane")];

fn has(mask: u32, bit: u32) -> bool {
    mask & (1 << bit) != 0
}

/// The speeds a link mode mask names, in bit order (bit 5 alone: 1000baseT full duplex).
pub(crate) fn speeds(mask: u32) -> impl Iterator<Item = LinkSpeed> {
    SPEEDS.into_iter().filter(move |s| has(mask, s.bit))
}

/// The port types a supported link mode mask names, in bit order.
pub(crate) fn ports(mask: u32) -> impl Iterator<Item = &'static str> {
    PORTS.into_iter().filter(move |(bit, _)| has(mask, *bit)).map(|(_, name)| name)
}

/// Every link mode series of one device from its `ETHTOOL_GSET` answer `cmd`.
pub(crate) fn emit_link_modes(out: &mut Emitter, device: &str, cmd: &[u8]) {
    let supported = u32_at(cmd, SUPPORTED_AT);
    let advertising = u32_at(cmd, ADVERTISING_AT);
    emit_speeds(
        out,
        "node_network_supported_speed_bytes",
        "Combination of speeds and features supported by network device",
        device,
        supported,
    );
    for port in ports(supported) {
        out.gauge(
            "node_network_supported_port_info",
            "Type of ports or PHYs supported by network device",
            pairs(&[("device", device), ("type", port)]),
            1.0,
        );
    }
    emit_capabilities(out, Direction::Supported, device, supported);
    emit_speeds(
        out,
        "node_network_advertised_speed_bytes",
        "Combination of speeds and features offered by network device",
        device,
        advertising,
    );
    emit_capabilities(out, Direction::Advertised, device, advertising);
    out.gauge(
        "node_network_autonegotiate",
        "If this port is using autonegotiate",
        pairs(&[("device", device)]),
        cmd.get(AUTONEG_AT).copied().map_or(0.0, f64::from),
    );
}

fn emit_speeds(out: &mut Emitter, name: &str, help: &str, device: &str, mask: u32) {
    for speed in speeds(mask) {
        out.gauge(
            name,
            help,
            pairs(&[("device", device), ("duplex", speed.duplex), ("mode", speed.mode)]),
            speed.bytes_per_second(),
        );
    }
}

/// Which mask a capability series describes.
#[derive(Clone, Copy)]
enum Direction {
    Supported,
    Advertised,
}

/// `node_network_{autonegotiate,pause,asymmetricpause}_{supported,advertised}`: 1 or 0 each.
fn emit_capabilities(out: &mut Emitter, direction: Direction, device: &str, mask: u32) {
    let series: [(&str, u32, &str); 3] = match direction {
        Direction::Supported => [
            (
                "node_network_autonegotiate_supported",
                AUTONEG_BIT,
                "If this port device supports autonegotiate",
            ),
            ("node_network_pause_supported", PAUSE_BIT, "If this port device supports pause frames"),
            (
                "node_network_asymmetricpause_supported",
                ASYM_PAUSE_BIT,
                "If this port device supports asymmetric pause frames",
            ),
        ],
        Direction::Advertised => [
            (
                "node_network_autonegotiate_advertised",
                AUTONEG_BIT,
                "If this port device offers autonegotiate",
            ),
            ("node_network_pause_advertised", PAUSE_BIT, "If this port device offers pause capability"),
            (
                "node_network_asymmetricpause_advertised",
                ASYM_PAUSE_BIT,
                "If this port device offers asymmetric pause capability",
            ),
        ],
    };
    for (name, bit, help) in series {
        out.gauge(name, help, pairs(&[("device", device)]), if has(mask, bit) { 1.0 } else { 0.0 });
    }
}

/// The native-endian `u32` at byte `at` of a kernel answer; 0 past its end.
pub(crate) fn u32_at(data: &[u8], at: usize) -> u32 {
    data.get(at..at + 4).and_then(|b| b.try_into().ok()).map_or(0, u32::from_ne_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expfmt::{encode_to_string, Format};
    use crate::host::order::finish;

    /// node_exporter 1.5's `updateSpeeds`, written out: (bit, bytes per second, duplex, mode).
    const NODE_EXPORTER_SPEEDS: [(u32, f64, &str, &str); 23] = [
        (0, 1.25e6, "half", "10baseT"),
        (1, 1.25e6, "full", "10baseT"),
        (2, 1.25e7, "half", "100baseT"),
        (3, 1.25e7, "full", "100baseT"),
        (4, 1.25e8, "half", "1000baseT"),
        (5, 1.25e8, "full", "1000baseT"),
        (12, 1.25e9, "full", "10000baseT"),
        (15, 3.125e8, "full", "2500baseX"),
        (17, 1.25e8, "full", "1000baseKX"),
        (18, 1.25e9, "full", "10000baseKX4"),
        (19, 1.25e9, "full", "10000baseKR"),
        (20, 1.25e9, "full", "10000baseR_FEC"),
        (21, 2.5e9, "full", "20000baseMLD2"),
        (22, 2.5e9, "full", "20000baseKR2"),
        (23, 5e9, "full", "40000baseKR4"),
        (24, 5e9, "full", "40000baseCR4"),
        (25, 5e9, "full", "40000baseSR4"),
        (26, 5e9, "full", "40000baseLR4"),
        (27, 7e9, "full", "56000baseKR4"),
        (28, 7e9, "full", "56000baseCR4"),
        (29, 7e9, "full", "56000baseSR4"),
        (30, 7e9, "full", "56000baseLR4"),
        (31, 3.125e9, "full", "25000baseCR"),
    ];

    /// The bits that are no speed: autonegotiation, ports, pause.
    const OTHER_BITS: [u32; 9] = [6, 7, 8, 9, 10, 11, 13, 14, 16];

    #[test]
    fn every_speed_bit_alone_names_its_speed_duplex_and_mode() {
        for (bit, bytes, duplex, mode) in NODE_EXPORTER_SPEEDS {
            let found: Vec<(f64, &str, &str)> =
                speeds(1 << bit).map(|s| (s.bytes_per_second(), s.duplex, s.mode)).collect();
            assert_eq!(found, [(bytes, duplex, mode)], "bit {bit}");
            assert_eq!(ports(1 << bit).count(), 0, "bit {bit} is no port");
        }
    }

    #[test]
    fn all_bits_set_give_every_speed_and_port_once() {
        assert_eq!(speeds(u32::MAX).count(), NODE_EXPORTER_SPEEDS.len());
        assert_eq!(ports(u32::MAX).collect::<Vec<_>>(), ["TP", "AUI", "MII", "FIBRE", "BNC", "Backplane"]);
        assert_eq!(speeds(0).count() + ports(0).count(), 0);
    }

    #[test]
    fn port_and_capability_bits_are_no_speeds() {
        for bit in OTHER_BITS {
            assert_eq!(speeds(1 << bit).count(), 0, "bit {bit}");
        }
        let port_bits: Vec<(u32, Vec<&str>)> =
            OTHER_BITS.iter().map(|bit| (*bit, ports(1 << bit).collect())).collect();
        assert_eq!(
            port_bits,
            [
                (6, vec![]),
                (7, vec!["TP"]),
                (8, vec!["AUI"]),
                (9, vec!["MII"]),
                (10, vec!["FIBRE"]),
                (11, vec!["BNC"]),
                (13, vec![]),
                (14, vec![]),
                (16, vec!["Backplane"]),
            ]
        );
    }

    /// A `struct ethtool_cmd` answer with these masks and `autoneg` byte.
    fn cmd(supported: u32, advertising: u32, autoneg: u8) -> Vec<u8> {
        let mut cmd = vec![0u8; 44];
        cmd[SUPPORTED_AT..SUPPORTED_AT + 4].copy_from_slice(&supported.to_ne_bytes());
        cmd[ADVERTISING_AT..ADVERTISING_AT + 4].copy_from_slice(&advertising.to_ne_bytes());
        cmd[AUTONEG_AT] = autoneg;
        cmd
    }

    fn text(device: &str, cmd: &[u8]) -> String {
        let mut out = Emitter::new();
        emit_link_modes(&mut out, device, cmd);
        encode_to_string(&finish(out.into_families()), Format::Text)
    }

    /// node_exporter 1.5's own ethtool test case (an e1000e NIC: 10/100 half and full, 1000 and
    /// 10000 full, TP and MII, symmetric pause, autonegotiation on) gives its expected lines.
    #[test]
    fn node_exporters_e1000e_case_gives_its_lines() {
        let (half_full_10_100, autoneg, tp, mii, pause) = (0b1111, 1 << 6, 1 << 7, 1 << 9, 1 << 13);
        let supported = half_full_10_100 | 1 << 5 | 1 << 12 | autoneg | tp | mii | pause;
        let advertising = half_full_10_100 | 1 << 5 | autoneg | pause;
        let expected = "\
# HELP node_network_advertised_speed_bytes Combination of speeds and features offered by network device
# TYPE node_network_advertised_speed_bytes gauge
node_network_advertised_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"1000baseT\"} 1.25e+08
node_network_advertised_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"100baseT\"} 1.25e+07
node_network_advertised_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"10baseT\"} 1.25e+06
node_network_advertised_speed_bytes{device=\"eth0\",duplex=\"half\",mode=\"100baseT\"} 1.25e+07
node_network_advertised_speed_bytes{device=\"eth0\",duplex=\"half\",mode=\"10baseT\"} 1.25e+06
# HELP node_network_asymmetricpause_advertised If this port device offers asymmetric pause capability
# TYPE node_network_asymmetricpause_advertised gauge
node_network_asymmetricpause_advertised{device=\"eth0\"} 0
# HELP node_network_asymmetricpause_supported If this port device supports asymmetric pause frames
# TYPE node_network_asymmetricpause_supported gauge
node_network_asymmetricpause_supported{device=\"eth0\"} 0
# HELP node_network_autonegotiate If this port is using autonegotiate
# TYPE node_network_autonegotiate gauge
node_network_autonegotiate{device=\"eth0\"} 1
# HELP node_network_autonegotiate_advertised If this port device offers autonegotiate
# TYPE node_network_autonegotiate_advertised gauge
node_network_autonegotiate_advertised{device=\"eth0\"} 1
# HELP node_network_autonegotiate_supported If this port device supports autonegotiate
# TYPE node_network_autonegotiate_supported gauge
node_network_autonegotiate_supported{device=\"eth0\"} 1
# HELP node_network_pause_advertised If this port device offers pause capability
# TYPE node_network_pause_advertised gauge
node_network_pause_advertised{device=\"eth0\"} 1
# HELP node_network_pause_supported If this port device supports pause frames
# TYPE node_network_pause_supported gauge
node_network_pause_supported{device=\"eth0\"} 1
# HELP node_network_supported_port_info Type of ports or PHYs supported by network device
# TYPE node_network_supported_port_info gauge
node_network_supported_port_info{device=\"eth0\",type=\"MII\"} 1
node_network_supported_port_info{device=\"eth0\",type=\"TP\"} 1
# HELP node_network_supported_speed_bytes Combination of speeds and features supported by network device
# TYPE node_network_supported_speed_bytes gauge
node_network_supported_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"10000baseT\"} 1.25e+09
node_network_supported_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"1000baseT\"} 1.25e+08
node_network_supported_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"100baseT\"} 1.25e+07
node_network_supported_speed_bytes{device=\"eth0\",duplex=\"full\",mode=\"10baseT\"} 1.25e+06
node_network_supported_speed_bytes{device=\"eth0\",duplex=\"half\",mode=\"100baseT\"} 1.25e+07
node_network_supported_speed_bytes{device=\"eth0\",duplex=\"half\",mode=\"10baseT\"} 1.25e+06
";
        assert_eq!(text("eth0", &cmd(supported, advertising, 1)), expected);
    }

    /// A virtual NIC (no speeds, no ports, as virtio here) and a short answer: only the six
    /// capability series and autonegotiate, all 0; no speed or port family.
    #[test]
    fn no_link_modes_give_zero_capabilities_only() {
        for answer in [cmd(0, 0, 0), vec![1, 0, 0, 0]] {
            let text = text("eth0", &answer);
            assert_eq!(text.lines().filter(|l| !l.starts_with('#')).count(), 7, "{text}");
            assert!(text.lines().filter(|l| !l.starts_with('#')).all(|l| l.ends_with(" 0")), "{text}");
            assert!(!text.contains("speed_bytes") && !text.contains("port_info"), "{text}");
        }
    }
}
