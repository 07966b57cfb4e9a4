//! `parseMany` over a large input on two threads: the input is cut into pieces of whole lines, a worker
//! thread parses pieces into [`RecordBatch`]es in order, and the JavaScript thread turns finished
//! batches into objects (`records.js`). When the next batch in order is not ready yet, the JavaScript
//! thread does not wait: it takes the next unclaimed piece and parses it itself. So neither thread
//! idles while there is parsing left, and building objects (with the garbage collection it causes,
//! the larger cost) overlaps the parse.
//!
//! JavaScript drives a [`BatchStream`]: `next()` returns the next batch object (see `crate::batch`)
//! or `null` at the end, and `close()` stops the worker. The records, and the line numbers of errors,
//! are those of one `parseManyBatch` call over the whole input.
//!
//! A framed parser (container envelope, multi-line events) joins lines across pieces, so its pieces
//! are parsed in order by the worker alone, through one core `Feed` that carries the partial pieces and
//! the open event from piece to piece; JavaScript only builds objects. Its error lines come from the
//! feed, already counted from the input's start.
//!
//! Small inputs, and machines with one core, get no thread: the first `next()` parses everything.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use napi::Env;
use napi_derive::napi;
use srekit::logs::{whole_lines_prefix, Feed, Parser};

use crate::batch::RecordBatch;
use crate::input::BatchInput;
use crate::js::{Js, RawArg, RawValue};
use crate::pool;

/// Inputs shorter than this are parsed in one piece on the calling thread.
const MIN_PIPELINED_BYTES: usize = 512 << 10;
/// The first piece is small, so JavaScript has work soon; later ones grow to `PIECE_BYTES`.
const FIRST_PIECE_BYTES: usize = 64 << 10;
/// Input bytes of one piece once the pipeline is running.
const PIECE_BYTES: usize = 1 << 20;
/// Pieces the worker may parse beyond the one JavaScript is on (at most 64 MiB of input ahead).
const MAX_AHEAD: usize = 64;

/// The input's bytes as the worker sees them.
///
/// The pointer stays valid while the worker runs: the [`BatchStream`] owns the input (a JavaScript
/// `Buffer`, kept alive by its napi reference, or a string's UTF-8 in a `Vec` whose heap buffer does
/// not move) and joins the worker before it lets the input go. Nothing writes to it meanwhile: the
/// stream is drained by one synchronous JavaScript call (`parseMany`), during which no other
/// JavaScript runs.
///
/// A `Buffer` input is therefore copied (into a pooled buffer) before the worker starts: JavaScript
/// can call `parseManyStream` itself and run between two `next()` calls, where it could write to the
/// `Buffer` or detach its `ArrayBuffer` (`transfer()`, `postMessage` with a transfer list) under the
/// worker. The copy costs about 3 ms for 21 MB against the tens of milliseconds of the parse. An input
/// too small to be pipelined is parsed within one `next()` call and is not copied.
struct SharedInput {
    data: *const u8,
    len: usize,
}

// SAFETY: see the type's documentation; the worker only reads the bytes.
unsafe impl Send for SharedInput {}

