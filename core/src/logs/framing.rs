//! [`Framer`]: turns the raw lines of one stream (a file, a buffer) into the messages a parser reads:
//! the container envelope unwrapped and partial pieces joined ([`super::container`]), then lines grouped
//! into multi-line events ([`super::multiline`]), each event bounded by the maximum line length. A
//! [`Parser`](super::Parser) built with `container` or `multiline` carries a [`Framing`]; the
//! [`Feed`](super::Feed), `parse_many` and the pipeline keep one [`Framer`] per stream.

use std::time::Instant;

use super::container::{ContainerFormat, JoinError, Joined, Joiner, Piece, Stream};
use super::error::LineError;
use super::multiline::{GroupedEvent, Grouper, Multiline, TooLongEvent};
use super::parser::too_long;
use super::split::trim_line_end;

/// How a parser's lines are framed: an optional envelope, optional multi-line grouping, and the longest
/// message.
///
/// ```
/// let parser = srekit::logs::ParserSpec { container: Some("cri".into()), ..srekit::logs::ParserSpec::new("raw") }.build().unwrap();
/// assert!(parser.framing().is_some());
/// assert!(srekit::logs::ParserSpec::new("raw").build().unwrap().framing().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct Framing {
    pub(crate) container: Option<ContainerFormat>,
    pub(crate) multiline: Option<Multiline>,
    pub(crate) max_length: usize,
}

impl Framing {
    /// The envelope, if any.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec { container: Some("auto".into()), ..Default::default() }.build().unwrap();
    /// assert_eq!(parser.framing().and_then(|f| f.container()), Some(srekit::logs::ContainerFormat::Auto));
    /// ```
    pub fn container(&self) -> Option<ContainerFormat> {
        self.container
    }

    /// The longest raw line a framed stream reads, envelope included: room around a message of the
    /// maximum length for the envelope (a docker `log` string may take six bytes per byte, `\u0001`),
    /// so that whether a message fits is decided by the message, not its line. A longer line is
    /// skipped on its own, wherever chunks of the stream were cut (see [`Feed`](super::Feed)).
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec { container: Some("cri".into()), max_line_length: 100, ..Default::default() }.build().unwrap();
    /// assert_eq!(parser.framing().unwrap().line_limit(), 6 * 100 + 4096);
    /// ```
    pub fn line_limit(&self) -> usize {
        self.max_length.saturating_mul(6).saturating_add(4096)
    }

    /// A new stream's state.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec { container: Some("cri".into()), ..Default::default() }.build().unwrap();
    /// assert!(!parser.framing().unwrap().framer().has_pending());
    /// ```
    pub fn framer(&self) -> Framer {
        Framer { resolved: None, joiner: Joiner::new(self.max_length), groups: Default::default() }
    }
}

/// A message ready to parse.
///
/// ```
/// let message = srekit::logs::Message { line: 1, offset: 0, stream: None, time: None, text: b"a=1" };
/// assert_eq!(message.text, b"a=1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// Line number of the message's first line (1-based; 0 where lines are not numbered).
    pub line: u64,
    /// Byte offset of its first line.
    pub offset: u64,
    /// The container stream (with an envelope).
    pub stream: Option<Stream>,
    /// The container's time of the first piece (with an envelope).
    pub time: Option<&'a str>,
    /// The payload (multi-line events joined with `\n`).
    pub text: &'a [u8],
}

/// What a [`Framer`] hands out: a message, or why a line or joined event was dropped.
///
/// ```
/// let framed = srekit::logs::Framed::Error { line: 2, offset: 10, error: srekit::logs::LineError::new(0, "x") };
/// assert!(matches!(framed, srekit::logs::Framed::Error { line: 2, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framed<'a> {
    /// A whole message.
    Message(Message<'a>),
    /// A joined message (pieces or a multi-line event) over the maximum length, skipped.
    TooLong {
        /// Line number of its first line.
        line: u64,
        /// Byte offset.
        offset: u64,
        /// The over-long line error.
        error: LineError,
    },
    /// A line whose envelope cannot be read.
    Error {
        /// Line number (of the first piece or line).
        line: u64,
        /// Byte offset.
        offset: u64,
        /// What is wrong.
        error: LineError,
    },
}

/// The framing state of one stream: the envelope format decided from its first line, pieces waiting
/// for their final piece, and open multi-line events (one per container stream).
///
/// ```
/// use std::time::Instant;
/// let parser = srekit::logs::ParserSpec { container: Some("cri".into()), ..srekit::logs::ParserSpec::new("raw") }.build().unwrap();
/// let framing = parser.framing().unwrap();
/// let mut framer = framing.framer();
/// let mut texts = Vec::new();
/// for (n, line) in ["2024-05-01T10:00:00Z stdout P {\"a\":", "2024-05-01T10:00:00Z stdout F 1}"].iter().enumerate() {
///     framer.push_line(framing, n as u64 + 1, 0, line.as_bytes(), Instant::now(), |framed| {
///         if let srekit::logs::Framed::Message(m) = framed { texts.push(String::from_utf8_lossy(m.text).into_owned()) }
///     });
/// }
/// assert_eq!(texts, ["{\"a\":1}"]);
/// ```
#[derive(Debug, Clone)]
pub struct Framer {
    resolved: Option<ContainerFormat>,
    joiner: Joiner,
    /// Multi-line events: without an envelope, stdout, stderr.
    groups: [Grouper; 3],
}

impl Framer {
    /// Whether pieces or an event wait for more lines.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("raw").build().unwrap();
    /// assert!(parser.framing().is_none());
    /// ```
    pub fn has_pending(&self) -> bool {
        self.joiner.has_pending() || self.groups.iter().any(Grouper::is_open)
    }

