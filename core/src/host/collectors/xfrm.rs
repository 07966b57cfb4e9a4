//! xfrm (opt-in, from node_exporter 1.8; not in 1.5): IPsec transformation error counters from
//! /proc/net/xfrm_stat as `node_xfrm_*_packets_total`, with the latest release's names and help.
//! As there, every counter is exported, 0 for a field the kernel does not print; fields it does not
//! know are ignored, and a line that is not `name value` fails the collection.

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::read::FileReader;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// `(/proc/net/xfrm_stat field, metric, help)`, in node_exporter's order.
const FIELDS: [(&str, &str, &str); 28] = [
    ("XfrmInError", "node_xfrm_in_error_packets_total", "All errors not matched by other"),
    ("XfrmInBufferError", "node_xfrm_in_buffer_error_packets_total", "No buffer is left"),
    ("XfrmInHdrError", "node_xfrm_in_hdr_error_packets_total", "Header error"),
    (
        "XfrmInNoStates",
        "node_xfrm_in_no_states_packets_total",
        "No state is found i.e. Either inbound SPI, address, or IPsec protocol at SA is wrong",
    ),
    (
        "XfrmInStateProtoError",
        "node_xfrm_in_state_proto_error_packets_total",
        "Transformation protocol specific error e.g. SA key is wrong",
    ),
    (
        "XfrmInStateModeError",
        "node_xfrm_in_state_mode_error_packets_total",
        "Transformation mode specific error",
    ),
    (
        "XfrmInStateSeqError",
        "node_xfrm_in_state_seq_error_packets_total",
        "Sequence error i.e. Sequence number is out of window",
    ),
    ("XfrmInStateExpired", "node_xfrm_in_state_expired_packets_total", "State is expired"),
    (
        "XfrmInStateMismatch",
        "node_xfrm_in_state_mismatch_packets_total",
        "State has mismatch option e.g. UDP encapsulation type is mismatch",
    ),
    ("XfrmInStateInvalid", "node_xfrm_in_state_invalid_packets_total", "State is invalid"),
    (
        "XfrmInTmplMismatch",
        "node_xfrm_in_tmpl_mismatch_packets_total",
        "No matching template for states e.g. Inbound SAs are correct but SP rule is wrong",
    ),
    (
        "XfrmInNoPols",
        "node_xfrm_in_no_pols_packets_total",
        "No policy is found for states e.g. Inbound SAs are correct but no SP is found",
    ),
    ("XfrmInPolBlock", "node_xfrm_in_pol_block_packets_total", "Policy discards"),
    ("XfrmInPolError", "node_xfrm_in_pol_error_packets_total", "Policy error"),
    ("XfrmOutError", "node_xfrm_out_error_packets_total", "All errors which is not matched others"),
    ("XfrmOutBundleGenError", "node_xfrm_out_bundle_gen_error_packets_total", "Bundle generation error"),
    ("XfrmOutBundleCheckError", "node_xfrm_out_bundle_check_error_packets_total", "Bundle check error"),
    ("XfrmOutNoStates", "node_xfrm_out_no_states_packets_total", "No state is found"),
    (
        "XfrmOutStateProtoError",
        "node_xfrm_out_state_proto_error_packets_total",
        "Transformation protocol specific error",
    ),
    (
        "XfrmOutStateModeError",
        "node_xfrm_out_state_mode_error_packets_total",
        "Transformation mode specific error",
    ),
    (
        "XfrmOutStateSeqError",
        "node_xfrm_out_state_seq_error_packets_total",
        "Sequence error i.e. Sequence number overflow",
    ),
    ("XfrmOutStateExpired", "node_xfrm_out_state_expired_packets_total", "State is expired"),
    ("XfrmOutPolBlock", "node_xfrm_out_pol_block_packets_total", "Policy discards"),
    ("XfrmOutPolDead", "node_xfrm_out_pol_dead_packets_total", "Policy is dead"),
    ("XfrmOutPolError", "node_xfrm_out_pol_error_packets_total", "Policy error"),
    (
        "XfrmFwdHdrError",
        "node_xfrm_fwd_hdr_error_packets_total",
        "Forward routing of a packet is not allowed",
    ),
    ("XfrmOutStateInvalid", "node_xfrm_out_state_invalid_packets_total", "State is invalid, perhaps expired"),
    (
        "XfrmAcquireError",
        "node_xfrm_acquire_error_packets_total",
        "State hasn’t been fully acquired before use",
    ),
];

/// The xfrm collector.
pub(crate) struct Xfrm {
    settings: Arc<Settings>,
    reader: FileReader,
}

/// The xfrm collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "xfrm",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Xfrm { settings, reader: FileReader::new() }),
};

impl Collector for Xfrm {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let path = self.settings.proc("net/xfrm_stat");
        let text = self.reader.read_str(&path)?;
        let mut values = [0i64; FIELDS.len()];
        for line in text.lines() {
            let mut parts = line.split_ascii_whitespace();
            let (Some(name), Some(value), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(CollectError::parse(&path, "a line is not `name value`"));
            };
            let value =
                value.parse::<i64>().map_err(|_| CollectError::parse(&path, "a value is not a number"))?;
            if let Some(slot) = FIELDS.iter().position(|(field, _, _)| *field == name) {
                values[slot] = value;
            }
        }
        for ((_, name, help), value) in FIELDS.iter().zip(values) {
            out.counter(name, help, vec![], value as f64);
        }
        Ok(())
    }
}
