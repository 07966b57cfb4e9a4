//! Log parsing: `parse_logfmt` / `parse_ltsv` / `parse_json` / `parse_regex` (over the core's shared
//! parser cache) for one line; the `Parser` class, built from the core's `ParserSpec`, whose
//! `parse_many` tokenizes a whole buffer with the GIL released, then builds the dicts; and
//! `LineFeed` and `RecordFeed` (for framed parsers), the core's chunked feed behind
//! `Parser.parse_file`. All parsing is `srekit::logs`; this file converts arguments, results and
//! errors.

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use pyo3::exceptions::PyDeprecationWarning;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString};
use srekit::error::codes::{INTERNAL_PANIC, LOG_CONFIG};
use srekit::logs::{Feed, FeedEvent, LineError, MultilineSpec, Parser, ParserCache, ParserSpec, Record};

use srekit::logs::columnar::{parse_columns, ColumnarOptions};

use crate::columns::PyLogColumns;
use crate::errors::{coded_error, log_parse_error, to_py_err};
use crate::input::Text;
use crate::records::DictBuilder;

/// A line's parse error as `LogParseError` (offset from the core, line number when in a buffer).
fn line_error(py: Python<'_>, err: &LineError, line: Option<usize>) -> PyErr {
    let message = match line {
        Some(number) => format!("line {number}: {err}"),
        None => err.to_string(),
    };
    log_parse_error(py, message, err.offset, line)
}

/// Parses one line (the trailing newline, if any, is ignored by the core) into a dict.
fn parse_one<'py>(py: Python<'py>, parser: &Parser, line: &Text) -> PyResult<Bound<'py, PyDict>> {
    match parser.parse(line.as_bytes()) {
        Ok(record) => DictBuilder::default().record(py, &record),
        Err(err) => Err(line_error(py, &err, None)),
    }
}

/// A lazily built parser with default options for one of the built-in formats.
fn builtin(cell: &'static OnceLock<Parser>, format: &str) -> PyResult<&'static Parser> {
    if let Some(parser) = cell.get() {
        return Ok(parser);
    }
    let parser = ParserSpec::new(format).build().map_err(to_py_err)?;
    Ok(cell.get_or_init(|| parser))
}

static LOGFMT: OnceLock<Parser> = OnceLock::new();
static LTSV: OnceLock<Parser> = OnceLock::new();
static JSON: OnceLock<Parser> = OnceLock::new();

/// Parses one logfmt line (`key=value key2="quoted value"`) into a dict of strings.
#[pyfunction]
fn parse_logfmt<'py>(py: Python<'py>, line: Text) -> PyResult<Bound<'py, PyDict>> {
    parse_one(py, builtin(&LOGFMT, "logfmt")?, &line)
}

/// Parses one LTSV line (`label:value<TAB>label2:value2`) into a dict of strings.
#[pyfunction]
fn parse_ltsv<'py>(py: Python<'py>, line: Text) -> PyResult<Bound<'py, PyDict>> {
    parse_one(py, builtin(&LTSV, "ltsv")?, &line)
}

/// Parses one JSON object line into a dict (JSON types kept).
#[pyfunction]
fn parse_json<'py>(py: Python<'py>, line: Text) -> PyResult<Bound<'py, PyDict>> {
    parse_one(py, builtin(&JSON, "json")?, &line)
}

/// Parses one line with a regex with named groups, or a preset name (`nginx`, `apache`,
/// `syslog-rfc5424`, ...); the named groups become the dict's keys.
#[pyfunction]
fn parse_regex<'py>(py: Python<'py>, line: Text, pattern_or_preset: &str) -> PyResult<Bound<'py, PyDict>> {
    // The core's shared cache: repeated calls with one pattern compile it once.
    let parser = ParserCache::shared().get(&ParserSpec::regex(pattern_or_preset)).map_err(to_py_err)?;
    parse_one(py, &parser, &line)
}

