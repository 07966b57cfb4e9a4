//! Log parsing for JavaScript: the native `Parser` class (`parse`, `parseEntry`, and
//! `parseManyBatch`, which `records.js` turns into objects; see [`crate::batch`]), built from the
//! core's `ParserSpec`; `parseRegex` over the core's shared parser cache; and `LineFeed`, the core's
//! chunked feed behind `parseStream` / `parseFile` / `applyStream`. Records come out as their map
//! view (see [`crate::values`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Buffer, Either};
use napi::Env;
use napi_derive::napi;
use srekit::logs::{
    Feed, FeedEvent, LineError, MultilineSpec, OwnedFeedItem, Parser, ParserCache, ParserSpec,
};

use crate::batch::RecordBatch;
use crate::columns::{parse_to_ipc, ColumnsOptions, ParsedColumns};
use srekit::error::codes::INTERNAL_PANIC;

use crate::errors::{coded_error, throw_error, to_js_error, ErrorPosition, JsErrorCode};
use crate::input::BatchInput;
use crate::js::{Js, RawArg, RawValue};
use crate::stream::BatchStream;
use crate::values::{record_to_js, value_to_js};

/// Options of a `Parser`, as Fluent Bit's parser keys.
#[napi(object)]
#[derive(Default)]
pub struct LogParserOptions {
    /// Field -> `'int' | 'float' | 'bool' | 'string'` (Fluent Bit `Types`).
    pub types: Option<HashMap<String, String>>,
    /// Field holding the record's time (Fluent Bit `Time_Key`).
    pub time_key: Option<String>,
    /// strptime-style format of that field (Fluent Bit `Time_Format`).
    pub time_format: Option<String>,
    /// Replace invalid UTF-8 with U+FFFD instead of rejecting the line.
    pub lossy_utf8: Option<bool>,
    /// Longer lines are rejected (default 1 MiB).
    pub max_line_length: Option<u32>,
    /// The pattern, with named groups, or a preset name, when the format is `'regex'`.
    pub regex: Option<String>,
    /// The container runtime's envelope to unwrap: `'cri' | 'docker' | 'auto'` (records get `stream`
    /// and `time`; partial pieces are joined per stream).
    pub container: Option<String>,
    /// Multi-line events: `{ start }` (a regex) or `{ preset: 'java' | 'python' | 'go' }`.
    pub multiline: Option<MultilineOptions>,
}

/// How lines are grouped into multi-line events (the core's `MultilineSpec`).
#[napi(object)]
#[derive(Default)]
pub struct MultilineOptions {
    /// A line matching this regex starts a new event.
    pub start: Option<String>,
    /// `'java' | 'python' | 'go'`: stack traces as those runtimes print them.
    pub preset: Option<String>,
    /// Most lines in one event (default 1000).
    pub max_lines: Option<u32>,
    /// An event with no new line for this long is emitted (default `'1s'`).
    pub timeout: Option<String>,
}

impl LogParserOptions {
    /// The core spec these options and `format` describe (the core checks it when it is built).
    fn into_spec(self, format: String) -> ParserSpec {
        let mut spec = ParserSpec::new(format);
        spec.regex = self.regex;
        spec.types = self.types.map(|types| types.into_iter().collect()).unwrap_or_default();
        spec.time_key = self.time_key;
        spec.time_format = self.time_format;
        spec.lossy_utf8 = self.lossy_utf8.unwrap_or(false);
        if let Some(max) = self.max_line_length {
            spec.max_line_length = max as usize;
        }
        spec.container = self.container;
        spec.multiline = self.multiline.map(|m| {
            let defaults = MultilineSpec::default();
            MultilineSpec {
                start: m.start,
                preset: m.preset,
                max_lines: m.max_lines.map_or(defaults.max_lines, |n| n as usize),
                timeout: m.timeout.unwrap_or(defaults.timeout),
            }
        });
        spec
    }
}

/// The bytes of a `string | Buffer` argument.
fn input_bytes(input: &Either<String, Buffer>) -> &[u8] {
    match input {
        Either::A(text) => text.as_bytes(),
        Either::B(buffer) => buffer,
    }
}

fn line_error(env: &Env, err: &LineError) -> napi::Error {
    let position = ErrorPosition { offset: Some(err.offset), ..ErrorPosition::default() };
    throw_error(env, err, position)
}

