//! Columnar output of the log parsers (feature `arrow`): a batch of whole lines parsed straight into an
//! Arrow [`RecordBatch`], one column per field, for the Python (`Parser.parse_arrow`, Arrow PyCapsule)
//! and Node (`parser.parseColumns`, Arrow IPC stream bytes) bindings and for Rust users.
//!
//! - Columns: one per field, in order of first appearance (or the fields asked for, in that order),
//!   after a `line` column (int64, the line's 1-based number) and, when asked, a timestamp column
//!   (float64 seconds since the epoch, from the parser's time key).
//! - Types: the values' (the parser's `types` option, or JSON's): int64, uint64 (integers above
//!   `i64::MAX`), float64, bool, utf8. A field with ints and floats is float64; any other mix falls back
//!   to utf8, values written as `Value::to_label_string` writes them (JSON arrays and objects always are
//!   utf8 compact JSON). A field that is only ever null is of its declared type, or Arrow's null type.
//! - A record without a field is null in its column; a key repeated in one record keeps its last value
//!   (the record's map view, as `parse_many`'s dicts and objects).
//! - Lines that do not parse are not rows: they are collected, with their line number, as
//!   `parse_many` reports them.
//!
//! The parsing itself is [`Parser::parse_many_ref`]: this module only lays its records out.

mod column;
mod recycle;

use std::collections::HashMap;
use std::mem::MaybeUninit;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, RecordBatchOptions};
use arrow_schema::{ArrowError, Field, Schema};
use thiserror::Error;

use super::{FieldType, LineError, Parser, Record};
use crate::error::{codes, impl_error_code};
use crate::short_eq::same;
use column::Column;

/// What a columnar parse puts in its batch besides the fields.
///
/// ```
/// let options = srekit::logs::columnar::ColumnarOptions::default();
/// assert_eq!(options.line_column.as_deref(), Some("line"));
/// assert_eq!((options.fields, options.timestamp_column, options.first_line), (None, None, 1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnarOptions {
    /// Only these fields, as columns in this order (a column of nulls for a field no record has);
    /// `None`: every field, in order of first appearance.
    pub fields: Option<Vec<String>>,
    /// The name of the line-number column (default `line`); `None` for no such column. When a field
    /// has the same name, the line column's name gets `_` in front until it is unique.
    pub line_column: Option<String>,
    /// The name of a column of the records' timestamps (float64 seconds, null where a record has
    /// none); `None` (the default) for no such column. Renamed as `line_column` on a clash.
    pub timestamp_column: Option<String>,
    /// The number of the first line of the data (default 1), for a file read in chunks.
    pub first_line: u64,
}

impl Default for ColumnarOptions {
    fn default() -> Self {
        ColumnarOptions {
            fields: None,
            line_column: Some("line".to_owned()),
            timestamp_column: None,
            first_line: 1,
        }
    }
}

/// A line that did not parse: its number and the parser's error (as `parse_many` reports it).
///
/// ```
/// let parser = srekit::logs::ParserSpec::new("logfmt").build().unwrap();
/// let batch = srekit::logs::columnar::parse_columns(&parser, b"a=1\na=\"open\n", &Default::default()).unwrap();
/// assert_eq!(batch.errors[0].to_string(), "line 2: byte 2: unterminated quoted value");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}: {error}")]
pub struct LineFailure {
    /// The 1-based line number.
    pub line: u64,
    /// Why it did not parse (with the byte offset in the line).
    pub error: LineError,
}

/// Why a columnar batch could not be encoded.
///
/// ```
/// let err = srekit::logs::columnar::ColumnarError::from(arrow_schema::ArrowError::MemoryError("full".into()));
/// assert_eq!(err.code(), "log.io");
/// ```
#[derive(Debug, Error)]
pub enum ColumnarError {
    /// Arrow refused the batch or could not write it.
    #[error("arrow: {0}")]
    Arrow(#[from] ArrowError),
    /// [`IpcParts::write_into`] was given less room than the stream takes.
    #[error("an output of {output} bytes for an Arrow IPC stream of {stream}")]
    ShortOutput {
        /// The output's length.
        output: usize,
        /// The stream's length.
        stream: usize,
    },
}

impl ColumnarError {
    /// The stable code, `log.io` (writing the batch out failed).
    pub fn code(&self) -> &'static str {
        match self {
            ColumnarError::Arrow(_) | ColumnarError::ShortOutput { .. } => codes::LOG_IO,
        }
    }
}

impl_error_code!(ColumnarError);