/// A configured log parser: a format plus field types, time key and limits.
#[pyclass(module = "srekit._srekit", name = "Parser", frozen, subclass)]
pub(crate) struct PyParser {
    inner: Parser,
    format: String,
    max_line_length: usize,
    /// When set, each dict also gets the record's timestamp (float seconds or None) under this key.
    timestamp_field: Option<Py<PyString>>,
}

#[pymethods]
impl PyParser {
    #[new]
    #[pyo3(signature = (format, *, regex = None, types = None, time_key = None, time_format = None,
                        timestamp_field = None, lossy_utf8 = false, max_line_length = None, pattern = None,
                        container = None, multiline = None))]
    #[allow(clippy::too_many_arguments)] // the Python keyword arguments, one to one
    fn new(
        py: Python<'_>,
        format: &str,
        regex: Option<String>,
        types: Option<BTreeMap<String, String>>,
        time_key: Option<String>,
        time_format: Option<String>,
        timestamp_field: Option<String>,
        lossy_utf8: bool,
        max_line_length: Option<usize>,
        pattern: Option<String>,
        container: Option<String>,
        multiline: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let regex = match (regex, pattern) {
            (Some(_), Some(_)) => {
                return Err(coded_error(LOG_CONFIG, "give regex= only (pattern= is its old name)"))
            }
            (None, Some(pattern)) => {
                let category = py.get_type::<PyDeprecationWarning>();
                PyErr::warn(py, &category, c"Parser(pattern=...) is deprecated: use regex=...", 1)?;
                Some(pattern)
            }
            (regex, None) => regex,
        };
        let mut spec = ParserSpec::new(format);
        spec.regex = regex;
        spec.types = types.unwrap_or_default();
        spec.time_key = time_key;
        spec.time_format = time_format;
        spec.lossy_utf8 = lossy_utf8;
        if let Some(limit) = max_line_length {
            spec.max_line_length = limit;
        }
        spec.container = container;
        if let Some(multiline) = multiline {
            spec.multiline = Some(multiline_spec(multiline)?);
        }
        Ok(PyParser {
            inner: spec.build().map_err(to_py_err)?,
            format: spec.format,
            max_line_length: spec.max_line_length,
            timestamp_field: timestamp_field.map(|name| PyString::intern(py, &name).unbind()),
        })
    }

    /// The format name this parser was built with.
    #[getter]
    fn format(&self) -> &str {
        &self.format
    }

    /// Lines longer than this many bytes are not parsed (reported as errors).
    #[getter]
    fn max_line_length(&self) -> usize {
        self.max_line_length
    }

    /// Whether the parser joins lines (a container envelope or multi-line events).
    #[getter]
    fn framed(&self) -> bool {
        self.inner.framing().is_some()
    }

    /// Parses one line into a dict; raises `LogParseError` (a ValueError) with `.offset`.
    fn parse<'py>(&self, py: Python<'py>, line: Text) -> PyResult<Bound<'py, PyDict>> {
        match self.inner.parse(line.as_bytes()) {
            Ok(record) => self.to_dict(py, &record, &mut DictBuilder::default()),
            Err(err) => Err(line_error(py, &err, None)),
        }
    }

    /// Parses a whole buffer of lines (str or bytes; LF or CRLF) into a list of dicts, one per
    /// parsed line, with the GIL released while the core tokenizes.
    ///
    /// Bad lines never stop the parse. They are skipped, and reported as `LogParseError` values
    /// (with `.line`, 1-based, and `.offset`) appended to `errors` when a list is given; with
    /// `strict=True` the first bad line raises its `LogParseError` instead. `first_line` is the
    /// number given to the buffer's first line (for callers reading a file in chunks).
    #[pyo3(signature = (data, *, errors = None, strict = false, first_line = 1))]
    fn parse_many<'py>(
        &self,
        py: Python<'py>,
        data: Text,
        errors: Option<&Bound<'py, PyList>>,
        strict: bool,
        first_line: usize,
    ) -> PyResult<Bound<'py, PyList>> {
        let parser = &self.inner;
        let bytes = data.as_bytes();
        let out = PyList::empty(py);
        let mut sink = Sink { out: &out, errors, strict, builder: DictBuilder::default() };
        // Chunk by chunk: the core tokenizes a chunk with the GIL released, then its records become
        // dicts. Small chunks keep the borrowed records cache-hot and the memory they need bounded.
        let chunks = std::iter::successors(Some((0, 0)), |&(_, end)| {
            (end < bytes.len())
                .then(|| (end, end + srekit::logs::whole_lines_prefix(&bytes[end..], CHUNK_BYTES)))
        })
        .skip(1)
        .map(|(start, end)| &bytes[start..end]);
        // The core numbers a buffer's lines from CORE_FIRST_LINE; the caller's first is `first_line`.
        let number = |core_line: usize| first_line.saturating_add(core_line.saturating_sub(CORE_FIRST_LINE));
        if parser.framing().is_some() {
            // A framed parser (container envelope, multi-line) carries its partial pieces and open
            // event from chunk to chunk through one core feed, numbering lines from the buffer's start.
            let mut feed = Feed::for_parser(parser);
            for chunk in chunks.map(Some).chain([None]) {
                let parsed = py.detach(|| feed.parse_owned(parser, chunk));
                for (line, result) in parsed {
                    let line = number(usize::try_from(line).unwrap_or(usize::MAX));
                    self.deliver(py, line, result, &mut sink)?;
                }
            }
            return Ok(out);
        }
        let mut parsed: Vec<(usize, Result<Record<'_>, LineError>)> = Vec::new();
        let mut lines_before = 0usize;
        for chunk in chunks {
            py.detach(|| parser.parse_many(chunk, |line_no, result| parsed.push((line_no, result))));
            for (line_no, result) in parsed.drain(..) {
                self.deliver(py, number(lines_before.saturating_add(line_no)), result, &mut sink)?;
            }
            lines_before = lines_before.saturating_add(memchr::memchr_iter(b'\n', chunk).count());
        }
        Ok(out)
    }

    /// Parses a whole buffer of lines (str or bytes) into Arrow columns, with the GIL released: a
    /// `LogColumns` that `pyarrow.table(...)`, `polars.DataFrame(...)` and other Arrow consumers take
    /// through the Arrow PyCapsule interface. Columns: `line` (the line number), then one per field
    /// (those in `fields` only, in that order, when given), typed by `types` / JSON (int64, float64,
    /// bool, utf8; ints and floats make float64, other mixes utf8), null where a record lacks the
    /// field; and the timestamps under `timestamp_field` when the parser has one. Bad lines are in
    /// `.errors` (`LogParseError`s with `.line` and `.offset`); `strict=True` raises the first.
    #[pyo3(signature = (data, *, fields = None, strict = false, first_line = 1, line_column = Some("line".to_owned())),
           text_signature = "(self, /, data, *, fields=None, strict=False, first_line=1, line_column='line')")]
    fn parse_arrow(
        &self,
        py: Python<'_>,
        data: Text,
        fields: Option<Vec<String>>,
        strict: bool,
        first_line: u64,
        line_column: Option<String>,
    ) -> PyResult<PyLogColumns> {
        let options = ColumnarOptions {
            fields,
            line_column,
            timestamp_column: match &self.timestamp_field {
                Some(name) => Some(name.bind(py).to_cow()?.into_owned()),
                None => None,
            },
            first_line,
        };
        let parsed =
            py.detach(|| parse_columns(&self.inner, data.as_bytes(), &options)).map_err(to_py_err)?;
        let errors = PyList::empty(py);
        for failure in &parsed.errors {
            let line = Some(usize::try_from(failure.line).unwrap_or(usize::MAX));
            let error = line_error(py, &failure.error, line);
            if strict {
                return Err(error);
            }
            errors.append(error.into_value(py))?;
        }
        Ok(PyLogColumns::new(parsed.batch, errors.unbind()))
    }

    fn __repr__(&self) -> String {
        format!("Parser({:?})", self.format)
    }
}

