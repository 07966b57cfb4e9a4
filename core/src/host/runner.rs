//! Runs collectors against a deadline on long-lived worker threads (a collector lives on one worker, so
//! it keeps its buffers and needs no lock). Collectors share a few "lane" workers and run one after
//! the other there, which saves thread wake-ups; those that may block (mounts, hardware sensors) have
//! lanes apart from the procfs ones. A collection sends every worker a job, runs the inline
//! collectors (in-memory kernel counters, which cannot hang) on the calling thread meanwhile (the
//! slowest of them on a worker of their own when there is a second CPU to run it), and
//! waits for the workers until the deadline; a collector without a result by then is reported as
//! failed, and while its worker stays stuck (a hung NFS statfs, say) it is not sent new jobs, so stuck
//! reads never pile up the way goroutines do. The workers leave their results in one shared
//! [`Gather`] and only the last to finish wakes the collecting thread (none does when the inline
//! collectors outlast them all), instead of one wake-up per worker.
//!
//! With two CPUs or fewer, the slow in-memory collectors and filesystem (which bounds its own waits)
//! join the kernel lane, so a default collection wakes one worker: a wake-up of an idle vCPU is
//! what makes a collection after a pause (as between scrapes) cost more than one back to back, and
//! one worker is all a second CPU can run beside the collecting thread ([`Placement::lane`]).
//!
//! A lane whose every collector is quiet ([`Collector::quiet_until`]: it would touch no file or
//! device, answering from remembered absences or cached values) is not woken: the collecting thread
//! runs its collectors itself, which cannot block. On a virtual machine without hardware sensors the
//! whole hardware lane is quiet between absence rechecks; not waking it saved 6-8% of a collection's
//! CPU time (medians of interleaved runs).

use super::emit::Emitter;
use super::error::{CollectError, HostError};
use super::order::Steadiness;
use super::recycle::FamilyPool;
use super::spec::{Collector, Placement};
use crate::metrics::MetricFamily;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// What one collector produced in one collection.
pub(crate) struct Outcome {
    /// Families emitted (empty on failure).
    pub(crate) families: Vec<MetricFamily>,
    /// Success or the reason of the failure.
    pub(crate) result: Result<(), CollectError>,
    /// Time the collector took (or waited, when it timed out).
    pub(crate) duration: Duration,
    /// What its emitter kept of its collection before (nothing on failure).
    pub(crate) steadiness: Steadiness,
}

/// One collector with its index (collection order) and its emitter, kept between collections.
struct Slot {
    index: usize,
    collector: Box<dyn Collector>,
    out: Emitter,
}

struct Job {
    reply: Reply,
    /// The collectors to run, by index (`None`: all of them).
    only: Option<Arc<[bool]>>,
}

/// Where the workers of one collection leave their results.
#[derive(Default)]
struct Gather {
    state: Mutex<Gathered>,
    /// Notified by the last worker to report.
    done: Condvar,
}

#[derive(Default)]
struct Gathered {
    /// Workers sent a job that have not reported yet.
    waiting: usize,
    /// Their results, one batch per worker.
    batches: Vec<Vec<(usize, Outcome)>>,
    /// The collection stopped waiting (deadline): late results are dropped at once.
    abandoned: bool,
}

impl Gather {
    /// Adds a worker's batch; the last one wakes the collecting thread.
    fn report(&self, batch: Vec<(usize, Outcome)>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.waiting = state.waiting.saturating_sub(1);
        if !state.abandoned {
            state.batches.push(batch);
        }
        if state.waiting == 0 {
            self.done.notify_one();
        }
    }
}

/// A worker's duty to report once for its job: dropped unsent (a job never run because the worker
/// thread ended), it reports an empty batch, so the collection does not wait for it until the deadline.
struct Reply(Option<Arc<Gather>>);

impl Reply {
    fn send(mut self, batch: Vec<(usize, Outcome)>) {
        if let Some(gather) = self.0.take() {
            gather.report(batch);
        }
    }
}

impl Drop for Reply {
    fn drop(&mut self) {
        if let Some(gather) = self.0.take() {
            gather.report(Vec::new());
        }
    }
}

