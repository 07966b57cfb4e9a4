//! A minimal rtnetlink client: one `RTM_GETLINK` dump lists every interface of the current network
//! namespace with its flags, MTU, operstate, carrier counters and 64-bit statistics, in a few system
//! calls instead of twenty sysfs file reads per interface. Used by netclass and netdev on the live host
//! (roots `/proc` and `/sys`), as node_exporter 1.5 does; fixture trees go through sysfs and procfs.
//! [`Dumper`] is the generic part (any netlink protocol and dump request), also used by tcpstat and
//! udp_queues (sock_diag: [`inet_diag_request`], [`inet_diag_queues`]) and network_route
//! (`RTM_GETROUTE`). [`SharedLinks`] is the one link dump of a collection that netclass and netdev
//! both read.

use super::error::CollectError;
use std::fmt::Write;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Mutex, PoisonError};

pub(crate) const NETLINK_ROUTE: libc::c_int = 0;
/// `NETLINK_SOCK_DIAG` (`NETLINK_INET_DIAG`).
pub(crate) const NETLINK_SOCK_DIAG: libc::c_int = 4;
const RTM_NEWLINK: u16 = 16;
const RTM_GETLINK: u16 = 18;
const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_DUMP: u16 = 0x300;
const NLMSG_HEADER: usize = 16;
const IFINFOMSG: usize = 16;

const IFLA_ADDRESS: u16 = 1;
const IFLA_BROADCAST: u16 = 2;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_LINK: u16 = 5;
const IFLA_TXQLEN: u16 = 13;
const IFLA_OPERSTATE: u16 = 16;
const IFLA_LINKMODE: u16 = 17;
const IFLA_IFALIAS: u16 = 20;
const IFLA_STATS64: u16 = 23;
const IFLA_GROUP: u16 = 27;
const IFLA_CARRIER: u16 = 33;
const IFLA_CARRIER_CHANGES: u16 = 35;
const IFLA_CARRIER_UP_COUNT: u16 = 47;
const IFLA_CARRIER_DOWN_COUNT: u16 = 48;

/// `IFF_UP`: the interface is administratively up (sysfs answers `carrier`/`dormant` only then).
pub(crate) const IFF_UP: u32 = 0x1;
/// `IFF_DORMANT` as reported by netlink for a running interface.
pub(crate) const IFF_DORMANT: u32 = 0x20000;

/// Operational states in kernel order (`IF_OPER_*`), spelled as sysfs spells them.
const OPERSTATES: [&str; 7] = ["unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up"];

/// One interface from an `RTM_NEWLINK` message.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Link {
    pub(crate) name: String,
    pub(crate) index: i32,
    pub(crate) kind: u16,
    pub(crate) flags: u32,
    pub(crate) address: String,
    pub(crate) broadcast: String,
    pub(crate) ifalias: String,
    pub(crate) operstate: &'static str,
    pub(crate) mtu: Option<u32>,
    pub(crate) link: Option<u32>,
    pub(crate) txqlen: Option<u32>,
    pub(crate) link_mode: Option<u8>,
    pub(crate) group: Option<u32>,
    pub(crate) carrier: Option<u8>,
    pub(crate) carrier_changes: Option<u32>,
    pub(crate) carrier_up: Option<u32>,
    pub(crate) carrier_down: Option<u32>,
    /// `struct rtnl_link_stats64`, as many u64 fields as the kernel sent.
    pub(crate) stats: Vec<u64>,
}

/// `rtnl_link_stats64` field count up to `rx_nohandler` (the last field netdev uses).
pub(crate) const STATS_FIELDS: usize = 24;

/// A netlink socket of one protocol kept open between collections, with its receive buffer: sends
/// a dump request and hands each answer message of the dump to a callback.
pub(crate) struct Dumper {
    protocol: libc::c_int,
    socket: Option<OwnedFd>,
    buf: Vec<u8>,
    seq: u32,
}

impl Dumper {
    /// A dumper for `protocol` (`NETLINK_ROUTE`, `NETLINK_SOCK_DIAG`); the socket is opened on first
    /// use.
    pub(crate) fn new(protocol: libc::c_int) -> Dumper {
        Dumper { protocol, socket: None, buf: vec![0; 64 * 1024], seq: 0 }
    }

    fn socket(&mut self) -> Result<&OwnedFd, CollectError> {
        if self.socket.is_none() {
            // SAFETY: plain socket(2) call; the result is checked before use.
            let fd =
                unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, self.protocol) };
            if fd < 0 {
                return Err(syscall_error("socket(AF_NETLINK)"));
            }
            // SAFETY: fd is a new descriptor owned by nobody else.
            self.socket = Some(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        self.socket.as_ref().ok_or(CollectError::WorkerGone)
    }

