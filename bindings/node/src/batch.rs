//! Columnar hand-off of many parsed records from Rust to JavaScript, the speed path of `parseMany`.
//!
//! Creating a million JavaScript strings and properties one napi call at a time costs far more than
//! parsing. Instead, a [`RecordBatch`] collects every record into a few flat buffers, which cross the
//! boundary in a handful of calls; `records.js` then builds the objects in JavaScript with one
//! compiled object literal per record *shape* (its key list), which V8 creates very quickly:
//!
//! - `text`: one string holding every string value, back to back, in record order;
//! - `cells` (`Uint32Array`, one per value): below `2^31`, a slice of `text` that starts where the
//!   previous text value ended (`0` for the first) and ends at the cell's value, in UTF-16 units;
//!   otherwise `2^31 | kind << 28 | index` (see [`Kind`]) with an index into `dict` (repeated short
//!   strings, created once), `numbers` (`Float64Array`, `null` when empty) or `extras` (BigInts, nested values);
//! - `shapes` (arrays of keys) and `recordShapes` (`Uint32Array`, one shape id per record);
//! - `scratch`: the `Uint32Array` that `cells` and `recordShapes` are views of; passing it back to the
//!   next `finish` reuses its memory (`null` when a batch was too large to keep one);
//! - `timestamps` (`Float64Array`, one per record: seconds since the epoch, `NaN` when none), or
//!   `null` when no record has one (JavaScript then fills `NaN`s itself);
//! - `errors`: `[{ line, offset, message }]` for lines that did not parse.
//!
//! Duplicate keys in one record keep their first position and their last value, as a JavaScript object
//! literal or `JSON.parse` would.
//!
//! A batch is built without JavaScript (it is `Send`, so `crate::stream` builds batches on a worker
//! thread); only [`RecordBatch::finish`] needs the JavaScript thread.

use std::borrow::Cow;
use std::collections::HashMap;

use napi::sys;
use srekit::logs::{Parser, Value};

use crate::js::Js;
use crate::pool;
use crate::values::{value_to_js, MAX_SAFE_INTEGER};

/// One field of a parsed record.
pub type Field<'a> = (Cow<'a, str>, Value<'a>);

/// What a value is, as JavaScript reads `(cells[i] >>> 28) & 7` of a cell at or above `2^31`.
#[repr(u32)]
#[derive(Clone, Copy)]
pub enum Kind {
    /// `dict[index]`.
    Dict = 1,
    /// `numbers[index]`.
    Number = 2,
    /// `true`.
    True = 3,
    /// `false`.
    False = 4,
    /// `null`.
    Null = 5,
    /// `extras[index]`.
    Extra = 6,
}

/// Bits of a cell that hold its index.
const INDEX_BITS: u32 = 28;

/// The top bit of a cell that is not a slice of `text`.
const TAGGED: u32 = 1 << 31;

/// A cell: the tag bit, `kind` in the three bits below it, `index` below.
fn cell(kind: Kind, index: usize) -> Option<u32> {
    let index = u32::try_from(index).ok().filter(|i| *i < 1 << INDEX_BITS)?;
    Some(TAGGED | ((kind as u32) << INDEX_BITS) | index)
}

/// `a == b`, inlined for the short keys and values of log records (a call to `memcmp` per
/// comparison is most of the cost there): up to 16 bytes, two overlapping word loads per side.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let n = a.len();
    let word = |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |s: &[u8], at: usize| u32::from_ne_bytes(s[at..at + 4].try_into().unwrap_or([0; 4]));
    let quarter = |s: &[u8], at: usize| u16::from_ne_bytes(s[at..at + 2].try_into().unwrap_or([0; 2]));
    match n {
        0 => true,
        1 => a[0] == b[0],
        2..=3 => quarter(a, 0) == quarter(b, 0) && quarter(a, n - 2) == quarter(b, n - 2),
        4..=7 => half(a, 0) == half(b, 0) && half(a, n - 4) == half(b, n - 4),
        8..=16 => word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8),
        _ => a == b,
    }
}

/// Strings up to this length are candidates for the per-column dictionary.
const DICT_MAX_LEN: usize = 48;
/// Strings up to this length are compared and copied as two words (see [`words`]).
const SHORT_LEN: usize = 16;
/// The high bit of every byte of a word: zero for ASCII.
const NON_ASCII: u64 = 0x8080_8080_8080_8080;
/// V8's longest string (2^29 - 24 UTF-16 units): all string values of one batch share one string.
/// Below it every offset also fits a text cell (below 2^31).
const MAX_TEXT_UNITS: usize = (1 << 29) - 24;
/// The largest scratch array (cells and record shapes, in `u32`s) handed back for reuse: a 1 MiB
/// piece of typical logs needs about 60,000.
const MAX_SCRATCH_CELLS: usize = 1 << 20;
/// Distinct dictionary entries kept per column.
const DICT_PER_COLUMN: usize = 8;