/// A log parser for one format (`logfmt`, `ltsv`, `json`, `nginx`, `apache`, `syslog-rfc3164`,
/// `syslog-rfc5424`, ... or `regex`).
#[napi(js_name = "Parser")]
pub struct JsParser {
    inner: Arc<Parser>,
}

impl JsParser {
    /// The core parser.
    pub fn core(&self) -> &Parser {
        &self.inner
    }
}

#[napi]
impl JsParser {
    /// A parser for `format`; throws on an unknown format, type or time format, or a bad regex.
    #[napi(constructor)]
    pub fn new(format: String, options: Option<LogParserOptions>) -> napi::Result<Self, JsErrorCode> {
        let inner = options.unwrap_or_default().into_spec(format).build().map_err(to_js_error)?;
        Ok(JsParser { inner: Arc::new(inner) })
    }

    /// Lines longer than this many bytes are not parsed (reported as errors).
    #[napi(getter)]
    pub fn max_line_length(&self) -> f64 {
        self.inner.options().max_line_length as f64
    }

    /// Whether the parser joins lines (a container envelope or multi-line events): its streams are
    /// parsed through a `RecordFeed`, which keeps the lines being joined between chunks.
    #[napi(getter)]
    pub fn framed(&self) -> bool {
        self.inner.framing().is_some()
    }

    /// The format's name.
    #[napi(getter)]
    pub fn format(&self) -> &'static str {
        self.inner.options().format.name()
    }

    /// Parses one line into its record (map view); throws an `Error` with `offset` on a bad line.
    #[napi(ts_return_type = "LogRecord")]
    pub fn parse(&self, env: Env, line: Either<String, Buffer>) -> napi::Result<RawValue> {
        match self.inner.parse(input_bytes(&line)) {
            Ok(record) => Ok(RawValue(record_to_js(Js::new(&env), &record)?)),
            Err(err) => Err(line_error(&env, &err)),
        }
    }

    /// Parses one line into `{ record, timestamp }` (seconds since the epoch, or `null`).
    #[napi(ts_return_type = "{ record: LogRecord; timestamp: number | null }")]
    pub fn parse_entry(&self, env: Env, line: Either<String, Buffer>) -> napi::Result<RawValue> {
        let js = Js::new(&env);
        match self.inner.parse(input_bytes(&line)) {
            Ok(record) => {
                let entry = js.object()?;
                js.set(entry, js.string("record")?, record_to_js(js, &record)?)?;
                let timestamp = match record.timestamp {
                    Some(seconds) => js.number(seconds)?,
                    None => js.null()?,
                };
                js.set(entry, js.string("timestamp")?, timestamp)?;
                Ok(RawValue(entry))
            }
            Err(err) => Err(line_error(&env, &err)),
        }
    }

    /// Parses one line and returns the values at `paths` (`a.b.c` reaches into nested objects,
    /// numbers index arrays; a key containing dots is found whole first), `undefined` where absent.
    #[napi(ts_return_type = "Array<LogValue | undefined>")]
    pub fn extract(
        &self,
        env: Env,
        line: Either<String, Buffer>,
        paths: Vec<String>,
    ) -> napi::Result<RawValue> {
        let js = Js::new(&env);
        let record = self.inner.parse(input_bytes(&line)).map_err(|err| line_error(&env, &err))?;
        let values = js.array(paths.len())?;
        for (index, path) in paths.iter().enumerate() {
            let value = match record.get(path) {
                Some(value) => value_to_js(js, value)?,
                None => js.undefined()?,
            };
            js.set_index(values, index, value)?;
        }
        Ok(RawValue(values))
    }

    /// Parses every line of `data` (never stopping at a bad one) into the columnar batch that
    /// `records.js` builds objects from. Prefer `parseMany` / `parseManyEntries`.
    #[napi(ts_args_type = "data: string | Buffer", ts_return_type = "unknown")]
    pub fn parse_many_batch(&self, env: Env, data: BatchInput) -> napi::Result<RawValue> {
        let mut batch = RecordBatch::parse(&self.inner, data.bytes(), 0);
        Ok(RawValue(batch.finish(Js::new(&env), None)?))
    }

    /// Parses every line of `data` into Arrow columns: `{ ipc, rows, errors }`, `ipc` the Arrow IPC
    /// stream bytes. `parseColumns` (in `logs.js`) returns the bytes and keeps the errors in
    /// `lastErrors`.
    #[napi(ts_args_type = "data: string | Buffer, options?: ColumnsOptions")]
    pub fn parse_columns_ipc(
        &self,
        env: Env,
        data: BatchInput,
        options: Option<ColumnsOptions>,
    ) -> napi::Result<ParsedColumns, JsErrorCode> {
        parse_to_ipc(&env, &self.inner, data.bytes(), options)
    }

    /// Starts parsing every line of `data` into a sequence of columnar batches: a large input is
    /// parsed on a worker thread while JavaScript builds the objects of the batches already parsed
    /// (see [`crate::stream`]). `parseMany` / `parseManyEntries` use it.
    #[napi(ts_args_type = "data: string | Buffer")]
    pub fn parse_many_stream(&self, data: BatchInput) -> BatchStream {
        BatchStream::start(self.inner.clone(), data)
    }
}

