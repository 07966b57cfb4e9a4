//! Line splitting with memchr: [`lines`] over a complete buffer, and [`LineSplitter`] for a stream read in
//! chunks (partial last line kept between chunks, bounded by a maximum line length, CRLF accepted),
//! line by line ([`LineSplitter::push`]) or in blocks of whole lines ([`LineSplitter::push_blocks`]).

/// The default maximum line length: 1 MiB.
pub const DEFAULT_MAX_LINE_LENGTH: usize = 1 << 20;

/// The length of the shortest prefix of `data` that is whole lines and at least `min_len` bytes long:
/// just past the first `\n` at or after byte `min_len`, or all of `data`. Cuts a large buffer into
/// pieces that can be parsed apart.
///
/// ```
/// use srekit::logs::whole_lines_prefix;
/// assert_eq!(whole_lines_prefix(b"a=1\nb=2\nc=3", 1), 4);
/// assert_eq!(whole_lines_prefix(b"a=1\nb=2\nc=3", 3), 4); // a newline at `min_len` ends it
/// assert_eq!(whole_lines_prefix(b"a=1\nb=2\nc=3", 5), 8);
/// assert_eq!(whole_lines_prefix(b"a=1\nb=2\nc=3", 9), 11); // no newline left: everything
/// ```
pub fn whole_lines_prefix(data: &[u8], min_len: usize) -> usize {
    if min_len >= data.len() {
        return data.len();
    }
    match memchr::memchr(b'\n', &data[min_len..]) {
        Some(at) => min_len + at + 1,
        None => data.len(),
    }
}

/// Strips one trailing `\n` and then one trailing `\r`.
#[inline]
pub(crate) fn trim_line_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The lines of a complete buffer, split at `\n` with a trailing `\r` removed; a last line without a
/// newline is included, an empty buffer has no lines, and a final `\n` does not start an empty line.
///
/// ```
/// let lines: Vec<&[u8]> = srekit::logs::lines(b"a=1\r\nb=2\n\nc=3").collect();
/// assert_eq!(lines, vec![&b"a=1"[..], b"b=2", b"", b"c=3"]);
/// ```
pub fn lines(data: &[u8]) -> Lines<'_> {
    Lines { rest: data }
}

/// Iterator returned by [`lines`].
///
/// ```
/// assert_eq!(srekit::logs::lines(b"x\ny\n").count(), 2);
/// ```
#[derive(Debug, Clone)]
pub struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        let (line, rest) = match memchr::memchr(b'\n', self.rest) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, &self.rest[self.rest.len()..]),
        };
        self.rest = rest;
        Some(line.strip_suffix(b"\r").unwrap_or(line))
    }
}

/// The lines of a complete text, as [`lines`] splits bytes (`\n`, a trailing `\r` removed), but as
/// `&str`: a buffer validated as UTF-8 once needs no check per line.
///
/// ```
/// let lines: Vec<&str> = srekit::logs::text_lines("é=1\r\nb=2").collect();
/// assert_eq!(lines, ["é=1", "b=2"]);
/// ```
pub fn text_lines(text: &str) -> TextLines<'_> {
    TextLines { rest: text }
}

/// Iterator returned by [`text_lines`].
///
/// ```
/// assert_eq!(srekit::logs::text_lines("x\n\ny").count(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct TextLines<'a> {
    rest: &'a str,
}

impl<'a> Iterator for TextLines<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        // Splitting at an ASCII '\n' always lands on character boundaries.
        let (line, rest) = match memchr::memchr(b'\n', self.rest.as_bytes()) {
            Some(i) => (&self.rest[..i], &self.rest[i + 1..]),
            None => (self.rest, ""),
        };
        self.rest = rest;
        Some(line.strip_suffix('\r').unwrap_or(line))
    }
}

/// What a [`LineSplitter`] reports.
///
/// ```
/// use srekit::logs::SplitEvent;
///
/// let event = SplitEvent::Line { number: 1, line: b"a=1" };
/// assert!(matches!(event, SplitEvent::Line { number: 1, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitEvent<'a> {
    /// A complete line (without its `\n` or `\r\n`); `number` is 1-based and counts every line,
    /// empty and skipped ones included.
    Line {
        /// 1-based line number in the stream.
        number: u64,
        /// The line's bytes.
        line: &'a [u8],
    },
    /// A line longer than the maximum was skipped (reported once, when its end is seen or at `finish`).
    TooLong {
        /// 1-based line number in the stream.
        number: u64,
        /// The line's full length in bytes (without its line ending).
        length: usize,
    },
}