/// Two overlapping native-endian loads covering `s` (zero-extended below 8 bytes): the first and the
/// last 8 (or 4, or 2) bytes. For strings of at most [`SHORT_LEN`] bytes, two strings of the same
/// length are equal exactly when their words are, and the words hold every byte (so they also give
/// the copy and the ASCII check); for longer ones they are only a prefilter.
#[inline]
fn words(s: &[u8]) -> (u64, u64) {
    let n = s.len();
    let word = |at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    let half = |at: usize| u64::from(u32::from_ne_bytes(s[at..at + 4].try_into().unwrap_or([0; 4])));
    let quarter = |at: usize| u64::from(u16::from_ne_bytes(s[at..at + 2].try_into().unwrap_or([0; 2])));
    match n {
        0 => (0, 0),
        1 => (u64::from(s[0]), 0),
        2..=3 => (quarter(0), quarter(n - 2)),
        4..=7 => (half(0), half(n - 4)),
        _ => (word(0), word(n - 8)),
    }
}

/// A dictionary string of a column, with its length and [`words`] for a quick comparison.
struct Entry {
    len: usize,
    words: (u64, u64),
    text: String,
    id: u32,
}

#[derive(Default)]
struct Column {
    /// This column's dictionary strings and their ids in `dict`.
    entries: Vec<Entry>,
    hits: u32,
    misses: u32,
    /// Set once the column's values mostly differ: it is no longer looked up.
    gave_up: bool,
}

impl Column {
    /// The id of the dictionary entry equal to `bytes`, whose [`words`] are `words`.
    #[inline]
    fn find(&self, bytes: &[u8], words: (u64, u64)) -> Option<u32> {
        let entry = self.entries.iter().find(|entry| {
            entry.len == bytes.len()
                && entry.words == words
                && (bytes.len() <= SHORT_LEN || entry.text.as_bytes() == bytes)
        })?;
        Some(entry.id)
    }
}

struct Shape {
    keys: Vec<String>,
    columns: Vec<Column>,
}

/// Where a batch's values go: text slices, cells, numbers, dictionary strings and extras. Kept apart
/// from the shapes so that one column of a shape and the outputs can be borrowed together.
#[derive(Default)]
struct Values<'a> {
    text: Vec<u8>,
    text_ascii: bool,
    utf16_len: usize,
    cells: Vec<u32>,
    numbers: Vec<f64>,
    too_many: bool,
    dict: Vec<String>,
    extras: Vec<Value<'a>>,
}

impl<'a> Values<'a> {
    /// Appends the cell of `value`, a value of `column`.
    #[inline(always)]
    fn push(&mut self, column: &mut Column, value: &Value<'a>) {
        let cell = match value {
            Value::Str(text) => self.string_cell(column, text),
            other => self.other_cell(other),
        };
        self.too_many |= cell.is_none();
        self.cells.push(cell.unwrap_or(0));
    }

    /// The cell of a string: its dictionary entry, else a slice of `text` (appended here).
    #[inline(always)]
    fn string_cell(&mut self, column: &mut Column, text: &str) -> Option<u32> {
        let bytes = text.as_bytes();
        let words = words(bytes);
        if !column.gave_up && bytes.len() <= DICT_MAX_LEN {
            if let Some(id) = column.find(bytes, words) {
                column.hits += 1;
                return cell(Kind::Dict, id as usize);
            }
            if let Some(id) = self.dict_miss(column, text, words) {
                return cell(Kind::Dict, id as usize);
            }
        }
        if bytes.len() <= SHORT_LEN {
            self.push_short_text(bytes.len(), words);
        } else {
            self.push_text(text);
        }
        // The end of the slice; `finish` rejects a batch whose text is too long.
        Some(self.utf16_len.min(MAX_TEXT_UNITS) as u32)
    }

    /// The cell of a value that is not a string.
    fn other_cell(&mut self, value: &Value<'a>) -> Option<u32> {
        match value {
            Value::Int(number) if number.unsigned_abs() <= MAX_SAFE_INTEGER => {
                self.push_number(*number as f64)
            }
            Value::UInt(number) if *number <= MAX_SAFE_INTEGER => self.push_number(*number as f64),
            Value::Float(number) => self.push_number(*number),
            Value::Bool(true) => cell(Kind::True, 0),
            Value::Bool(false) => cell(Kind::False, 0),
            Value::Null => cell(Kind::Null, 0),
            other => {
                self.extras.push(other.clone());
                cell(Kind::Extra, self.extras.len() - 1)
            }
        }
    }