/// The parsed lines as one Arrow record batch, and the lines that did not parse.
///
/// ```
/// use arrow_array::cast::AsArray;
/// use arrow_array::types::Int64Type;
///
/// let parser = srekit::logs::ParserSpec { types: [("status".into(), "int".into())].into(), ..srekit::logs::ParserSpec::new("logfmt") }.build().unwrap();
/// let columns = srekit::logs::columnar::parse_columns(&parser, b"status=200 path=/\nstatus=503\n", &Default::default()).unwrap();
/// let batch = &columns.batch;
/// assert_eq!(batch.schema().fields().iter().map(|f| f.name().as_str()).collect::<Vec<_>>(), ["line", "status", "path"]);
/// assert_eq!(batch.column(1).as_primitive::<Int64Type>().values().as_ref(), [200, 503]);
/// assert!(batch.column(2).is_null(1));
/// assert!(!columns.to_ipc().unwrap().is_empty());
/// ```
#[derive(Debug, Clone)]
pub struct ColumnarBatch {
    /// One row per parsed line.
    pub batch: RecordBatch,
    /// The lines that did not parse, in order.
    pub errors: Vec<LineFailure>,
}

impl ColumnarBatch {
    /// The batch as Arrow IPC stream bytes (schema, the batch, end of stream), as `apache-arrow`'s
    /// `tableFromIPC` or pyarrow's `ipc.open_stream` read them.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("json").build().unwrap();
    /// let bytes = srekit::logs::columnar::parse_columns(&parser, b"{\"a\":1}\n", &Default::default()).unwrap().to_ipc().unwrap();
    /// let batches: Vec<_> = arrow_ipc::reader::StreamReader::try_new(&bytes[..], None).unwrap().collect();
    /// assert_eq!(batches[0].as_ref().unwrap().num_rows(), 1);
    /// ```
    pub fn to_ipc(&self) -> Result<Vec<u8>, ColumnarError> {
        let parts = self.ipc_parts()?;
        let mut out = Vec::with_capacity(parts.len());
        let written = parts.write_into(out.spare_capacity_mut())?;
        // SAFETY: `write_into` initialised the first `written` bytes of the spare capacity.
        unsafe { out.set_len(written) };
        Ok(out)
    }

    /// The batch's Arrow IPC stream (as [`ColumnarBatch::to_ipc`] writes it) as the pieces it is made
    /// of, not yet copied into one place: the messages' headers and the columns' own buffers. For a
    /// caller that copies them into memory of its own, such as the Node binding into a Buffer in the
    /// JavaScript engine's memory.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("logfmt").build().unwrap();
    /// let columns = srekit::logs::columnar::parse_columns(&parser, b"a=1\n", &Default::default()).unwrap();
    /// let parts = columns.ipc_parts().unwrap();
    /// let bytes: Vec<u8> = parts.pieces().flatten().copied().collect();
    /// assert_eq!((bytes.len(), bytes), (parts.len(), columns.to_ipc().unwrap()));
    /// ```
    pub fn ipc_parts(&self) -> Result<IpcParts, ColumnarError> {
        let mut encoder = arrow_ipc::writer::StreamEncoder::try_new(&self.batch.schema())?;
        let mut pieces = encoder.encode(&self.batch)?;
        pieces.extend(encoder.finish()?);
        let len = pieces.iter().map(|piece| piece.len()).sum();
        Ok(IpcParts { pieces, len })
    }

    /// Gives the memory of the batch's columns back, for the next [`parse_columns`] of this process to
    /// fill instead of fresh memory (which the kernel faults in page by page): for a caller done with
    /// the arrays, e.g. after [`ColumnarBatch::to_ipc`]. Arrays shared elsewhere keep their memory.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("logfmt").build().unwrap();
    /// let columns = srekit::logs::columnar::parse_columns(&parser, b"a=1\n", &Default::default()).unwrap();
    /// let bytes = columns.to_ipc().unwrap();
    /// columns.recycle();
    /// assert!(!bytes.is_empty());
    /// ```
    pub fn recycle(self) {
        recycle::recycle(self.batch.into_parts().1);
    }
}

/// An Arrow IPC stream in pieces: see [`ColumnarBatch::ipc_parts`].
#[derive(Debug, Clone)]
pub struct IpcParts {
    pieces: Vec<arrow_buffer::Buffer>,
    len: usize,
}

