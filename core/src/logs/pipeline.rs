//! The log pipeline: [`Input`]s (files followed by a [`Tailer`], lines parsed by a [`Parser`]) feeding
//! a [`RuleSet`] that keeps metrics in a [`Registry`], with built-in per-input metrics and checkpoints
//! stored every second and at shutdown. Drive it with [`Pipeline::poll`] or run it on a background
//! thread with [`Pipeline::spawn`]; read its metrics through [`PipelineMetrics`] from any thread.
//!
//! ```
//! use std::io::Write;
//! use srekit::logs::{config::PipelineConfig, pipeline::Pipeline};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let log = dir.path().join("app.log");
//! std::fs::write(&log, "").unwrap();
//! let config: PipelineConfig = toml::from_str(&format!(r#"
//!     state = {{ directory = "{state}" }}
//!     [[inputs]]
//!     name = "app"
//!     paths = ["{log}"]
//!     [[metrics]]
//!     name = "app_requests_total"
//!     help = "Requests."
//!     kind = "counter"
//!     labels = ["status"]
//! "#, state = dir.path().display(), log = log.display())).unwrap();
//! let mut pipeline = Pipeline::new(&config).unwrap();
//! pipeline.poll();
//! std::fs::OpenOptions::new().append(true).open(&log).unwrap().write_all(b"status=200\nstatus=200\nstatus=500\n").unwrap();
//! pipeline.poll();
//! let text = pipeline.metrics().encode_to_string(srekit::expfmt::Format::Text);
//! assert!(text.contains("app_requests_total{status=\"200\"} 2\n"));
//! assert!(text.contains("srekit_log_lines_total{input=\"app\"} 3\n"));
//! pipeline.shutdown().unwrap(); // writes the checkpoint: offsets and counts, in one atomic write
//! assert!(dir.path().join("checkpoint.json").exists());
//! ```

use std::borrow::Cow;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::config::PipelineConfig;
use super::parser::Parser;
use super::pipeline_state::{
    checkpoint_path, load_legacy, load_state, CheckpointWriter, InputState, PipelineState, STATE_FILE_NAME,
};
use super::rules::{RuleSet, Selection};
use super::sources::{FileContexts, SourceItem};
use super::tail::{TailBlock, TailEvent, Tailer, CHECKPOINT_VERSION};
use super::value::Value;
use crate::metrics::{Counter, Gauge, Registry};

pub use super::pipeline_error::PipelineError;
pub use super::pipeline_handle::{PipelineHandle, PipelineMetrics};
pub use super::pipeline_run::DEFAULT_IDLE_POLL_INTERVAL;

/// How often the background runner polls when there is nothing new.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How often [`PipelineError::FilesWaiting`] is reported at most while files wait.
pub const WAITING_REPORT_INTERVAL: Duration = Duration::from_secs(60);
/// How often checkpoints are stored (when something changed).
pub const CHECKPOINT_INTERVAL: Duration = Duration::from_secs(1);
/// How often the checkpoint is serialised and compared with the one stored even when no poll saw a
/// change (a safety net: it is written only if it differs).
const CHECKPOINT_REFRESH: Duration = Duration::from_secs(60);

/// One input: its tailer, parser, the rules applying to it and its built-in metrics.
struct Input {
    name: String,
    tailer: Tailer,
    parser: Parser,
    selection: Selection,
    checkpoint_path: Option<PathBuf>,
    lines: Counter,
    bytes: Counter,
    parse_errors: Counter,
    too_long: Counter,
    files_open: Gauge,
    files_waiting: Gauge,
    /// When waiting files were last reported (`None`: none wait).
    waiting_reported: Option<Instant>,
    /// Per-file framing state and fields (container envelopes, multi-line, Kubernetes metadata).
    contexts: FileContexts,
}

