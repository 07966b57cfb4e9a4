//! udp_queues: `node_udp_queues{ip,queue}`, the bytes queued in UDP sockets' send and receive queues,
//! summed from /proc/net/udp and /proc/net/udp6, or on the live host from one sock_diag netlink dump
//! per address family. Both give the same sums (the kernel fills /proc's `tx_queue:rx_queue` and
//! sock_diag's `idiag_wqueue`/`idiag_rqueue` from the same `sk_wmem_alloc_get`/`udp_rqueue_get`),
//! but reading a /proc file walks the whole UDP hash table twice (once for the text, once more for
//! the read that finds its end) where a dump walks it once.
//!
//! A dump walks every slot of the UDP hash table (16,384 on a 24 GB VM) even when no socket is in
//! it, which costs more than reading /proc/net/sockstat{,6}: so the live path first reads their
//! `UDP: inuse` / `UDP6: inuse` counts (sockets hashed in the table, which are exactly the sockets a
//! dump or /proc/net/udp{,6} lists) and skips the dump of a family that has none, emitting the zero
//! sums its empty dump gives. A count it cannot read or parse means a dump, as before.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::netlink::{
    inet_diag_queues, inet_diag_request, Dumper, NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY,
};
use crate::host::read::{parse_hex, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

const HELP: &str = "Number of allocated memory in the kernel for UDP datagrams in bytes.";

/// `struct inet_diag_req_v2` for every UDP socket of `family`, in any state (as /proc lists them).
fn request(family: u8) -> [u8; 56] {
    inet_diag_request(family, libc::IPPROTO_UDP as u8, 0, u32::MAX)
}

/// Adds one `struct inet_diag_msg`'s `idiag_wqueue` and `idiag_rqueue` to `(tx, rx)`; `false` if the
/// message is too short.
fn add_queues(message: &[u8], sums: &mut (u64, u64)) -> bool {
    let Some((rqueue, wqueue)) = inet_diag_queues(message) else { return false };
    sums.0 = sums.0.wrapping_add(u64::from(wqueue));
    sums.1 = sums.1.wrapping_add(u64::from(rqueue));
    true
}

/// Udp_queues' bit among the takers of the shared sockstat files (sockstat's is 0).
const SOCKSTAT_TAKER: u32 = 1;

/// The udp_queues collector.
pub(crate) struct UdpQueues {
    settings: Arc<Settings>,
    reader: FileReader,
    dumper: Dumper,
    /// Set once a sock_diag dump failed: the files are read from then on.
    diag_refused: bool,
}

impl UdpQueues {
    pub(crate) fn new(settings: Arc<Settings>) -> UdpQueues {
        UdpQueues {
            settings,
            reader: FileReader::new(),
            dumper: Dumper::new(NETLINK_SOCK_DIAG),
            diag_refused: false,
        }
    }

    /// The `<protocol>: inuse N` count of /proc/net/`file`; `None` when the file cannot be read or
    /// has no such count (`file` is shared with the sockstat collector).
    fn in_use(&mut self, file: &str, protocol: &str) -> Option<u64> {
        let path = self.settings.proc("net").join(file);
        let shared = self.settings.sockstat_file(file);
        shared
            .read(&path, self.settings.collection(), SOCKSTAT_TAKER, |text| sockets_in_use(text, protocol))
            .ok()?
    }

    /// `(tx, rx)` of `family` from a dump, or `(0, 0)` without one when `count` says no socket of
    /// the family is there (what the dump would sum).
    fn sums_unless_none(
        &mut self,
        family: libc::c_int,
        count: Option<u64>,
    ) -> Result<(u64, u64), CollectError> {
        match count {
            Some(0) => Ok((0, 0)),
            _ => self.dumped_sums(family),
        }
    }

    /// `(tx, rx)` queue sums of the sockets of `family`, from a sock_diag dump (the live host).
    fn dumped_sums(&mut self, family: libc::c_int) -> Result<(u64, u64), CollectError> {
        let mut sums = (0u64, 0u64);
        let mut short = false;
        self.dumper.dump(SOCK_DIAG_BY_FAMILY, &request(family as u8), &mut |kind, message| {
            if kind == SOCK_DIAG_BY_FAMILY && !add_queues(message, &mut sums) {
                short = true;
            }
        })?;
        if short {
            return Err(CollectError::parse(std::path::Path::new("sock_diag"), "short inet_diag_msg"));
        }
        Ok(sums)
    }

    /// From sock_diag dumps; IPv6 only where /proc/net/udp6 exists, as from the files. Nothing is
    /// written unless every dump succeeds, so the caller can fall back to the files.
    fn update_from_netlink(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let count = self.in_use("sockstat", "UDP");
        let v4 = self.sums_unless_none(libc::AF_INET, count)?;
        // sockstat6 and udp6 are made together (the IPv6 stack's per-namespace init): a readable
        // sockstat6 says udp6 is there without a stat of it.
        let count = self.in_use("sockstat6", "UDP6");
        let v6 = if count.is_some() || self.settings.proc("net/udp6").exists() {
            Some(self.sums_unless_none(libc::AF_INET6, count)?)
        } else {
            None
        };
        // In the order the output sorts them (rx before tx), so a steady collection rewrites no label.
        out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v4"), ("queue", "rx")]), v4.1 as f64);
        out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v4"), ("queue", "tx")]), v4.0 as f64);
        if let Some((tx, rx)) = v6 {
            out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v6"), ("queue", "rx")]), rx as f64);
            out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v6"), ("queue", "tx")]), tx as f64);
        }
        Ok(())
    }

    /// `(tx, rx)` queue sums of one file.
    fn sums(&mut self, name: &str) -> Result<(u64, u64), CollectError> {
        let path = self.settings.proc("net").join(name);
        let text = self.reader.read_str(&path)?;
        let (mut tx, mut rx) = (0u64, 0u64);
        for line in text.lines().skip(1) {
            let Some(queues) = line.split_ascii_whitespace().nth(4) else { continue };
            let Some((t, r)) = queues.split_once(':') else {
                return Err(CollectError::parse(&path, "tx_queue:rx_queue column missing"));
            };
            tx = tx.wrapping_add(parse_hex(t).unwrap_or(0));
            rx = rx.wrapping_add(parse_hex(r).unwrap_or(0));
        }
        Ok((tx, rx))
    }
}

/// The `inuse` count of the `<protocol>:` line of a /proc/net/sockstat{,6} text.
fn sockets_in_use(text: &str, protocol: &str) -> Option<u64> {
    let line =
        text.lines().find(|line| line.strip_prefix(protocol).is_some_and(|rest| rest.starts_with(':')))?;
    let mut fields = line.split_ascii_whitespace().skip(1);
    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
        if name == "inuse" {
            return value.parse().ok();
        }
    }
    None
}

