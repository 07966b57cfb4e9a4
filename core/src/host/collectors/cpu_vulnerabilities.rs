//! cpu_vulnerabilities (opt-in, from newer node_exporter releases): one
//! `node_cpu_vulnerabilities_info{codename,state,mitigation}` per file of
//! /sys/devices/system/cpu/vulnerabilities, `state` being `not affected`, `vulnerable`, `mitigation`
//! or (for text the kernel may add later) `unknown` with the whole text as `mitigation`.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{list_dir, read_trimmed};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The cpu_vulnerabilities collector.
pub(crate) struct CpuVulnerabilities {
    settings: Arc<Settings>,
}

/// The cpu_vulnerabilities collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "cpu_vulnerabilities",
    enabled_by_default: false,
    placement: Placement::Inline,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(CpuVulnerabilities { settings }),
};

/// `(state, mitigation)` of a vulnerability file's text (`KVM: ` prefixes, as on itlb_multihit, are
/// looked through).
fn state_of(text: &str) -> (&'static str, &str) {
    let text = text.trim();
    let body = text.strip_prefix("KVM: ").unwrap_or(text);
    let rest = |prefix: &str| body.strip_prefix(prefix).map(|r| r.strip_prefix(": ").unwrap_or(r));
    if body.starts_with("Not affected") {
        ("not affected", "")
    } else if let Some(mitigation) = rest("Vulnerable") {
        ("vulnerable", mitigation)
    } else if let Some(mitigation) = rest("Mitigation") {
        ("mitigation", mitigation)
    } else {
        ("unknown", text)
    }
}

impl Collector for CpuVulnerabilities {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let dir = self.settings.sys("devices/system/cpu/vulnerabilities");
        for codename in list_dir(&dir)? {
            let text = read_trimmed(&dir.join(&codename))?;
            let (state, mitigation) = state_of(&text);
            out.gauge(
                "node_cpu_vulnerabilities_info",
                "Details of each CPU vulnerability reported by sysfs. The value of the series is an int encoded state of the vulnerability. The same state is stored as a string in the label",
                pairs(&[("codename", &codename), ("state", state), ("mitigation", mitigation)]),
                1.0,
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::state_of;

    #[test]
    fn states_and_mitigations_split_as_procfs_does() {
        assert_eq!(state_of("Not affected\n"), ("not affected", ""));
        assert_eq!(state_of("Vulnerable"), ("vulnerable", ""));
        assert_eq!(
            state_of("Vulnerable: Clear CPU buffers attempted"),
            ("vulnerable", "Clear CPU buffers attempted")
        );
        assert_eq!(
            state_of("Mitigation: Retpolines; STIBP: disabled"),
            ("mitigation", "Retpolines; STIBP: disabled")
        );
        assert_eq!(state_of("KVM: Mitigation: VMX disabled"), ("mitigation", "VMX disabled"));
        assert_eq!(state_of("Processor vulnerable"), ("unknown", "Processor vulnerable"));
    }
}