/// What one [`Pipeline::poll`] did.
///
/// ```
/// let summary = srekit::logs::pipeline::PollSummary::default();
/// assert_eq!(summary.lines, 0);
/// assert!(summary.errors.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct PollSummary {
    /// Lines read (over-long ones included).
    pub lines: u64,
    /// Bytes of complete lines read.
    pub bytes: u64,
    /// Lines that failed to parse.
    pub parse_errors: u64,
    /// Some file has more data than one poll reads: poll again without waiting.
    pub more: bool,
    /// Some file with something to read waits for its turn (more files than `max_open_files`): poll
    /// again after the poll interval.
    pub waiting_for_turn: bool,
    /// Read or checkpoint errors (the pipeline went on).
    pub errors: Vec<PipelineError>,
}

/// The log pipeline: inputs, rules, built-in metrics and checkpoints.
///
/// Built-in metrics: `srekit_log_lines_total{input}`, `srekit_log_bytes_total{input}`,
/// `srekit_log_parse_errors_total{input}`, `srekit_log_lines_skipped_total{input,reason}` (reason
/// `too_long`), and per rule `srekit_log_series_dropped_total{metric}` and
/// `srekit_log_records_skipped_total{metric}`.
///
/// Guarantees: the checkpoint (`<state directory>/checkpoint.json`) holds the offsets together with
/// what the rules and built-in counters had counted up to them, in one atomic write (every second and
/// at shutdown). After a clean shutdown, or a crash at any moment (kill -9), a restart with the same
/// state directory restores both: no line is skipped or counted twice and the counters go on from their
/// checkpointed values. After a crash the exposed values step back to the last checkpoint (at most
/// about a second's increments, which are then counted again from the log). A partial last line is
/// never counted until its newline arrives (or, for a rotated file, until the file is let go).
pub struct Pipeline {
    inputs: Vec<Input>,
    rules: RuleSet,
    metrics: PipelineMetrics,
    last_checkpoint: Instant,
    /// Something a checkpoint holds may have changed since it was last serialised (lines read, files
    /// opened or let go, records flushed, series expired): idle polls serialise nothing.
    dirty: bool,
    /// When the checkpoint was last serialised.
    last_serialised: Instant,
    /// Hash of the checkpoint last written (or handed to `writer`): an unchanged one is not written
    /// again.
    last_stored: Option<u64>,
    /// The background writer of [`Pipeline::spawn`]; without it checkpoints are written on the
    /// polling thread.
    pub(super) writer: Option<CheckpointWriter>,
    pub(super) poll_interval: Duration,
    pub(super) idle_poll_interval: Duration,
    /// `<state directory>/checkpoint.json`.
    pub(super) state_path: Option<PathBuf>,
    /// Version-1 per-input checkpoints still on disk: removed once the state file is written.
    legacy_paths: Vec<PathBuf>,
    /// Problems found while building (corrupt checkpoints, discarded rule state), reported by the
    /// first poll.
    pending: Vec<PipelineError>,
}

/// One field of a record.
pub(crate) type Field<'a> = (Cow<'a, str>, Value<'a>);

/// Empties `fields` and hands its allocation on with another lifetime (an in-place collect of an
/// empty iterator reuses the buffer).
// `filter_map` (not `filter`) is what changes the element type while keeping in-place collection.
#[allow(clippy::unnecessary_filter_map)]
pub(crate) fn recycle<'a, 'b>(mut fields: Vec<Field<'a>>) -> Vec<Field<'b>> {
    super::record::clear_fields(&mut fields);
    fields.into_iter().filter_map(|_| None).collect()
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("inputs", &self.inputs.iter().map(|i| &i.name).collect::<Vec<_>>())
            .field("rules", &self.rules)
            .finish()
    }
}

impl Pipeline {
    /// Builds the pipeline with a new registry.
    ///
    /// ```
    /// let pipeline = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap();
    /// assert!(pipeline.metrics().encode_to_string(srekit::expfmt::Format::Text).contains("srekit_log_lines_total"));
    /// ```
    pub fn new(config: &PipelineConfig) -> Result<Pipeline, PipelineError> {
        Pipeline::with_registry(config, Registry::new())
    }

