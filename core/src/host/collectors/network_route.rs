//! network_route (opt-in): the unicast routes of every table from one `RTM_GETROUTE` netlink dump, as
//! node_exporter 1.5: `node_network_route_info{device,src,dest,gw,priority,proto,weight}` (one series
//! per next hop of a multipath route, `weight` = hops + 1) and `node_network_routes{device}`. Like
//! node_exporter, it answers for the network namespace the process runs in.

use crate::host::emit::{labels, pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::netlink::{attributes, u16_at, u32_at, Dumper, LinkDumper, NETLINK_ROUTE};
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

const RTM_NEWROUTE: u16 = 24;
const RTM_GETROUTE: u16 = 26;
const RTN_UNICAST: u8 = 1;
const RTA_DST: u16 = 1;
const RTA_SRC: u16 = 2;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_MULTIPATH: u16 = 9;
/// `struct rtmsg` and `struct rtnexthop` sizes.
const RTMSG: usize = 12;
const RTNEXTHOP: usize = 8;

/// The network_route collector.
pub(crate) struct NetworkRoute {
    routes: Dumper,
    links: LinkDumper,
}

/// The network_route collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "network_route",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |_| Box::new(NetworkRoute { routes: Dumper::new(NETLINK_ROUTE), links: LinkDumper::new() }),
};

/// An address attribute as Go's `net.IP.String()` writes it (empty when absent or odd-sized).
fn ip_text(bytes: &[u8]) -> String {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        Ipv4Addr::from(v4).to_string()
    } else if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        let v6 = Ipv6Addr::from(v6);
        // Go writes IPv4-mapped addresses as dotted quads.
        v6.to_ipv4_mapped().map_or_else(|| v6.to_string(), |v4| v4.to_string())
    } else {
        String::new()
    }
}

/// The route protocol's name (rtnetlink.h), as node_exporter spells it.
fn protocol_name(protocol: u8) -> &'static str {
    match protocol {
        0 => "unspec",
        1 => "redirect",
        2 => "kernel",
        3 => "boot",
        4 => "static",
        8 => "gated",
        9 => "ra",
        10 => "mrt",
        11 => "zebra",
        12 => "bird",
        13 => "dnrouted",
        14 => "xorp",
        15 => "ntk",
        16 => "dhcp",
        17 => "mrouted",
        42 => "babel",
        186 => "bgp",
        187 => "isis",
        188 => "ospf",
        189 => "rip",
        192 => "eigrp",
        _ => "unknown",
    }
}

/// One series of `node_network_route_info`: `(interface index, label values but the device)`.
type Hop = (u32, [String; 6]);

/// The series of one `RTM_NEWROUTE` message (none for routes that are not unicast).
fn route_hops(message: &[u8]) -> Vec<Hop> {
    let (Some(&dst_len), Some(&protocol), Some(&kind)) = (message.get(1), message.get(5), message.get(7))
    else {
        return Vec::new();
    };
    if kind != RTN_UNICAST || message.len() < RTMSG {
        return Vec::new();
    }
    let (mut dst, mut src, mut gateway, mut priority, mut oif) =
        (Vec::new(), String::new(), String::new(), 0, 0);
    let mut multipath: &[u8] = &[];
    for (attribute, value) in attributes(&message[RTMSG..]) {
        match attribute {
            RTA_DST => dst = value.to_vec(),
            RTA_SRC | RTA_PREFSRC => src = ip_text(value),
            RTA_GATEWAY => gateway = ip_text(value),
            RTA_PRIORITY => priority = u32_at(value, 0).unwrap_or(0),
            RTA_OIF => oif = u32_at(value, 0).unwrap_or(0),
            RTA_MULTIPATH => multipath = value,
            _ => {}
        }
    }
    let dest = if dst_len == 0 { "default".to_string() } else { format!("{}/{dst_len}", ip_text(&dst)) };
    let (priority, protocol) = (priority.to_string(), protocol_name(protocol).to_string());
    if multipath.is_empty() {
        return vec![(oif, [src, dest, gateway, priority, protocol, String::new()])];
    }
    let mut hops = Vec::new();
    while multipath.len() >= RTNEXTHOP {
        let (Some(length), Some(&count), Some(index)) =
            (u16_at(multipath, 0), multipath.get(3), u32_at(multipath, 4))
        else {
            break;
        };
        let length = length as usize;
        if length < RTNEXTHOP || length > multipath.len() {
            break;
        }
        let gateway = attributes(&multipath[RTNEXTHOP..length])
            .find(|(attribute, _)| *attribute == RTA_GATEWAY)
            .map(|(_, value)| ip_text(value))
            .unwrap_or_default();
        let weight = (u32::from(count) + 1).to_string();
        hops.push((index, [src.clone(), dest.clone(), gateway, priority.clone(), protocol.clone(), weight]));
        multipath = multipath.get((length + 3) & !3..).unwrap_or(&[]);
    }
    hops
}

impl Collector for NetworkRoute {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let names: BTreeMap<u32, String> =
            self.links.dump()?.iter().map(|link| (link.index as u32, link.name.clone())).collect();
        let mut hops = Vec::new();
        let request = [0u8; RTMSG];
        self.routes.dump(RTM_GETROUTE, &request, &mut |kind, message| {
            if kind == RTM_NEWROUTE {
                hops.extend(route_hops(message));
            }
        })?;
        let mut per_device: BTreeMap<String, f64> = BTreeMap::new();
        for (index, [src, dest, gw, priority, proto, weight]) in hops {
            let device = names.get(&index).cloned().unwrap_or_default();
            *per_device.entry(device.clone()).or_default() += 1.0;
            let series = labels(&[
                ("device", &device),
                ("src", &src),
                ("dest", &dest),
                ("gw", &gw),
                ("priority", &priority),
                ("proto", &proto),
                ("weight", &weight),
            ]);
            out.gauge("node_network_route_info", "network routing table information", series, 1.0);
        }
        for (device, count) in per_device {
            out.gauge(
                "node_network_routes",
                "network routes by interface",
                pairs(&[("device", &device)]),
                count,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_format_as_go_does() {
        assert_eq!(ip_text(&[192, 0, 2, 1]), "192.0.2.1");
        let mut v6 = [0u8; 16];
        v6[0] = 0xfd;
        assert_eq!(ip_text(&v6), "fd00::");
        assert_eq!(ip_text(&[1, 2]), "");
        assert!(route_hops(&[0u8; 5]).is_empty());
    }
}