impl SharedInput {
    /// The bytes, for as long as the stream keeps the input (see above).
    ///
    /// # Safety
    /// The caller must not use the slice after the owning [`BatchStream`] joined the worker.
    unsafe fn bytes(&self) -> &'static [u8] {
        // SAFETY: `data` and `len` were taken from one live slice (the stream's input), which stays
        // allocated and unwritten until the caller stops using the result (this function's contract).
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

/// The byte ranges of the pieces of `data`: a small first piece, then growing to `PIECE_BYTES`.
fn pieces(data: &[u8]) -> Vec<(usize, usize)> {
    let (mut ranges, mut start, mut target) = (Vec::new(), 0, FIRST_PIECE_BYTES);
    while start < data.len() {
        let end = start + whole_lines_prefix(&data[start..], target);
        ranges.push((start, end));
        start = end;
        target = (target * 4).min(PIECE_BYTES);
    }
    ranges
}

/// What the two threads share.
struct Shared {
    /// One slot per piece, filled by whichever thread parsed it.
    slots: Mutex<Slots>,
    /// Signalled when a slot is filled, when JavaScript moves on, and when the worker stops.
    changed: Condvar,
    /// The next piece nobody has claimed.
    next_piece: AtomicUsize,
    stop: AtomicBool,
}

struct Slots {
    batches: Vec<Option<RecordBatch<'static>>>,
    /// The piece JavaScript is on (every piece before it was handed over).
    consumed: usize,
    /// Whether the worker has returned (or unwound).
    worker_done: bool,
}

impl Shared {
    fn lock(&self) -> Option<MutexGuard<'_, Slots>> {
        self.slots.lock().ok()
    }

    /// Claims the next unclaimed piece, if any is left.
    fn claim(&self, count: usize) -> Option<usize> {
        let piece = self.next_piece.fetch_add(1, Ordering::Relaxed);
        (piece < count).then_some(piece)
    }

    /// Waits until `piece` is at most `MAX_AHEAD` pieces ahead of JavaScript; false when the stream
    /// stops (or the lock is poisoned) instead.
    fn wait_for_room(&self, piece: usize) -> bool {
        let Some(mut slots) = self.lock() else { return false };
        while piece >= slots.consumed + MAX_AHEAD && !self.stop.load(Ordering::Relaxed) {
            match self.changed.wait(slots) {
                Ok(guard) => slots = guard,
                Err(_) => return false,
            }
        }
        !self.stop.load(Ordering::Relaxed)
    }

    fn store(&self, piece: usize, batch: RecordBatch<'static>) {
        if let Some(mut slots) = self.lock() {
            slots.batches[piece] = Some(batch);
        }
        self.changed.notify_all();
    }
}

/// Marks the worker done when it returns or unwinds, so JavaScript never waits for it in vain.
struct WorkerDone(Arc<Shared>);

impl Drop for WorkerDone {
    fn drop(&mut self) {
        if let Ok(mut slots) = self.0.slots.lock() {
            slots.worker_done = true;
        }
        self.0.changed.notify_all();
    }
}

fn run_worker(parser: &Parser, data: &'static [u8], ranges: &[(usize, usize)], shared: &Shared) {
    while !shared.stop.load(Ordering::Relaxed) {
        let Some(piece) = shared.claim(ranges.len()) else { return };
        if !shared.wait_for_room(piece) {
            return;
        }
        let (start, end) = ranges[piece];
        shared.store(piece, RecordBatch::parse(parser, &data[start..end], 0));
    }
}

/// The worker of a framed parser: every piece in order through one feed (the last with the stream's
/// end), never more than `MAX_AHEAD` pieces ahead of JavaScript.
fn run_framed_worker(parser: &Parser, data: &[u8], ranges: &[(usize, usize)], shared: &Shared) {
    let mut feed = Feed::for_parser(parser);
    for (piece, &(start, end)) in ranges.iter().enumerate() {
        if !shared.wait_for_room(piece) {
            return;
        }
        let mut items = feed.parse_owned(parser, Some(&data[start..end]));
        if piece + 1 == ranges.len() {
            items.extend(feed.parse_owned(parser, None));
        }
        shared.store(piece, crate::logs::feed_batch(&items));
    }
}

/// Two threads parsing the pieces of one input.
struct Pipeline {
    parser: Arc<Parser>,
    shared: Arc<Shared>,
    ranges: Vec<(usize, usize)>,
    worker: Option<JoinHandle<()>>,
    /// Newlines before byte `.0` of the input are `.1` (counted only when a batch has errors).
    lines_before: (usize, usize),
    /// A framed parser's pieces are the worker's alone, and their error lines already absolute.
    framed: bool,
}