/// What [`LineSplitter::push_blocks`] reports.
///
/// ```
/// let block = srekit::logs::SplitBlock::Lines { first_line: 3, data: b"a=1\nb=2\n" };
/// assert!(matches!(block, srekit::logs::SplitBlock::Lines { first_line: 3, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SplitBlock<'a> {
    /// Whole lines, each ended by `\n` (the last one may lack it at the end of the stream), the
    /// first of them numbered `first_line` (1-based, counting every line).
    Lines {
        /// 1-based number of the block's first line.
        first_line: u64,
        /// The lines, line endings included.
        data: &'a [u8],
    },
    /// A line longer than the maximum was skipped.
    TooLong {
        /// 1-based line number in the stream.
        number: u64,
        /// The line's length in bytes, without its line ending.
        length: usize,
        /// The bytes it took in the stream, line ending included.
        bytes: usize,
    },
}

/// Splits a byte stream pushed in chunks into lines, keeping a partial last line (at most
/// `max_line_length` bytes of it) for the next chunk. A longer line is dropped while it streams by and
/// reported once as [`SplitEvent::TooLong`]; memory stays bounded by the maximum.
///
/// ```
/// use srekit::logs::{LineSplitter, SplitEvent};
///
/// let mut splitter = LineSplitter::new(8);
/// let mut seen = Vec::new();
/// let mut on_line = |event: SplitEvent<'_>| match event {
///     SplitEvent::Line { number, line } => seen.push(format!("{number}:{}", String::from_utf8_lossy(line))),
///     SplitEvent::TooLong { number, length } => seen.push(format!("{number}:too long ({length})")),
/// };
/// splitter.push(b"a=1\r\nb=", &mut on_line);
/// splitter.push(b"2\nthis line is too long\nc", &mut on_line);
/// splitter.finish(&mut on_line);
/// assert_eq!(seen, ["1:a=1", "2:b=2", "3:too long (21)", "4:c"]);
/// ```
#[derive(Debug, Clone)]
pub struct LineSplitter {
    max_line_length: usize,
    partial: Vec<u8>,
    /// Bytes of the current over-long line seen so far, when skipping one.
    skipping: Option<Skipped>,
    line_number: u64,
}

impl LineSplitter {
    /// A splitter for lines of at most `max_line_length` bytes (a `\r` before the `\n` not counted).
    ///
    /// ```
    /// let splitter = srekit::logs::LineSplitter::new(srekit::logs::DEFAULT_MAX_LINE_LENGTH);
    /// assert_eq!(splitter.buffered(), 0);
    /// ```
    pub fn new(max_line_length: usize) -> Self {
        LineSplitter { max_line_length, partial: Vec::new(), skipping: None, line_number: 0 }
    }

    /// Number of bytes of a partial line held for the next chunk.
    ///
    /// ```
    /// let mut splitter = srekit::logs::LineSplitter::new(100);
    /// splitter.push(b"a=1\nb=", |_| {});
    /// assert_eq!(splitter.buffered(), 2);
    /// ```
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// Number of lines reported so far (the number of the last line reported).
    ///
    /// ```
    /// let mut splitter = srekit::logs::LineSplitter::new(100);
    /// splitter.push(b"a\nb\n", |_| {});
    /// assert_eq!(splitter.lines_seen(), 2);
    /// ```
    pub fn lines_seen(&self) -> u64 {
        self.line_number
    }