    /// Builds the pipeline with its metrics in `registry` (e.g. one shared with other metrics).
    /// Checkpoints found in the state directory are resumed from.
    ///
    /// ```
    /// use srekit::logs::{config::PipelineConfig, pipeline::{Pipeline, PipelineError}};
    /// let config: PipelineConfig = toml::from_str("[[metrics]]\nname = \"x_total\"\nkind = \"counter\"\ninputs = [\"nope\"]").unwrap();
    /// let err = Pipeline::with_registry(&config, srekit::metrics::Registry::new()).err().unwrap();
    /// assert!(matches!(err, PipelineError::UnknownInput { .. }));
    /// ```
    pub fn with_registry(config: &PipelineConfig, registry: Registry) -> Result<Pipeline, PipelineError> {
        Pipeline::build(config, registry, true, None)
    }

    /// Builds the pipeline from `state` (what [`PipelineHandle::shutdown_with_state`] returned for the
    /// previous config) instead of the state directory's checkpoint: a config reload. Inputs of the same
    /// name go on from their offsets and counts; rules whose definition did not change keep their
    /// series (others start afresh, reported by the first poll).
    ///
    /// ```
    /// use srekit::logs::pipeline::Pipeline;
    /// let handle = Pipeline::new(&Default::default()).unwrap().spawn(|_| {}).unwrap();
    /// let state = handle.shutdown_with_state().unwrap();
    /// let resumed = Pipeline::resume(&Default::default(), state).unwrap();
    /// resumed.shutdown().unwrap();
    /// ```
    pub fn resume(config: &PipelineConfig, state: PipelineState) -> Result<Pipeline, PipelineError> {
        Pipeline::build(config, Registry::new(), true, Some(state))
    }

    /// Checks a configuration as [`Pipeline::new`] would (formats, types, time formats, regexes, globs,
    /// metric and label names, buckets, input references, limits) without touching the filesystem:
    /// for the exporter's `check` command.
    ///
    /// ```
    /// use srekit::logs::{config::PipelineConfig, pipeline::Pipeline};
    /// let good: PipelineConfig = toml::from_str("[[inputs]]\nname = \"a\"\npaths = [\"/var/log/a/*.log\"]").unwrap();
    /// assert!(Pipeline::validate(&good).is_ok());
    /// let bad: PipelineConfig = toml::from_str("[[metrics]]\nname = \"h\"\nkind = \"histogram\"\nvalue = \"v\"\nbuckets = [2, 1]").unwrap();
    /// assert!(Pipeline::validate(&bad).unwrap_err().to_string().contains("strictly increasing"));
    /// ```
    pub fn validate(config: &PipelineConfig) -> Result<(), PipelineError> {
        Pipeline::build(config, Registry::new(), false, None).map(|_| ())
    }

