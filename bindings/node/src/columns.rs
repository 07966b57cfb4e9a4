//! `parser.parseColumns`: the core's columnar batch (`srekit::logs::columnar`) as Arrow IPC stream
//! bytes in one Buffer, which the `apache-arrow` package (`tableFromIPC`) and other Arrow readers
//! take; the lines that did not parse come with it. All layout is the core's; this file converts
//! the options and the result.

use std::mem::MaybeUninit;

use napi::bindgen_prelude::{Buffer, Either, FromNapiValue};
use napi::{sys, Env};
use napi_derive::napi;
use srekit::error::codes;
use srekit::logs::columnar::{parse_columns, ColumnarOptions, IpcParts};
use srekit::logs::Parser;

use crate::errors::{check, coded_error, to_js_error, JsErrorCode};

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
    env: &Env,
    parser: &Parser,
    data: &[u8],
    options: Option<ColumnsOptions>,
) -> napi::Result<ParsedColumns, JsErrorCode> {
    let options = options.unwrap_or_default().into_core();
    let columns = parse_columns(parser, data, &options).map_err(to_js_error)?;
    let parts = columns.ipc_parts().map_err(to_js_error)?;
    let ipc = engine_buffer(env, &parts)?;
    // The pieces share the columns' buffers: dropped first, so `recycle` below finds them unshared.
    drop(parts);
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
    Ok(ParsedColumns { ipc, rows, errors })
}

/// The stream of `parts` copied into a new Buffer of the JavaScript engine's own memory. The engine
/// frees such memory as soon as it collects the Buffer, and the allocator hands the same warm pages
/// to the next call's Buffer; an external Buffer (one over a Rust `Vec`) is given back only on a later
/// turn of the event loop, so a loop of calls would fault in fresh pages for every result.
fn engine_buffer(env: &Env, parts: &IpcParts) -> napi::Result<Buffer, JsErrorCode> {
    let failed = |err: napi::Error| coded_error(codes::LOG_IO, err.reason);
    let (mut data, mut value) = (std::ptr::null_mut(), std::ptr::null_mut());
    // SAFETY: napi allocates `parts.len()` bytes and sets `data` to them and `value` to the Buffer.
    check(unsafe { sys::napi_create_buffer(env.raw(), parts.len(), &mut data, &mut value) })
        .map_err(failed)?;
    if data.is_null() {
        return Err(coded_error(codes::LOG_IO, "napi_create_buffer gave no memory"));
    }
    // SAFETY: `data` is the new Buffer's `parts.len()` bytes, not yet seen by JavaScript nor anything
    // else; `write_into` only writes them.
    let out = unsafe { std::slice::from_raw_parts_mut(data.cast::<MaybeUninit<u8>>(), parts.len()) };
    parts.write_into(out).map_err(to_js_error)?;
    // SAFETY: `value` is the Buffer napi just created in this call's environment.
    unsafe { Buffer::from_napi_value(env.raw(), value) }.map_err(failed)
}