    fn push_number(&mut self, number: f64) -> Option<u32> {
        self.numbers.push(number);
        cell(Kind::Number, self.numbers.len() - 1)
    }

    /// Appends a string of `len` bytes (at most [`SHORT_LEN`]) given by its [`words`]: a few word
    /// stores instead of a call to `memcpy`, and an ASCII check on the words.
    #[inline(always)]
    fn push_short_text(&mut self, len: usize, (first, last): (u64, u64)) {
        let at = self.text.len();
        self.text.extend_from_slice(&[0; SHORT_LEN]);
        let out = &mut self.text[at..at + SHORT_LEN];
        match len {
            0 => {}
            1 => out[0] = first as u8,
            2..=3 => {
                out[..2].copy_from_slice(&(first as u16).to_ne_bytes());
                out[len - 2..len].copy_from_slice(&(last as u16).to_ne_bytes());
            }
            4..=7 => {
                out[..4].copy_from_slice(&(first as u32).to_ne_bytes());
                out[len - 4..len].copy_from_slice(&(last as u32).to_ne_bytes());
            }
            _ => {
                out[..8].copy_from_slice(&first.to_ne_bytes());
                out[len - 8..len].copy_from_slice(&last.to_ne_bytes());
            }
        }
        self.text.truncate(at + len);
        if (first | last) & NON_ASCII == 0 {
            self.utf16_len += len;
        } else {
            self.note_non_ascii(at);
        }
    }

    /// Counts the UTF-16 units of the non-ASCII text appended at `at` (a whole string).
    #[cold]
    fn note_non_ascii(&mut self, at: usize) {
        self.text_ascii = false;
        let units = std::str::from_utf8(&self.text[at..]).map_or(0, |text| text.encode_utf16().count());
        self.utf16_len += units;
    }

    #[inline]
    fn push_text(&mut self, text: &str) {
        let at = self.text.len();
        self.text.extend_from_slice(text.as_bytes());
        if text.is_ascii() {
            self.utf16_len += text.len();
        } else {
            self.note_non_ascii(at);
        }
    }

    /// A string not in `column`'s dictionary: added while the column has room (its id), else `None`.
    #[inline(never)]
    fn dict_miss(&mut self, column: &mut Column, text: &str, words: (u64, u64)) -> Option<u32> {
        column.misses += 1;
        column.gave_up = column.misses > 64 && column.misses > column.hits * 4;
        if column.entries.len() < DICT_PER_COLUMN {
            let id = self.dict.len() as u32;
            self.dict.push(text.to_string());
            column.entries.push(Entry { len: text.len(), words, text: text.to_string(), id });
            return Some(id);
        }
        None
    }
}

/// Accumulates records and errors, then converts them to the JavaScript batch object. Values that are
/// neither strings nor safe numbers (nested JSON, BigInts) are kept as they are, borrowing the input
/// (`'a`), and become JavaScript values in `finish`.
#[derive(Default)]
pub struct RecordBatch<'a> {
    values: Values<'a>,
    shape_ids: HashMap<String, u32>,
    shapes: Vec<Shape>,
    record_shapes: Vec<u32>,
    timestamps: Vec<f64>,
    /// Whether any record so far had a timestamp (until then `timestamps` stays empty).
    any_timestamp: bool,
    errors: Vec<(usize, usize, String)>,
    signature: String,
    order: Vec<usize>,
}

