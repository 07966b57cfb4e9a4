//! timex: kernel clock discipline state from the adjtimex(2) system call (`node_timex_*`), converted
//! to seconds and ratios exactly as node_exporter does (nanosecond mode honoured via STA_NANO).

use crate::host::emit::Emitter;
use crate::host::error::CollectError;
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::sync::Arc;

/// adjtimex's return value when the clock is not synchronised.
const TIME_ERROR: i32 = 5;
/// Status bit: offsets are in nanoseconds rather than microseconds.
const STA_NANO: i32 = 0x2000;
/// Scale of `freq`, `ppsfreq` and `stabil` (ppm with 16-bit fraction).
const PPM16FRAC: f64 = 1_000_000.0 * 65536.0;
const MICRO: f64 = 1_000_000.0;
const NANO: f64 = 1_000_000_000.0;

/// The timex collector.
pub(crate) struct Timex {
    _settings: Arc<Settings>,
}

impl Timex {
    pub(crate) fn new(settings: Arc<Settings>) -> Timex {
        Timex { _settings: settings }
    }
}

/// The timex collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "timex",
    enabled_by_default: true,
    placement: Placement::Inline,
    when_absent: WhenAbsent::Failure,
    build: |settings| Box::new(Timex::new(settings)),
};

impl Collector for Timex {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let mut tx = std::mem::MaybeUninit::<libc::timex>::zeroed();
        // SAFETY: tx is zeroed memory of the right type; modes = 0 makes adjtimex read-only.
        let state = unsafe { libc::adjtimex(tx.as_mut_ptr()) };
        if state < 0 {
            return Err(CollectError::Syscall { call: "adjtimex", source: std::io::Error::last_os_error() });
        }
        // SAFETY: adjtimex succeeded and filled the struct (which was zeroed before anyway).
        let tx = unsafe { tx.assume_init() };
        let divisor = if tx.status & STA_NANO != 0 { NANO } else { MICRO };
        let sync = if state == TIME_ERROR { 0.0 } else { 1.0 };
        let gauges: [(&str, &str, f64); 13] = [
            (
                "node_timex_offset_seconds",
                "Time offset in between local system and reference clock.",
                tx.offset as f64 / divisor,
            ),
            (
                "node_timex_frequency_adjustment_ratio",
                "Local clock frequency adjustment.",
                1.0 + tx.freq as f64 / PPM16FRAC,
            ),
            ("node_timex_maxerror_seconds", "Maximum error in seconds.", tx.maxerror as f64 / MICRO),
            ("node_timex_estimated_error_seconds", "Estimated error in seconds.", tx.esterror as f64 / MICRO),
            ("node_timex_status", "Value of the status array bits.", tx.status as f64),
            ("node_timex_loop_time_constant", "Phase-locked loop time constant.", tx.constant as f64),
            ("node_timex_tick_seconds", "Seconds between clock ticks.", tx.tick as f64 / MICRO),
            ("node_timex_pps_frequency_hertz", "Pulse per second frequency.", tx.ppsfreq as f64 / PPM16FRAC),
            ("node_timex_pps_jitter_seconds", "Pulse per second jitter.", tx.jitter as f64 / divisor),
            ("node_timex_pps_shift_seconds", "Pulse per second interval duration.", tx.shift as f64),
            (
                "node_timex_pps_stability_hertz",
                "Pulse per second stability, average of recent frequency changes.",
                tx.stabil as f64 / PPM16FRAC,
            ),
            ("node_timex_tai_offset_seconds", "International Atomic Time (TAI) offset.", tx.tai as f64),
            ("node_timex_sync_status", "Is clock synchronized to a reliable server (1 = yes, 0 = no).", sync),
        ];
        for (name, help, value) in gauges {
            out.gauge(name, help, vec![], value);
        }
        let counters: [(&str, &str, f64); 4] = [
            (
                "node_timex_pps_jitter_total",
                "Pulse per second count of jitter limit exceeded events.",
                tx.jitcnt as f64,
            ),
            (
                "node_timex_pps_calibration_total",
                "Pulse per second count of calibration intervals.",
                tx.calcnt as f64,
            ),
            ("node_timex_pps_error_total", "Pulse per second count of calibration errors.", tx.errcnt as f64),
            (
                "node_timex_pps_stability_exceeded_total",
                "Pulse per second count of stability limit exceeded events.",
                tx.stbcnt as f64,
            ),
        ];
        for (name, help, value) in counters {
            out.counter(name, help, vec![], value);
        }
        Ok(())
    }
}