/// Parses one line with a regex of named groups or a preset name (`nginx`, `syslog-rfc5424`, ...);
/// parsers come from the core's shared cache, so a pattern is compiled once.
#[napi(ts_args_type = "line: string | Buffer, patternOrPreset: string", ts_return_type = "LogRecord")]
pub fn parse_regex(
    env: Env,
    line: Either<String, Buffer>,
    pattern_or_preset: String,
) -> napi::Result<RawValue> {
    let parser = ParserCache::shared()
        .get(&ParserSpec::regex(pattern_or_preset))
        .map_err(|err| throw_error(&env, &err, ErrorPosition::default()))?;
    match parser.parse(input_bytes(&line)) {
        Ok(record) => Ok(RawValue(record_to_js(Js::new(&env), &record)?)),
        Err(err) => Err(line_error(&env, &err)),
    }
}

/// What a `LineFeed` call completed: whole lines (`start`..`end` of the chunk just pushed, or a
/// `buffer` of their own when they began in an earlier chunk) numbered from `line`, or a line skipped
/// as too long (`line`, `offset` in the line and the core's `message`).
#[napi(object)]
pub struct FeedPiece {
    /// 1-based number of the first whole line, or of the skipped line.
    pub line: f64,
    /// Start of the whole lines in the pushed chunk.
    pub start: Option<f64>,
    /// End of the whole lines in the pushed chunk.
    pub end: Option<f64>,
    /// Whole lines that began in an earlier chunk.
    pub buffer: Option<Buffer>,
    /// A skipped line's error offset (the maximum length).
    pub offset: Option<f64>,
    /// A skipped line's error message.
    pub message: Option<String>,
}

/// The core's chunked feed (`srekit::logs::Feed`) for the stream helpers in `logs.js`: push chunks,
/// get blocks of whole lines with absolute line numbers and the over-long lines skipped.
#[napi(js_name = "LineFeed")]
pub struct JsLineFeed {
    feed: Mutex<Feed>,
}

#[napi]
impl JsLineFeed {
    /// A feed for lines of at most `maxLineLength` bytes.
    #[napi(constructor)]
    pub fn new(max_line_length: u32) -> napi::Result<Self, JsErrorCode> {
        if max_line_length == 0 {
            return Err(to_js_error(srekit::logs::LogError::InvalidMaxLineLength));
        }
        Ok(JsLineFeed { feed: Mutex::new(Feed::new(max_line_length as usize)) })
    }

    /// The pieces the next chunk completes.
    #[napi]
    pub fn push(&self, chunk: Buffer) -> napi::Result<Vec<FeedPiece>, JsErrorCode> {
        let mut pieces = Vec::new();
        let data: &[u8] = &chunk;
        self.lock()?.push(data, |event| pieces.push(piece(data, event)));
        Ok(pieces)
    }

    /// Ends the stream: a last line without a newline.
    #[napi]
    pub fn finish(&self) -> napi::Result<Vec<FeedPiece>, JsErrorCode> {
        let mut pieces = Vec::new();
        self.lock()?.finish(|event| pieces.push(piece(&[], event)));
        Ok(pieces)
    }
}