impl PyParser {
    /// The core parser.
    pub(crate) fn core(&self) -> &Parser {
        &self.inner
    }

    /// One parsed line (`line` 1-based, in the caller's numbering) into `sink`: a dict appended to
    /// its output, or the line's error raised (strict) or appended to its error list.
    fn deliver<'py>(
        &self,
        py: Python<'py>,
        line: usize,
        result: Result<Record<'_>, LineError>,
        sink: &mut Sink<'_, 'py>,
    ) -> PyResult<()> {
        match result {
            Ok(record) => sink.out.append(self.to_dict(py, &record, &mut sink.builder)?),
            Err(err) if sink.strict => Err(line_error(py, &err, Some(line))),
            Err(err) => match sink.errors {
                Some(errors) => errors.append(line_error(py, &err, Some(line)).into_value(py)),
                None => Ok(()),
            },
        }
    }

    /// A record as a dict, with its timestamp under `timestamp_field` when one is configured.
    fn to_dict<'py>(
        &self,
        py: Python<'py>,
        record: &Record<'_>,
        builder: &mut DictBuilder<'py>,
    ) -> PyResult<Bound<'py, PyDict>> {
        let dict = builder.record(py, record)?;
        if let Some(field) = &self.timestamp_field {
            dict.set_item(field.bind(py), record.timestamp)?;
        }
        Ok(dict)
    }
}

