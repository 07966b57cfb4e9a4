//! ethtool (opt-in): per network device, with node_exporter 1.5's names, through the `SIOCETHTOOL`
//! ioctl: `node_ethtool_info{bus_info,device,driver,expansion_rom_version,firmware_version,version}`
//! (`ETHTOOL_GDRVINFO`), every driver statistic (`ETHTOOL_GSTRINGS` and `ETHTOOL_GSTATS`) as an
//! untyped `node_ethtool_<name>` (the name sanitised, lower-cased, `rx`/`tx` words spelled `received`
//! / `transmitted`; seven common ones keep node_exporter's `_total` names and help; statistics whose
//! names collide are all dropped, as there), and the link modes (`ETHTOOL_GSET`: speeds, port
//! types, pause and autonegotiation; see `ethtool_link.rs`). Devices come from /sys/class/net
//! and are filtered by `--collector.ethtool.device-include` / `device-exclude`, statistics by
//! `--collector.ethtool.metrics-include`. A device that does not answer a request (loopback, say)
//! just lacks those series.

use super::ethtool_link::{emit_link_modes, u32_at};
use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::list_dir;
use crate::host::settings::{device_selected, Settings};
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use regex::Regex;
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::{Arc, OnceLock};

const SIOCETHTOOL: libc::c_ulong = 0x8946;
const ETHTOOL_GSET: u32 = 0x1;
const ETHTOOL_GDRVINFO: u32 = 0x3;
const ETHTOOL_GSTRINGS: u32 = 0x1b;
const ETHTOOL_GSTATS: u32 = 0x1d;
const ETH_SS_STATS: u32 = 1;
const ETH_GSTRING_LEN: usize = 32;
/// The most statistics read from one device (node_exporter's ethtool library's limit).
const MAX_STATS: usize = 32768;
/// `struct ethtool_drvinfo` and `struct ethtool_cmd` sizes.
const DRVINFO_LEN: usize = 196;
const CMD_LEN: usize = 44;

/// Driver statistics node_exporter names itself: `(statistic, metric, help)`.
const PRESET: [(&str, &str, &str); 7] = [
    ("rx_bytes", "node_ethtool_received_bytes_total", "Network interface bytes received"),
    ("rx_dropped", "node_ethtool_received_dropped_total", "Number of received frames dropped"),
    ("rx_errors", "node_ethtool_received_errors_total", "Number of received frames with errors"),
    ("rx_packets", "node_ethtool_received_packets_total", "Network interface packets received"),
    ("tx_bytes", "node_ethtool_transmitted_bytes_total", "Network interface bytes sent"),
    ("tx_errors", "node_ethtool_transmitted_errors_total", "Number of sent frames with errors"),
    ("tx_packets", "node_ethtool_transmitted_packets_total", "Network interface packets sent"),
];

/// The ethtool collector.
pub(crate) struct Ethtool {
    settings: Arc<Settings>,
    socket: Option<OwnedFd>,
}

/// The ethtool collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "ethtool",
    enabled_by_default: false,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Ethtool { settings, socket: None }),
};

impl Collector for Ethtool {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let class = self.settings.sys("class/net");
        let devices = list_dir(&class)?;
        if devices.is_empty() {
            return Err(CollectError::parse(&class, "no network devices found"));
        }
        let fd = self.socket()?;
        let (include, exclude) =
            (&self.settings.ethtool_device_include, &self.settings.ethtool_device_exclude);
        for device in devices.iter().filter(|d| device_selected(d, include, exclude)) {
            if let Some(cmd) = request(fd, device, ETHTOOL_GSET, CMD_LEN) {
                emit_link_modes(out, device, &cmd);
            }
            let Some(info) = request(fd, device, ETHTOOL_GDRVINFO, DRVINFO_LEN) else { continue };
            let text = |at: usize| c_string(&info[at..at + 32]);
            out.gauge(
                "node_ethtool_info",
                "A metric with a constant '1' value labeled by bus_info, device, driver, expansion_rom_version, firmware_version, version.",
                pairs(&[
                    ("bus_info", &text(100)),
                    ("device", device),
                    ("driver", &text(4)),
                    ("expansion_rom_version", &text(132)),
                    ("firmware_version", &text(68)),
                    ("version", &text(36)),
                ]),
                1.0,
            );
            let n_stats = u32_at(&info, 180) as usize;
            if let Some(stats) = read_stats(fd, device, n_stats) {
                emit_stats(out, device, &stats, &self.settings.ethtool_metrics_include);
            }
        }
        Ok(())
    }
}