impl JsLineFeed {
    fn lock(&self) -> napi::Result<std::sync::MutexGuard<'_, Feed>, JsErrorCode> {
        self.feed.lock().map_err(|_| coded_error(INTERNAL_PANIC, "LineFeed: a previous call failed"))
    }
}

/// One feed event as a piece: a range of `chunk` when the lines lie in it, else a copy.
fn piece(chunk: &[u8], event: FeedEvent<'_>) -> FeedPiece {
    let empty = FeedPiece { line: 0.0, start: None, end: None, buffer: None, offset: None, message: None };
    match event {
        FeedEvent::Lines(block) => {
            let start = (block.data.as_ptr() as usize).wrapping_sub(chunk.as_ptr() as usize);
            let line = block.first_line as f64;
            if start <= chunk.len() && block.data.len() <= chunk.len() - start {
                let end = start + block.data.len();
                FeedPiece { line, start: Some(start as f64), end: Some(end as f64), ..empty }
            } else {
                FeedPiece { line, buffer: Some(block.data.to_vec().into()), ..empty }
            }
        }
        FeedEvent::Skipped(skipped) => FeedPiece {
            line: skipped.line as f64,
            offset: Some(skipped.error.offset as f64),
            message: Some(skipped.error.to_string()),
            ..empty
        },
    }
}

/// The columnar batch of a feed's parsed lines (see [`crate::batch`]); errors keep the feed's line
/// numbers (counted from the stream's start).
pub(crate) fn feed_batch(items: &[OwnedFeedItem]) -> RecordBatch<'static> {
    let mut batch = RecordBatch::with_capacity(items.len() * 64);
    for (line, result) in items {
        match result {
            Ok(record) => batch.push_record(&record.fields, record.timestamp),
            Err(err) => {
                batch.push_error(usize::try_from(*line).unwrap_or(usize::MAX), err.offset, err.to_string())
            }
        }
    }
    batch
}

/// The core's chunked feed parsing with a framed parser (`srekit::logs::Feed::parse`), for the stream
/// helpers in `logs.js`: `push(chunk)` returns the batch of records (and errors) the chunk completes,
/// `finish()` the rest (pieces without their final piece, the open event). Memory stays bounded by a
/// chunk plus the message being joined (at most the parser's `maxLineLength`).
#[napi(js_name = "RecordFeed")]
pub struct JsRecordFeed {
    parser: Arc<Parser>,
    feed: Mutex<Feed>,
}

#[napi]
impl JsRecordFeed {
    /// A feed for `parser`'s streams.
    #[napi(constructor)]
    pub fn new(parser: &JsParser) -> Self {
        JsRecordFeed { parser: parser.inner.clone(), feed: Mutex::new(Feed::for_parser(&parser.inner)) }
    }

    /// The batch of the records the next chunk completes; `scratch` as in `parseManyStream`'s `next`.
    #[napi(ts_args_type = "chunk: Buffer, scratch?: Uint32Array | null", ts_return_type = "unknown")]
    pub fn push(&self, env: Env, chunk: Buffer, scratch: Option<RawArg>) -> napi::Result<RawValue> {
        let items = self.parse_owned(Some(&chunk))?;
        Ok(RawValue(feed_batch(&items).finish(Js::new(&env), scratch.map(|arg| arg.0))?))
    }

    /// Ends the stream: the batch of the last records.
    #[napi(ts_args_type = "scratch?: Uint32Array | null", ts_return_type = "unknown")]
    pub fn finish(&self, env: Env, scratch: Option<RawArg>) -> napi::Result<RawValue> {
        let items = self.parse_owned(None)?;
        Ok(RawValue(feed_batch(&items).finish(Js::new(&env), scratch.map(|arg| arg.0))?))
    }
}

impl JsRecordFeed {
    /// The parsed lines of `chunk` (`None`: the end of the stream), for this binding's callers.
    pub(crate) fn parse_owned(&self, chunk: Option<&[u8]>) -> napi::Result<Vec<OwnedFeedItem>> {
        let mut feed =
            self.feed.lock().map_err(|_| napi::Error::from_reason("RecordFeed: a previous call failed"))?;
        Ok(feed.parse_owned(&self.parser, chunk))
    }
}
