//! [`Column`]: the values of one field across the rows of a batch, in the layout an Arrow array takes
//! (a values vector or string offsets + bytes, and a validity bitmap), typed by the values it is given:
//! int64, uint64, float64, bool or utf8. A column given ints and floats becomes float64; any other mix
//! falls back to utf8 (the values written as text, as `Value::to_label_string` writes them).

use std::sync::Arc;

use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, NullArray, UInt64Array};
use arrow_array::{LargeStringArray, StringArray};
use arrow_buffer::{BooleanBufferBuilder, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;

use super::recycle;
use crate::logs::{FieldType, Value};
use crate::short_copy;

/// What a column holds so far.
#[derive(Debug)]
enum Data {
    /// Only nulls.
    Null,
    Int(Vec<i64>),
    UInt(Vec<u64>),
    Float(Vec<f64>),
    Bool(BooleanBufferBuilder),
    /// `offsets[i]..offsets[i + 1]` of `bytes` is row `i` (`offsets` starts with 0).
    Str {
        offsets: Offsets,
        bytes: Vec<u8>,
    },
}

/// A string column's offsets: `i32` (Arrow's utf8) until its bytes pass `i32::MAX`, then `i64`
/// (large utf8). Kept narrow from the start, so a column needs no 8-byte offsets and no narrowing
/// copy at the end (both fresh memory, page-faulted on every batch).
#[derive(Debug)]
enum Offsets {
    Narrow(Vec<i32>),
    Wide(Vec<i64>),
}

impl Offsets {
    /// `rows + 1` zero offsets: `rows` empty strings (or nulls).
    fn zeros(rows: usize) -> Offsets {
        Offsets::Narrow(vec![0; rows + 1])
    }

    /// Appends the end of the next row, `end` (the column's byte length after its value).
    #[inline(always)]
    fn push(&mut self, end: usize) {
        match self {
            Offsets::Narrow(offsets) if end <= i32::MAX as usize => offsets.push(end as i32),
            _ => self.push_wide(end),
        }
    }

    /// [`Offsets::push`] past `i32::MAX` (widening the offsets first) or once wide.
    #[cold]
    #[inline(never)]
    fn push_wide(&mut self, end: usize) {
        if let Offsets::Narrow(offsets) = self {
            *self = Offsets::Wide(offsets.iter().map(|o| i64::from(*o)).collect());
        }
        if let Offsets::Wide(offsets) = self {
            offsets.push(end as i64);
        }
    }

    fn reserve(&mut self, more: usize) {
        match self {
            Offsets::Narrow(offsets) => recycle::grow(offsets, more),
            Offsets::Wide(offsets) => offsets.reserve(more),
        }
    }

    /// Keeps the first `len` offsets; returns the last one kept (0 when none).
    fn truncate(&mut self, len: usize) -> usize {
        match self {
            Offsets::Narrow(offsets) => {
                offsets.truncate(len);
                offsets.last().map_or(0, |end| *end as usize)
            }
            Offsets::Wide(offsets) => {
                offsets.truncate(len);
                offsets.last().map_or(0, |end| *end as usize)
            }
        }
    }
}

/// The Arrow type a value asks for (`None`: a null, which fits any column).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    UInt,
    Float,
    Bool,
    Str,
}

fn kind(value: &Value<'_>) -> Option<Kind> {
    Some(match value {
        Value::Int(_) => Kind::Int,
        Value::UInt(_) => Kind::UInt,
        Value::Float(_) => Kind::Float,
        Value::Bool(_) => Kind::Bool,
        Value::Null => return None,
        Value::Str(_) | Value::Array(_) | Value::Object(_) => Kind::Str,
    })
}

/// One field's values, row by row (see the module comment).
#[derive(Debug)]
pub(super) struct Column {
    pub(super) name: String,
    /// The type the parser's `types` option gives the field: a column of nulls only takes it.
    declared: Option<FieldType>,
    data: Data,
    /// One bit per row; `None` while every row so far has a value (the common case: no bitmap is
    /// built at all).
    validity: Option<BooleanBufferBuilder>,
    len: usize,
}

impl Column {
    pub(super) fn new(name: String, declared: Option<FieldType>) -> Column {
        Column { name, declared, data: Data::Null, validity: None, len: 0 }
    }

    /// Sets row `row` (rows before it that this column has no value for become null). A second value
    /// for the same row (a duplicate key in one record) replaces the first, as the record's map view.
    pub(super) fn set(&mut self, row: usize, value: &Value<'_>) {
        // Fast path: the next row, of the column's own type (most values of a log).
        if self.len == row {
            match (&mut self.data, value) {
                (Data::Str { offsets, bytes }, Value::Str(text)) => {
                    short_copy::append(bytes, text.as_bytes());
                    offsets.push(bytes.len());
                }
                (Data::Int(values), Value::Int(i)) => values.push(*i),
                (Data::Float(values), Value::Float(f)) => values.push(*f),
                _ => return self.push(value),
            }
            return self.pushed_valid();
        }
        if self.len == row + 1 {
            self.pop();
        }
        self.pad_to(row);
        self.push(value);
    }