/// One worker thread, the collectors it runs (their collection indexes, in the order it runs them)
/// and its bookkeeping.
struct Worker {
    indexes: Vec<usize>,
    jobs: mpsc::Sender<Job>,
    /// The lane's collectors: locked by the worker while it runs a job, or by a collection that runs
    /// the quiet lane itself.
    lane: Arc<Mutex<Vec<Slot>>>,
    /// Nanoseconds since `epoch` when the running job started; 0 when idle.
    busy_since: Arc<AtomicU64>,
    /// Nanoseconds since `epoch` until which every collector of the lane is quiet; 0: not quiet.
    quiet_until: Arc<AtomicU64>,
}

/// The set of workers of one [`HostCollector`](crate::host::HostCollector).
pub(crate) struct Runner {
    names: Vec<&'static str>,
    /// Collectors run on the collecting thread (locked: concurrent collections take turns).
    inline: Mutex<Vec<Slot>>,
    workers: Vec<Worker>,
    epoch: Instant,
    timeout: Duration,
}

impl Runner {
    /// Starts one worker per lane. `collectors` gives each collector's name, its lane, and the
    /// collector; their emitters reuse the families handed back to `pool`.
    pub(crate) fn start(
        collectors: Vec<(&'static str, Placement, Box<dyn Collector>)>,
        timeout: Duration,
        pool: &Arc<FamilyPool>,
    ) -> Result<Runner, HostError> {
        let epoch = Instant::now();
        let names: Vec<&'static str> = collectors.iter().map(|(name, _, _)| *name).collect();
        // The CPUs this process may use (affinity and cgroup quota): with one, `Parallel` is inline.
        let cpus = std::thread::available_parallelism().map_or(1, |cpus| cpus.get());
        let mut inline = Vec::new();
        let mut lanes: Vec<Vec<Slot>> = Vec::new();
        // Within a lane, collectors that may wait run last (a stable sort keeps the others' order;
        // `index` stays the collection order).
        let mut collectors: Vec<_> = collectors.into_iter().enumerate().collect();
        collectors.sort_by_key(|(_, (_, placement, _))| placement.rank_in_lane());
        for (index, (_, placement, collector)) in collectors {
            let slot = Slot { index, collector, out: Emitter::recycling(Arc::clone(pool), index) };
            match placement.lane(cpus) {
                None => inline.push(slot),
                Some(lane) => {
                    if lanes.len() <= lane {
                        lanes.resize_with(lane + 1, Vec::new);
                    }
                    lanes[lane].push(slot);
                }
            }
        }
        let groups: Vec<_> = lanes.into_iter().filter(|lane| !lane.is_empty()).collect();
        let mut workers = Vec::with_capacity(groups.len());
        for group in groups {
            let indexes: Vec<usize> = group.iter().map(|slot| slot.index).collect();
            let first = indexes.first().and_then(|i| names.get(*i)).copied().unwrap_or("lane");
            let (jobs, inbox) = mpsc::channel::<Job>();
            let lane = Arc::new(Mutex::new(group));
            let busy_since = Arc::new(AtomicU64::new(0));
            let quiet_until = Arc::new(AtomicU64::new(0));
            let state = LaneState {
                lane: Arc::clone(&lane),
                busy_since: Arc::clone(&busy_since),
                quiet_until: Arc::clone(&quiet_until),
                epoch,
            };
            std::thread::Builder::new()
                .name(format!("srekit-{first}"))
                .stack_size(256 * 1024)
                .spawn(move || work(inbox, state))
                .map_err(|e| HostError::Spawn { collector: first, message: e.to_string() })?;
            workers.push(Worker { indexes, jobs, lane, busy_since, quiet_until });
        }
        Ok(Runner { names, inline: Mutex::new(inline), workers, epoch, timeout })
    }

    /// The collector names, in collection order.
    pub(crate) fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.names.iter().copied()
    }

    /// Runs every collector once and waits for all of them or the deadline.
    #[cfg(test)]
    pub(crate) fn run(&self) -> Vec<Outcome> {
        self.run_only(None).into_iter().flatten().collect()
    }