impl IpcParts {
    /// The stream's length in bytes: the pieces' lengths added up.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("ltsv").build().unwrap();
    /// let columns = srekit::logs::columnar::parse_columns(&parser, b"a:x\n", &Default::default()).unwrap();
    /// assert_eq!(columns.ipc_parts().unwrap().len(), columns.to_ipc().unwrap().len());
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the stream has no bytes (never, for a stream of this module: it has a schema).
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("ltsv").build().unwrap();
    /// let columns = srekit::logs::columnar::parse_columns(&parser, b"", &Default::default()).unwrap();
    /// assert!(!columns.ipc_parts().unwrap().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The pieces in stream order; their bytes one after the other are the stream.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("json").build().unwrap();
    /// let columns = srekit::logs::columnar::parse_columns(&parser, b"{\"a\":1}\n", &Default::default()).unwrap();
    /// let parts = columns.ipc_parts().unwrap();
    /// assert_eq!(parts.pieces().map(<[u8]>::len).sum::<usize>(), parts.len());
    /// ```
    pub fn pieces(&self) -> impl Iterator<Item = &[u8]> {
        self.pieces.iter().map(|piece| piece.as_slice())
    }

    /// Copies the stream into the start of `out` and returns its length, [`IpcParts::len`]. Memory
    /// not yet faulted in (from 1 MiB) is faulted in with one call first rather than a page at a time.
    /// Fails, writing nothing, when `out` is shorter than the stream.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("logfmt").build().unwrap();
    /// let columns = srekit::logs::columnar::parse_columns(&parser, b"a=1\n", &Default::default()).unwrap();
    /// let parts = columns.ipc_parts().unwrap();
    /// let mut out = vec![std::mem::MaybeUninit::new(0u8); parts.len() + 8];
    /// assert_eq!(parts.write_into(&mut out).unwrap(), parts.len());
    /// let err = parts.write_into(&mut out[..10]).unwrap_err();
    /// assert_eq!(err.to_string(), format!("an output of 10 bytes for an Arrow IPC stream of {}", parts.len()));
    /// ```
    pub fn write_into(&self, out: &mut [MaybeUninit<u8>]) -> Result<usize, ColumnarError> {
        let Some(out) = out.get_mut(..self.len) else {
            return Err(ColumnarError::ShortOutput { output: out.len(), stream: self.len });
        };
        recycle::prefault(out);
        let mut at = 0;
        for piece in self.pieces() {
            let Some(to) = out.get_mut(at..at + piece.len()) else {
                return Err(ColumnarError::ShortOutput { output: out.len(), stream: self.len });
            };
            // SAFETY: `to` and `piece` have the same length, and `to` (memory borrowed mutably) cannot
            // overlap `piece` (the batch's buffers, borrowed shared).
            unsafe {
                std::ptr::copy_nonoverlapping(piece.as_ptr(), to.as_mut_ptr().cast::<u8>(), piece.len())
            };
            at += piece.len();
        }
        Ok(at)
    }
}

/// Parses every line of `data` (as [`Parser::parse_many`] splits it) into columns.
///
/// ```
/// let parser = srekit::logs::ParserSpec::new("json").build().unwrap();
/// let columns = srekit::logs::columnar::parse_columns(&parser, b"{\"a\":1}\n[]\n{\"a\":0.5,\"b\":true}\n", &Default::default()).unwrap();
/// assert_eq!(columns.batch.num_rows(), 2);
/// assert_eq!(columns.batch.schema().field(1).data_type(), &arrow_schema::DataType::Float64);
/// assert_eq!(columns.errors.iter().map(|e| e.line).collect::<Vec<_>>(), [2]);
/// ```
pub fn parse_columns(
    parser: &Parser,
    data: &[u8],
    options: &ColumnarOptions,
) -> Result<ColumnarBatch, ColumnarError> {
    let mut builder = ColumnBuilder::new(parser, options.clone());
    builder.expected_rows = estimated_lines(data);
    let first = options.first_line.saturating_sub(1);
    parser.parse_many_ref(data, |line_no, result| {
        let line = first.saturating_add(line_no as u64);
        match result {
            Ok(record) => builder.push(line, record),
            Err(error) => builder.fail(line, error.clone()),
        }
    });
    builder.finish()
}