impl Ethtool {
    /// The socket the ioctls go through, opened on first use and kept.
    fn socket(&mut self) -> Result<libc::c_int, CollectError> {
        if self.socket.is_none() {
            // SAFETY: plain socket(2) call; the result is checked before use.
            let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
            if fd < 0 {
                return Err(CollectError::Syscall {
                    call: "socket(AF_INET)",
                    source: std::io::Error::last_os_error(),
                });
            }
            // SAFETY: fd is a new descriptor owned by nobody else.
            self.socket = Some(unsafe { OwnedFd::from_raw_fd(fd) });
        }
        self.socket.as_ref().map(AsRawFd::as_raw_fd).ok_or(CollectError::WorkerGone)
    }
}

/// One `SIOCETHTOOL` request `cmd` for `device` with a buffer of `len` bytes (`cmd` in its first
/// word); the answer, or None if the device refuses it (or its name does not fit `ifr_name`).
fn request(fd: libc::c_int, device: &str, cmd: u32, len: usize) -> Option<Vec<u8>> {
    let mut data = vec![0u8; len];
    data[0..4].copy_from_slice(&cmd.to_ne_bytes());
    ioctl(fd, device, &mut data).then_some(data)
}

/// Runs `SIOCETHTOOL` on `device` with `data` (whose first word is the command); true on success.
fn ioctl(fd: libc::c_int, device: &str, data: &mut [u8]) -> bool {
    // SAFETY: ifreq is plain data; all zeros is a valid value.
    let mut ifreq: libc::ifreq = unsafe { std::mem::zeroed() };
    let name = device.as_bytes();
    if name.len() >= ifreq.ifr_name.len() || name.contains(&0) {
        return false;
    }
    for (slot, byte) in ifreq.ifr_name.iter_mut().zip(name) {
        *slot = *byte as libc::c_char;
    }
    ifreq.ifr_ifru.ifru_data = data.as_mut_ptr().cast();
    // SAFETY: ifreq names the device and points at `data`, which is as large as the structure the
    // command's answer fills (the callers size it from the kernel's own counts).
    unsafe { libc::ioctl(fd, SIOCETHTOOL as _, &mut ifreq) == 0 }
}

/// The driver's statistics by name (`ETHTOOL_GSTRINGS` then `ETHTOOL_GSTATS`); a name given twice
/// keeps its last value, as in node_exporter's library.
fn read_stats(fd: libc::c_int, device: &str, n_stats: usize) -> Option<BTreeMap<String, u64>> {
    if n_stats == 0 || n_stats > MAX_STATS {
        return None;
    }
    let mut strings = vec![0u8; 12 + n_stats * ETH_GSTRING_LEN];
    strings[0..4].copy_from_slice(&ETHTOOL_GSTRINGS.to_ne_bytes());
    strings[4..8].copy_from_slice(&ETH_SS_STATS.to_ne_bytes());
    strings[8..12].copy_from_slice(&(n_stats as u32).to_ne_bytes());
    if !ioctl(fd, device, &mut strings) {
        return None;
    }
    let mut values = vec![0u8; 8 + n_stats * 8];
    values[0..4].copy_from_slice(&ETHTOOL_GSTATS.to_ne_bytes());
    values[4..8].copy_from_slice(&(n_stats as u32).to_ne_bytes());
    if !ioctl(fd, device, &mut values) {
        return None;
    }
    let mut stats = BTreeMap::new();
    for i in 0..n_stats {
        let name = c_string(&strings[12 + i * ETH_GSTRING_LEN..12 + (i + 1) * ETH_GSTRING_LEN]);
        let value = values.get(8 + i * 8..16 + i * 8).and_then(|b| b.try_into().ok()).map(u64::from_ne_bytes);
        if let (false, Some(value)) = (name.is_empty(), value) {
            stats.insert(name, value);
        }
    }
    (!stats.is_empty()).then_some(stats)
}