/// The udp_queues collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "udp_queues",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(UdpQueues::new(settings)),
};

impl Collector for UdpQueues {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        // A kernel without UDP sock_diag (`udp_diag` not built or not loadable in a container)
        // refuses the dump: from then on the files are read, which give the same sums.
        if self.settings.use_netlink && !self.diag_refused {
            match self.update_from_netlink(out) {
                Ok(()) => return Ok(()),
                Err(_) => self.diag_refused = true,
            }
        }
        let (tx, rx) = self.sums("udp")?;
        out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v4"), ("queue", "tx")]), tx as f64);
        out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v4"), ("queue", "rx")]), rx as f64);
        match self.sums("udp6") {
            Ok((tx, rx)) => {
                out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v6"), ("queue", "tx")]), tx as f64);
                out.gauge("node_udp_queues", HELP, pairs(&[("ip", "v6"), ("queue", "rx")]), rx as f64);
                Ok(())
            }
            Err(CollectError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{HostCollector, HostConfig};

    /// The `node_udp_queues` samples of one collection by udp_queues alone, by `(ip, queue)`.
    fn queues(netlink: bool) -> Vec<(String, f64)> {
        let mut config = HostConfig::default();
        config.disable_defaults();
        config.enable("udp_queues").expect("udp_queues is a collector");
        config.netlink = netlink;
        let collector = HostCollector::new(config).expect("valid config");
        let families = collector.collect();
        let family = families.iter().find(|f| f.name == "node_udp_queues").expect("node_udp_queues");
        let mut samples: Vec<(String, f64)> = family
            .samples
            .iter()
            .map(|s| (format!("{}/{}", s.label("ip").unwrap_or(""), s.label("queue").unwrap_or("")), s.value))
            .collect();
        samples.sort_by(|a, b| a.0.cmp(&b.0));
        samples
    }

    #[test]
    fn sock_diag_sums_are_the_proc_files_sums() {
        // Datagrams queued unread on a socket of ours, so the receive sums are not all zero.
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let to = socket.local_addr().expect("local address");
        for _ in 0..3 {
            socket.send_to(&[7u8; 1000], to).expect("send to ourselves");
        }
        // Other sockets of the host may change in between: the same in 3 tries is enough.
        let same = (0..3).any(|_| {
            let (files, dumped) = (queues(false), queues(true));
            assert!(files.iter().any(|(key, value)| key == "v4/rx" && *value > 0.0), "{files:?}");
            files == dumped
        });
        assert!(
            same,
            "sock_diag and /proc/net/udp{{,6}} disagree: {:?} vs {:?}",
            queues(false),
            queues(true)
        );
    }

    #[test]
    fn queued_ipv6_datagrams_are_dumped_not_skipped() {
        // With a UDP6 socket of ours in use, sockstat6 counts it, so the v6 dump is not skipped.
        // Fails rather than passing unchecked on a host without IPv6 loopback.
        let socket =
            std::net::UdpSocket::bind("[::1]:0").expect("bind [::1] (this test needs IPv6 loopback)");
        let to = socket.local_addr().expect("local address");
        for _ in 0..3 {
            socket.send_to(&[7u8; 1000], to).expect("send to ourselves");
        }
        let same = (0..3).any(|_| {
            let (files, dumped) = (queues(false), queues(true));
            assert!(dumped.iter().any(|(key, value)| key == "v6/rx" && *value > 0.0), "{dumped:?}");
            files == dumped
        });
        assert!(same, "sock_diag and /proc/net/udp6 disagree: {:?} vs {:?}", queues(false), queues(true));
    }

    #[test]
    fn sockstat_counts_are_found_by_protocol() {
        let v4 = "sockets: used 41\nTCP: inuse 5 orphan 0 tw 0 alloc 5 mem 33\nUDP: inuse 3 mem 2\nUDPLITE: inuse 0\n";
        assert_eq!(sockets_in_use(v4, "UDP"), Some(3));
        assert_eq!(sockets_in_use(v4, "UDPLITE"), Some(0));
        assert_eq!(sockets_in_use("UDPLITE: inuse 7\nUDP: inuse 0 mem 0\n", "UDP"), Some(0));
        assert_eq!(sockets_in_use("TCP6: inuse 1\nUDP6: inuse 0\n", "UDP6"), Some(0));
        assert_eq!(sockets_in_use("UDP6: inuse 0\n", "UDP"), None);
        assert_eq!(sockets_in_use("UDP: inuse x\n", "UDP"), None);
        assert_eq!(sockets_in_use("UDP: mem 4\n", "UDP"), None);
        assert_eq!(sockets_in_use("", "UDP"), None);
    }

    #[test]
    fn a_family_without_sockets_sums_zero_without_a_dump() {
        let mut queues = UdpQueues::new(std::sync::Arc::new(
            HostConfig::default().compile().expect("default config compiles"),
        ));
        // A dumper that cannot dump: a family known empty must not need it.
        queues.dumper = Dumper::new(-1);
        assert_eq!(queues.sums_unless_none(libc::AF_INET6, Some(0)).expect("no dump"), (0, 0));
        assert!(queues.sums_unless_none(libc::AF_INET6, Some(1)).is_err(), "a socket in use is dumped");
        assert!(queues.sums_unless_none(libc::AF_INET6, None).is_err(), "an unknown count is dumped");
    }

    #[test]
    fn short_messages_are_refused() {
        let mut sums = (0, 0);
        assert!(!add_queues(&[0u8; 60], &mut sums));
        let mut message = [0u8; 72];
        message[56..60].copy_from_slice(&5u32.to_ne_bytes());
        message[60..64].copy_from_slice(&9u32.to_ne_bytes());
        assert!(add_queues(&message, &mut sums));
        assert_eq!(sums, (9, 5));
    }
}