    /// Sends a `kind` dump request with `body` and calls `each(message type, message body)` for every
    /// message of the answer until the dump is done.
    pub(crate) fn dump(
        &mut self,
        kind: u16,
        body: &[u8],
        each: &mut dyn FnMut(u16, &[u8]),
    ) -> Result<(), CollectError> {
        let result = self.dump_once(kind, body, each);
        if result.is_err() {
            self.socket = None; // a fresh socket next time, whatever state this one is in
        }
        result
    }

    fn dump_once(
        &mut self,
        kind: u16,
        body: &[u8],
        each: &mut dyn FnMut(u16, &[u8]),
    ) -> Result<(), CollectError> {
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let mut request = vec![0u8; NLMSG_HEADER + body.len()];
        let length = request.len() as u32;
        request[0..4].copy_from_slice(&length.to_ne_bytes());
        request[4..6].copy_from_slice(&kind.to_ne_bytes());
        request[6..8].copy_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
        request[8..12].copy_from_slice(&seq.to_ne_bytes());
        request[NLMSG_HEADER..].copy_from_slice(body);
        let fd = self.socket()?.as_raw_fd();
        // SAFETY: request is a valid buffer of the given length; fd is an open netlink socket.
        let sent = unsafe { libc::send(fd, request.as_ptr().cast(), request.len(), 0) };
        if sent < 0 {
            return Err(syscall_error("send(netlink)"));
        }
        loop {
            // SAFETY: buf is valid for writes of its length.
            let received = unsafe { libc::recv(fd, self.buf.as_mut_ptr().cast(), self.buf.len(), 0) };
            if received < 0 {
                let error = std::io::Error::last_os_error();
                if error.kind() == std::io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(CollectError::Syscall { call: "recv(netlink)", source: error });
            }
            let received = received as usize;
            if received == 0 {
                return Err(CollectError::Syscall {
                    call: "recv(netlink)",
                    source: std::io::Error::from(std::io::ErrorKind::UnexpectedEof),
                });
            }
            if parse_messages(&self.buf[..received.min(self.buf.len())], seq, each)? {
                return Ok(());
            }
        }
    }
}

/// A route netlink socket kept open between collections that dumps the links.
pub(crate) struct LinkDumper {
    dumper: Dumper,
    /// The links of the last dump, overwritten in place by the next one.
    links: Vec<Link>,
}

impl LinkDumper {
    /// A dumper; the socket is opened on first use.
    pub(crate) fn new() -> LinkDumper {
        LinkDumper { dumper: Dumper::new(NETLINK_ROUTE), links: Vec::new() }
    }

    /// Dumps every link of the current network namespace (into the links of the last dump, so a
    /// dump of the same links allocates nothing).
    pub(crate) fn dump(&mut self) -> Result<&mut [Link], CollectError> {
        let mut used = 0;
        let links = &mut self.links;
        let mut body = [0u8; IFINFOMSG];
        body[0] = libc::AF_UNSPEC as u8;
        self.dumper.dump(RTM_GETLINK, &body, &mut |kind, message| {
            if kind == RTM_NEWLINK {
                if used == links.len() {
                    links.push(Link::default());
                }
                if parse_link_into(message, &mut links[used]) {
                    used += 1;
                }
            }
        })?;
        Ok(&mut self.links[..used])
    }
}

/// The links of one `RTM_GETLINK` dump, shared by the collectors of one collection that read them
/// (netclass and netdev, one after the other on their lane): the first to ask in a collection dumps,
/// the next takes the same links instead of a second dump of its own. A collector asking again in the
/// same collection number (a concurrent collection's turn on the lane) dumps afresh, so no collector
/// is ever handed links older than its own collection's start.
#[derive(Default)]
pub(crate) struct SharedLinks {
    state: Mutex<Option<LinkShare>>,
}

struct LinkShare {
    dumper: LinkDumper,
    /// How many links the last dump gave (sorted by name).
    len: usize,
    /// The collection the last dump was made for (`None`: no dump to share).
    collection: Option<u64>,
    /// The takers (bits) the last dump was handed to.
    taken: u32,
}

impl std::fmt::Debug for SharedLinks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedLinks").finish_non_exhaustive()
    }
}