impl<'a> RecordBatch<'a> {
    /// An empty batch sized for about `input_len` bytes of input.
    pub fn with_capacity(input_len: usize) -> RecordBatch<'a> {
        // A guess of one value per 16 input bytes saves most regrowth of the per-value columns.
        let values = input_len / 16;
        RecordBatch {
            values: Values {
                text: pool::take(input_len / 2),
                text_ascii: true,
                cells: pool::take(values),
                ..Values::default()
            },
            record_shapes: pool::take(input_len / 128),
            ..RecordBatch::default()
        }
    }

    /// Parses every line of `data` into a new batch; `lines_before` (the lines of the whole input
    /// before `data`) is added to the line numbers of errors.
    pub fn parse(parser: &Parser, data: &'a [u8], lines_before: usize) -> RecordBatch<'a> {
        let mut batch = RecordBatch::with_capacity(data.len());
        parser.parse_many_ref(data, |line_no, parsed| match parsed {
            Ok(record) => batch.push_record(&record.fields, record.timestamp),
            Err(err) => batch.push_error(lines_before + line_no, err.offset, err.to_string()),
        });
        batch
    }

    /// Whether any line of this batch did not parse.
    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Adds `lines` to the line numbers of the errors (a batch parsed from a later piece of input).
    pub fn shift_error_lines(&mut self, lines: usize) {
        for error in &mut self.errors {
            error.0 += lines;
        }
    }

    /// Records a line that did not parse (1-based line number, byte offset in the line).
    pub fn push_error(&mut self, line: usize, offset: usize, message: String) {
        self.errors.push((line, offset, message));
    }

    /// Adds one parsed record (its fields in order, duplicates allowed: the last value wins) and its
    /// timestamp, if any.
    pub fn push_record(&mut self, fields: &[Field<'a>], timestamp: Option<f64>) {
        if let Some(seconds) = timestamp {
            if !self.any_timestamp {
                self.any_timestamp = true;
                self.timestamps = pool::take(self.record_shapes.capacity());
                self.timestamps.resize(self.record_shapes.len(), f64::NAN);
            }
            self.timestamps.push(seconds);
        } else if self.any_timestamp {
            self.timestamps.push(f64::NAN);
        }
        // Fast path: the same keys, in the same order, as the previous record (so no duplicates).
        if let Some(&last) = self.record_shapes.last() {
            let shape = &mut self.shapes[last as usize];
            if shape.keys.len() == fields.len()
                && shape.keys.iter().zip(fields).all(|(k, (key, _))| same(k.as_bytes(), key.as_bytes()))
            {
                self.record_shapes.push(last);
                for ((_, value), column) in fields.iter().zip(shape.columns.iter_mut()) {
                    self.values.push(column, value);
                }
                return;
            }
        }
        self.order.clear();
        self.signature.clear();
        for (index, (key, _)) in fields.iter().enumerate() {
            if fields[..index].iter().any(|(earlier, _)| earlier == key) {
                continue;
            }
            let last = fields.iter().rposition(|(later, _)| later == key).unwrap_or(index);
            self.order.push(last);
            self.signature.push_str(key);
            self.signature.push('\0');
        }
        let shape_id = match self.shape_ids.get(self.signature.as_str()) {
            Some(id) => *id,
            None => {
                let id = self.shapes.len() as u32;
                let keys = self.order.iter().map(|&i| fields[i].0.to_string()).collect();
                let columns = (0..self.order.len()).map(|_| Column::default()).collect();
                self.shapes.push(Shape { keys, columns });
                self.shape_ids.insert(self.signature.clone(), id);
                id
            }
        };
        self.record_shapes.push(shape_id);
        let columns = &mut self.shapes[shape_id as usize].columns;
        for (&field, column) in self.order.iter().zip(columns.iter_mut()) {
            self.values.push(column, &fields[field].1);
        }
    }

    /// Builds the JavaScript batch object described in the module documentation. `scratch` is the
    /// `scratch` of the previous batch, if the caller is done with that batch's `cells`.
    pub fn finish(&mut self, js: Js, scratch: Option<sys::napi_value>) -> napi::Result<sys::napi_value> {
        if self.values.utf16_len > MAX_TEXT_UNITS || self.values.too_many {
            return Err(napi::Error::new(
                napi::Status::InvalidArg,
                format!(
                    "parseMany: one call holds more values than a batch can carry ({} UTF-16 units of \
                     strings, at most {MAX_TEXT_UNITS}; at most 2^28 numbers); parse in smaller pieces \
                     (parseStream / parseFile do)",
                    self.values.utf16_len
                ),
            ));
        }
        let out = js.object()?;
        let text = if self.values.text_ascii {
            js.string_latin1(&self.values.text)?
        } else {
            let text = std::str::from_utf8(&self.values.text)
                .map_err(|err| napi::Error::from_reason(format!("record batch text: {err}")))?;
            js.string(text)?
        };
        js.set(out, js.string("text")?, text)?;
        pool::give(std::mem::take(&mut self.values.text));
        // `cells` and `recordShapes` are read once, while the batch's objects are built, so they are
        // views of one scratch array that the caller passes back for the next batch: no new
        // ArrayBuffer (and its page faults and GC accounting) per batch.
        let cells = std::mem::take(&mut self.values.cells);
        let record_shapes = std::mem::take(&mut self.record_shapes);
        let reusable = cells.len() + record_shapes.len() <= MAX_SCRATCH_CELLS;
        let (views, whole) = js.uint32_parts(scratch.filter(|_| reusable), &[&cells, &record_shapes])?;
        js.set(out, js.string("cells")?, views[0])?;
        js.set(out, js.string("recordShapes")?, views[1])?;
        let scratch = match (reusable, scratch) {
            (true, _) => whole,
            (false, Some(kept)) => kept,
            (false, None) => js.null()?,
        };
        js.set(out, js.string("scratch")?, scratch)?;
        pool::give(cells);
        pool::give(record_shapes);
        let numbers = if self.values.numbers.is_empty() {
            js.null()?
        } else {
            js.float64_array(std::mem::take(&mut self.values.numbers))?
        };
        js.set(out, js.string("numbers")?, numbers)?;
        let timestamps = if self.any_timestamp {
            js.float64_array(std::mem::take(&mut self.timestamps))?
        } else {
            js.null()?
        };
        js.set(out, js.string("timestamps")?, timestamps)?;
        js.set(out, js.string("dict")?, js.string_array(&self.values.dict)?)?;
        let extras = js.array(self.values.extras.len())?;
        for (index, value) in self.values.extras.iter().enumerate() {
            js.set_index(extras, index, value_to_js(js, value)?)?;
        }
        js.set(out, js.string("extras")?, extras)?;
        let shapes = js.array(self.shapes.len())?;
        for (index, shape) in self.shapes.iter().enumerate() {
            let keys = js.array(shape.keys.len())?;
            for (position, key) in shape.keys.iter().enumerate() {
                js.set_index(keys, position, js.string(key)?)?;
            }
            js.set_index(shapes, index, keys)?;
        }
        js.set(out, js.string("shapes")?, shapes)?;
        let errors = js.array(self.errors.len())?;
        let (line_key, offset_key, message_key) =
            (js.string("line")?, js.string("offset")?, js.string("message")?);
        for (index, (line, offset, message)) in self.errors.iter().enumerate() {
            let error = js.object()?;
            js.set(error, line_key, js.number(*line as f64)?)?;
            js.set(error, offset_key, js.number(*offset as f64)?)?;
            js.set(error, message_key, js.string(message)?)?;
            js.set_index(errors, index, error)?;
        }
        js.set(out, js.string("errors")?, errors)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::{same, words, Column, Values, SHORT_LEN};

    #[test]
    fn words_decide_equality_of_short_strings() {
        let text: Vec<u8> = (0..SHORT_LEN as u8).map(|i| b'a' + i).collect();
        for len in 0..=SHORT_LEN {
            let a = &text[..len];
            let copy = a.to_vec();
            assert_eq!(words(a), words(&copy));
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 1;
                assert_ne!(words(a), words(&b), "len {len}, differing at {at}");
            }
        }
    }

    #[test]
    fn string_cells_copy_text_and_count_utf16_units() {
        let mut values = Values { text_ascii: true, ..Values::default() };
        let mut column = Column { gave_up: true, ..Column::default() };
        let mut expected = String::new();
        let samples =
            ["", "a", "ab", "abc", "abcd", "abcdefg", "abcdefgh", "0123456789abcdef", "0123456789abcdefg"];
        for sample in samples.iter().chain(&["é", "ab€", "naïve", "0123456789abcdé", "€€€€€€"])
        {
            let cell = values.string_cell(&mut column, sample);
            expected.push_str(sample);
            assert_eq!(values.text, expected.as_bytes());
            assert_eq!(cell, Some(expected.encode_utf16().count() as u32));
        }
        assert_eq!(values.utf16_len, expected.encode_utf16().count());
        assert!(!values.text_ascii);
    }

    #[test]
    fn dictionary_finds_equal_strings_only() {
        let mut values = Values::default();
        let mut column = Column::default();
        let long = "upstream timeout, retrying";
        let ids: Vec<_> =
            ["GET", "POST", long, "GET", long].iter().map(|s| values.string_cell(&mut column, s)).collect();
        assert_eq!(ids[0], ids[3]);
        assert_eq!(ids[2], ids[4]);
        assert_ne!(ids[0], ids[1]);
        // Same length and same first and last 8 bytes, a different middle.
        let other = values.string_cell(&mut column, "upstream XXXXXXX, retrying");
        assert_ne!(other, ids[2]);
        assert_eq!(values.dict, ["GET", "POST", long, "upstream XXXXXXX, retrying"]);
    }

    #[test]
    fn same_agrees_with_slice_equality() {
        let text: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=text.len() {
            let a = &text[..len];
            let copy = a.to_vec();
            assert!(same(a, &copy));
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 1;
                assert!(!same(a, &b), "len {len}, differing at {at}");
            }
            if len > 0 {
                assert!(!same(a, &text[..len - 1]));
            }
        }
    }
}