    /// Builds the pipeline; with `use_state`, creates the state directory and loads checkpoints
    /// (`carried`, when given, instead of the directory's).
    fn build(
        config: &PipelineConfig,
        registry: Registry,
        use_state: bool,
        carried: Option<PipelineState>,
    ) -> Result<Pipeline, PipelineError> {
        let mut rules = RuleSet::new(&config.metrics, &registry)?;
        for (rule, input) in rules.referenced_inputs() {
            if !config.inputs.iter().any(|i| i.name == input) {
                return Err(PipelineError::UnknownInput { rule: rule.to_owned(), input: input.to_owned() });
            }
        }
        let lines = registry.counter("srekit_log_lines_total", "Lines read from log files.", &["input"])?;
        let bytes = registry.counter(
            "srekit_log_bytes_total",
            "Bytes of complete lines read from log files.",
            &["input"],
        )?;
        let parse_errors = registry.counter(
            "srekit_log_parse_errors_total",
            "Lines that could not be parsed.",
            &["input"],
        )?;
        let skipped = registry.counter(
            "srekit_log_lines_skipped_total",
            "Lines skipped without parsing, by reason.",
            &["input", "reason"],
        )?;
        let files_open = registry.gauge("srekit_log_files_open", "Log files open.", &["input"])?;
        let files_waiting = registry.gauge(
            "srekit_log_files_waiting",
            "Log files followed but closed, read in turn, because more match than max_open_files.",
            &["input"],
        )?;
        if let Some(dir) = config.state.directory.as_ref().filter(|_| use_state) {
            std::fs::create_dir_all(dir)
                .map_err(|source| PipelineError::Checkpoint { path: dir.clone(), source })?;
        }
        let state_path =
            config.state.directory.as_deref().filter(|_| use_state).map(|d| d.join(STATE_FILE_NAME));
        let mut pending = Vec::new();
        let mut saved = match (carried, &state_path) {
            (Some(state), _) => Some(state),
            (None, Some(path)) => load_state(path, &mut pending)?,
            (None, None) => None,
        };
        if let Some(state) = saved.as_mut() {
            let discarded = rules.restore_state(std::mem::take(&mut state.rules));
            pending.extend(discarded.into_iter().map(PipelineError::StateDiscarded));
        }
        let mut legacy_paths = Vec::new();
        let mut inputs: Vec<Input> = Vec::with_capacity(config.inputs.len());
        for input_config in &config.inputs {
            if inputs.iter().any(|i| i.name == input_config.name) {
                return Err(PipelineError::DuplicateInput(input_config.name.clone()));
            }
            let name = input_config.name.as_str();
            let checkpoint_path = config.state.directory.as_deref().map(|dir| checkpoint_path(dir, name));
            if let Some(other) =
                inputs.iter().find(|i| checkpoint_path.is_some() && i.checkpoint_path == checkpoint_path)
            {
                return Err(PipelineError::InvalidInput {
                    input: name.to_owned(),
                    message: format!(
                        "its checkpoint file name clashes with input {:?}'s; rename one",
                        other.name
                    ),
                });
            }
            let (checkpoint, counted) = match (&saved, checkpoint_path.as_ref().filter(|_| use_state)) {
                (Some(state), _) => match state.inputs.iter().find(|i| i.input == name) {
                    Some(input) => (Some(input.checkpoint()), Some(input)),
                    None => (None, None),
                },
                (None, Some(path)) => {
                    legacy_paths.push(path.clone());
                    (load_legacy(path, &mut pending)?, None)
                }
                (None, None) => (None, None),
            };
            let mut tail_options = input_config.tail_options()?;
            let parser = input_config
                .parser
                .build()
                .map_err(|source| PipelineError::Parser { input: name.to_owned(), source })?;
            if let Some(framing) = parser.framing() {
                // A framed input's raw lines carry the envelope: whether a message fits is decided
                // on the unwrapped message, as the bindings' and `parse`'s feeds decide it.
                tail_options.max_line_length = framing.line_limit();
            }
            inputs.push(Input {
                name: name.to_owned(),
                tailer: Tailer::new(tail_options, checkpoint)
                    .map_err(|source| PipelineError::Pattern { input: name.to_owned(), source })?,
                parser,
                selection: rules.selection(name),
                checkpoint_path,
                lines: lines.labels(&[name])?,
                bytes: bytes.labels(&[name])?,
                parse_errors: parse_errors.labels(&[name])?,
                too_long: skipped.labels(&[name, "too_long"])?,
                files_open: files_open.labels(&[name])?,
                files_waiting: files_waiting.labels(&[name])?,
                waiting_reported: None,
                contexts: FileContexts::new(input_config),
            });
            if let (Some(input), Some(counted)) = (inputs.last(), counted) {
                add(&input.lines, counted.lines);
                add(&input.bytes, counted.bytes);
                add(&input.parse_errors, counted.parse_errors);
                add(&input.too_long, counted.too_long);
            }
        }
        let metrics = PipelineMetrics { registry };
        Ok(Pipeline {
            inputs,
            rules,
            metrics,
            last_checkpoint: Instant::now(),
            dirty: true,
            last_serialised: Instant::now(),
            last_stored: None,
            writer: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            idle_poll_interval: super::pipeline_run::DEFAULT_IDLE_POLL_INTERVAL,
            state_path,
            legacy_paths,
            pending,
        })
    }

