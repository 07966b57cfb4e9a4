//! tcpstat (opt-in): `node_tcp_connection_states{state}`, the number of TCP sockets in each state and
//! the bytes queued on them (`rx_queued_bytes`, `tx_queued_bytes`), from one sock_diag netlink dump
//! per address family, as node_exporter 1.5 does (IPv6 when `<procfs>/net/tcp6` exists). Like
//! node_exporter, it answers for the network namespace the process runs in, whatever the procfs
//! root; for a listening socket the kernel reports the accept backlog and its limit as the queues.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::netlink::{
    inet_diag_queues, inet_diag_request, Dumper, NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY,
};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// Every TCP state (`TCPF_ALL`).
const ALL_STATES: u32 = 0xfff;
/// `INET_DIAG_INFO`, asked for as node_exporter does.
const INET_DIAG_INFO: u8 = 2;

/// TCP states in kernel order (`TCP_ESTABLISHED` = 1 ...), then the two queue sums.
const STATES: [&str; 13] = [
    "established",
    "syn_sent",
    "syn_recv",
    "fin_wait1",
    "fin_wait2",
    "time_wait",
    "close",
    "close_wait",
    "last_ack",
    "listen",
    "closing",
    "rx_queued_bytes",
    "tx_queued_bytes",
];
const RX_QUEUED: usize = 11;
const TX_QUEUED: usize = 12;

/// The tcpstat collector.
pub(crate) struct TcpStat {
    settings: Arc<Settings>,
    dumper: Dumper,
}

impl TcpStat {
    pub(crate) fn new(settings: Arc<Settings>) -> TcpStat {
        TcpStat { settings, dumper: Dumper::new(NETLINK_SOCK_DIAG) }
    }
}

/// The tcpstat collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "tcpstat",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(TcpStat::new(settings)),
};

/// `struct inet_diag_req_v2` for every TCP socket of `family`.
fn request(family: u8) -> [u8; 56] {
    inet_diag_request(family, libc::IPPROTO_TCP as u8, 1 << (INET_DIAG_INFO - 1), ALL_STATES)
}

/// Counts one `struct inet_diag_msg` into `sums` (indexed like [`STATES`], state `n` at `n - 1`);
/// `false` if the message is too short.
fn count(message: &[u8], sums: &mut [f64; 13], seen: &mut [bool; 13]) -> bool {
    let (Some(&state), Some((rqueue, wqueue))) = (message.get(1), inet_diag_queues(message)) else {
        return false;
    };
    if let Some(slot) = (state as usize).checked_sub(1).filter(|s| *s < RX_QUEUED) {
        sums[slot] += 1.0;
        seen[slot] = true;
    }
    sums[RX_QUEUED] += f64::from(rqueue);
    sums[TX_QUEUED] += f64::from(wqueue);
    seen[RX_QUEUED] = true;
    seen[TX_QUEUED] = true;
    true
}

impl Collector for TcpStat {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let mut sums = [0.0; 13];
        let mut seen = [false; 13];
        let mut families = vec![libc::AF_INET as u8];
        if self.settings.proc("net/tcp6").exists() {
            families.push(libc::AF_INET6 as u8);
        }
        let mut short = false;
        for family in families {
            self.dumper.dump(SOCK_DIAG_BY_FAMILY, &request(family), &mut |kind, message| {
                if kind == SOCK_DIAG_BY_FAMILY && !count(message, &mut sums, &mut seen) {
                    short = true;
                }
            })?;
        }
        if short {
            return Err(CollectError::parse(std::path::Path::new("sock_diag"), "short inet_diag_msg"));
        }
        for ((state, sum), seen) in STATES.iter().zip(sums).zip(seen) {
            if seen {
                out.gauge(
                    "node_tcp_connection_states",
                    "Number of connection states.",
                    pairs(&[("state", state)]),
                    sum,
                );
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_count_by_state_and_short_ones_are_refused() {
        let mut message = [0u8; 72];
        message[1] = 10; // listen
        message[56..60].copy_from_slice(&3u32.to_ne_bytes());
        message[60..64].copy_from_slice(&128u32.to_ne_bytes());
        let (mut sums, mut seen) = ([0.0; 13], [false; 13]);
        assert!(count(&message, &mut sums, &mut seen));
        assert_eq!((sums[9], sums[RX_QUEUED], sums[TX_QUEUED]), (1.0, 3.0, 128.0));
        assert!(seen[9] && !seen[0]);
        assert!(!count(&message[..20], &mut sums, &mut seen));
    }
}