    /// Reserves room for `rows` rows, `now` rows in (string bytes extrapolated from their length so
    /// far, plus a tenth).
    pub(super) fn reserve(&mut self, now: usize, rows: usize) {
        let more = rows.saturating_sub(self.len);
        match &mut self.data {
            Data::Null | Data::Bool(_) => {}
            Data::Int(values) => recycle::grow(values, more),
            Data::UInt(values) => values.reserve(more),
            Data::Float(values) => values.reserve(more),
            Data::Str { offsets, bytes } => {
                offsets.reserve(more);
                let per_row = bytes.len() / now.max(1) + 1;
                let wanted = per_row.saturating_mul(more);
                recycle::grow(bytes, wanted.saturating_add(wanted / 10));
            }
        }
    }

    /// Appends nulls up to `rows` rows.
    pub(super) fn pad_to(&mut self, rows: usize) {
        while self.len < rows {
            self.push_null();
        }
    }

    fn push_null(&mut self) {
        match &mut self.data {
            Data::Null => {}
            Data::Int(values) => values.push(0),
            Data::UInt(values) => values.push(0),
            Data::Float(values) => values.push(0.0),
            Data::Bool(values) => values.append(false),
            Data::Str { offsets, bytes } => offsets.push(bytes.len()),
        }
        let len = self.len;
        self.validity
            .get_or_insert_with(|| {
                let mut bits = BooleanBufferBuilder::new(len.max(64));
                bits.append_n(len, true);
                bits
            })
            .append(false);
        self.len += 1;
    }

    /// Counts a row just given a value.
    #[inline]
    fn pushed_valid(&mut self) {
        if let Some(bits) = &mut self.validity {
            bits.append(true);
        }
        self.len += 1;
    }

    /// Whether row `row` has a value.
    fn is_valid(&self, row: usize) -> bool {
        self.validity.as_ref().is_none_or(|bits| bits.get_bit(row))
    }

    fn push(&mut self, value: &Value<'_>) {
        let Some(kind) = kind(value) else { return self.push_null() };
        self.make_fit(kind);
        match (&mut self.data, value) {
            (Data::Int(values), Value::Int(i)) => values.push(*i),
            (Data::UInt(values), Value::UInt(u)) => values.push(*u),
            (Data::Float(values), value) => values.push(value.as_f64().unwrap_or(f64::NAN)),
            (Data::Bool(values), Value::Bool(b)) => values.append(*b),
            (Data::Str { offsets, bytes }, Value::Str(text)) => {
                bytes.extend_from_slice(text.as_bytes());
                offsets.push(bytes.len());
            }
            (Data::Str { offsets, bytes }, other) => {
                bytes.extend_from_slice(other.to_label_string().as_bytes());
                offsets.push(bytes.len());
            }
            // make_fit left a column that takes `kind`: no other pair is reachable.
            (_, other) => {
                self.fall_back_to_strings();
                return self.push(other);
            }
        }
        self.pushed_valid();
    }

    /// Removes the last row.
    fn pop(&mut self) {
        let Some(last) = self.len.checked_sub(1) else { return };
        match &mut self.data {
            Data::Null => {}
            Data::Int(values) => values.truncate(last),
            Data::UInt(values) => values.truncate(last),
            Data::Float(values) => values.truncate(last),
            Data::Bool(values) => values.truncate(last),
            Data::Str { offsets, bytes } => {
                let end = offsets.truncate(last + 1);
                bytes.truncate(end);
            }
        }
        if let Some(bits) = &mut self.validity {
            bits.truncate(last);
        }
        self.len = last;
    }

    /// Changes the column's type so that it takes a value of `kind`.
    fn make_fit(&mut self, kind: Kind) {
        let len = self.len;
        match (&self.data, kind) {
            (Data::Null, Kind::Int) => self.data = Data::Int(vec![0; len]),
            (Data::Null, Kind::UInt) => self.data = Data::UInt(vec![0; len]),
            (Data::Null, Kind::Float) => self.data = Data::Float(vec![0.0; len]),
            (Data::Null, Kind::Bool) => {
                let mut values = BooleanBufferBuilder::new(len);
                values.append_n(len, false);
                self.data = Data::Bool(values);
            }
            (Data::Null, Kind::Str) => {
                self.data = Data::Str { offsets: Offsets::zeros(len), bytes: Vec::new() }
            }
            (Data::Int(_), Kind::Int)
            | (Data::UInt(_), Kind::UInt)
            | (Data::Float(_), Kind::Float | Kind::Int | Kind::UInt)
            | (Data::Bool(_), Kind::Bool)
            | (Data::Str { .. }, _) => {}
            (Data::Int(values), Kind::Float) => {
                self.data = Data::Float(values.iter().map(|i| *i as f64).collect())
            }
            (Data::UInt(values), Kind::Float) => {
                self.data = Data::Float(values.iter().map(|u| *u as f64).collect())
            }
            _ => self.fall_back_to_strings(),
        }
    }