impl SharedLinks {
    /// Calls `read` with the links sorted by name: those already dumped for `collection` if taker
    /// `taker` (a bit of its own, below 32) has not had them yet, else from a fresh dump.
    pub(crate) fn read<R>(
        &self,
        collection: u64,
        taker: u32,
        read: impl FnOnce(&[Link]) -> R,
    ) -> Result<R, CollectError> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let share = state.get_or_insert_with(|| LinkShare {
            dumper: LinkDumper::new(),
            len: 0,
            collection: None,
            taken: 0,
        });
        let bit = 1u32 << (taker % 32);
        if share.collection != Some(collection) || share.taken & bit != 0 {
            share.collection = None;
            let links = share.dumper.dump()?;
            links.sort_by(|a, b| a.name.cmp(&b.name));
            (share.len, share.collection, share.taken) = (links.len(), Some(collection), 0);
        }
        share.taken |= bit;
        Ok(read(share.dumper.links.get(..share.len).unwrap_or(&[])))
    }
}

fn syscall_error(call: &'static str) -> CollectError {
    CollectError::Syscall { call, source: std::io::Error::last_os_error() }
}

/// The `(type, value)` attributes (`struct rtattr`/`nlattr`) packed in `data`, up to the first
/// malformed one.
pub(crate) fn attributes(mut data: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let length = u16_at(data, 0)? as usize;
        let kind = u16_at(data, 2)? & 0x3fff;
        if length < 4 || length > data.len() {
            return None;
        }
        let value = &data[4..length];
        data = data.get((length + 3) & !3..).unwrap_or(&[]);
        Some((kind, value))
    })
}

pub(crate) fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    data.get(at..at + 2).map(|b| u16::from_ne_bytes([b[0], b[1]]))
}

pub(crate) fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    data.get(at..at + 4).map(|b| u32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
}

/// `SOCK_DIAG_BY_FAMILY`, the sock_diag request and answer message type.
pub(crate) const SOCK_DIAG_BY_FAMILY: u16 = 20;

/// `struct inet_diag_req_v2` for every socket of `family` and `protocol` in `states` (a bit per
/// state), asking for the `extensions` bitmask.
pub(crate) fn inet_diag_request(family: u8, protocol: u8, extensions: u8, states: u32) -> [u8; 56] {
    let mut body = [0u8; 56];
    body[0] = family;
    body[1] = protocol;
    body[2] = extensions;
    body[4..8].copy_from_slice(&states.to_ne_bytes());
    body
}

/// `(idiag_rqueue, idiag_wqueue)` of one `struct inet_diag_msg`; `None` if it is too short.
pub(crate) fn inet_diag_queues(message: &[u8]) -> Option<(u32, u32)> {
    Some((u32_at(message, 56)?, u32_at(message, 60)?))
}

/// Hands each message of one datagram of the dump `seq` to `each`; true when the dump is complete.
fn parse_messages(mut data: &[u8], seq: u32, each: &mut dyn FnMut(u16, &[u8])) -> Result<bool, CollectError> {
    let malformed = || CollectError::Syscall {
        call: "recv(netlink)",
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed netlink message"),
    };
    while data.len() >= NLMSG_HEADER {
        let length = u32_at(data, 0).ok_or_else(malformed)? as usize;
        let kind = u16_at(data, 4).ok_or_else(malformed)?;
        let message_seq = u32_at(data, 8).ok_or_else(malformed)?;
        if length < NLMSG_HEADER || length > data.len() {
            return Err(malformed());
        }
        let body = &data[NLMSG_HEADER..length];
        if message_seq == seq {
            match kind {
                NLMSG_DONE => return Ok(true),
                NLMSG_ERROR => {
                    let code = u32_at(body, 0).map(|c| c as i32).unwrap_or(-libc::EIO);
                    return Err(CollectError::Syscall {
                        call: "netlink dump",
                        source: std::io::Error::from_raw_os_error(-code),
                    });
                }
                _ => each(kind, body),
            }
        }
        let aligned = (length + 3) & !3;
        data = data.get(aligned..).unwrap_or(&[]);
    }
    Ok(false)
}

/// Formats a hardware address as sysfs does (`aa:bb:...`, lowercase).
fn format_mac(bytes: &[u8], text: &mut String) {
    text.clear();
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 {
            text.push(':');
        }
        let _ = write!(text, "{byte:02x}");
    }
}

/// Parses an `ifinfomsg` and its attributes.
#[cfg(test)]
fn parse_link(body: &[u8]) -> Option<Link> {
    let mut link = Link::default();
    parse_link_into(body, &mut link).then_some(link)
}