    /// Feeds the next chunk; `on_line` is called for every line the chunk completes.
    ///
    /// ```
    /// let mut splitter = srekit::logs::LineSplitter::new(100);
    /// let mut count = 0;
    /// splitter.push(b"one\ntwo\nthr", |_| count += 1);
    /// assert_eq!(count, 2);
    /// ```
    pub fn push(&mut self, chunk: &[u8], mut on_line: impl FnMut(SplitEvent<'_>)) {
        let mut rest = chunk;
        while let Some(i) = memchr::memchr(b'\n', rest) {
            let piece = &rest[..i];
            rest = &rest[i + 1..];
            self.line_number += 1;
            let number = self.line_number;
            if self.skipping.is_none() && self.partial.is_empty() {
                let line = piece.strip_suffix(b"\r").unwrap_or(piece);
                report(self.max_line_length, number, line, &mut on_line);
            } else if let Some((length, _)) = self.end_held_line(piece) {
                on_line(SplitEvent::TooLong { number, length });
            } else {
                report(self.max_line_length, number, trim_line_end(&self.partial), &mut on_line);
                self.partial.clear();
            }
        }
        self.hold(rest);
    }

    /// Ends the line held from earlier chunks (partial, or being skipped) with `piece`, its bytes
    /// before the `\n`: `(length without the line ending, bytes in the stream)` when it is too long,
    /// else `None` with the whole line, `\n` included, in `partial` (the caller clears it).
    fn end_held_line(&mut self, piece: &[u8]) -> Option<(usize, usize)> {
        let (held, held_cr) = match self.skipping.take() {
            Some(skipped) => (skipped.length, skipped.ends_with_cr),
            None if self.partial.len() + piece.len() <= self.max_line_length + 1 => {
                self.partial.extend_from_slice(piece);
                self.partial.push(b'\n');
                return None;
            }
            None => (self.partial.len(), self.partial.ends_with(b"\r")),
        };
        self.partial.clear();
        let ends_with_cr = if piece.is_empty() { held_cr } else { piece.ends_with(b"\r") };
        Some((held + piece.len() - usize::from(ends_with_cr), held + piece.len() + 1))
    }

    /// Keeps the bytes after a chunk's last newline: as the partial line, or counted as part of an
    /// over-long line being skipped.
    fn hold(&mut self, rest: &[u8]) {
        if rest.is_empty() {
            return;
        }
        if let Some(skipped) = self.skipping.as_mut() {
            skipped.length += rest.len();
            skipped.ends_with_cr = rest.ends_with(b"\r");
        } else if self.partial.len() + rest.len() > self.max_line_length + 1 {
            // The +1 leaves room for a '\r' that a following '\n' turns into a line ending.
            self.skipping = Some(Skipped {
                length: self.partial.len() + rest.len(),
                ends_with_cr: rest.ends_with(b"\r"),
            });
            self.partial = Vec::new();
        } else {
            self.partial.extend_from_slice(rest);
        }
    }

    /// Like [`LineSplitter::push`], but reports runs of whole lines as one block each (at most two
    /// per chunk: the line completing the held partial one, then every whole line of the chunk), so
    /// a caller can hand them to a parser's buffer call. Lines over the maximum that arrive across
    /// chunks are reported as [`SplitBlock::TooLong`]; a too-long line wholly inside a chunk stays in
    /// its block (the parser rejects it with the same error).
    ///
    /// ```
    /// use srekit::logs::{LineSplitter, SplitBlock};
    ///
    /// let mut splitter = LineSplitter::new(100);
    /// let mut seen = Vec::new();
    /// let mut on_block = |block: SplitBlock<'_>| match block {
    ///     SplitBlock::Lines { first_line, data } => seen.push((first_line, data.to_vec())),
    ///     SplitBlock::TooLong { .. } => unreachable!(),
    /// };
    /// splitter.push_blocks(b"a=1\nb=2\nc=", &mut on_block);
    /// splitter.push_blocks(b"3\nd=4", &mut on_block);
    /// splitter.finish_blocks(&mut on_block);
    /// assert_eq!(seen, [(1, b"a=1\nb=2\n".to_vec()), (3, b"c=3\n".to_vec()), (4, b"d=4".to_vec())]);
    /// ```
    pub fn push_blocks(&mut self, chunk: &[u8], mut on_block: impl FnMut(SplitBlock<'_>)) {
        self.push_blocks_counted(chunk, |block| {
            on_block(block);
            None
        });
    }

    /// [`LineSplitter::push_blocks`] with an `on_block` that may return how many lines the block of
    /// a chunk's whole lines held (its newlines), having counted them itself as it walked them (a
    /// buffer parser does): they are then not counted again here. `None`: counted here.
    pub(crate) fn push_blocks_counted(
        &mut self,
        chunk: &[u8],
        mut on_block: impl FnMut(SplitBlock<'_>) -> Option<u64>,
    ) {
        let mut rest = chunk;
        if self.skipping.is_some() || !self.partial.is_empty() {
            let Some(i) = memchr::memchr(b'\n', rest) else {
                self.hold(rest);
                return;
            };
            let piece = &rest[..i];
            rest = &rest[i + 1..];
            self.line_number += 1;
            let number = self.line_number;
            match self.end_held_line(piece) {
                Some((length, bytes)) => {
                    let _ = on_block(SplitBlock::TooLong { number, length, bytes });
                }
                None => self.report_partial_block(number, &mut |block| {
                    let _ = on_block(block);
                }),
            }
        }
        if let Some(last) = memchr::memrchr(b'\n', rest) {
            let data = &rest[..=last];
            let first_line = self.line_number + 1;
            let count = || memchr::memchr_iter(b'\n', data).count() as u64;
            let lines = on_block(SplitBlock::Lines { first_line, data }).unwrap_or_else(count);
            debug_assert_eq!(lines, count(), "lines counted by the block's reader");
            self.line_number += lines;
            rest = &rest[last + 1..];
        }
        self.hold(rest);
    }

    /// Ends the stream for [`LineSplitter::push_blocks`]: a trailing line without a newline is
    /// reported as a block of its own (or as too long).
    ///
    /// ```
    /// let mut splitter = srekit::logs::LineSplitter::new(4);
    /// splitter.push_blocks(b"a\ntoo long", |_| {});
    /// let mut last = None;
    /// splitter.finish_blocks(|block| last = Some(format!("{block:?}")));
    /// assert_eq!(last.as_deref(), Some("TooLong { number: 2, length: 8, bytes: 8 }"));
    /// ```
    pub fn finish_blocks(&mut self, mut on_block: impl FnMut(SplitBlock<'_>)) {
        if let Some(skipped) = self.skipping.take() {
            self.line_number += 1;
            let length = skipped.length - usize::from(skipped.ends_with_cr);
            on_block(SplitBlock::TooLong { number: self.line_number, length, bytes: skipped.length });
        } else if !self.partial.is_empty() {
            self.line_number += 1;
            self.report_partial_block(self.line_number, &mut on_block);
        }
    }

    /// Reports the completed line held in `partial` as a block (or as too long), then empties it.
    fn report_partial_block(&mut self, number: u64, on_block: &mut impl FnMut(SplitBlock<'_>)) {
        let length = trim_line_end(&self.partial).len();
        if length > self.max_line_length {
            on_block(SplitBlock::TooLong { number, length, bytes: self.partial.len() });
        } else {
            on_block(SplitBlock::Lines { first_line: number, data: &self.partial });
        }
        self.partial.clear();
    }

    /// Ends the stream: a trailing line without a newline is reported (or reported as too long).
    ///
    /// ```
    /// let mut splitter = srekit::logs::LineSplitter::new(100);
    /// let mut last = Vec::new();
    /// splitter.push(b"a\nno newline", |_| {});
    /// splitter.finish(|event| if let srekit::logs::SplitEvent::Line { line, .. } = event { last = line.to_vec() });
    /// assert_eq!(last, b"no newline");
    /// ```
    pub fn finish(&mut self, mut on_line: impl FnMut(SplitEvent<'_>)) {
        if let Some(skipped) = self.skipping.take() {
            self.line_number += 1;
            let length = skipped.length - usize::from(skipped.ends_with_cr);
            on_line(SplitEvent::TooLong { number: self.line_number, length });
        } else if !self.partial.is_empty() {
            self.line_number += 1;
            let line = self.partial.strip_suffix(b"\r").unwrap_or(&self.partial);
            report(self.max_line_length, self.line_number, line, &mut on_line);
            self.partial.clear();
        }
    }
}

/// Reports a complete line, or that it is over the maximum.
fn report(max_line_length: usize, number: u64, line: &[u8], on_line: &mut impl FnMut(SplitEvent<'_>)) {
    if line.len() > max_line_length {
        on_line(SplitEvent::TooLong { number, length: line.len() });
    } else {
        on_line(SplitEvent::Line { number, line });
    }
}

/// The part of an over-long line seen so far while it is being skipped.
#[derive(Debug, Clone, Copy)]
struct Skipped {
    length: usize,
    ends_with_cr: bool,
}