impl Pipeline {
    /// The batch of the piece after the last one handed over, `None` after the last piece. Parses
    /// unclaimed pieces itself while that one is not ready.
    fn next_batch(&mut self, data: &'static [u8]) -> napi::Result<Option<RecordBatch<'static>>> {
        let poisoned = || napi::Error::from_reason("parseMany: the parsing thread failed");
        let piece = self.shared.lock().ok_or_else(poisoned)?.consumed;
        if piece >= self.ranges.len() {
            return Ok(None);
        }
        loop {
            let mut slots = self.shared.lock().ok_or_else(poisoned)?;
            if let Some(mut batch) = slots.batches[piece].take() {
                slots.consumed = piece + 1;
                drop(slots);
                self.shared.changed.notify_all();
                if batch.has_errors() && !self.framed {
                    batch.shift_error_lines(self.lines_before_piece(data, piece));
                }
                return Ok(Some(batch));
            }
            drop(slots);
            let claimed = if self.framed { None } else { self.shared.claim(self.ranges.len()) };
            if let Some(other) = claimed {
                let (start, end) = self.ranges[other];
                self.shared.store(other, RecordBatch::parse(&self.parser, &data[start..end], 0));
                continue;
            }
            // Every piece is claimed and this one is the worker's: wait for it.
            let mut slots = self.shared.lock().ok_or_else(poisoned)?;
            while slots.batches[piece].is_none() && !slots.worker_done {
                slots = self.shared.changed.wait(slots).map_err(|_| poisoned())?;
            }
            if slots.batches[piece].is_none() {
                return Err(poisoned());
            }
        }
    }

    /// Lines of the input before `piece` (pieces are asked for in order, so counting resumes).
    fn lines_before_piece(&mut self, data: &[u8], piece: usize) -> usize {
        let start = self.ranges[piece].0;
        let (counted_to, lines) = self.lines_before;
        let lines = lines + memchr::memchr_iter(b'\n', &data[counted_to..start]).count();
        self.lines_before = (start, lines);
        lines
    }

    fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.changed.notify_all();
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

enum State {
    /// Not started: the first `next()` parses the whole input on the calling thread.
    Inline(Arc<Parser>),
    /// Two threads at work.
    Pipelined(Pipeline),
    Done,
}

/// Batches of one `parseMany` call, in input order (internal to the package's `parseMany`). A
/// `Buffer` input may be changed at any time: a pipelined stream parses a copy of it.
#[napi]
pub struct BatchStream {
    state: State,
    /// The bytes being parsed, released only in [`BatchStream::close`] (also run on drop), after the
    /// worker is joined.
    input: Option<BatchInput>,
}

impl BatchStream {
    /// A stream over `input`, starting the worker at once when the input is large enough and the
    /// machine has a second core.
    pub fn start(parser: Arc<Parser>, input: BatchInput) -> BatchStream {
        let len = input.bytes().len();
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        if len < MIN_PIPELINED_BYTES || cores < 2 {
            return BatchStream { state: State::Inline(parser), input: Some(input) };
        }
        // The worker reads the bytes while JavaScript runs: it gets a private copy (see SharedInput).
        let input = match &input {
            BatchInput::Bytes(buffer) => {
                let mut copy = pool::take::<u8>(len);
                copy.extend_from_slice(buffer);
                BatchInput::Owned(copy)
            }
            BatchInput::Owned(_) => input,
        };
        let ranges = pieces(input.bytes());
        let shared = Arc::new(Shared {
            slots: Mutex::new(Slots {
                batches: (0..ranges.len()).map(|_| None).collect(),
                consumed: 0,
                worker_done: false,
            }),
            changed: Condvar::new(),
            next_piece: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let shared_input = SharedInput { data: input.bytes().as_ptr(), len };
        let (worker_parser, worker_shared, worker_ranges) =
            (Arc::clone(&parser), Arc::clone(&shared), ranges.clone());
        let framed = parser.framing().is_some();
        if framed {
            // Only the worker parses a framed parser's pieces (in order, through one feed).
            shared.next_piece.store(ranges.len(), Ordering::Relaxed);
        }
        let spawned = std::thread::Builder::new().name("srekit-parse".into()).spawn(move || {
            let done = WorkerDone(worker_shared);
            // SAFETY: the stream joins this thread before it releases the input (see SharedInput).
            let data = unsafe { shared_input.bytes() };
            if framed {
                run_framed_worker(&worker_parser, data, &worker_ranges, &done.0);
            } else {
                run_worker(&worker_parser, data, &worker_ranges, &done.0);
            }
        });
        let worker = match spawned {
            Ok(worker) => Some(worker),
            // No thread for a framed parser's feed: one batch on the calling thread.
            Err(_) if framed => return BatchStream { state: State::Inline(parser), input: Some(input) },
            // No thread to be had: the JavaScript thread parses every piece itself.
            Err(_) => {
                if let Some(mut slots) = shared.lock() {
                    slots.worker_done = true;
                }
                None
            }
        };
        let pipeline = Pipeline { parser, shared, ranges, worker, lines_before: (0, 0), framed };
        BatchStream { state: State::Pipelined(pipeline), input: Some(input) }
    }
}

#[napi]
impl BatchStream {
    /// The next batch, or `null` when every line has been returned. `scratch`, the previous batch's
    /// `scratch`, lets this batch reuse its memory (see [`crate::batch`]).
    #[napi(ts_args_type = "scratch?: Uint32Array | null", ts_return_type = "unknown")]
    pub fn next(&mut self, env: Env, scratch: Option<RawArg>) -> napi::Result<RawValue> {
        let scratch = scratch.map(|arg| arg.0);
        let js = Js::new(&env);
        let Some(input) = self.input.as_ref() else { return Ok(RawValue(js.null()?)) };
        // SAFETY: `input` outlives this call, and the batch is finished (copied into JavaScript)
        // before the call returns.
        let data: &'static [u8] =
            unsafe { SharedInput { data: input.bytes().as_ptr(), len: input.bytes().len() }.bytes() };
        match &mut self.state {
            State::Inline(parser) => {
                let mut batch = RecordBatch::parse(parser, data, 0);
                self.state = State::Done;
                Ok(RawValue(batch.finish(js, scratch)?))
            }
            State::Pipelined(pipeline) => {
                if let Some(mut batch) = pipeline.next_batch(data)? {
                    return Ok(RawValue(batch.finish(js, scratch)?));
                }
                self.close();
                Ok(RawValue(js.null()?))
            }
            State::Done => Ok(RawValue(js.null()?)),
        }
    }

    /// Stops the worker (if any) and releases the input. Safe to call more than once.
    #[napi]
    pub fn close(&mut self) {
        if let State::Pipelined(mut pipeline) = std::mem::replace(&mut self.state, State::Done) {
            pipeline.stop();
        }
        self.input = None;
    }
}

impl Drop for BatchStream {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::{pieces, FIRST_PIECE_BYTES, PIECE_BYTES};

    #[test]
    fn pieces_cover_the_input_in_order_and_grow() {
        let data = b"key=value and some more text\n".repeat(200_000);
        let ranges = pieces(&data);
        assert_eq!(ranges.first().map(|r| r.0), Some(0));
        assert_eq!(ranges.last().map(|r| r.1), Some(data.len()));
        assert!(ranges.windows(2).all(|w| w[0].1 == w[1].0));
        assert!(ranges.iter().all(|&(start, end)| end > start && data[end - 1] == b'\n'));
        assert!(ranges[0].1 - ranges[0].0 < FIRST_PIECE_BYTES + 64);
        assert!(ranges[3].1 - ranges[3].0 >= PIECE_BYTES);
    }
}
