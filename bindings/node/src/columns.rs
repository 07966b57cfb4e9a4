//! `parser.parseColumns`: the core's columnar batch (`srekit::logs::columnar`) as Arrow IPC stream
//! bytes in one Buffer, which the `apache-arrow` package (`tableFromIPC`) and other Arrow readers
//! take; the lines that did not parse come with it. All layout is the core's; this file converts
//! the options and the result.

use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;
use srekit::logs::columnar::{parse_columns, ColumnarOptions};
use srekit::logs::Parser;

use crate::errors::{to_js_error, JsErrorCode};

/// Options of `parseColumns`.
#[napi(object)]
#[derive(Default)]
pub struct ColumnsOptions {
    /// Only these fields, as columns in this order; by default every field, by first appearance.
    pub fields: Option<Vec<String>>,
    /// The number of the data's first line (default 1).
    pub first_line: Option<f64>,
    /// The name of the line-number column (default `'line'`), or `false` for none.
    pub line_column: Option<Either<String, bool>>,
    /// The name of a column of the records' timestamps (float64 seconds since the epoch, from the
    /// parser's `timeKey`); none by default.
    pub timestamp_column: Option<String>,
}

/// A line that did not parse.
#[napi(object)]
pub struct ColumnsLineError {
    /// 1-based line number in the data.
    pub line: f64,
    /// 0-based byte offset in the line.
    pub offset: f64,
    /// The core's message, e.g. `byte 8: unterminated quoted value`.
    pub message: String,
}

/// What `parseColumnsIpc` returns: the IPC stream bytes and the errors.
#[napi(object)]
pub struct ParsedColumns {
    /// Arrow IPC stream bytes: the schema and one record batch.
    pub ipc: Buffer,
    /// Parsed lines (rows).
    pub rows: f64,
    /// The lines that did not parse.
    pub errors: Vec<ColumnsLineError>,
}

impl ColumnsOptions {
    fn into_core(self) -> ColumnarOptions {
        let defaults = ColumnarOptions::default();
        ColumnarOptions {
            fields: self.fields,
            line_column: match self.line_column {
                None | Some(Either::B(true)) => defaults.line_column,
                Some(Either::A(name)) => Some(name),
                Some(Either::B(false)) => None,
            },
            timestamp_column: self.timestamp_column,
            first_line: self.first_line.filter(|n| n.is_finite() && *n >= 0.0).map_or(1, |n| n as u64),
        }
    }
}

/// Parses every line of `data` into Arrow IPC stream bytes and the errors.
pub fn parse_to_ipc(
    parser: &Parser,
    data: &[u8],
    options: Option<ColumnsOptions>,
) -> napi::Result<ParsedColumns, JsErrorCode> {
    let options = options.unwrap_or_default().into_core();
    let columns = parse_columns(parser, data, &options).map_err(to_js_error)?;
    let ipc = columns.to_ipc().map_err(to_js_error)?;
    let errors = columns
        .errors
        .iter()
        .map(|failure| ColumnsLineError {
            line: failure.line as f64,
            offset: failure.error.offset as f64,
            message: failure.error.to_string(),
        })
        .collect();
    let rows = columns.batch.num_rows() as f64;
    // The columns' memory goes back to the core's pool for the next call (fresh memory costs a page
    // fault per 4 KiB).
    columns.recycle();
    Ok(ParsedColumns { ipc: ipc.into(), rows, errors })
}