    /// Runs the collectors `only` selects (by index; `None`: all) once and waits for them or the
    /// deadline; the outcome of a collector not selected is `None`.
    pub(crate) fn run_only(&self, only: Option<&[bool]>) -> Vec<Option<Outcome>> {
        let start = Instant::now();
        let deadline = start + self.timeout;
        let selected = |index: usize| only.is_none_or(|only| only.get(index).copied().unwrap_or(false));
        let shared_only: Option<Arc<[bool]>> = only.map(Arc::from);
        let mut outcomes: Vec<Option<Outcome>> = (0..self.names.len()).map(|_| None).collect();
        let gather = Arc::new(Gather::default());
        let mut quiet_lanes: Vec<(&Worker, MutexGuard<'_, Vec<Slot>>)> = Vec::new();
        for worker in &self.workers {
            let wanted = worker.indexes.iter().filter(|&&index| selected(index)).count();
            if wanted == 0 {
                continue;
            }
            if worker.quiet_until.load(Ordering::Acquire) > self.nanos_now() {
                // Taken only if the worker is not running a job (of a concurrent collection).
                if let Ok(lane) = worker.lane.try_lock() {
                    quiet_lanes.push((worker, lane));
                    continue;
                }
            }
            let since = worker.busy_since.load(Ordering::Acquire);
            let stuck = since != 0 && self.nanos_now().saturating_sub(since) > self.timeout.as_nanos() as u64;
            let refused = if stuck {
                Some(CollectError::Stuck)
            } else {
                // Counted before the job is sent: the worker may report before `send` returns.
                gather.state.lock().unwrap_or_else(PoisonError::into_inner).waiting += 1;
                let job = Job { reply: Reply(Some(Arc::clone(&gather))), only: shared_only.clone() };
                match worker.jobs.send(job) {
                    Ok(()) => None,
                    // The returned job's `Reply` is dropped with the error, which counts it off.
                    Err(_) => Some(CollectError::WorkerGone),
                }
            };
            if let Some(error) = refused {
                for &index in worker.indexes.iter().filter(|&&index| selected(index)) {
                    let error = match error {
                        CollectError::Stuck => CollectError::Stuck,
                        _ => CollectError::WorkerGone,
                    };
                    outcomes[index] = Some(failed(error, Duration::ZERO));
                }
            }
        }
        {
            // A collector that panicked poisons nothing of ours: its outcome already says it failed.
            let mut inline = self.inline.lock().unwrap_or_else(PoisonError::into_inner);
            for (index, outcome) in run_each(&mut inline, only) {
                outcomes[index] = Some(outcome);
            }
        }
        for (worker, mut lane) in quiet_lanes {
            for (index, outcome) in run_each(&mut lane, only) {
                outcomes[index] = Some(outcome);
            }
            worker.quiet_until.store(quiet_until(&lane, self.epoch), Ordering::Release);
        }
        let batches = {
            let mut state = gather.state.lock().unwrap_or_else(PoisonError::into_inner);
            while state.waiting > 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                state = gather.done.wait_timeout(state, left).unwrap_or_else(PoisonError::into_inner).0;
            }
            // Whoever reports after this is late: its batch is dropped, not kept for nobody.
            state.abandoned = true;
            std::mem::take(&mut state.batches)
        };
        for (index, outcome) in batches.into_iter().flatten() {
            if let Some(slot) = outcomes.get_mut(index) {
                *slot = Some(outcome);
            }
        }
        let waited = start.elapsed();
        outcomes
            .into_iter()
            .enumerate()
            .map(|(index, outcome)| match outcome {
                None if selected(index) => Some(failed(CollectError::Timeout(self.timeout), waited)),
                outcome => outcome,
            })
            .collect()
    }

    fn nanos_now(&self) -> u64 {
        self.epoch.elapsed().as_nanos().max(1) as u64
    }
}

fn failed(error: CollectError, duration: Duration) -> Outcome {
    Outcome { families: Vec::new(), result: Err(error), duration, steadiness: Steadiness::default() }
}

/// What a worker thread shares with the [`Runner`].
struct LaneState {
    lane: Arc<Mutex<Vec<Slot>>>,
    busy_since: Arc<AtomicU64>,
    quiet_until: Arc<AtomicU64>,
    epoch: Instant,
}

/// The worker loop: one job at a time until the [`Runner`] is dropped; each job runs every collector
/// of the worker in turn and reports them together (one wake-up of the collecting thread per worker).
fn work(inbox: mpsc::Receiver<Job>, state: LaneState) {
    let LaneState { lane, busy_since, quiet_until: quiet, epoch } = state;
    while let Ok(job) = inbox.recv() {
        let batch = {
            // A panic inside a collector is caught by run_each, so nothing of ours poisons the lock.
            let mut collectors = lane.lock().unwrap_or_else(PoisonError::into_inner);
            busy_since.store(epoch.elapsed().as_nanos().max(1) as u64, Ordering::Release);
            let batch = run_each(&mut collectors, job.only.as_deref());
            busy_since.store(0, Ordering::Release);
            quiet.store(quiet_until(&collectors, epoch), Ordering::Release);
            batch
        };
        // The collection may have given up on us (deadline): then the batch is dropped, which is fine.
        job.reply.send(batch);
    }
}

