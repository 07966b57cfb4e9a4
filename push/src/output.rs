//! One configured output at run time: every `interval` the metrics are collected, encoded (remote
//! write or OTLP, in core), appended to the disk queue and the sender woken; the sender posts the
//! oldest queued body until the receiver takes it (retrying with exponential backoff and jitter) or
//! rejects it (dropped and counted). With several shards, series are spread over them by a hash of
//! their labels, each shard with its own queue and sender, so each series' samples arrive in order.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use srekit::metrics::{CounterVec, GaugeVec, HistogramVec, Label, MetricFamily, Registry};
use srekit::push::remote_write::RemoteWriteEncoder;
use srekit::push::{otlp, OtlpOptions, RemoteWriteOptions};
use tokio::sync::Notify;

use crate::queue::{DiskQueue, Dropped, OpenReport, QueueError, QueueOptions};
use crate::sender::{Endpoint, Outcome};

/// The two protocols.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Prometheus remote write 1.0.
    RemoteWrite,
    /// OTLP/HTTP protobuf.
    Otlp,
}

impl Kind {
    /// The headers a body of this kind is posted with.
    fn headers(self, gzip: bool) -> Vec<(HeaderName, HeaderValue)> {
        let mut headers =
            vec![(hyper::header::CONTENT_TYPE, HeaderValue::from_static("application/x-protobuf"))];
        match self {
            Kind::RemoteWrite => {
                headers.push((hyper::header::CONTENT_ENCODING, HeaderValue::from_static("snappy")));
                headers.push((
                    HeaderName::from_static("x-prometheus-remote-write-version"),
                    HeaderValue::from_static("0.1.0"),
                ));
            }
            Kind::Otlp if gzip => {
                headers.push((hyper::header::CONTENT_ENCODING, HeaderValue::from_static("gzip")));
            }
            Kind::Otlp => {}
        }
        headers
    }
}

/// Everything an output needs to run.
pub struct Output {
    /// Its name in the self metrics' `output` label.
    pub name: String,
    /// Remote write or OTLP.
    pub kind: Kind,
    /// Where to post.
    pub endpoint: Endpoint,
    /// How often to collect and queue.
    pub interval: Duration,
    /// Remote write: labels added to every series (`instance`, `job`, the configured ones).
    pub external_labels: Vec<Label>,
    /// OTLP: resource attributes (`service.name`, `host.name`, the external labels).
    pub resource: Vec<Label>,
    /// OTLP: gzip the body.
    pub gzip: bool,
    /// The disk queue.
    pub queue: QueueOptions,
    /// Remote write: samples per request at most (series kept whole).
    pub max_samples_per_request: usize,
    /// First retry delay; doubled per failure up to `max_backoff`.
    pub min_backoff: Duration,
    /// Longest retry delay (a `Retry-After` may ask for longer).
    pub max_backoff: Duration,
    /// Parallel senders, each with its own queue (`max_bytes` split between them); a series always
    /// goes through the same one, so its samples stay in order.
    pub shards: usize,
}

/// The `result` label values of `srekit_push_samples_total`.
const RESULTS: [&str; 3] = ["sent", "retried", "dropped"];

/// `srekit_push_*` self metrics, shared by all outputs.
#[derive(Clone)]
pub struct PushMetrics {
    samples: CounterVec,
    queue_bytes: GaugeVec,
    last_success: GaugeVec,
    duration: HistogramVec,
}

