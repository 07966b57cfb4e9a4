//! Reading one followed file: where a first start begins (just after the last complete line), and
//! what a poll reads (truncation checked first, then the new data, bounded per poll), handed out as
//! complete lines, one by one or in blocks of whole lines ([`Deliver`]).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::time::Instant;

use super::copies::Copies;
use super::identity::{Fingerprint, FINGERPRINT_BYTES};
use super::{stamp, Followed, PollStats, TailBlock, TailEvent, MAX_BYTES_PER_POLL, START_AT_END_WINDOW};
use crate::logs::split::{LineSplitter, SplitBlock, SplitEvent};

/// Where a first start begins in a file of `size` bytes: just after its last newline, so a line being
/// written is read once complete. A last line longer than the look-back window is skipped.
pub(super) fn start_at_end(file: &File, size: u64) -> io::Result<(u64, bool)> {
    if size == 0 {
        return Ok((0, false));
    }
    let window_start = size.saturating_sub(START_AT_END_WINDOW);
    let mut window = vec![0; (size - window_start) as usize];
    let mut filled = 0;
    while filled < window.len() {
        match file.read_at(&mut window[filled..], window_start + filled as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(match memchr::memrchr(b'\n', &window[..filled]) {
        Some(i) => (window_start + i as u64 + 1, false),
        None if window_start == 0 => (0, false),
        None => (size, true),
    })
}

pub(super) fn emit(
    path: &Path,
    event: SplitEvent<'_>,
    stats: &mut PollStats,
    on_event: &mut impl FnMut(&Path, TailEvent<'_>),
) {
    stats.lines += 1;
    match event {
        SplitEvent::Line { line, .. } => on_event(path, TailEvent::Line(line)),
        SplitEvent::TooLong { length, .. } => on_event(path, TailEvent::TooLong(length)),
    }
}

/// How the data read is handed out: line by line ([`TailEvent`]s) or in blocks of whole lines
/// ([`TailBlock`]s).
pub(super) trait Deliver {
    /// Splits `data`, the next bytes of the file at `path`, and hands out what it completes.
    fn push(&mut self, path: &Path, splitter: &mut LineSplitter, data: &[u8], stats: &mut PollStats);
    /// Hands out the file's last line, without a newline (the file is closed).
    fn finish(&mut self, path: &Path, splitter: &mut LineSplitter, stats: &mut PollStats);
}

/// Line by line.
pub(super) struct ByLine<F>(pub(super) F);

impl<F: FnMut(&Path, TailEvent<'_>)> Deliver for ByLine<F> {
    #[inline]
    fn push(&mut self, path: &Path, splitter: &mut LineSplitter, data: &[u8], stats: &mut PollStats) {
        splitter.push(data, |event| emit(path, event, stats, &mut self.0));
    }

    fn finish(&mut self, path: &Path, splitter: &mut LineSplitter, stats: &mut PollStats) {
        splitter.finish(|event| emit(path, event, stats, &mut self.0));
    }
}

/// In blocks of whole lines.
pub(super) struct ByBlock<F>(pub(super) F);

/// The callback may return how many lines a block of lines held, when it counted them (see
/// [`LineSplitter::push_blocks_counted`]).
impl<F: FnMut(&Path, TailBlock<'_>) -> Option<u64>> ByBlock<F> {
    fn block(&mut self, path: &Path, block: SplitBlock<'_>) -> Option<u64> {
        match block {
            SplitBlock::Lines { data, .. } => (self.0)(path, TailBlock::Lines(data)),
            SplitBlock::TooLong { length, .. } => (self.0)(path, TailBlock::TooLong(length)),
        }
    }
}

impl<F: FnMut(&Path, TailBlock<'_>) -> Option<u64>> Deliver for ByBlock<F> {
    #[inline]
    fn push(&mut self, path: &Path, splitter: &mut LineSplitter, data: &[u8], stats: &mut PollStats) {
        let before = splitter.lines_seen();
        splitter.push_blocks_counted(data, |block| self.block(path, block));
        stats.lines += splitter.lines_seen() - before;
    }

    fn finish(&mut self, path: &Path, splitter: &mut LineSplitter, stats: &mut PollStats) {
        let before = splitter.lines_seen();
        splitter.finish_blocks(|block| {
            let _ = self.block(path, block);
        });
        stats.lines += splitter.lines_seen() - before;
    }
}

/// Checks for truncation, then reads what is new (up to the per-poll limit). Returns whether the end of
/// the file was reached.
pub(super) fn read_new_data(
    followed: &mut Followed,
    buf: &mut [u8],
    copies: &mut Copies,
    stats: &mut PollStats,
    deliver: &mut impl Deliver,
) -> io::Result<bool> {
    let meta = followed.file.metadata()?;
    let size = meta.len();
    let now_stamp = stamp(&meta);
    if followed.idle_at == Some(now_stamp) && followed.read_pos >= size {
        return Ok(true);
    }
    followed.idle_at = None;
    let same_start = followed.fingerprint.length == 0 || followed.fingerprint.matches(&followed.file)?;
    if size < followed.read_pos || !same_start {
        // Truncated or copy-truncated (and maybe already rewritten): start over. Its copy, if one
        // shows up, is read from where we were.
        copies.truncated(followed.fingerprint, followed.committed);
        followed.read_pos = 0;
        followed.committed = 0;
        followed.splitter = LineSplitter::new(followed.max_line_length);
        followed.discard_to_newline = false;
        followed.fingerprint = Fingerprint::read(&followed.file, FINGERPRINT_BYTES as u64)?;
        stats.truncated += 1;
    } else if (followed.fingerprint.length as usize) < FINGERPRINT_BYTES && size > followed.fingerprint.length
    {
        followed.fingerprint = Fingerprint::read(&followed.file, FINGERPRINT_BYTES as u64)?;
    }
    let mut budget = MAX_BYTES_PER_POLL;
    loop {
        if budget == 0 {
            return Ok(false);
        }
        let want = buf.len().min(budget as usize);
        let n = match followed.file.read_at(&mut buf[..want], followed.read_pos) {
            Ok(0) => {
                followed.idle_at = Some(now_stamp);
                return Ok(true);
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        budget -= n as u64;
        let chunk_start = followed.read_pos;
        followed.read_pos += n as u64;
        followed.last_activity = Instant::now();
        followed.busy = true;
        let mut data = &buf[..n];
        let mut data_start = chunk_start;
        if followed.discard_to_newline {
            let Some(i) = memchr::memchr(b'\n', data) else { continue };
            followed.discard_to_newline = false;
            data = &data[i + 1..];
            data_start += i as u64 + 1;
            followed.committed = data_start;
        }
        deliver.push(&followed.path, &mut followed.splitter, data, stats);
        if let Some(i) = memchr::memrchr(b'\n', data) {
            let committed = data_start + i as u64 + 1;
            stats.bytes += committed - followed.committed;
            followed.committed = committed;
        }
    }
}
