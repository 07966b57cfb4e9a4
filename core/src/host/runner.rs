//! Runs collectors against a deadline on long-lived worker threads (a collector lives on one worker, so
//! it keeps its buffers and needs no lock). Collectors share a few "lane" workers and run one after
//! the other there, which saves thread wake-ups; those that may block (mounts, hardware sensors) have
//! lanes apart from the procfs ones. A collection sends every worker a job, runs the inline
//! collectors (in-memory kernel counters, which cannot hang) on the calling thread meanwhile, and
//! waits for the workers until the deadline; a collector without a result by then is reported as
//! failed, and while its worker stays stuck (a hung NFS statfs, say) it is not sent new jobs, so stuck
//! reads never pile up the way goroutines do. The workers leave their results in one shared
//! [`Gather`] and only the last to finish wakes the collecting thread (none does when the inline
//! collectors outlast them all), instead of one wake-up per worker.
//!
//! The inline collectors are a queue ([`InlineQueue`]) rather than the collecting thread's alone: a
//! worker that has finished its own collectors takes the next one too, so a collection uses a second
//! CPU once the lanes are done instead of leaving the inline share as the scrape's critical path. The
//! queue hands out the heaviest first (by their last durations), so the two sides finish close
//! together. Each inline collector is behind its own lock, held only while it runs.
use super::emit::Emitter;
use super::error::{CollectError, HostError};
use super::recycle::FamilyPool;
use super::spec::{Collector, Placement};
use crate::metrics::MetricFamily;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex, PoisonError};
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
    /// The collection's inline collectors, to help with once the worker's own are done.
    inline: Arc<InlineQueue>,
}

/// The inline collectors of one collection, handed out one at a time, heaviest first, to the
/// collecting thread and to every worker that has finished its own collectors.
struct InlineQueue {
    slots: Arc<[Mutex<Slot>]>,
    /// Positions in `slots`, in the order they are handed out.
    order: Vec<usize>,
    /// The next position in `order` to hand out.
    next: AtomicUsize,
    only: Option<Arc<[bool]>>,
    /// Where each one's duration is left for the next collection's order (nanoseconds).
    weights: Arc<[AtomicU64]>,
}