/// Where `parse_many` and `RecordFeed` put parsed lines: dicts in `out`, errors in `errors` (when
/// given) or raised (`strict`).
struct Sink<'a, 'py> {
    out: &'a Bound<'py, PyList>,
    errors: Option<&'a Bound<'py, PyList>>,
    strict: bool,
    builder: DictBuilder<'py>,
}

/// The core's chunked feed with a framed parser (container envelope, multi-line events) for
/// `Parser.parse_file`: `push(chunk)` and `finish()` parse what the bytes complete, the GIL released,
/// carrying partial pieces and the open event from chunk to chunk, and return `(records, errors)`:
/// the dicts, and the `LogParseError`s (with `.line`, from the stream's start, and `.offset`).
#[pyclass(module = "srekit._srekit", name = "RecordFeed", frozen)]
pub(crate) struct PyRecordFeed {
    parser: Py<PyParser>,
    feed: Mutex<Feed>,
}

#[pymethods]
impl PyRecordFeed {
    #[new]
    fn new(parser: Bound<'_, PyParser>) -> Self {
        let feed = Feed::for_parser(parser.get().core());
        PyRecordFeed { parser: parser.unbind(), feed: Mutex::new(feed) }
    }

    /// The records and errors the next chunk completes.
    fn push<'py>(&self, py: Python<'py>, chunk: Text) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
        self.parse(py, Some(chunk.as_bytes()))
    }

    /// Ends the stream: the last line, pieces without their final piece and the open event.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
        self.parse(py, None)
    }
}

impl PyRecordFeed {
    fn parse<'py>(
        &self,
        py: Python<'py>,
        chunk: Option<&[u8]>,
    ) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
        let parser = self.parser.get();
        // The lock is taken and released without the GIL: a thread waiting for it holds no GIL that
        // the thread inside would need to convert its records.
        let parsed = py
            .detach(|| {
                self.feed.lock().map(|mut feed| feed.parse_owned(parser.core(), chunk)).map_err(|_| ())
            })
            .map_err(|_| coded_error(INTERNAL_PANIC, "RecordFeed: poisoned"))?;
        let (out, errors) = (PyList::empty(py), PyList::empty(py));
        let mut sink =
            Sink { out: &out, errors: Some(&errors), strict: false, builder: DictBuilder::default() };
        for (line, result) in parsed {
            parser.deliver(py, usize::try_from(line).unwrap_or(usize::MAX), result, &mut sink)?;
        }
        Ok((out, errors))
    }
}

