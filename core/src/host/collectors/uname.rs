//! uname: `node_uname_info{sysname,release,version,machine,nodename,domainname}` from the uname(2)
//! system call (a gauge of value 1, as node_exporter has it). Not rooted: it always describes the
//! running kernel, like node_exporter.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// The uname collector.
pub(crate) struct Uname {
    _settings: Arc<Settings>,
}

impl Uname {
    pub(crate) fn new(settings: Arc<Settings>) -> Uname {
        Uname { _settings: settings }
    }
}

/// A NUL-terminated utsname field (65 bytes on Linux) copied into `buf`, as text (lossy on invalid
/// UTF-8, which is the only case that allocates).
fn field<'b>(raw: &[libc::c_char], buf: &'b mut [u8; 65]) -> std::borrow::Cow<'b, str> {
    let mut len = 0;
    for (slot, &c) in buf.iter_mut().zip(raw.iter().take_while(|c| **c != 0)) {
        *slot = c as u8;
        len += 1;
    }
    String::from_utf8_lossy(&buf[..len])
}

/// The uname collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "uname",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Uname::new(settings)),
};

impl Collector for Uname {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let mut uts = std::mem::MaybeUninit::<libc::utsname>::zeroed();
        // SAFETY: uts points to writable, zeroed memory of the right type.
        let rc = unsafe { libc::uname(uts.as_mut_ptr()) };
        if rc != 0 {
            return Err(CollectError::Syscall { call: "uname", source: std::io::Error::last_os_error() });
        }
        // SAFETY: uname returned 0 and the buffer was zeroed, so every field is NUL-terminated.
        let uts = unsafe { uts.assume_init() };
        let mut bufs = [[0u8; 65]; 6];
        let [b0, b1, b2, b3, b4, b5] = &mut bufs;
        out.gauge(
            "node_uname_info",
            "Labeled system information as provided by the uname system call.",
            pairs(&[
                ("domainname", &field(&uts.domainname, b0)),
                ("machine", &field(&uts.machine, b1)),
                ("nodename", &field(&uts.nodename, b2)),
                ("release", &field(&uts.release, b3)),
                ("sysname", &field(&uts.sysname, b4)),
                ("version", &field(&uts.version, b5)),
            ]),
            1.0,
        );
        Ok(())
    }
}
