//! `parseMany` over a large input as a pipeline: a worker thread parses the input in pieces of whole
//! lines into [`RecordBatch`]es while the JavaScript thread turns the batches already parsed into
//! objects (`records.js`). Building the objects (and the garbage collection it causes) costs more
//! than parsing, so on a machine with two or more cores the parse is almost entirely hidden.
//!
//! JavaScript drives a [`BatchStream`]: `next()` returns the next batch object (see `crate::batch`)
//! or `null` at the end, and `close()` stops the worker. The records, and the line numbers of errors,
//! are those of one `parseManyBatch` call over the whole input.
//!
//! Small inputs, and machines with one core, get no thread: the first `next()` parses everything.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver};
use std::sync::Arc;
use std::thread::JoinHandle;

use napi::Env;
use napi_derive::napi;
use srekit::logs::Parser;

use crate::batch::RecordBatch;
use crate::js::{Js, RawValue};
use crate::logs::BatchInput;

/// Inputs shorter than this are parsed in one piece on the calling thread.
const MIN_PIPELINED_BYTES: usize = 512 << 10;
/// The first piece is small, so JavaScript has work soon; later ones grow to `PIECE_BYTES`.
const FIRST_PIECE_BYTES: usize = 64 << 10;
/// Input bytes of one piece once the pipeline is running.
const PIECE_BYTES: usize = 1 << 20;
/// Parsed pieces waiting for JavaScript: up to 64 MiB of input parsed ahead. The worker shares the
/// second core with V8's garbage collector threads, so it runs ahead while it can; a shorter queue
/// (4) left JavaScript waiting for it for 10-40 ms of an 80 ms call.
const QUEUED_PIECES: usize = 64;

/// The input's bytes as the worker sees them.
///
/// The pointer stays valid while the worker runs: the [`BatchStream`] owns the input (a JavaScript
/// `Buffer`, kept alive by its napi reference, or a string's UTF-8 in a `Vec` whose heap buffer does
/// not move) and joins the worker before it lets the input go. Nothing writes to it meanwhile: the
/// stream is drained by one synchronous JavaScript call (`parseMany`), during which no other
/// JavaScript runs.
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
        unsafe { std::slice::from_raw_parts(self.data, self.len) }
    }
}

/// Where the next piece of `data` from `start` ends: just after the first newline at or beyond
/// `start + target` bytes, or at the end of the input.
fn piece_end(data: &[u8], start: usize, target: usize) -> usize {
    let from = start.saturating_add(target);
    if from >= data.len() {
        return data.len();
    }
    match memchr::memchr(b'\n', &data[from..]) {
        Some(at) => from + at + 1,
        None => data.len(),
    }
}

fn run_worker(
    parser: &Parser,
    data: &'static [u8],
    sender: &std::sync::mpsc::SyncSender<RecordBatch<'static>>,
    stop: &AtomicBool,
) {
    let (mut start, mut lines_before, mut target) = (0, 0, FIRST_PIECE_BYTES);
    while start < data.len() && !stop.load(Ordering::Relaxed) {
        let end = piece_end(data, start, target);
        let piece = &data[start..end];
        let batch = RecordBatch::parse(parser, piece, lines_before);
        if sender.send(batch).is_err() {
            return;
        }
        lines_before += memchr::memchr_iter(b'\n', piece).count();
        start = end;
        target = (target * 4).min(PIECE_BYTES);
    }
}

enum State {
    /// Not started: the first `next()` parses the whole input on the calling thread.
    Inline(Arc<Parser>),
    /// A worker is parsing; batches arrive on the channel.
    Pipelined {
        batches: Receiver<RecordBatch<'static>>,
        worker: JoinHandle<()>,
        stop: Arc<AtomicBool>,
    },
    Done,
}

/// Batches of one `parseMany` call, in input order (internal to the package's `parseMany`). The
/// caller must not modify the input `Buffer` until `close()`.
#[napi]
pub struct BatchStream {
    state: State,
    /// The bytes being parsed. Declared after `state` but released only in [`BatchStream::close`]
    /// (also run on drop), after the worker is joined.
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
        let shared = SharedInput { data: input.bytes().as_ptr(), len };
        let fallback = Arc::clone(&parser);
        let (sender, batches) = sync_channel(QUEUED_PIECES);
        let stop = Arc::new(AtomicBool::new(false));
        let worker_stop = Arc::clone(&stop);
        let spawned = std::thread::Builder::new().name("srekit-parse".into()).spawn(move || {
            // SAFETY: the stream joins this thread before it releases the input (see SharedInput).
            let data = unsafe { shared.bytes() };
            run_worker(&parser, data, &sender, &worker_stop);
        });
        match spawned {
            Ok(worker) => {
                BatchStream { state: State::Pipelined { batches, worker, stop }, input: Some(input) }
            }
            // No thread to be had: parse on the calling thread instead.
            Err(_) => BatchStream { state: State::Inline(fallback), input: Some(input) },
        }
    }
}

#[napi]
impl BatchStream {
    /// The next batch, or `null` when every line has been returned.
    #[napi(ts_return_type = "unknown")]
    pub fn next(&mut self, env: Env) -> napi::Result<RawValue> {
        let js = Js::new(&env);
        match std::mem::replace(&mut self.state, State::Done) {
            State::Inline(parser) => {
                let bytes = self.input.as_ref().map_or(&[][..], BatchInput::bytes);
                let mut batch = RecordBatch::parse(&parser, bytes, 0);
                Ok(RawValue(batch.finish(js)?))
            }
            State::Pipelined { batches, worker, stop } => match batches.recv() {
                Ok(mut batch) => {
                    let value = batch.finish(js);
                    drop(batch);
                    self.state = State::Pipelined { batches, worker, stop };
                    Ok(RawValue(value?))
                }
                // The worker is done: every batch was received, unless it panicked.
                Err(_) => match worker.join() {
                    Ok(()) => Ok(RawValue(js.null()?)),
                    Err(_) => Err(napi::Error::from_reason("parseMany: the parsing thread failed")),
                },
            },
            State::Done => Ok(RawValue(js.null()?)),
        }
    }

    /// Stops the worker (if any) and releases the input. Safe to call more than once.
    #[napi]
    pub fn close(&mut self) {
        if let State::Pipelined { batches, worker, stop } = std::mem::replace(&mut self.state, State::Done) {
            stop.store(true, Ordering::Relaxed);
            // Dropping the receiver makes a blocked `send` fail, so the worker returns.
            drop(batches);
            let _ = worker.join();
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
    use super::piece_end;

    #[test]
    fn pieces_end_after_a_newline_or_at_the_end() {
        let data = b"a=1\nb=2\nc=3";
        assert_eq!(piece_end(data, 0, 1), 4);
        assert_eq!(piece_end(data, 4, 1), 8);
        assert_eq!(piece_end(data, 8, 1), data.len());
        assert_eq!(piece_end(data, 0, 100), data.len());
        assert_eq!(piece_end(data, 0, 3), 4, "a newline exactly at the target ends the piece");
    }
}