/// The core's chunked feed for `Parser.parse_file`: `push(chunk)` and `finish()` return what the
/// bytes complete, in order: `(first_line, block)` tuples of whole lines for `parse_many`, and
/// `LogParseError`s for lines skipped as longer than the limit (with `.line` and `.offset`).
#[pyclass(module = "srekit._srekit", name = "LineFeed", frozen)]
pub(crate) struct PyLineFeed {
    feed: Mutex<Feed>,
}

#[pymethods]
impl PyLineFeed {
    #[new]
    fn new(max_line_length: usize) -> Self {
        PyLineFeed { feed: Mutex::new(Feed::new(max_line_length)) }
    }

    /// The whole lines and skipped lines the next chunk completes.
    fn push<'py>(&self, py: Python<'py>, chunk: Text) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        let mut failed = None;
        let mut feed = self.feed.lock().map_err(|_| coded_error(INTERNAL_PANIC, "LineFeed: poisoned"))?;
        feed.push(chunk.as_bytes(), |event| feed_event(py, event, &out, &mut failed));
        failed.map_or(Ok(out), Err)
    }

    /// Ends the stream: a last line without a newline.
    fn finish<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let out = PyList::empty(py);
        let mut failed = None;
        let mut feed = self.feed.lock().map_err(|_| coded_error(INTERNAL_PANIC, "LineFeed: poisoned"))?;
        feed.finish(|event| feed_event(py, event, &out, &mut failed));
        failed.map_or(Ok(out), Err)
    }
}

/// Appends one feed event to `out` (the first Python error is kept in `failed`).
fn feed_event<'py>(
    py: Python<'py>,
    event: FeedEvent<'_>,
    out: &Bound<'py, PyList>,
    failed: &mut Option<PyErr>,
) {
    if failed.is_some() {
        return;
    }
    let appended = match event {
        FeedEvent::Lines(block) => (block.first_line, PyBytes::new(py, block.data))
            .into_pyobject(py)
            .and_then(|item| out.append(item)),
        FeedEvent::Skipped(skipped) => {
            let line = usize::try_from(skipped.line).unwrap_or(usize::MAX);
            out.append(line_error(py, &skipped.error, Some(line)).into_value(py))
        }
    };
    if let Err(err) = appended {
        *failed = Some(err);
    }
}

/// `multiline={"start": ..., "preset": ..., "max_lines": ..., "timeout": ...}` as the core's spec
/// (which refuses unknown keys and checks the values).
fn multiline_spec(dict: &Bound<'_, PyDict>) -> PyResult<MultilineSpec> {
    let mut object = serde_json::Map::new();
    for (key, value) in dict.iter() {
        let key: String = key.extract()?;
        let value = if let Ok(text) = value.extract::<String>() {
            serde_json::Value::from(text)
        } else if let Ok(number) = value.extract::<u64>() {
            serde_json::Value::from(number)
        } else {
            return Err(coded_error(LOG_CONFIG, format!("multiline: {key} must be a string or an integer")));
        };
        object.insert(key, value);
    }
    serde_json::from_value(serde_json::Value::Object(object))
        .map_err(|e| coded_error(LOG_CONFIG, format!("multiline: {e}")))
}

/// The number the core's `parse_many` gives a buffer's first line.
const CORE_FIRST_LINE: usize = 1;

/// Bytes handed to the core per GIL release in `parse_many` (rounded up to a whole line).
const CHUNK_BYTES: usize = 256 * 1024;

/// Adds this file's functions and the `Parser` class to the native module.
pub(crate) fn register(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_function(wrap_pyfunction!(parse_logfmt, module)?)?;
    module.add_function(wrap_pyfunction!(parse_ltsv, module)?)?;
    module.add_function(wrap_pyfunction!(parse_json, module)?)?;
    module.add_function(wrap_pyfunction!(parse_regex, module)?)?;
    module.add_class::<PyParser>()?;
    module.add_class::<PyLineFeed>()?;
    module.add_class::<PyRecordFeed>()?;
    Ok(())
}