/// The statistics of one device, under node_exporter's names; names that collide are dropped.
fn emit_stats(out: &mut Emitter, device: &str, stats: &BTreeMap<String, u64>, include: &Option<Regex>) {
    // The statistic each name comes from; None once a second one has the same name.
    let mut by_name: BTreeMap<String, Option<&str>> = BTreeMap::new();
    for stat in stats.keys() {
        if include.as_ref().is_some_and(|re| !re.is_match(&sanitize(stat))) {
            continue;
        }
        match by_name.entry(metric_name(stat)) {
            Entry::Vacant(entry) => {
                entry.insert(Some(stat));
            }
            Entry::Occupied(mut entry) => {
                entry.insert(None);
            }
        }
    }
    for (name, stat) in by_name {
        let Some(stat) = stat else { continue };
        let value = stats[stat] as f64;
        match PRESET.iter().find(|(preset, _, _)| *preset == stat) {
            Some((_, preset_name, help)) => {
                out.untyped(preset_name, help, pairs(&[("device", device)]), value)
            }
            None => {
                out.untyped(&name, &format!("Network interface {stat}"), pairs(&[("device", device)]), value)
            }
        }
    }
}

/// `node_ethtool_` and the statistic's name as node_exporter builds it.
fn metric_name(stat: &str) -> String {
    static WORDS: OnceLock<Vec<(Regex, &str)>> = OnceLock::new();
    let words = WORDS.get_or_init(|| {
        [("(^|_)rx(_|$)", "${1}received${2}"), ("(^|_)tx(_|$)", "${1}transmitted${2}")]
            .into_iter()
            .filter_map(|(pattern, with)| Regex::new(pattern).ok().map(|re| (re, with)))
            .collect()
    });
    let mut name = sanitize(stat).to_lowercase().trim_start_matches('_').to_string();
    for (re, with) in words {
        name = re.replace_all(&name, *with).into_owned();
    }
    format!("node_ethtool_{name}")
}

/// Runs of characters other than letters, digits and `_` (with the underscores around them) become
/// one `_`.
fn sanitize(stat: &str) -> String {
    static INVALID: OnceLock<Option<Regex>> = OnceLock::new();
    match INVALID.get_or_init(|| Regex::new("_*[^0-9A-Za-z_]+_*").ok()) {
        Some(re) => re.replace_all(stat, "_").into_owned(),
        None => stat.to_string(),
    }
}

/// The text before the first NUL of a fixed-size field.
fn c_string(field: &[u8]) -> String {
    let end = field.iter().position(|b| *b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_as_node_exporter_builds_them() {
        assert_eq!(metric_name("rx_queue_0_bytes"), "node_ethtool_received_queue_0_bytes");
        assert_eq!(metric_name("tx_tx_timeouts"), "node_ethtool_transmitted_tx_timeouts");
        assert_eq!(metric_name("tx0_tx_timeouts"), "node_ethtool_tx0_transmitted_timeouts");
        assert_eq!(metric_name("rx_xdp_tx"), "node_ethtool_received_xdp_transmitted");
        assert_eq!(metric_name("Port.RX-Errors (64B)"), "node_ethtool_port_received_errors_64b_");
        assert_eq!(metric_name("__rx"), "node_ethtool_received");
    }

    #[test]
    fn colliding_statistics_are_dropped() {
        let stats: BTreeMap<String, u64> =
            [("rx-errors", 1), ("rx_errors", 2), ("rx.errors", 3), ("tx_ok", 4)]
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect();
        let mut out = Emitter::new();
        emit_stats(&mut out, "eth0", &stats, &None);
        let names: Vec<String> = out.into_families().into_iter().map(|f| f.name).collect();
        assert_eq!(names, ["node_ethtool_transmitted_ok"]);
    }

    #[test]
    fn loopback_answers_no_driver_info_and_a_long_name_is_refused() {
        // SAFETY: plain socket(2) call; the result is checked.
        let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) };
        assert!(fd >= 0);
        // SAFETY: fd is a new descriptor owned by nobody else.
        let socket = unsafe { OwnedFd::from_raw_fd(fd) };
        assert!(request(socket.as_raw_fd(), "lo", ETHTOOL_GDRVINFO, DRVINFO_LEN).is_none());
        assert!(request(socket.as_raw_fd(), "a-name-longer-than-ifnamsiz", ETHTOOL_GDRVINFO, DRVINFO_LEN)
            .is_none());
    }
}