    /// Turns the column into utf8, writing its values as text.
    fn fall_back_to_strings(&mut self) {
        let text = |row: usize| -> Option<String> {
            let value = match &self.data {
                Data::Null | Data::Str { .. } => return None,
                Data::Int(values) => Value::Int(values[row]),
                Data::UInt(values) => Value::UInt(values[row]),
                Data::Float(values) => Value::Float(values[row]),
                Data::Bool(values) => Value::Bool(values.get_bit(row)),
            };
            Some(value.to_label_string().into_owned())
        };
        if matches!(self.data, Data::Str { .. }) {
            return;
        }
        let mut offsets = Offsets::Narrow(Vec::with_capacity(self.len + 1));
        let mut bytes = Vec::new();
        offsets.push(0);
        for row in 0..self.len {
            if self.is_valid(row) {
                if let Some(text) = text(row) {
                    bytes.extend_from_slice(text.as_bytes());
                }
            }
            offsets.push(bytes.len());
        }
        self.data = Data::Str { offsets, bytes };
    }

    /// The column's name and values as an Arrow array of `rows` rows (nulls after its last value).
    pub(super) fn finish(mut self, rows: usize) -> (String, ArrayRef) {
        self.pad_to(rows);
        let nulls = self.validity.take().map(|mut bits| NullBuffer::new(bits.finish()));
        let nulls = nulls.filter(|nulls| nulls.null_count() > 0);
        let array: ArrayRef = match self.data {
            Data::Null => match self.declared {
                Some(field_type) => arrow_array::new_null_array(&declared_type(field_type), rows),
                None => Arc::new(NullArray::new(rows)),
            },
            Data::Int(values) => Arc::new(Int64Array::new(ScalarBuffer::from(values), nulls)),
            Data::UInt(values) => Arc::new(UInt64Array::new(ScalarBuffer::from(values), nulls)),
            Data::Float(values) => Arc::new(Float64Array::new(ScalarBuffer::from(values), nulls)),
            Data::Bool(mut values) => Arc::new(BooleanArray::new(values.finish(), nulls)),
            Data::Str { offsets, bytes } => strings(offsets, bytes, nulls),
        };
        (self.name, array)
    }
}

/// The Arrow type of a column of a declared type.
fn declared_type(field_type: FieldType) -> DataType {
    match field_type {
        FieldType::Int => DataType::Int64,
        FieldType::Float => DataType::Float64,
        FieldType::Bool => DataType::Boolean,
        FieldType::String => DataType::Utf8,
    }
}

/// A utf8 array (large utf8 when its bytes pass 2 GiB).
fn strings(offsets: Offsets, bytes: Vec<u8>, nulls: Option<NullBuffer>) -> ArrayRef {
    let values = Buffer::from_vec(bytes);
    let offsets = match offsets {
        // Wide, then back under 2 GiB (a duplicate key's long value replaced): utf8 after all.
        Offsets::Wide(wide) if i32::try_from(values.len()).is_ok() => {
            Offsets::Narrow(wide.iter().map(|o| *o as i32).collect())
        }
        offsets => offsets,
    };
    match offsets {
        // SAFETY: the offsets start at 0, never decrease and end at `values.len()` (each is the length
        // of `bytes` after a whole `&str` was appended), so every slice is valid UTF-8 and in bounds;
        // `nulls`, when given, has one bit per row as the offsets do.
        Offsets::Narrow(offsets) => Arc::new(unsafe {
            StringArray::new_unchecked(
                OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)),
                values,
                nulls,
            )
        }),
        // SAFETY: as above.
        Offsets::Wide(offsets) => Arc::new(unsafe {
            LargeStringArray::new_unchecked(
                OffsetBuffer::new_unchecked(ScalarBuffer::from(offsets)),
                values,
                nulls,
            )
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::Offsets;

    #[test]
    fn offsets_widen_past_i32_and_keep_their_values() {
        let mut offsets = Offsets::zeros(1);
        offsets.push(5);
        assert!(matches!(&offsets, Offsets::Narrow(o) if o == &[0, 0, 5]));
        let big = i32::MAX as usize + 10;
        offsets.push(big);
        assert!(matches!(&offsets, Offsets::Wide(o) if o == &[0, 0, 5, big as i64]));
        assert_eq!(offsets.truncate(3), 5);
        offsets.push(7);
        assert!(matches!(&offsets, Offsets::Wide(o) if o == &[0, 0, 5, 7]));
    }
}