/// Parses an `ifinfomsg` and its attributes into `link` (its strings reused); false when the message
/// is truncated or names no interface.
fn parse_link_into(body: &[u8], link: &mut Link) -> bool {
    let (Some(kind), Some(index), Some(flags)) = (u16_at(body, 2), u32_at(body, 4), u32_at(body, 8)) else {
        return false;
    };
    link.kind = kind;
    link.index = index as i32;
    link.flags = flags;
    link.operstate = OPERSTATES[0];
    for text in [&mut link.name, &mut link.address, &mut link.broadcast, &mut link.ifalias] {
        text.clear();
    }
    link.stats.clear();
    (link.mtu, link.link, link.txqlen, link.group) = (None, None, None, None);
    (link.carrier_changes, link.carrier_up, link.carrier_down) = (None, None, None);
    (link.link_mode, link.carrier) = (None, None);
    let mut attrs = body.get(IFINFOMSG..).unwrap_or(&[]);
    while attrs.len() >= 4 {
        let (Some(length), Some(kind)) = (u16_at(attrs, 0), u16_at(attrs, 2)) else { break };
        let (length, kind) = (length as usize, kind & 0x3fff);
        if length < 4 || length > attrs.len() {
            break;
        }
        let value = &attrs[4..length];
        let as_u32 = || u32_at(value, 0);
        let set_text = |text: &mut String| {
            text.clear();
            text.push_str(&String::from_utf8_lossy(value.split(|b| *b == 0).next().unwrap_or(&[])));
        };
        match kind {
            IFLA_IFNAME => set_text(&mut link.name),
            IFLA_ADDRESS => format_mac(value, &mut link.address),
            IFLA_BROADCAST => format_mac(value, &mut link.broadcast),
            IFLA_IFALIAS => set_text(&mut link.ifalias),
            IFLA_MTU => link.mtu = as_u32(),
            IFLA_LINK => link.link = as_u32(),
            IFLA_TXQLEN => link.txqlen = as_u32(),
            IFLA_GROUP => link.group = as_u32(),
            IFLA_CARRIER_CHANGES => link.carrier_changes = as_u32(),
            IFLA_CARRIER_UP_COUNT => link.carrier_up = as_u32(),
            IFLA_CARRIER_DOWN_COUNT => link.carrier_down = as_u32(),
            IFLA_LINKMODE => link.link_mode = value.first().copied(),
            IFLA_CARRIER => link.carrier = value.first().copied(),
            IFLA_OPERSTATE => {
                link.operstate =
                    value.first().and_then(|s| OPERSTATES.get(*s as usize)).copied().unwrap_or("unknown")
            }
            IFLA_STATS64 => link.stats.extend(
                value
                    .chunks_exact(8)
                    .map(|c| u64::from_ne_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]])),
            ),
            _ => {}
        }
        let aligned = (length + 3) & !3;
        attrs = attrs.get(aligned..).unwrap_or(&[]);
    }
    !link.name.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_links_are_dumped_once_per_collection_and_taker() {
        let shared = SharedLinks::default();
        let seq = |shared: &SharedLinks| {
            shared.state.lock().expect("test lock").as_ref().map(|share| share.dumper.dumper.seq)
        };
        let names = shared.read(1, 0, |links| links.iter().map(|l| l.name.clone()).collect::<Vec<_>>());
        let names = names.expect("netlink dump works on Linux");
        assert!(names.contains(&"lo".to_string()) && names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
        assert_eq!(seq(&shared), Some(1));
        let again = shared.read(1, 1, |links| links.iter().map(|l| l.name.clone()).collect::<Vec<_>>());
        assert_eq!(again.expect("shared"), names, "the second taker gets the same links");
        assert_eq!(seq(&shared), Some(1), "without a second dump");
        shared.read(1, 1, |_| ()).expect("dumped again");
        assert_eq!(seq(&shared), Some(2), "a taker that had this collection's links dumps afresh");
        shared.read(2, 0, |_| ()).expect("dumped again");
        assert_eq!(seq(&shared), Some(3), "the next collection dumps afresh");
        shared.read(2, 1, |_| ()).expect("shared");
        assert_eq!(seq(&shared), Some(3));
    }

    #[test]
    fn dump_lists_loopback_and_garbage_never_panics() {
        let mut dumper = LinkDumper::new();
        let links = dumper.dump().expect("netlink dump works on Linux");
        let lo = links.iter().find(|l| l.name == "lo").expect("every namespace has lo");
        assert_eq!(lo.address, "00:00:00:00:00:00");
        assert!(lo.stats.len() >= STATS_FIELDS);
        let mut seen = 0;
        for junk in [&[0u8; 3][..], &[255; 40], &[16, 0, 0, 0, 16, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 9, 9]] {
            let _ = parse_messages(junk, 1, &mut |_, _| seen += 1);
            let _ = parse_link(junk);
        }
    }
}