    /// Sets how long the background runner waits between polls when there is nothing new (default
    /// 250 ms).
    ///
    /// ```
    /// let mut p = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap();
    /// p.set_poll_interval(std::time::Duration::from_millis(50));
    /// ```
    pub fn set_poll_interval(&mut self, interval: Duration) {
        self.poll_interval = interval;
    }

    /// Sets how often the background runner polls when every directory is watched and nothing
    /// changed (default 10 s; a safety net for changes inotify does not see).
    ///
    /// ```
    /// let mut p = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap();
    /// p.set_idle_poll_interval(std::time::Duration::from_secs(10));
    /// ```
    pub fn set_idle_poll_interval(&mut self, interval: Duration) {
        self.idle_poll_interval = interval;
    }

    /// The pipeline's metrics (shareable with an HTTP handler on another thread).
    ///
    /// ```
    /// let p = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap();
    /// let metrics = p.metrics();
    /// assert!(metrics.encode_to_string(srekit::expfmt::Format::OpenMetrics).ends_with("# EOF\n"));
    /// ```
    pub fn metrics(&self) -> PipelineMetrics {
        self.metrics.clone()
    }

    /// Reads what is new in every input, parses it and applies the rules; stores the checkpoints when a
    /// second has passed since the last time. Errors are returned in the summary; the pipeline goes on.
    ///
    /// ```
    /// let mut p = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap();
    /// assert_eq!(p.poll().lines, 0);
    /// ```
    pub fn poll(&mut self) -> PollSummary {
        let mut summary = PollSummary { errors: std::mem::take(&mut self.pending), ..Default::default() };
        for input in &mut self.inputs {
            let Input {
                name, tailer, parser, selection, lines, bytes, parse_errors, too_long, contexts, ..
            } = input;
            let rules = &mut self.rules;
            let (mut errors, mut long) = (0u64, 0u64);
            // Framed parsers and inputs adding fields go through their per-file contexts.
            let plain = contexts.is_plain() && parser.framing().is_none();
            let now = Instant::now();
            let mut stats = if plain {
                // Blocks of whole lines, each walked by the parser in one pass (one UTF-8 check, each
                // byte classified once, one record buffer): what parsing line by line gives.
                // The walk counts the block's lines, which the tailer then does not count again.
                tailer.poll_blocks_counted(|_, block| match block {
                    TailBlock::Lines(data) => parser
                        .parse_many_ref_counted(data, |_, result| match result {
                            Ok(record) => drop(rules.apply(selection, record)),
                            // A line over the maximum inside a block: skipped as the tailer skips one.
                            Err(err) if super::parser::is_too_long(err) => long += 1,
                            Err(_) => errors += 1,
                        })
                        .map(|lines| lines as u64),
                    TailBlock::TooLong(_) => {
                        long += 1;
                        None
                    }
                })
            } else {
                tailer.poll_files(|path, event| match event {
                    TailEvent::Line(line) => contexts.line(parser, path, line, now, |item| {
                        source_item(item, rules, selection, &mut errors, &mut long)
                    }),
                    TailEvent::TooLong(_) => long += 1,
                })
            };
            let mut flushed = 0u64;
            if !plain {
                contexts.flush_idle(parser, now, &tailer.followed_files(), |item| {
                    flushed += 1;
                    source_item(item, rules, selection, &mut errors, &mut long)
                });
            }
            self.dirty |=
                stats.lines + stats.opened + stats.closed + stats.truncated + stats.copies + flushed > 0;
            for (path, source) in std::mem::take(&mut stats.errors) {
                summary.errors.push(PipelineError::Read { input: name.clone(), path, source });
            }
            add(lines, stats.lines);
            add(bytes, stats.bytes);
            add(parse_errors, errors);
            add(too_long, long);
            input.files_open.set(tailer.open_files().len() as f64);
            input.files_waiting.set(tailer.waiting_files() as f64);
            summary.errors.extend(report_waiting(name, tailer, &mut input.waiting_reported));
            summary.lines += stats.lines;
            summary.bytes += stats.bytes;
            summary.parse_errors += errors;
            summary.more |= stats.more;
            summary.waiting_for_turn |= stats.waiting_for_turn > 0;
        }
        self.dirty |= self.rules.expire_idle(Instant::now()) > 0;
        for outcome in self.writer.as_ref().map(CheckpointWriter::finished).unwrap_or_default() {
            match outcome {
                Ok(()) => self.legacy_paths.drain(..).for_each(|legacy| drop(std::fs::remove_file(legacy))),
                Err(e) => {
                    self.last_stored = None; // written again at the next interval
                    summary.errors.push(e);
                }
            }
        }
        let changed =
            self.dirty || self.last_stored.is_none() || self.last_serialised.elapsed() >= CHECKPOINT_REFRESH;
        if changed && self.last_checkpoint.elapsed() >= CHECKPOINT_INTERVAL {
            let stored =
                if self.writer.is_some() { self.offer_checkpoint() } else { self.store_checkpoints() };
            if let Err(e) = stored {
                summary.errors.push(e);
            }
        }
        summary
    }