impl PushMetrics {
    /// Registers the push metrics in `registry`.
    ///
    /// ```
    /// let registry = srekit::metrics::Registry::new();
    /// srekit_push::PushMetrics::register(&registry).unwrap();
    /// assert!(registry.encode_to_string(srekit::expfmt::Format::Text).contains("srekit_push_samples_total"));
    /// ```
    pub fn register(registry: &Registry) -> Result<PushMetrics, srekit::MetricError> {
        Ok(PushMetrics {
            samples: registry.counter(
                "srekit_push_samples_total",
                "Samples pushed, by output and result (sent, retried, dropped).",
                &["output", "result"],
            )?,
            queue_bytes: registry.gauge(
                "srekit_push_queue_bytes",
                "Bytes waiting in the output's disk queue.",
                &["output"],
            )?,
            last_success: registry.gauge(
                "srekit_push_last_success_timestamp_seconds",
                "When the output's receiver last accepted a request (Unix seconds).",
                &["output"],
            )?,
            duration: registry.histogram(
                "srekit_push_request_duration_seconds",
                "Duration of push requests, answered or not.",
                &["output"],
                &[0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
            )?,
        })
    }

    /// Removes `output`'s series (an output a reload removed).
    ///
    /// ```
    /// let registry = srekit::metrics::Registry::new();
    /// let metrics = srekit_push::PushMetrics::register(&registry).unwrap();
    /// metrics.forget("gone");
    /// assert!(!registry.encode_to_string(srekit::expfmt::Format::Text).contains("gone"));
    /// ```
    pub fn forget(&self, output: &str) {
        for result in RESULTS {
            let _ = self.samples.remove(&[output, result]);
        }
        let _ = self.queue_bytes.remove(&[output]);
        let _ = self.last_success.remove(&[output]);
        let _ = self.duration.remove(&[output]);
    }

    fn count(&self, output: &str, result: &str, samples: u64) {
        if let Ok(counter) = self.samples.labels(&[output, result]) {
            let _ = counter.inc_by(samples as f64);
        }
    }

    fn dropped(&self, output: &str, dropped: Dropped) {
        if dropped.records > 0 {
            log::warn!(
                "output {output}: {} queued requests ({} samples) dropped",
                dropped.records,
                dropped.samples
            );
            self.count(output, "dropped", dropped.samples);
        }
    }

    fn queue_bytes(&self, output: &str, bytes: u64) {
        if let Ok(gauge) = self.queue_bytes.labels(&[output]) {
            gauge.set(bytes as f64);
        }
    }
}

/// The metrics an output pushes, collected afresh on each call.
pub type Collect = Arc<dyn Fn() -> Vec<MetricFamily> + Send + Sync>;

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

fn lock(queue: &Mutex<DiskQueue>) -> MutexGuard<'_, DiskQueue> {
    queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Bodies (and their sample counts) for one collection; `encoder` keeps its buffers between calls.
fn encode(
    output: &Output,
    families: &[MetricFamily],
    timestamp_ms: i64,
    encoder: &mut RemoteWriteEncoder,
) -> Vec<(u32, Vec<u8>)> {
    match output.kind {
        Kind::RemoteWrite => {
            let options = RemoteWriteOptions {
                timestamp_ms,
                external_labels: output.external_labels.clone(),
                metadata: true,
            };
            encoder
                .encode(families, &options, output.max_samples_per_request)
                .into_iter()
                .map(|batch| (batch.samples, batch.body))
                .collect()
        }
        Kind::Otlp => {
            let options = OtlpOptions {
                timestamp_ms,
                resource: output.resource.clone(),
                gzip: output.gzip,
                ..OtlpOptions::default()
            };
            let samples = families
                .iter()
                .flat_map(|f| &f.samples)
                .filter(|s| s.suffix != srekit::metrics::Suffix::Created)
                .count() as u32;
            vec![(samples, otlp::encode_otlp(families, &options))]
        }
    }
}

/// A small xorshift for backoff jitter (no need for a cryptographic generator).
fn jitter(delay: Duration, state: &mut u64) -> Duration {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    // Between half and all of the delay.
    let fraction = 0.5 + (*state % 1000) as f64 / 2000.0;
    delay.mul_f64(fraction)
}

/// One shard: its own queue and sender, so shards send in parallel while each series, always
/// hashed to the same shard, stays in order.
struct Shard {
    queue: Mutex<DiskQueue>,
    wake: Notify,
}

/// The shards of one output and the output's total queued bytes.
struct Shards {
    shards: Vec<Shard>,
}

impl Shards {
    fn bytes(&self) -> u64 {
        self.shards.iter().map(|shard| lock(&shard.queue).bytes()).sum()
    }
}

/// Shard `index`'s queue options: shard 0 uses the output's directory (so data queued before a change
/// of `shards` is still replayed), the others `shard-<index>` below it.
fn shard_queue(options: &QueueOptions, index: usize, shards: usize) -> QueueOptions {
    let mut options = options.clone();
    if index > 0 {
        options.directory = options.directory.join(format!("shard-{index}"));
    }
    options.max_bytes /= shards as u64;
    options
}

/// Splits the families' series over `shards` by a hash of each series' labels (`le` and `quantile`
/// aside, so a histogram or summary series stays whole).
fn partition(families: Vec<MetricFamily>, shards: usize) -> Vec<Vec<MetricFamily>> {
    use std::hash::{Hash, Hasher};
    if shards <= 1 {
        return vec![families];
    }
    let mut parts: Vec<Vec<MetricFamily>> = vec![Vec::new(); shards];
    for family in families {
        let mut split: Vec<MetricFamily> = (0..shards).map(|_| description(&family)).collect();
        for sample in family.samples {
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            for (name, value) in sample.labels.iter().filter(|(k, _)| k != "le" && k != "quantile") {
                name.hash(&mut hasher);
                value.hash(&mut hasher);
            }
            split[(hasher.finish() % shards as u64) as usize].samples.push(sample);
        }
        for (part, family) in parts.iter_mut().zip(split) {
            if !family.samples.is_empty() {
                part.push(family);
            }
        }
    }
    parts
}

/// A family's description, without samples.
fn description(family: &MetricFamily) -> MetricFamily {
    MetricFamily {
        name: family.name.clone(),
        help: family.help.clone(),
        unit: family.unit.clone(),
        kind: family.kind,
        samples: Vec::new(),
    }
}

/// Stop requests: `None` while running, then the instant by which stopping must be done.
type StopSignal = tokio::sync::watch::Receiver<Option<Instant>>;

/// A running output, as [`start`] returns it: [`RunningOutput::stop`] stops it. Dropping it without
/// `stop` stops its tasks at once (nothing flushed, the queue kept on disk).
pub struct RunningOutput {
    name: String,
    report: OpenReport,
    stop: tokio::sync::watch::Sender<Option<Instant>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
    shards: Arc<Shards>,
}

impl RunningOutput {
    /// The output's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What opening its queues found.
    pub fn report(&self) -> &OpenReport {
        &self.report
    }

