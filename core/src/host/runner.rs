//! Runs collectors against a deadline. Each collector lives on its own long-lived worker thread (so it
//! keeps its buffers and needs no lock); a collection sends every worker a job and waits until the
//! deadline. A worker past the deadline is reported as failed, and while it stays stuck (a hung NFS
//! statfs, say) it is not sent new jobs, so stuck reads never pile up the way goroutines do.

use super::catalog::Collector;
use super::emit::Emitter;
use super::error::{CollectError, HostError};
use crate::metrics::MetricFamily;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one collector produced in one collection.
pub(crate) struct Outcome {
    /// Families emitted (empty on failure).
    pub(crate) families: Vec<MetricFamily>,
    /// Success or the reason of the failure.
    pub(crate) result: Result<(), CollectError>,
    /// Time the collector took (or waited, when it timed out).
    pub(crate) duration: Duration,
}

struct Job {
    index: usize,
    reply: mpsc::Sender<(usize, Outcome)>,
}

/// One collector's worker thread and its bookkeeping.
struct Worker {
    name: &'static str,
    jobs: mpsc::Sender<Job>,
    /// Nanoseconds since `epoch` when the running job started; 0 when idle.
    busy_since: Arc<AtomicU64>,
}

/// The set of workers of one [`HostCollector`](crate::host::HostCollector).
pub(crate) struct Runner {
    workers: Vec<Worker>,
    epoch: Instant,
    timeout: Duration,
}

impl Runner {
    /// Starts one worker thread per collector.
    pub(crate) fn start(
        collectors: Vec<(&'static str, Box<dyn Collector>)>,
        timeout: Duration,
    ) -> Result<Runner, HostError> {
        let epoch = Instant::now();
        let mut workers = Vec::with_capacity(collectors.len());
        for (name, collector) in collectors {
            let (jobs, inbox) = mpsc::channel::<Job>();
            let busy_since = Arc::new(AtomicU64::new(0));
            let busy = Arc::clone(&busy_since);
            std::thread::Builder::new()
                .name(format!("srekit-{name}"))
                .stack_size(256 * 1024)
                .spawn(move || work(collector, inbox, busy, epoch))
                .map_err(|e| HostError::Spawn { collector: name, message: e.to_string() })?;
            workers.push(Worker { name, jobs, busy_since });
        }
        Ok(Runner { workers, epoch, timeout })
    }

    /// The collector names, in worker order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.workers.iter().map(|w| w.name)
    }

    /// Runs every collector once and waits for all of them or the deadline.
    pub(crate) fn run(&self) -> Vec<Outcome> {
        let start = Instant::now();
        let deadline = start + self.timeout;
        let mut outcomes: Vec<Option<Outcome>> = (0..self.workers.len()).map(|_| None).collect();
        let (reply, results) = mpsc::channel();
        let mut pending = 0usize;
        for (index, worker) in self.workers.iter().enumerate() {
            let since = worker.busy_since.load(Ordering::Acquire);
            let stuck = since != 0 && self.nanos_now().saturating_sub(since) > self.timeout.as_nanos() as u64;
            if stuck {
                outcomes[index] = Some(failed(CollectError::Stuck, Duration::ZERO));
                continue;
            }
            match worker.jobs.send(Job { index, reply: reply.clone() }) {
                Ok(()) => pending += 1,
                Err(_) => outcomes[index] = Some(failed(CollectError::WorkerGone, Duration::ZERO)),
            }
        }
        drop(reply);
        while pending > 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            match results.recv_timeout(left) {
                Ok((index, outcome)) => {
                    if let Some(slot) = outcomes.get_mut(index) {
                        *slot = Some(outcome);
                    }
                    pending -= 1;
                }
                Err(RecvTimeoutError::Timeout) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        let waited = start.elapsed();
        outcomes
            .into_iter()
            .map(|o| o.unwrap_or_else(|| failed(CollectError::Timeout(self.timeout), waited)))
            .collect()
    }

    fn nanos_now(&self) -> u64 {
        self.epoch.elapsed().as_nanos().max(1) as u64
    }
}

fn failed(error: CollectError, duration: Duration) -> Outcome {
    Outcome { families: Vec::new(), result: Err(error), duration }
}

/// The worker loop: one job at a time until the [`Runner`] is dropped.
fn work(
    mut collector: Box<dyn Collector>,
    inbox: mpsc::Receiver<Job>,
    busy_since: Arc<AtomicU64>,
    epoch: Instant,
) {
    while let Ok(job) = inbox.recv() {
        let start = Instant::now();
        busy_since.store(epoch.elapsed().as_nanos().max(1) as u64, Ordering::Release);
        let mut out = Emitter::new();
        let result = catch_unwind(AssertUnwindSafe(|| collector.update(&mut out)))
            .unwrap_or(Err(CollectError::WorkerGone));
        busy_since.store(0, Ordering::Release);
        let families = if result.is_ok() { out.into_families() } else { Vec::new() };
        let outcome = Outcome { families, result, duration: start.elapsed() };
        // The collection may have given up on us (deadline): then nobody listens, which is fine.
        let _ = job.reply.send((job.index, outcome));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sleeper(Duration);
    impl Collector for Sleeper {
        fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
            std::thread::sleep(self.0);
            out.gauge("slept", "Slept.", vec![], 1.0);
            Ok(())
        }
    }

    struct Panicker;
    impl Collector for Panicker {
        fn update(&mut self, _out: &mut Emitter) -> Result<(), CollectError> {
            panic!("collector bug")
        }
    }

    #[test]
    fn slow_collector_times_out_and_is_not_reentered_while_stuck() {
        let runner = Runner::start(
            vec![
                ("slow", Box::new(Sleeper(Duration::from_millis(600)))),
                ("fast", Box::new(Sleeper(Duration::ZERO))),
            ],
            Duration::from_millis(100),
        )
        .unwrap();
        let started = Instant::now();
        let outcomes = runner.run();
        assert!(started.elapsed() < Duration::from_millis(400), "scrape returned on time");
        assert!(matches!(outcomes[0].result, Err(CollectError::Timeout(_))));
        assert!(outcomes[1].result.is_ok());
        std::thread::sleep(Duration::from_millis(150));
        let outcomes = runner.run();
        assert!(matches!(outcomes[0].result, Err(CollectError::Stuck)));
        assert_eq!(outcomes[1].families.len(), 1);
        std::thread::sleep(Duration::from_millis(600));
        let outcomes = runner.run();
        assert!(matches!(outcomes[0].result, Err(CollectError::Timeout(_))), "runs again once unstuck");
    }

    #[test]
    fn panicking_collector_is_a_failure_not_a_crash() {
        let runner = Runner::start(vec![("bad", Box::new(Panicker))], Duration::from_secs(1)).unwrap();
        let outcomes = runner.run();
        assert!(outcomes[0].result.is_err());
        let outcomes = runner.run();
        assert!(outcomes[0].result.is_err());
    }
}