/// Nanoseconds since `epoch` until which every collector of `lane` is quiet; 0 if one is not.
fn quiet_until(lane: &[Slot], epoch: Instant) -> u64 {
    let mut until = u64::MAX;
    for slot in lane {
        match slot.collector.quiet_until() {
            Some(at) => {
                let nanos = at.saturating_duration_since(epoch).as_nanos().min(u64::MAX as u128) as u64;
                until = until.min(nanos);
            }
            None => return 0,
        }
    }
    if lane.is_empty() {
        0
    } else {
        until
    }
}

/// Runs each collector `only` selects (all with `None`) once, in turn, catching panics; their outcomes
/// by collector index.
fn run_each(collectors: &mut [Slot], only: Option<&[bool]>) -> Vec<(usize, Outcome)> {
    // One clock read per collector: each one's end is the next one's start.
    let mut start = Instant::now();
    let mut batch = Vec::with_capacity(collectors.len());
    for Slot { index, collector, out } in collectors {
        if only.is_some_and(|only| !only.get(*index).copied().unwrap_or(false)) {
            continue;
        }
        out.begin();
        let result =
            catch_unwind(AssertUnwindSafe(|| collector.update(out))).unwrap_or(Err(CollectError::WorkerGone));
        let mut families = out.take_families();
        let steadiness = out.steadiness();
        if result.is_err() {
            families.clear();
        }
        let end = Instant::now();
        batch.push((*index, Outcome { families, result, duration: end.duration_since(start), steadiness }));
        start = end;
    }
    batch
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
                ("slow", Placement::Hardware, Box::new(Sleeper(Duration::from_millis(600)))),
                ("fast", Placement::Kernel, Box::new(Sleeper(Duration::ZERO))),
            ],
            Duration::from_millis(100),
            &Arc::default(),
        )
        .expect("test setup");
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
    fn the_last_report_wakes_the_collection_and_an_unsent_reply_still_counts() {
        let gather = Arc::new(Gather::default());
        gather.state.lock().expect("test lock").waiting = 3;
        Reply(Some(Arc::clone(&gather))).send(vec![(4, failed(CollectError::Stuck, Duration::ZERO))]);
        drop(Reply(Some(Arc::clone(&gather))));
        assert_eq!(gather.state.lock().expect("test lock").waiting, 1);
        let waiter = {
            let gather = Arc::clone(&gather);
            std::thread::spawn(move || {
                let mut state = gather.state.lock().expect("test lock");
                while state.waiting > 0 {
                    state = gather.done.wait(state).expect("test lock");
                }
                state.batches.iter().map(Vec::len).sum::<usize>()
            })
        };
        Reply(Some(Arc::clone(&gather))).send(Vec::new());
        assert_eq!(waiter.join().expect("waiter"), 1, "one outcome reported, the dropped reply empty");
        gather.state.lock().expect("test lock").abandoned = true;
        gather.report(vec![(5, failed(CollectError::Stuck, Duration::ZERO))]);
        assert_eq!(gather.state.lock().expect("test lock").batches.len(), 3, "a late batch is dropped");
    }

    #[test]
    fn panicking_collector_is_a_failure_not_a_crash() {
        for placement in [Placement::Kernel, Placement::Inline] {
            let runner = Runner::start(
                vec![
                    ("bad", placement, Box::new(Panicker)),
                    ("good", placement, Box::new(Sleeper(Duration::ZERO))),
                ],
                Duration::from_secs(1),
                &Arc::default(),
            )
            .expect("test setup");
            for _ in 0..2 {
                let outcomes = runner.run();
                assert!(outcomes[0].result.is_err(), "{placement:?}");
                assert_eq!(outcomes[1].families.len(), 1, "{placement:?}: the next collector still runs");
            }
        }
    }

    /// Records the thread it ran on.
    struct WhereRan(Arc<Mutex<Vec<std::thread::ThreadId>>>);
    impl Collector for WhereRan {
        fn update(&mut self, _out: &mut Emitter) -> Result<(), CollectError> {
            self.0.lock().expect("test lock").push(std::thread::current().id());
            Ok(())
        }
    }

    #[test]
    fn inline_collectors_run_on_the_calling_thread_and_lanes_on_workers() {
        let inline = Arc::new(Mutex::new(Vec::new()));
        let lane = Arc::new(Mutex::new(Vec::new()));
        let runner = Runner::start(
            vec![
                ("inline", Placement::Inline, Box::new(WhereRan(Arc::clone(&inline)))),
                ("lane", Placement::Kernel, Box::new(WhereRan(Arc::clone(&lane)))),
            ],
            Duration::from_secs(1),
            &Arc::default(),
        )
        .expect("test setup");
        let outcomes = runner.run();
        assert!(outcomes.iter().all(|o| o.result.is_ok()));
        let caller = std::thread::current().id();
        assert_eq!(*inline.lock().expect("test lock"), vec![caller]);
        let lane = lane.lock().expect("test lock");
        assert_eq!(lane.len(), 1);
        assert_ne!(lane[0], caller);
    }

    #[test]
    fn parallel_collectors_run_on_a_worker_only_with_several_cpus() {
        assert_eq!(Placement::Parallel.lane(1), None, "one CPU: inline");
        assert_eq!(Placement::Parallel.lane(2), Placement::Kernel.lane(2), "two CPUs: the kernel lane");
        assert_eq!(Placement::Parallel.lane(4), Some(4), "more: a worker of its own");
        assert_eq!(Placement::Inline.lane(2), None);
        let ran = Arc::new(Mutex::new(Vec::new()));
        let runner = Runner::start(
            vec![("parallel", Placement::Parallel, Box::new(WhereRan(Arc::clone(&ran))))],
            Duration::from_secs(1),
            &Arc::default(),
        )
        .expect("test setup");
        assert!(runner.run().iter().all(|o| o.result.is_ok()));
        let caller = std::thread::current().id();
        let ran = ran.lock().expect("test lock");
        assert_eq!(ran.len(), 1);
        let cpus = std::thread::available_parallelism().map_or(1, |cpus| cpus.get());
        assert_eq!(
            ran[0] == caller,
            cpus == 1,
            "{cpus} CPUs, ran on the calling thread: {}",
            ran[0] == caller
        );
    }

    /// Records its name and when it started, then sleeps.
    struct Timed {
        name: &'static str,
        sleep: Duration,
        started: Arc<Mutex<Vec<(&'static str, Instant)>>>,
    }
    impl Collector for Timed {
        fn update(&mut self, _out: &mut Emitter) -> Result<(), CollectError> {
            self.started.lock().expect("test lock").push((self.name, Instant::now()));
            std::thread::sleep(self.sleep);
            Ok(())
        }
    }

    #[test]
    fn a_self_bounded_collector_shares_the_kernel_lane_with_two_cpus_and_runs_last() {
        assert_eq!(Placement::SelfBounded.lane(1), Placement::Kernel.lane(1));
        assert_eq!(Placement::SelfBounded.lane(2), Placement::Kernel.lane(2), "two CPUs: one worker");
        assert_eq!(Placement::SelfBounded.lane(8), Placement::Mounts.lane(8), "more: the mounts lane");
        assert_eq!(Placement::SelfBounded.rank_in_lane(), 1);
        assert_eq!(Placement::Kernel.rank_in_lane(), 0);
        let started = Arc::new(Mutex::new(Vec::new()));
        let timed = |name, millis| {
            Box::new(Timed { name, sleep: Duration::from_millis(millis), started: Arc::clone(&started) })
        };
        // Listed first, it still runs after the kernel collector when they share a worker.
        let runner = Runner::start(
            vec![
                ("bounded", Placement::SelfBounded, timed("bounded", 300)),
                ("kernel", Placement::Kernel, timed("kernel", 0)),
            ],
            Duration::from_secs(2),
            &Arc::default(),
        )
        .expect("test setup");
        let collection = Instant::now();
        let outcomes = runner.run();
        assert!(outcomes.iter().all(|outcome| outcome.result.is_ok()));
        let started = started.lock().expect("test lock");
        let kernel = started.iter().find(|(name, _)| *name == "kernel").expect("kernel ran").1;
        assert!(
            kernel.duration_since(collection) < Duration::from_millis(150),
            "the kernel collector waited for the bounded one: started after {:?}",
            kernel.duration_since(collection)
        );
    }

    /// Records the thread it ran on, and is quiet while `quiet` says so.
    struct Quiet {
        ran: Arc<Mutex<Vec<std::thread::ThreadId>>>,
        quiet: Arc<std::sync::atomic::AtomicBool>,
    }
    impl Collector for Quiet {
        fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
            self.ran.lock().expect("test lock").push(std::thread::current().id());
            out.gauge("ran", "Ran.", vec![], 1.0);
            Ok(())
        }
        fn quiet_until(&self) -> Option<Instant> {
            self.quiet.load(Ordering::SeqCst).then(|| Instant::now() + Duration::from_secs(60))
        }
    }

    #[test]
    fn a_quiet_lane_runs_on_the_calling_thread_until_one_of_its_collectors_is_not_quiet() {
        let ran = Arc::new(Mutex::new(Vec::new()));
        let quiet = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let other = Arc::new(Mutex::new(Vec::new()));
        let quiet_one = || Quiet { ran: Arc::clone(&ran), quiet: Arc::new(true.into()) };
        let runner = Runner::start(
            vec![
                ("quiet", Placement::Hardware, Box::new(quiet_one())),
                (
                    "turns",
                    Placement::Hardware,
                    Box::new(Quiet { ran: Arc::clone(&ran), quiet: Arc::clone(&quiet) }),
                ),
                ("busy", Placement::Kernel, Box::new(WhereRan(Arc::clone(&other)))),
            ],
            Duration::from_secs(1),
            &Arc::default(),
        )
        .expect("test setup");
        let caller = std::thread::current().id();
        let threads = |ran: &Arc<Mutex<Vec<std::thread::ThreadId>>>| {
            std::mem::take(&mut *ran.lock().expect("test lock"))
        };
        let outcomes = runner.run();
        assert!(outcomes.iter().all(|o| o.result.is_ok()));
        let first = threads(&ran);
        assert!(first.len() == 2 && first.iter().all(|&t| t != caller), "first run on the worker: {first:?}");
        for _ in 0..2 {
            let outcomes = runner.run();
            assert_eq!(outcomes[0].families.len(), 1, "a quiet collector's families are reported");
            assert_eq!(outcomes[1].families.len(), 1);
            assert_eq!(threads(&ran), vec![caller, caller], "the quiet lane runs on the calling thread");
            assert!(
                threads(&other).iter().all(|&t| t != caller),
                "a lane that is not quiet stays on its worker"
            );
        }
        assert_eq!(
            runner.run_only(Some(&[false, true, false]))[1].as_ref().map(|o| o.families.len()),
            Some(1)
        );
        assert_eq!(threads(&ran), vec![caller], "only the selected collector of the quiet lane ran");
        quiet.store(false, Ordering::SeqCst);
        runner.run(); // still run inline: quietness is learnt after a run
        assert_eq!(threads(&ran), vec![caller, caller]);
        runner.run();
        let back = threads(&ran);
        assert!(back.len() == 2 && back.iter().all(|&t| t != caller), "back on the worker: {back:?}");
    }

    #[test]
    fn only_the_selected_collectors_run_and_report() {
        let ran = Arc::new(Mutex::new(Vec::new()));
        let runner = Runner::start(
            vec![
                ("inline", Placement::Inline, Box::new(WhereRan(Arc::clone(&ran)))),
                ("lane", Placement::Kernel, Box::new(Sleeper(Duration::ZERO))),
                ("other", Placement::Hardware, Box::new(Sleeper(Duration::ZERO))),
            ],
            Duration::from_secs(1),
            &Arc::default(),
        )
        .expect("test setup");
        let outcomes = runner.run_only(Some(&[false, true, false]));
        assert!(outcomes[0].is_none() && outcomes[2].is_none());
        assert_eq!(outcomes[1].as_ref().map(|o| o.families.len()), Some(1));
        assert!(ran.lock().expect("test lock").is_empty(), "an unselected inline collector did not run");
        assert!(runner.run_only(None).iter().all(Option::is_some));
    }

    #[test]
    fn concurrent_collections_take_turns_at_the_inline_collectors() {
        let ran = Arc::new(Mutex::new(Vec::new()));
        let runner = Arc::new(
            Runner::start(
                vec![("inline", Placement::Inline, Box::new(WhereRan(Arc::clone(&ran))))],
                Duration::from_secs(1),
                &Arc::default(),
            )
            .expect("test setup"),
        );
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let runner = Arc::clone(&runner);
                std::thread::spawn(move || runner.run().iter().all(|o| o.result.is_ok()))
            })
            .collect();
        for thread in threads {
            assert!(thread.join().expect("collection thread"));
        }
        assert_eq!(ran.lock().expect("test lock").len(), 4);
    }
}