    /// Stops the output: it collects no more, posts what is queued (the request in flight included)
    /// until the queue is empty or `flush` has passed, and closes its queues once every task ended.
    /// Acknowledged requests are never sent again; what was not acknowledged stays in the queue
    /// directory, for the next [`start`] on it (a request cut off by the bound may have reached the
    /// receiver and is sent again then).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::{sync::Arc, time::Duration};
    /// let dir = tempfile::tempdir().unwrap();
    /// let registry = srekit::metrics::Registry::new();
    /// let metrics = srekit_push::PushMetrics::register(&registry).unwrap();
    /// let endpoint = srekit_push::Endpoint::new(
    ///     "http://127.0.0.1:9/api/v1/write", &[], &Default::default(), Duration::from_secs(1)).unwrap();
    /// let output = srekit_push::Output {
    ///     name: "rw".into(), kind: srekit_push::Kind::RemoteWrite, endpoint,
    ///     interval: Duration::from_secs(60), external_labels: vec![], resource: vec![], gzip: false,
    ///     queue: srekit_push::QueueOptions::new(dir.path().into()), max_samples_per_request: 100,
    ///     min_backoff: Duration::from_millis(10), max_backoff: Duration::from_millis(100), shards: 1,
    /// };
    /// let collect: srekit_push::Collect = Arc::new(Vec::new);
    /// let running = srekit_push::start(output, collect, metrics).unwrap();
    /// running.stop(Duration::from_millis(200)).await;
    /// // The queue is closed: it opens again on the same directory.
    /// srekit_push::DiskQueue::open(srekit_push::QueueOptions::new(dir.path().into())).unwrap();
    /// # });
    /// ```
    pub async fn stop(mut self, flush: Duration) {
        let _ = self.stop.send(Some(Instant::now() + flush));
        for task in std::mem::take(&mut self.tasks) {
            if let Err(err) = task.await {
                log::error!("output {}: a task ended abnormally: {err}", self.name);
            }
        }
        for shard in &self.shards.shards {
            if let Err(err) = lock(&shard.queue).sync() {
                log::error!("output {}: {err}", self.name);
            }
        }
        log::info!("output {} stopped ({} bytes left queued)", self.name, self.shards.bytes());
    }
}

impl Drop for RunningOutput {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Runs `future` to its end while no stop was asked; once one is, until the stop's deadline at most
/// (`None`: cut off).
async fn until_stopped<F: std::future::Future>(future: F, stop: &mut StopSignal) -> Option<F::Output> {
    tokio::pin!(future);
    loop {
        let deadline = *stop.borrow_and_update();
        if let Some(deadline) = deadline {
            return tokio::time::timeout_at(deadline.into(), &mut future).await.ok();
        }
        tokio::select! {
            output = &mut future => return Some(output),
            changed = stop.changed() => {
                if changed.is_err() {
                    return None;
                }
            }
        }
    }
}

/// Runs `future` until a stop is asked (`None` then).
async fn unless_stopped<F: std::future::Future>(future: F, stop: &mut StopSignal) -> Option<F::Output> {
    if stopping(stop) {
        return None;
    }
    tokio::select! {
        output = future => Some(output),
        _ = stop.changed() => None,
    }
}

/// Whether a stop was asked (or the [`RunningOutput`] is gone).
fn stopping(stop: &StopSignal) -> bool {
    stop.borrow().is_some() || stop.has_changed().is_err()
}

/// Opens the output's queues (replaying what a previous run left) and spawns its collect task and
/// one send task per shard on the current tokio runtime; the returned [`RunningOutput`] stops them.
pub fn start(output: Output, collect: Collect, metrics: PushMetrics) -> Result<RunningOutput, QueueError> {
    let count = output.shards.max(1);
    let mut report = OpenReport::default();
    let mut shards = Vec::with_capacity(count);
    for index in 0..count {
        let (queue, found) = DiskQueue::open(shard_queue(&output.queue, index, count))?;
        report.replayed += found.replayed;
        report.truncated_segments += found.truncated_segments;
        report.truncated_bytes += found.truncated_bytes;
        shards.push(Shard { queue: Mutex::new(queue), wake: Notify::new() });
    }
    if report.replayed > 0 || report.truncated_segments > 0 {
        log::info!(
            "output {}: {} queued requests to replay, {} segment tails truncated ({} bytes)",
            output.name,
            report.replayed,
            report.truncated_segments,
            report.truncated_bytes
        );
    }
    let shards = Arc::new(Shards { shards });
    metrics.queue_bytes(&output.name, shards.bytes());
    // 0 until the first success; an output started again (reload) keeps its last success.
    let _ = metrics.last_success.labels(&[&output.name]);
    for result in RESULTS {
        metrics.count(&output.name, result, 0);
    }
    let (stop, signal) = tokio::sync::watch::channel(None);
    let name = output.name.clone();
    let output = Arc::new(output);
    let mut tasks = Vec::with_capacity(count + 2);
    for index in 0..count {
        let endpoint = output.endpoint.clone();
        let send =
            send_loop(output.clone(), endpoint, shards.clone(), index, metrics.clone(), signal.clone());
        tasks.push(tokio::spawn(send));
    }
    tasks.push(tokio::spawn(sync_loop(output.queue.sync_interval, shards.clone(), signal.clone())));
    tasks.push(tokio::spawn(collect_loop(output, collect, shards.clone(), metrics, signal)));
    Ok(RunningOutput { name, report, stop, tasks, shards })
}

/// Fsyncs what was appended at least every `interval`, whatever the sender is doing, until stopped.
async fn sync_loop(interval: Duration, shards: Arc<Shards>, mut stop: StopSignal) {
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while unless_stopped(ticker.tick(), &mut stop).await.is_some() {
        for shard in &shards.shards {
            if let Err(err) = lock(&shard.queue).sync() {
                log::error!("{err}");
            }
        }
    }
}

async fn collect_loop(
    output: Arc<Output>,
    collect: Collect,
    shards: Arc<Shards>,
    metrics: PushMetrics,
    mut stop: StopSignal,
) {
    let mut ticker = tokio::time::interval(output.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut encoder = RemoteWriteEncoder::new();
    loop {
        if unless_stopped(ticker.tick(), &mut stop).await.is_none() {
            return;
        }
        let collect = collect.clone();
        let collected = until_stopped(tokio::task::spawn_blocking(move || collect()), &mut stop).await;
        // Cut off by the stop's deadline: nothing more is queued.
        let Some(collected) = collected else { return };
        let Ok(families) = collected else {
            log::error!("output {}: collecting metrics panicked", output.name);
            continue;
        };
        let timestamp = now_ms();
        let parts = partition(families, shards.shards.len());
        for (shard, families) in shards.shards.iter().zip(parts) {
            let bodies = encode(&output, &families, timestamp, &mut encoder);
            let mut queue = lock(&shard.queue);
            for (samples, body) in bodies {
                match queue.append(timestamp, samples, &body) {
                    Ok(dropped) => metrics.dropped(&output.name, dropped),
                    Err(err) => {
                        log::error!("output {}: {err}; {samples} samples dropped", output.name);
                        metrics.count(&output.name, "dropped", u64::from(samples));
                    }
                }
            }
            drop(queue);
            shard.wake.notify_one();
        }
        metrics.queue_bytes(&output.name, shards.bytes());
    }
}

/// Posts the shard's oldest queued request until the receiver takes or rejects it, then the next;
/// once stopped, until the queue is empty or the stop's deadline passed.
async fn send_loop(
    output: Arc<Output>,
    mut endpoint: Endpoint,
    shards: Arc<Shards>,
    index: usize,
    metrics: PushMetrics,
    mut stop: StopSignal,
) {
    let Some(shard) = shards.shards.get(index) else { return };
    let headers = output.kind.headers(output.gzip);
    let mut backoff = output.min_backoff;
    let mut seed = (now_ms() as u64).wrapping_add(index as u64 * 0x9e37_79b9) | 1;
    let name = output.name.as_str();
    loop {
        let peeked = lock(&shard.queue).peek(now_ms());
        let record = match peeked {
            Ok((record, dropped)) => {
                metrics.dropped(name, dropped);
                record
            }
            Err(err) => {
                log::error!("output {name}: {err}");
                None
            }
        };
        let Some(record) = record else {
            let _ = lock(&shard.queue).sync();
            // Stopping: flushed (what is queued from now on waits for the next start).
            if unless_stopped(shard.wake.notified(), &mut stop).await.is_none() {
                return;
            }
            continue;
        };
        let started = Instant::now();
        let posted = until_stopped(endpoint.post(Bytes::from(record.body), &headers), &mut stop).await;
        // Cut off by the stop's deadline: the request stays queued, unacknowledged.
        let Some(outcome) = posted else { return };
        if let Ok(histogram) = metrics.duration.labels(&[name]) {
            histogram.observe(started.elapsed().as_secs_f64());
        }
        let samples = u64::from(record.samples);
        match outcome {
            Outcome::Sent | Outcome::Rejected { .. } => {
                if let Outcome::Rejected { status, message } = &outcome {
                    log::warn!("output {name}: receiver rejected a request ({status}: {message}); {samples} samples dropped");
                    metrics.count(name, "dropped", samples);
                } else {
                    metrics.count(name, "sent", samples);
                    if let Ok(gauge) = metrics.last_success.labels(&[name]) {
                        gauge.set(now_ms() as f64 / 1000.0);
                    }
                    backoff = output.min_backoff;
                }
                if let Err(err) = lock(&shard.queue).ack(record.seq) {
                    log::error!("output {name}: {err}");
                }
                metrics.queue_bytes(name, shards.bytes());
            }
            Outcome::Retry { after, reason } => {
                metrics.count(name, "retried", samples);
                let delay = after.unwrap_or_else(|| jitter(backoff, &mut seed));
                log::warn!("output {name}: {reason}; retrying in {delay:?}");
                if until_stopped(tokio::time::sleep(delay), &mut stop).await.is_none() {
                    return;
                }
                backoff = (backoff * 2).min(output.max_backoff);
            }
        }
    }
}