impl InlineQueue {
    /// Runs inline collectors until none is left to hand out; adds their outcomes, by collector
    /// index, to `batch`.
    fn drain_into(&self, batch: &mut Vec<(usize, Outcome)>) {
        // Room for all of them at once: one allocation at most, however many this thread takes.
        batch.reserve(self.order.len());
        loop {
            let taken = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(&position) = self.order.get(taken) else { break };
            let Some(slot) = self.slots.get(position) else { continue };
            // Held only while the collector runs; a concurrent collection waits its turn here.
            let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
            if !is_selected(self.only.as_deref(), slot.index) {
                continue;
            }
            let start = Instant::now();
            let (index, outcome) = run_one(&mut slot, start);
            if let Some(weight) = self.weights.get(position) {
                weight.store(outcome.duration.as_nanos() as u64, Ordering::Relaxed);
            }
            batch.push((index, outcome));
        }
    }
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

/// One worker thread, the collectors it runs (their indexes in collection order) and its bookkeeping.
struct Worker {
    indexes: Vec<usize>,
    jobs: mpsc::Sender<Job>,
    /// Nanoseconds since `epoch` when the running job started; 0 when idle.
    busy_since: Arc<AtomicU64>,
}

/// The set of workers of one [`HostCollector`](crate::host::HostCollector).
pub(crate) struct Runner {
    names: Vec<&'static str>,
    /// Inline collectors, each locked while it runs (concurrent collections take turns at each).
    inline: Arc<[Mutex<Slot>]>,
    /// Each inline collector's last duration in nanoseconds, by position in `inline`.
    inline_weights: Arc<[AtomicU64]>,
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
        let mut inline = Vec::new();
        let mut lanes: Vec<Vec<Slot>> = Vec::new();
        for (index, (_, placement, collector)) in collectors.into_iter().enumerate() {
            let slot = Slot { index, collector, out: Emitter::recycling(Arc::clone(pool), index) };
            match placement.lane() {
                None => inline.push(Mutex::new(slot)),
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
            let busy_since = Arc::new(AtomicU64::new(0));
            let busy = Arc::clone(&busy_since);
            std::thread::Builder::new()
                .name(format!("srekit-{first}"))
                .stack_size(256 * 1024)
                .spawn(move || work(group, inbox, busy, epoch))
                .map_err(|e| HostError::Spawn { collector: first, message: e.to_string() })?;
            workers.push(Worker { indexes, jobs, busy_since });
        }
        let inline_weights = inline.iter().map(|_| AtomicU64::new(0)).collect();
        Ok(Runner { names, inline: inline.into(), inline_weights, workers, epoch, timeout })
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
        let selected = |index: usize| is_selected(only, index);
        let shared_only: Option<Arc<[bool]>> = only.map(Arc::from);
        let mut outcomes: Vec<Option<Outcome>> = (0..self.names.len()).map(|_| None).collect();
        let gather = Arc::new(Gather::default());
        let inline = Arc::new(self.inline_queue(shared_only.clone()));
        for worker in &self.workers {
            let wanted = worker.indexes.iter().filter(|&&index| selected(index)).count();
            if wanted == 0 {
                continue;
            }
            let since = worker.busy_since.load(Ordering::Acquire);
            let stuck = since != 0 && self.nanos_now().saturating_sub(since) > self.timeout.as_nanos() as u64;
            let refused = if stuck {
                Some(CollectError::Stuck)
            } else {
                // Counted before the job is sent: the worker may report before `send` returns.
                gather.state.lock().unwrap_or_else(PoisonError::into_inner).waiting += 1;
                let job = Job {
                    reply: Reply(Some(Arc::clone(&gather))),
                    only: shared_only.clone(),
                    inline: Arc::clone(&inline),
                };
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
        // A collector that panicked poisons nothing of ours: its outcome already says it failed.
        let mut batch = Vec::new();
        inline.drain_into(&mut batch);
        for (index, outcome) in batch {
            outcomes[index] = Some(outcome);
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

    /// This collection's queue of inline collectors, heaviest (by their last durations) first.
    fn inline_queue(&self, only: Option<Arc<[bool]>>) -> InlineQueue {
        let mut order: Vec<usize> = (0..self.inline.len()).collect();
        let weight = |position: &usize| {
            self.inline_weights.get(*position).map_or(0, |weight| weight.load(Ordering::Relaxed))
        };
        order.sort_by_key(|position| std::cmp::Reverse(weight(position)));
        InlineQueue {
            slots: Arc::clone(&self.inline),
            order,
            next: AtomicUsize::new(0),
            only,
            weights: Arc::clone(&self.inline_weights),
        }
    }

    fn nanos_now(&self) -> u64 {
        self.epoch.elapsed().as_nanos().max(1) as u64
    }
}

fn failed(error: CollectError, duration: Duration) -> Outcome {
    Outcome { families: Vec::new(), result: Err(error), duration }
}

/// The worker loop: one job at a time until the [`Runner`] is dropped; each job runs every collector
/// of the worker in turn, then helps with the collection's inline collectors, and reports them all
/// together (one wake-up of the collecting thread per worker).
fn work(mut collectors: Vec<Slot>, inbox: mpsc::Receiver<Job>, busy_since: Arc<AtomicU64>, epoch: Instant) {
    while let Ok(job) = inbox.recv() {
        busy_since.store(epoch.elapsed().as_nanos().max(1) as u64, Ordering::Release);
        let mut batch = Vec::with_capacity(collectors.len() + job.inline.order.len());
        run_each(&mut collectors, job.only.as_deref(), &mut batch);
        job.inline.drain_into(&mut batch);
        busy_since.store(0, Ordering::Release);
        // The collection may have given up on us (deadline): then the batch is dropped, which is fine.
        job.reply.send(batch);
    }
}

/// Whether collector `index` is among those `only` selects (`None`: all).
fn is_selected(only: Option<&[bool]>, index: usize) -> bool {
    only.is_none_or(|only| only.get(index).copied().unwrap_or(false))
}

/// Runs each collector `only` selects (all with `None`) once, in turn, catching panics; adds their
/// outcomes, by collector index, to `batch`.
fn run_each(collectors: &mut [Slot], only: Option<&[bool]>, batch: &mut Vec<(usize, Outcome)>) {
    // One clock read per collector: each one's end is the next one's start.
    let mut start = Instant::now();
    for slot in collectors.iter_mut().filter(|slot| is_selected(only, slot.index)) {
        let (index, outcome) = run_one(slot, start);
        start += outcome.duration;
        batch.push((index, outcome));
    }
}

/// Runs one collector once, catching a panic; its duration is counted from `start`.
fn run_one(Slot { index, collector, out }: &mut Slot, start: Instant) -> (usize, Outcome) {
    out.begin();
    let result =
        catch_unwind(AssertUnwindSafe(|| collector.update(out))).unwrap_or(Err(CollectError::WorkerGone));
    let mut families = out.take_families();
    if result.is_err() {
        families.clear();
    }
    (*index, Outcome { families, result, duration: start.elapsed() })
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
    fn lane_collectors_run_on_workers_and_inline_ones_on_the_caller_or_a_finished_worker() {
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
        for _ in 0..20 {
            let outcomes = runner.run();
            assert!(outcomes.iter().all(|o| o.result.is_ok()));
        }
        let caller = std::thread::current().id();
        let lane = lane.lock().expect("test lock");
        assert_eq!(lane.len(), 20, "the lane collector ran once per collection");
        assert!(lane.iter().all(|thread| *thread == lane[0] && *thread != caller), "always on its worker");
        let inline = inline.lock().expect("test lock");
        assert_eq!(inline.len(), 20, "the inline collector ran once per collection");
        assert!(inline.iter().all(|thread| *thread == caller || *thread == lane[0]));
    }

    /// Waits (up to 10 s) until `peers` collectors have arrived, then records whether all did.
    struct Rendezvous {
        arrived: Arc<(Mutex<usize>, Condvar)>,
        peers: usize,
        met: Arc<Mutex<Vec<(bool, std::thread::ThreadId)>>>,
    }
    impl Collector for Rendezvous {
        fn update(&mut self, _out: &mut Emitter) -> Result<(), CollectError> {
            let (count, all_here) = &*self.arrived;
            let mut count = count.lock().expect("test lock");
            *count += 1;
            all_here.notify_all();
            let (count, _) = all_here
                .wait_timeout_while(count, Duration::from_secs(10), |count| *count < self.peers)
                .expect("test lock");
            self.met.lock().expect("test lock").push((*count >= self.peers, std::thread::current().id()));
            Ok(())
        }
    }

    #[test]
    fn a_worker_done_with_its_own_collectors_takes_inline_ones_alongside_the_caller() {
        // Two inline collectors that can only both finish if they run at the same time: the caller
        // takes one, and the lane worker (its own collector done at once) must take the other.
        let arrived = Arc::new((Mutex::new(0), Condvar::new()));
        let met = Arc::new(Mutex::new(Vec::new()));
        let meet = || Box::new(Rendezvous { arrived: Arc::clone(&arrived), peers: 2, met: Arc::clone(&met) });
        let runner = Runner::start(
            vec![
                ("first", Placement::Inline, meet()),
                ("lane", Placement::Kernel, Box::new(Sleeper(Duration::ZERO))),
                ("second", Placement::Inline, meet()),
            ],
            Duration::from_secs(30),
            &Arc::default(),
        )
        .expect("test setup");
        let outcomes = runner.run();
        assert!(outcomes.iter().all(|o| o.result.is_ok()));
        let met = met.lock().expect("test lock");
        assert_eq!(met.len(), 2);
        assert!(met.iter().all(|(all_here, _)| *all_here), "the two inline collectors ran at the same time");
        assert_ne!(met[0].1, met[1].1, "on two threads");
        assert!(met.iter().any(|(_, thread)| *thread == std::thread::current().id()), "one on the caller");
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
