//! A criterion measurement of the benchmark thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`) instead of
//! wall time: on a machine shared with other work, time spent descheduled is not counted, so the
//! throughput reads as "per core", which is how the budgets are stated.

use std::time::Duration;

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// Thread CPU time, in the same units (and so the same formatting) as criterion's `WallTime`.
pub struct CpuTime {
    wall: WallTime,
}

impl Default for CpuTime {
    fn default() -> Self {
        CpuTime { wall: WallTime }
    }
}

impl std::fmt::Debug for CpuTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CpuTime")
    }
}

fn thread_cpu_time() -> Duration {
    clock_time(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time of this whole process so far (every thread), for benchmarks whose work runs on more
/// threads than the one timing it (`iter_custom`).
///
/// ```
/// let before = srekit_benches::cpu_time::process_cpu_time();
/// assert!(srekit_benches::cpu_time::process_cpu_time() >= before);
/// ```
pub fn process_cpu_time() -> Duration {
    clock_time(libc::CLOCK_PROCESS_CPUTIME_ID)
}

/// CPU time of another process `pid` so far (every thread, those that have ended too), from its CPU
/// clock (`clock_getcpuclockid`): exact for a thread running at the time of the call, unlike the
/// tasks' `schedstat`, which lags a running thread by up to a scheduler tick. Zero when the process is
/// gone or not ours to read.
///
/// ```
/// let own = srekit_benches::cpu_time::process_cpu_time_of(std::process::id());
/// assert!(own > std::time::Duration::ZERO);
/// assert_eq!(srekit_benches::cpu_time::process_cpu_time_of(u32::MAX), std::time::Duration::ZERO);
/// ```
pub fn process_cpu_time_of(pid: u32) -> Duration {
    let Ok(pid) = libc::pid_t::try_from(pid) else { return Duration::ZERO };
    let mut clock: libc::clockid_t = 0;
    // SAFETY: `clock` is a valid, writable clockid_t; the call only fills it in.
    if unsafe { libc::clock_getcpuclockid(pid, &mut clock) } != 0 {
        return Duration::ZERO;
    }
    clock_time(clock)
}

fn clock_time(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; an unknown clock id is an error return, not UB.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec.max(0) as u64, ts.tv_nsec.clamp(0, 999_999_999) as u32)
}

impl Measurement for CpuTime {
    type Intermediate = Duration;
    type Value = Duration;

    fn start(&self) -> Duration {
        thread_cpu_time()
    }

    fn end(&self, start: Duration) -> Duration {
        thread_cpu_time().saturating_sub(start)
    }

    fn add(&self, v1: &Duration, v2: &Duration) -> Duration {
        *v1 + *v2
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        self.wall.formatter()
    }
}