    /// Frames one raw line (its line ending is ignored) read at `now`.
    pub fn push_line(
        &mut self,
        framing: &Framing,
        line: u64,
        offset: u64,
        raw: &[u8],
        now: Instant,
        mut on_framed: impl FnMut(Framed<'_>),
    ) {
        let raw = trim_line_end(raw);
        let max = framing.max_length;
        let Some(container) = framing.container else {
            match &framing.multiline {
                Some(multiline) => self.groups[0].push(multiline, max, line, offset, "", raw, now, |event| {
                    emit_event(event, None, max, &mut on_framed)
                }),
                None => {
                    on_framed(Framed::Message(Message { line, offset, stream: None, time: None, text: raw }))
                }
            }
            return;
        };
        if raw.is_empty() {
            return;
        }
        let format = *self.resolved.get_or_insert_with(|| container.resolve(raw));
        let piece = match Piece::parse(format, raw) {
            Ok(piece) => piece,
            Err(error) => return on_framed(Framed::Error { line, offset, error }),
        };
        let groups = &mut self.groups;
        self.joiner.push(line, offset, piece, |joined| route(joined, framing, groups, now, &mut on_framed));
    }

    /// Emits the multi-line events that had no new line for their timeout by `now`.
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let spec = srekit::logs::MultilineSpec { start: Some("^S".into()), timeout: "1s".into(), ..Default::default() };
    /// let parser = srekit::logs::ParserSpec { multiline: Some(spec), ..srekit::logs::ParserSpec::new("raw") }.build().unwrap();
    /// let framing = parser.framing().unwrap();
    /// let mut framer = framing.framer();
    /// let start = Instant::now();
    /// framer.push_line(framing, 1, 0, b"S one", start, |_| unreachable!());
    /// let mut flushed = 0;
    /// framer.flush_idle(framing, start + Duration::from_secs(2), |_| flushed += 1);
    /// assert_eq!(flushed, 1);
    /// ```
    pub fn flush_idle(&mut self, framing: &Framing, now: Instant, mut on_framed: impl FnMut(Framed<'_>)) {
        let Some(multiline) = &framing.multiline else { return };
        let max = framing.max_length;
        for (index, group) in self.groups.iter_mut().enumerate() {
            group.flush_idle(multiline, max, now, |event| {
                emit_event(event, stream_of(index), max, &mut on_framed)
            });
        }
    }

    /// Ends the stream: pieces without a final piece and open events are emitted as they are.
    ///
    /// ```
    /// use std::time::Instant;
    /// let parser = srekit::logs::ParserSpec { container: Some("cri".into()), ..srekit::logs::ParserSpec::new("raw") }.build().unwrap();
    /// let framing = parser.framing().unwrap();
    /// let mut framer = framing.framer();
    /// framer.push_line(framing, 1, 0, b"2024-05-01T10:00:00Z stdout P cut", Instant::now(), |_| unreachable!());
    /// let mut last = Vec::new();
    /// framer.finish(framing, |f| if let srekit::logs::Framed::Message(m) = f { last = m.text.to_vec() });
    /// assert_eq!(last, b"cut");
    /// ```
    pub fn finish(&mut self, framing: &Framing, mut on_framed: impl FnMut(Framed<'_>)) {
        let max = framing.max_length;
        let groups = &mut self.groups;
        let now = Instant::now();
        self.joiner.finish(|joined| route(joined, framing, groups, now, &mut on_framed));
        let mut open: Vec<usize> = (0..groups.len()).filter(|&i| groups[i].is_open()).collect();
        open.sort_by_key(|&i| groups[i].first_line());
        for index in open {
            groups[index].finish(max, |event| emit_event(event, stream_of(index), max, &mut on_framed));
        }
    }
}

/// A joined message: to its stream's multi-line event, or out as it is.
fn route(
    joined: Result<Joined<'_>, JoinError>,
    framing: &Framing,
    groups: &mut [Grouper; 3],
    now: Instant,
    on_framed: &mut impl FnMut(Framed<'_>),
) {
    let max = framing.max_length;
    match (joined, &framing.multiline) {
        (Err(e), _) => on_framed(Framed::TooLong { line: e.line, offset: e.offset, error: e.line_error() }),
        (Ok(joined), None) => on_framed(Framed::Message(Message {
            line: joined.line,
            offset: joined.offset,
            stream: Some(joined.stream),
            time: Some(joined.time),
            text: joined.message,
        })),
        (Ok(joined), Some(multiline)) => {
            let stream = joined.stream;
            let group = &mut groups[1 + stream.index()];
            group.push(
                multiline,
                max,
                joined.line,
                joined.offset,
                joined.time,
                joined.message,
                now,
                |event| emit_event(event, Some(stream), max, on_framed),
            )
        }
    }
}

fn stream_of(group: usize) -> Option<Stream> {
    match group {
        1 => Some(Stream::Stdout),
        2 => Some(Stream::Stderr),
        _ => None,
    }
}

fn emit_event(
    event: Result<GroupedEvent<'_>, TooLongEvent>,
    stream: Option<Stream>,
    max: usize,
    on_framed: &mut impl FnMut(Framed<'_>),
) {
    match event {
        Ok(event) => on_framed(Framed::Message(Message {
            line: event.line,
            offset: event.offset,
            stream,
            time: stream.map(|_| event.time),
            text: event.text,
        })),
        Err((line, offset, length)) => {
            on_framed(Framed::TooLong { line, offset, error: too_long(max, length) })
        }
    }
}