/// Builds a columnar batch record by record (what [`parse_columns`] does over a buffer), for callers
/// with records from elsewhere (a feed, a file read in chunks).
///
/// ```
/// let parser = srekit::logs::ParserSpec::new("ltsv").build().unwrap();
/// let mut builder = srekit::logs::columnar::ColumnBuilder::new(&parser, Default::default());
/// builder.push(7, &parser.parse(b"a:x\ta:y").unwrap());
/// let batch = builder.finish().unwrap().batch;
/// assert_eq!(batch.num_columns(), 2);
/// assert_eq!(arrow_array::cast::AsArray::as_string::<i32>(batch.column(1)).value(0), "y");
/// ```
#[derive(Debug)]
pub struct ColumnBuilder {
    options: ColumnarOptions,
    /// Field name -> its column (`None`: a field not asked for).
    index: HashMap<String, Option<usize>, foldhash::fast::RandomState>,
    columns: Vec<Column>,
    /// The previous record's field names by position and their columns: lines of one log mostly
    /// repeat their keys in order, so a name is compared instead of hashed.
    previous: Vec<(Box<str>, Option<usize>)>,
    lines: Vec<i64>,
    timestamps: Vec<Option<f64>>,
    errors: Vec<LineFailure>,
    types: Vec<(String, FieldType)>,
    /// About how many rows the whole batch will have (0: unknown). Once [`SIZING_ROW`] rows are in,
    /// each column reserves room for that many, extrapolating its bytes per row: the columns then
    /// grow once instead of doubling (each doubling a copy into fresh, page-faulting memory).
    expected_rows: usize,
}

/// The row at which the columns are sized for [`ColumnBuilder::expected_rows`].
const SIZING_ROW: usize = 1024;
/// The prefix of the input whose lines give the average line length.
const SAMPLE_BYTES: usize = 256 << 10;

/// About how many lines `data` has, from the average length of the lines of its first 256 KiB.
fn estimated_lines(data: &[u8]) -> usize {
    let sample = &data[..data.len().min(SAMPLE_BYTES)];
    let (lines, end) = memchr::memrchr(b'\n', sample)
        .map_or((0, 0), |last| (memchr::memchr_iter(b'\n', sample).count(), last + 1));
    if lines == 0 || end == 0 {
        return 0;
    }
    lines.saturating_mul(data.len()) / end + 1
}

impl ColumnBuilder {
    /// A builder for records of `parser` (its `types` give a column of nulls only its type).
    pub fn new(parser: &Parser, options: ColumnarOptions) -> ColumnBuilder {
        let types = parser.options().types.clone();
        let mut builder = ColumnBuilder {
            options,
            index: HashMap::default(),
            columns: Vec::new(),
            previous: Vec::new(),
            lines: Vec::new(),
            timestamps: Vec::new(),
            errors: Vec::new(),
            types,
            expected_rows: 0,
        };
        for name in builder.options.fields.clone().unwrap_or_default() {
            if !builder.index.contains_key(&name) {
                builder.add_column(&name);
            }
        }
        builder
    }

    /// Adds `record`, the parse of line `line`, as the next row.
    pub fn push(&mut self, line: u64, record: &Record<'_>) {
        let row = self.lines.len();
        if row == SIZING_ROW && self.expected_rows > row {
            self.size_for(self.expected_rows);
        }
        self.lines.push(i64::try_from(line).unwrap_or(i64::MAX));
        if self.options.timestamp_column.is_some() {
            self.timestamps.push(record.timestamp);
        }
        for (position, (name, value)) in record.fields.iter().enumerate() {
            let column = match self.previous.get(position) {
                Some((previous, column)) if same(previous.as_bytes(), name.as_bytes()) => *column,
                _ => {
                    let column = self.column_of(name);
                    let slot = (Box::from(name.as_ref()), column);
                    match self.previous.get_mut(position) {
                        Some(previous) => *previous = slot,
                        None => self.previous.push(slot),
                    }
                    column
                }
            };
            if let Some(column) = column.and_then(|c| self.columns.get_mut(c)) {
                column.set(row, value);
            }
        }
    }

    /// Reserves room for `rows` rows in every column (by its bytes per row so far).
    fn size_for(&mut self, rows: usize) {
        let now = self.lines.len();
        recycle::grow(&mut self.lines, rows.saturating_sub(now));
        if self.options.timestamp_column.is_some() {
            self.timestamps.reserve(rows.saturating_sub(now));
        }
        for column in &mut self.columns {
            column.reserve(now, rows);
        }
    }

    /// Records that line `line` did not parse.
    pub fn fail(&mut self, line: u64, error: LineError) {
        self.errors.push(LineFailure { line, error });
    }

    /// Rows so far.
    ///
    /// ```
    /// let parser = srekit::logs::ParserSpec::new("logfmt").build().unwrap();
    /// assert_eq!(srekit::logs::columnar::ColumnBuilder::new(&parser, Default::default()).rows(), 0);
    /// ```
    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    /// The column of field `name`, added on first sight unless only some fields are asked for.
    fn column_of(&mut self, name: &str) -> Option<usize> {
        if let Some(column) = self.index.get(name) {
            return *column;
        }
        if self.options.fields.is_some() {
            self.index.insert(name.to_owned(), None);
            return None;
        }
        Some(self.add_column(name))
    }

