//! [`Feed`]: a byte stream pushed in chunks of any size (a file read piece by piece, a socket, a
//! JavaScript stream), cut into whole lines by a [`LineSplitter`] and parsed, with each record and
//! error given its absolute 1-based line number and the byte offset of its line in the stream. The
//! bindings' file and stream helpers are thin calls of it, so every language numbers lines, keeps
//! partial lines and skips over-long ones the same way, with the same messages.

use std::time::Instant;

use super::error::LineError;
use super::framing::{Framed, Framer, Framing};
use super::parser::{too_long, Parser};
use super::pipeline::{recycle, Field};
use super::record::Record;
use super::split::{trim_line_end, LineSplitter, SplitBlock};

/// What a [`Feed`] reports for a chunk: whole lines to parse, or a line skipped for its length.
///
/// ```
/// use srekit::logs::{Feed, FeedEvent};
///
/// let mut feed = Feed::new(4);
/// let mut seen = Vec::new();
/// feed.push(b"a=1\nfar too long\nb=2\n", |event| match event {
///     FeedEvent::Lines(block) => seen.push(format!("{}@{}: {:?}", block.first_line, block.offset, block.data)),
///     FeedEvent::Skipped(line) => seen.push(format!("{}@{}: {}", line.line, line.offset, line.error)),
/// });
/// // a too-long line wholly inside a chunk stays in its block: the parser rejects it.
/// assert_eq!(seen, ["1@0: [97, 61, 49, 10, 102, 97, 114, 32, 116, 111, 111, 32, 108, 111, 110, 103, 10, 98, 61, 50, 10]"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedEvent<'a> {
    /// A run of whole lines.
    Lines(LineBlock<'a>),
    /// A line over the maximum length that arrived across chunks, skipped without being buffered.
    Skipped(SkippedLine),
}

/// Whole lines of the stream, each ended by `\n` (the last may lack it at the end of the stream).
///
/// ```
/// let block = srekit::logs::LineBlock { first_line: 7, offset: 120, data: b"a=1\n" };
/// assert_eq!(block.data.len(), 4);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineBlock<'a> {
    /// 1-based number of the first line (every line counts, empty and skipped ones included).
    pub first_line: u64,
    /// Byte offset of the first line in the stream.
    pub offset: u64,
    /// The lines, line endings included.
    pub data: &'a [u8],
}

/// A line skipped because it is longer than the maximum.
///
/// ```
/// let mut feed = srekit::logs::Feed::new(3);
/// feed.push(b"ok\nlong", |_| {});
/// let mut skipped = None;
/// feed.finish(|event| if let srekit::logs::FeedEvent::Skipped(line) = event { skipped = Some(line) });
/// let skipped = skipped.unwrap();
/// assert_eq!((skipped.line, skipped.offset, skipped.error.offset), (2, 3, 3));
/// assert_eq!(skipped.error.message, "line too long (4 bytes, maximum 3); skipped");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedLine {
    /// 1-based line number.
    pub line: u64,
    /// Byte offset of the line in the stream.
    pub offset: u64,
    /// The error a parser gives such a line (its offset is the maximum length).
    pub error: LineError,
}

/// One parsed line of a [`Feed`]: its record, or why it failed, with where it is in the stream.
///
/// ```
/// let mut feed = srekit::logs::Feed::new(1 << 20);
/// let parser = srekit::logs::ParserSpec::new("logfmt").build().unwrap();
/// let mut items = Vec::new();
/// feed.parse(&parser, b"a=1\n\nb=\"x\n", |item| items.push((item.line, item.offset, item.result.is_ok())));
/// assert_eq!(items, [(1, 0, true), (3, 5, false)]);
/// ```
#[derive(Debug)]
pub struct FeedItem<'a> {
    /// 1-based line number in the stream.
    pub line: u64,
    /// Byte offset of the line in the stream.
    pub offset: u64,
    /// The record, or the line's error (its offset within the line).
    pub result: Result<&'a Record<'a>, &'a LineError>,
}