    /// Stores the checkpoint now: every input's offsets and built-in counters and every rule's state,
    /// in one atomic write, as compact JSON. A no-op without a state directory, or when nothing moved
    /// since the last write (idle inputs cost no disk writes).
    ///
    /// ```
    /// let mut p = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap();
    /// p.store_checkpoints().unwrap();
    /// ```
    pub fn store_checkpoints(&mut self) -> Result<(), PipelineError> {
        self.last_checkpoint = Instant::now();
        let Some(path) = &self.state_path else { return Ok(()) };
        let error = |source| PipelineError::Checkpoint { path: path.clone(), source };
        let text = self.state().to_json().map_err(error)?;
        (self.dirty, self.last_serialised) = (false, Instant::now());
        let hash = super::tail::fnv1a(&text);
        if self.last_stored == Some(hash) {
            return Ok(());
        }
        super::tail::write_atomically(path, &text).map_err(error)?;
        self.last_stored = Some(hash);
        for legacy in self.legacy_paths.drain(..) {
            // The state file supersedes them; a stale one left behind is ignored while it exists.
            let _ = std::fs::remove_file(legacy);
        }
        Ok(())
    }

    /// Serialises the checkpoint and hands it to the background writer (a busy writer gets the next
    /// one).
    fn offer_checkpoint(&mut self) -> Result<(), PipelineError> {
        self.last_checkpoint = Instant::now();
        let (Some(path), Some(writer)) = (&self.state_path, &self.writer) else { return Ok(()) };
        let text = self
            .state()
            .to_json()
            .map_err(|source| PipelineError::Checkpoint { path: path.clone(), source })?;
        self.last_serialised = Instant::now();
        let hash = super::tail::fnv1a(&text);
        if self.last_stored == Some(hash) {
            self.dirty = false;
        } else if writer.offer(text) {
            (self.last_stored, self.dirty) = (Some(hash), false);
        }
        Ok(())
    }

    /// What [`Pipeline::store_checkpoints`] writes: offsets, built-in counters and rule state as of
    /// now (consistent with each other between polls).
    ///
    /// ```
    /// let p = srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap();
    /// assert!(p.state().inputs.is_empty());
    /// ```
    pub fn state(&self) -> PipelineState {
        let whole = |counter: &Counter| counter.get() as u64;
        PipelineState {
            version: CHECKPOINT_VERSION,
            inputs: self
                .inputs
                .iter()
                .map(|input| InputState {
                    input: input.name.clone(),
                    files: input.tailer.checkpoint().files,
                    lines: whole(&input.lines),
                    bytes: whole(&input.bytes),
                    parse_errors: whole(&input.parse_errors),
                    too_long: whole(&input.too_long),
                })
                .collect(),
            rules: self.rules.save_state(),
        }
    }