    fn add_column(&mut self, name: &str) -> usize {
        let declared = self.types.iter().find(|(field, _)| field == name).map(|(_, t)| *t);
        self.columns.push(Column::new(name.to_owned(), declared));
        let column = self.columns.len() - 1;
        self.index.insert(name.to_owned(), Some(column));
        column
    }

    /// The batch and the errors. Fails only if Arrow refuses the arrays (it does not for the arrays
    /// this builder makes).
    pub fn finish(self) -> Result<ColumnarBatch, ColumnarError> {
        let rows = self.lines.len();
        let mut fields = Vec::with_capacity(self.columns.len() + 2);
        let mut arrays: Vec<ArrayRef> = Vec::with_capacity(self.columns.len() + 2);
        let taken = |name: &str| self.index.get(name).is_some_and(Option::is_some);
        if let Some(name) = &self.options.line_column {
            fields.push(Field::new(unique_name(name, &taken), arrow_schema::DataType::Int64, false));
            arrays.push(Arc::new(Int64Array::from(self.lines)));
        }
        for column in self.columns {
            let (name, array) = column.finish(rows);
            fields.push(Field::new(name, array.data_type().clone(), true));
            arrays.push(array);
        }
        if let Some(name) = &self.options.timestamp_column {
            fields.push(Field::new(unique_name(name, &taken), arrow_schema::DataType::Float64, true));
            arrays.push(Arc::new(Float64Array::from(self.timestamps)));
        }
        let schema = Arc::new(Schema::new(fields));
        let options = RecordBatchOptions::new().with_row_count(Some(rows));
        let batch = RecordBatch::try_new_with_options(schema, arrays, &options)?;
        Ok(ColumnarBatch { batch, errors: self.errors })
    }
}

/// `name`, with `_` in front until no field column has it.
fn unique_name(name: &str, taken: &impl Fn(&str) -> bool) -> String {
    let mut name = name.to_owned();
    while taken(&name) {
        name.insert(0, '_');
    }
    name
}

#[cfg(test)]
mod tests {
    use super::{estimated_lines, parse_columns};

    #[test]
    fn the_ipc_pieces_are_the_bytes_arrows_stream_writer_writes() {
        let parser = crate::logs::ParserSpec::new("json").build().expect("json parser");
        let mut data = String::new();
        for i in 0..5000 {
            data.push_str(&format!(
                "{{\"n\":{i},\"f\":{}.5,\"s\":\"v{}\",\"b\":{}}}\n",
                i % 7,
                i % 13,
                i % 2 == 0
            ));
            if i % 3 == 0 {
                data.push_str("{\"s\":null,\"extra\":[1,2]}\nnot json\n");
            }
        }
        let columns = parse_columns(&parser, data.as_bytes(), &Default::default()).expect("columns");
        assert!(columns.batch.num_columns() >= 6 && !columns.errors.is_empty());
        let mut expected = Vec::new();
        let mut writer =
            arrow_ipc::writer::StreamWriter::try_new(&mut expected, &columns.batch.schema()).expect("writer");
        writer.write(&columns.batch).expect("write");
        writer.finish().expect("finish");
        drop(writer);
        assert_eq!(columns.to_ipc().expect("to_ipc"), expected);
        let parts = columns.ipc_parts().expect("parts");
        let mut out = vec![std::mem::MaybeUninit::new(7u8); parts.len() + 3];
        assert_eq!(parts.write_into(&mut out).expect("write_into"), expected.len());
        // SAFETY: every element was initialised by `vec!` (and then by write_into).
        let out: Vec<u8> = out.iter().map(|byte| unsafe { byte.assume_init() }).collect();
        assert_eq!(&out[..expected.len()], &expected[..]);
        assert_eq!(&out[expected.len()..], [7, 7, 7], "nothing written past the stream");
    }

    #[test]
    fn lines_are_estimated_from_the_first_lines() {
        assert_eq!(estimated_lines(b""), 0);
        assert_eq!(estimated_lines(b"no newline"), 0);
        assert_eq!(estimated_lines(b"a=1\nb=2\n"), 3);
        let data = b"key=value\n".repeat(100_000);
        let estimate = estimated_lines(&data);
        assert!((100_000..=100_001).contains(&estimate), "{estimate}");
    }
}