/// A parsed line of a [`Feed`], owned: its 1-based line number and its record or error.
///
/// ```
/// let item: srekit::logs::OwnedFeedItem = (3, Err(srekit::logs::LineError::new(0, "bad")));
/// assert_eq!(item.0, 3);
/// ```
pub type OwnedFeedItem = (u64, Result<Record<'static>, LineError>);

/// A chunked feed: push byte chunks of any size, get whole lines (or parsed records) with absolute
/// line numbers and byte offsets. A partial last line waits for the next chunk (at most the maximum
/// line length of it is kept), a longer line is skipped and reported once, `\r\n` is accepted, and
/// [`Feed::finish`] ends the stream (a last line without a newline counts).
///
/// ```
/// use srekit::logs::{Feed, ParserSpec};
///
/// let parser = ParserSpec::new("logfmt").build().unwrap();
/// let mut feed = Feed::for_parser(&parser);
/// let mut seen = Vec::new();
/// for chunk in [&b"a=1\r\nb"[..], b"=2\nc=\"open\n", b"d=4"] {
///     feed.parse(&parser, chunk, |item| seen.push(match item.result {
///         Ok(record) => format!("{}@{}: {}", item.line, item.offset, record.to_json()),
///         Err(err) => format!("{}@{}: {err}", item.line, item.offset),
///     }));
/// }
/// feed.finish_parse(&parser, |item| seen.push(format!("{}@{}: {}", item.line, item.offset, item.result.is_ok())));
/// assert_eq!(seen, [
///     r#"1@0: {"a":"1"}"#,
///     r#"2@5: {"b":"2"}"#,
///     "3@9: byte 2: unterminated quoted value",
///     "4@17: true",
/// ]);
/// ```
#[derive(Debug, Clone)]
pub struct Feed {
    splitter: LineSplitter,
    max_line_length: usize,
    /// Byte offset of the next line's start.
    offset: u64,
    /// The stream's framing state, made on first use by a framed parser.
    framer: Option<Framer>,
    /// The fields vector of the last framed record, cleared, for the next one (no allocation per
    /// message).
    spare_fields: Vec<Field<'static>>,
}

impl Feed {
    /// A feed for lines of at most `max_line_length` bytes.
    ///
    /// ```
    /// assert_eq!(srekit::logs::Feed::new(10).lines_seen(), 0);
    /// ```
    pub fn new(max_line_length: usize) -> Feed {
        Feed {
            splitter: LineSplitter::new(max_line_length),
            max_line_length,
            offset: 0,
            framer: None,
            spare_fields: Vec::new(),
        }
    }

    /// A feed with `parser`'s maximum line length.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec { max_line_length: 9, ..Default::default() }.build().unwrap();
    /// assert_eq!(srekit::logs::Feed::for_parser(&parser).max_line_length(), 9);
    /// ```
    ///
    /// A framed parser's feed (see [`Parser::framing`]) cuts raw lines up to
    /// [`Framing::line_limit`](super::Framing::line_limit) (the envelope around a message of the
    /// maximum length), so the framer decides by the message; a longer raw line is skipped on its
    /// own, whether it arrived in one chunk or across many, with the same error.
    pub fn for_parser(parser: &Parser) -> Feed {
        let max = parser.options().max_line_length;
        match parser.framing() {
            Some(framing) => Feed {
                splitter: LineSplitter::new(framing.line_limit()),
                max_line_length: max,
                offset: 0,
                framer: None,
                spare_fields: Vec::new(),
            },
            None => Feed::new(max),
        }
    }

    /// The maximum line length.
    ///
    /// ```
    /// assert_eq!(srekit::logs::Feed::new(1 << 20).max_line_length(), 1 << 20);
    /// ```
    pub fn max_line_length(&self) -> usize {
        self.max_line_length
    }

    /// Lines reported so far (the number of the last one).
    ///
    /// ```
    /// let mut feed = srekit::logs::Feed::new(10);
    /// feed.push(b"a\nb\nc", |_| {});
    /// assert_eq!(feed.lines_seen(), 2);
    /// ```
    pub fn lines_seen(&self) -> u64 {
        self.splitter.lines_seen()
    }

    /// Feeds the next chunk; `on_event` gets the whole lines it completes and the lines skipped.
    ///
    /// ```
    /// let mut feed = srekit::logs::Feed::new(100);
    /// let mut blocks = 0;
    /// feed.push(b"a\nb\nc", |_| blocks += 1);
    /// assert_eq!(blocks, 1);
    /// ```
    pub fn push(&mut self, chunk: &[u8], mut on_event: impl FnMut(FeedEvent<'_>)) {
        let (max, offset) = (self.max_line_length, &mut self.offset);
        self.splitter.push_blocks(chunk, |block| on_event(event(max, offset, block)));
    }

    /// Ends the stream: a last line without a newline is reported.
    ///
    /// ```
    /// let mut feed = srekit::logs::Feed::new(100);
    /// feed.push(b"a\nno newline", |_| {});
    /// let mut last = Vec::new();
    /// feed.finish(|event| if let srekit::logs::FeedEvent::Lines(block) = event { last = block.data.to_vec() });
    /// assert_eq!(last, b"no newline");
    /// ```
    pub fn finish(&mut self, mut on_event: impl FnMut(FeedEvent<'_>)) {
        let (max, offset) = (self.max_line_length, &mut self.offset);
        self.splitter.finish_blocks(|block| on_event(event(max, offset, block)));
    }

    /// Feeds the next chunk and parses the lines it completes with `parser`; empty lines are
    /// skipped, every other line is reported as a record or an error.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("json").build().unwrap();
    /// let mut feed = srekit::logs::Feed::for_parser(&parser);
    /// let mut lines = Vec::new();
    /// feed.parse(&parser, b"{\"a\":1}\n[2]\n", |item| lines.push((item.line, item.result.is_ok())));
    /// assert_eq!(lines, [(1, true), (2, false)]);
    /// ```
    pub fn parse(&mut self, parser: &Parser, chunk: &[u8], mut on_item: impl FnMut(FeedItem<'_>)) {
        let Some(framing) = parser.framing() else {
            return self.push(chunk, |event| parse_event(parser, event, &mut on_item));
        };
        let framer = self.framer.get_or_insert_with(|| framing.framer());
        let (max, offset, spare) = (self.max_line_length, &mut self.offset, &mut self.spare_fields);
        let now = Instant::now();
        self.splitter.push_blocks(chunk, |block| {
            frame_event(parser, framing, framer, event(max, offset, block), now, spare, &mut on_item)
        });
    }

    /// [`Feed::parse`] of `Some(chunk)`, or [`Feed::finish_parse`] for `None`: one call for a
    /// binding that hands over a stream's chunks and then its end.
    ///
    /// ```
    /// use srekit::logs::{Feed, MultilineSpec, ParserSpec};
    ///
    /// let spec = MultilineSpec { preset: Some("java".into()), ..Default::default() };
    /// let parser = ParserSpec { container: Some("cri".into()), multiline: Some(spec), ..ParserSpec::new("raw") }.build().unwrap();
    /// let mut feed = Feed::for_parser(&parser);
    /// let mut events = Vec::new();
    /// let log = b"2024-05-01T10:00:00Z stderr F Exception in thread \"main\" java.lang.Error: x\n\
    ///             2024-05-01T10:00:00Z stderr P \tat A.main(A.ja\n\
    ///             2024-05-01T10:00:00Z stderr F va:1)\n";
    /// // a piece and the event it belongs to straddle every chunk boundary: state carries across
    /// for chunk in log.chunks(5).map(Some).chain([None]) {
    ///     feed.parse_chunk(&parser, chunk, |item| events.push((item.line, item.result.unwrap().to_json())));
    /// }
    /// assert_eq!(events, [(1, serde_json::json!({
    ///     "message": "Exception in thread \"main\" java.lang.Error: x\n\tat A.main(A.java:1)",
    ///     "stream": "stderr", "time": "2024-05-01T10:00:00Z"}))]);
    /// ```
    pub fn parse_chunk(&mut self, parser: &Parser, chunk: Option<&[u8]>, on_item: impl FnMut(FeedItem<'_>)) {
        match chunk {
            Some(chunk) => self.parse(parser, chunk, on_item),
            None => self.finish_parse(parser, on_item),
        }
    }

    /// Ends the stream for [`Feed::parse`]: parses a last line without a newline.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("logfmt").build().unwrap();
    /// let mut feed = srekit::logs::Feed::for_parser(&parser);
    /// feed.parse(&parser, b"a=1", |_| unreachable!());
    /// let mut count = 0;
    /// feed.finish_parse(&parser, |item| count += usize::from(item.result.is_ok()));
    /// assert_eq!(count, 1);
    /// ```
    pub fn finish_parse(&mut self, parser: &Parser, mut on_item: impl FnMut(FeedItem<'_>)) {
        let Some(framing) = parser.framing() else {
            return self.finish(|event| parse_event(parser, event, &mut on_item));
        };
        let framer = self.framer.get_or_insert_with(|| framing.framer());
        let (max, offset, spare) = (self.max_line_length, &mut self.offset, &mut self.spare_fields);
        let now = Instant::now();
        self.splitter.finish_blocks(|block| {
            frame_event(parser, framing, framer, event(max, offset, block), now, spare, &mut on_item)
        });
        framer.finish(framing, |framed| parse_framed(parser, framed, spare, &mut on_item));
    }

    /// [`Feed::parse_chunk`] with each result owned, in order, with its line number: for a binding
    /// that parses without its runtime's lock (the GIL) and converts the records after.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec { container: Some("cri".into()), ..srekit::logs::ParserSpec::new("logfmt") }.build().unwrap();
    /// let mut feed = srekit::logs::Feed::for_parser(&parser);
    /// assert!(feed.parse_owned(&parser, Some(b"2024-05-01T10:00:00Z stdout P a")).is_empty());
    /// let items = feed.parse_owned(&parser, Some(b"=\n2024-05-01T10:00:00Z stdout F 1 b=2\nbroken\n"));
    /// assert_eq!(items.len(), 2);
    /// assert_eq!(items[0].1.as_ref().unwrap().get("a").and_then(|v| v.as_str()), Some("1"));
    /// assert_eq!((items[1].0, items[1].1.is_err()), (3, true)); // "broken" is line 3
    /// assert!(feed.parse_owned(&parser, None).is_empty());
    /// ```
    pub fn parse_owned(&mut self, parser: &Parser, chunk: Option<&[u8]>) -> Vec<OwnedFeedItem> {
        let mut items = Vec::new();
        self.parse_chunk(parser, chunk, |item| {
            items.push((item.line, item.result.map(|r| r.clone().into_owned()).map_err(LineError::clone)))
        });
        items
    }

    /// For a framed parser (see [`Parser::framing`]): parses the multi-line events that had no new line
    /// for their timeout by `now` (a caller reading a live stream calls this while it waits).
    ///
    /// ```
    /// use std::time::{Duration, Instant};
    /// let spec = srekit::logs::MultilineSpec { start: Some("^S".into()), ..Default::default() };
    /// let parser = srekit::logs::ParserSpec { multiline: Some(spec), ..srekit::logs::ParserSpec::new("raw") }.build().unwrap();
    /// let mut feed = srekit::logs::Feed::for_parser(&parser);
    /// feed.parse(&parser, b"S a\n more\n", |_| unreachable!());
    /// let mut events = Vec::new();
    /// feed.flush_idle(&parser, Instant::now() + Duration::from_secs(5), |item| events.push(item.result.unwrap().to_json()));
    /// assert_eq!(events, [serde_json::json!({"message": "S a\n more"})]);
    /// ```
    pub fn flush_idle(&mut self, parser: &Parser, now: Instant, mut on_item: impl FnMut(FeedItem<'_>)) {
        if let (Some(framing), Some(framer)) = (parser.framing(), self.framer.as_mut()) {
            let spare = &mut self.spare_fields;
            framer.flush_idle(framing, now, |framed| parse_framed(parser, framed, spare, &mut on_item));
        }
    }
}

/// A splitter block as a feed event, advancing the stream offset past it.
fn event<'a>(max_line_length: usize, offset: &mut u64, block: SplitBlock<'a>) -> FeedEvent<'a> {
    let start = *offset;
    match block {
        SplitBlock::Lines { first_line, data } => {
            *offset += data.len() as u64;
            FeedEvent::Lines(LineBlock { first_line, offset: start, data })
        }
        SplitBlock::TooLong { number, length, bytes } => {
            *offset += bytes as u64;
            FeedEvent::Skipped(SkippedLine {
                line: number,
                offset: start,
                error: too_long(max_line_length, length),
            })
        }
    }
}

/// Frames the lines of one event and parses the messages they complete.
fn frame_event(
    parser: &Parser,
    framing: &Framing,
    framer: &mut Framer,
    event: FeedEvent<'_>,
    now: Instant,
    spare: &mut Vec<Field<'static>>,
    on_item: &mut impl FnMut(FeedItem<'_>),
) {
    match event {
        FeedEvent::Skipped(skipped) => {
            on_item(FeedItem { line: skipped.line, offset: skipped.offset, result: Err(&skipped.error) })
        }
        FeedEvent::Lines(block) => {
            let (mut rest, mut line, mut offset) = (block.data, block.first_line, block.offset);
            let limit = framing.line_limit();
            while !rest.is_empty() {
                let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
                let (raw, next) = rest.split_at(end);
                let length = trim_line_end(raw).len();
                if length > limit {
                    // As the splitter skips such a line arriving across chunks: the same whatever the cut.
                    let error = too_long(parser.options().max_line_length, length);
                    on_item(FeedItem { line, offset, result: Err(&error) });
                } else {
                    framer.push_line(framing, line, offset, raw, now, |framed| {
                        parse_framed(parser, framed, spare, on_item)
                    });
                }
                (rest, line, offset) = (next, line + 1, offset + end as u64);
            }
        }
    }
}

/// Parses one framed message (or reports its error), into the fields vector `spare` keeps between
/// messages.
fn parse_framed(
    parser: &Parser,
    framed: Framed<'_>,
    spare: &mut Vec<Field<'static>>,
    on_item: &mut impl FnMut(FeedItem<'_>),
) {
    match framed {
        // An empty message is skipped, as an empty line is.
        Framed::Message(message) if message.text.is_empty() => {}
        Framed::Message(message) => {
            let mut record = Record { fields: recycle(std::mem::take(spare)), timestamp: None };
            let (line, offset) = (message.line, message.offset);
            match parser.parse_message_into(&message, &mut record) {
                Ok(()) => on_item(FeedItem { line, offset, result: Ok(&record) }),
                Err(err) => on_item(FeedItem { line, offset, result: Err(&err) }),
            }
            *spare = recycle(record.fields);
        }
        Framed::Error { line, offset, error } | Framed::TooLong { line, offset, error } => {
            on_item(FeedItem { line, offset, result: Err(&error) })
        }
    }
}

/// Parses the lines of one event, reporting each non-empty one.
fn parse_event(parser: &Parser, event: FeedEvent<'_>, on_item: &mut impl FnMut(FeedItem<'_>)) {
    match event {
        FeedEvent::Skipped(skipped) => {
            on_item(FeedItem { line: skipped.line, offset: skipped.offset, result: Err(&skipped.error) })
        }
        FeedEvent::Lines(block) => {
            let mut record = Record::with_capacity(16);
            let (mut rest, mut line, mut offset) = (block.data, block.first_line, block.offset);
            while !rest.is_empty() {
                let end = memchr::memchr(b'\n', rest).map_or(rest.len(), |i| i + 1);
                let (raw, next) = rest.split_at(end);
                if !trim_line_end(raw).is_empty() {
                    match parser.parse_into(raw, &mut record) {
                        Ok(()) => on_item(FeedItem { line, offset, result: Ok(&record) }),
                        Err(err) => on_item(FeedItem { line, offset, result: Err(&err) }),
                    }
                }
                (rest, line, offset) = (next, line + 1, offset + end as u64);
            }
        }
    }
}