    /// When the next poll is due whatever the files do: a changed checkpoint waiting to be stored, or a
    /// multi-line event or piece waiting for its timeout (`None`: nothing pending).
    pub(super) fn due(&self) -> Option<Instant> {
        let checkpoint = self.state_path.as_ref().filter(|_| self.dirty || self.last_stored.is_none());
        let checkpoint = checkpoint.map(|_| self.last_checkpoint + CHECKPOINT_INTERVAL);
        let pending = self.inputs.iter().any(|input| input.contexts.has_pending());
        let framing = pending.then(|| Instant::now() + self.poll_interval);
        checkpoint.into_iter().chain(framing).min()
    }

    /// The directories to watch for changes to the inputs' files.
    pub(super) fn watch_dirs(&self) -> std::collections::BTreeSet<PathBuf> {
        self.inputs.iter().flat_map(|input| input.tailer.watch_dirs()).collect()
    }

    /// Changes when [`Pipeline::watch_dirs`] may have.
    pub(super) fn watch_version(&self) -> u64 {
        self.inputs.iter().fold(0, |sum, input| sum.wrapping_add(input.tailer.watch_version()))
    }

    /// Ends the pipeline cleanly: a last poll (so lines written just before are counted), then the
    /// checkpoints. Dropping a pipeline without this behaves like a crash: the next start repeats the
    /// lines since the last checkpoint.
    ///
    /// ```
    /// srekit::logs::pipeline::Pipeline::new(&Default::default()).unwrap().shutdown().unwrap();
    /// ```
    pub fn shutdown(self) -> Result<(), PipelineError> {
        self.finish().map(|_| ())
    }

    /// [`Pipeline::shutdown`], returning the state it stored (for [`Pipeline::resume`]).
    pub(super) fn finish(mut self) -> Result<PipelineState, PipelineError> {
        let mut summary = self.poll();
        while summary.more {
            summary = self.poll();
        }
        for input in &mut self.inputs {
            let Input { parser, contexts, selection, parse_errors, too_long, .. } = input;
            let (mut errors, mut long) = (0u64, 0u64);
            contexts
                .finish(parser, |item| source_item(item, &mut self.rules, selection, &mut errors, &mut long));
            add(parse_errors, errors);
            add(too_long, long);
        }
        // The background write in progress ends first, so the last checkpoint written is this one.
        self.writer = None;
        self.last_stored = None;
        self.store_checkpoints()?;
        Ok(self.state())
    }
}

/// Applies the rules to a record of a file context, or counts why there is none.
fn source_item(
    item: SourceItem<'_, '_>,
    rules: &mut RuleSet,
    selection: &Selection,
    errors: &mut u64,
    long: &mut u64,
) {
    match item {
        SourceItem::Record(record) => {
            rules.apply(selection, record);
        }
        SourceItem::ParseError => *errors += 1,
        SourceItem::TooLong => *long += 1,
    }
}

/// [`PipelineError::FilesWaiting`] when files wait and it is time to say so.
fn report_waiting(input: &str, tailer: &Tailer, reported: &mut Option<Instant>) -> Option<PipelineError> {
    let waiting = tailer.waiting_files();
    if waiting == 0 {
        *reported = None;
        return None;
    }
    if reported.is_some_and(|at| at.elapsed() < WAITING_REPORT_INTERVAL) {
        return None;
    }
    *reported = Some(Instant::now());
    let max_open_files = tailer.options().max_open_files;
    Some(PipelineError::FilesWaiting { input: input.to_owned(), waiting, max_open_files })
}

fn add(counter: &Counter, amount: u64) {
    if amount > 0 {
        let _ = counter.inc_by(amount as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycled_field_buffers_keep_their_allocation() {
        let line = String::from("a=1 b=2");
        let mut fields: Vec<Field<'_>> = Vec::with_capacity(32);
        fields.push((Cow::Borrowed(&line[..1]), Value::Str(Cow::Borrowed(&line[2..3]))));
        let pointer = fields.as_ptr() as usize;
        let recycled: Vec<Field<'static>> = recycle(fields);
        assert!(recycled.is_empty());
        assert_eq!(recycled.capacity(), 32);
        assert_eq!(recycled.as_ptr() as usize, pointer);
    }
}
