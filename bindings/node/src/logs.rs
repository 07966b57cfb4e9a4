//! Log parsing for JavaScript: the native `Parser` class (`parse`, `parseEntry`, and
//! `parseManyBatch`, which `records.js` turns into objects; see [`crate::batch`]). Records come out as
//! their map view: one property per key, the last duplicate winning. Integers beyond
//! `Number.MAX_SAFE_INTEGER` come out as `BigInt`; every other number as a JavaScript number.

use std::collections::HashMap;
use std::sync::Arc;

use napi::bindgen_prelude::{Buffer, Either, FromNapiValue, TypeName};
use napi::{sys, Env};
use napi_derive::napi;
use srekit::error::codes::LOG_CONFIG;
use srekit::logs::{LineError, LogFormat, Parser, ParserOptions, Record, Value};

use crate::batch::RecordBatch;
use crate::errors::{check, coded_error, throw_error, to_js_error, ErrorPosition, JsErrorCode};
use crate::js::{Js, RawValue};
use crate::pool;
use crate::stream::BatchStream;

/// The largest integer a JavaScript number holds exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

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
    /// The pattern, with named groups, when the format is `'regex'`.
    pub regex: Option<String>,
}

fn parser_options(format: &str, options: LogParserOptions) -> napi::Result<ParserOptions, JsErrorCode> {
    let log_format = match (format, options.regex) {
        ("regex", Some(pattern)) => LogFormat::Regex(pattern),
        ("regex", None) => return Err(coded_error(LOG_CONFIG, "format 'regex' needs options.regex")),
        (name, _) => LogFormat::from_name(name)
            .ok_or_else(|| to_js_error(srekit::logs::LogError::UnknownFormat(name.to_string())))?,
    };
    let mut parsed = ParserOptions::new(log_format);
    if let Some(types) = options.types {
        let mut fields: Vec<_> = types.into_iter().collect();
        fields.sort();
        for (field, type_name) in fields {
            parsed.set_type(&field, &type_name).map_err(to_js_error)?;
        }
    }
    parsed.time_key = options.time_key;
    parsed.time_format = options.time_format;
    parsed.lossy_utf8 = options.lossy_utf8.unwrap_or(false);
    if let Some(max) = options.max_line_length {
        parsed.max_line_length = max as usize;
    }
    Ok(parsed)
}

/// The bytes of a `string | Buffer` argument.
fn input_bytes(input: &Either<String, Buffer>) -> &[u8] {
    match input {
        Either::A(text) => text.as_bytes(),
        Either::B(buffer) => buffer,
    }
}

/// A `string | Buffer` argument of the batch call. A string's UTF-8 goes into a pooled buffer rather
/// than a fresh `String` (megabytes of new pages on every call otherwise).
pub enum BatchInput {
    /// A string's UTF-8 (given back to the pool on drop).
    Text(Vec<u8>),
    /// A Buffer's bytes, borrowed.
    Bytes(Buffer),
}

impl BatchInput {
    /// The input's bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            BatchInput::Text(text) => text,
            BatchInput::Bytes(buffer) => buffer,
        }
    }
}

impl Drop for BatchInput {
    fn drop(&mut self) {
        if let BatchInput::Text(text) = self {
            pool::give(std::mem::take(text));
        }
    }
}

impl FromNapiValue for BatchInput {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        let mut kind = 0;
        // SAFETY: napi-rs calls `from_napi_value` with the env of the running call and an argument of
        // that call (the function's contract); `kind` is a live local.
        check(unsafe { sys::napi_typeof(env, value, &mut kind) })?;
        if kind != sys::ValueType::napi_string {
            // The same error as an `Either<String, Buffer>` argument gives.
            // SAFETY: the same env and value napi-rs gave us (see above); `Buffer` checks the type itself.
            return unsafe { Buffer::from_napi_value(env, value) }.map(BatchInput::Bytes).map_err(|_| {
                napi::Error::new(
                    napi::Status::InvalidArg,
                    "Value is none of these types `String`, `Vec<u8>`, ",
                )
            });
        }
        // One pass when the text is mostly ASCII: copy into a buffer sized from the UTF-16 length
        // (known without reading the string), and only when that was too small ask napi for the
        // exact UTF-8 length (a second pass over the string) and copy again.
        let mut units = 0;
        // SAFETY: same env and value (a string, checked above); a null buffer makes napi only write
        // the length to the live local `units`.
        check(unsafe { sys::napi_get_value_string_utf16(env, value, std::ptr::null_mut(), 0, &mut units) })?;
        // (The guess, not the pooled buffer's capacity, bounds the copy, so where the second copy
        // starts does not depend on what the pool holds.)
        let guess = units + units / 8 + 16;
        let mut text: Vec<u8> = pool::take(guess);
        let mut written = copy_utf8(env, value, &mut text, guess)?;
        // napi writes whole characters only (at most 4 bytes each) and keeps a byte for its NUL, so
        // room left for one more character means the whole string was copied.
        if written + 5 > guess {
            let mut len = 0;
            // SAFETY: as above: a null buffer makes napi only write the UTF-8 length to `len`.
            check(unsafe { sys::napi_get_value_string_utf8(env, value, std::ptr::null_mut(), 0, &mut len) })?;
            pool::give(text);
            text = pool::take(len + 1);
            written = copy_utf8(env, value, &mut text, len + 1)?.min(len);
        }
        // SAFETY: napi initialised the first `written` bytes (within the capacity, see copy_utf8).
        unsafe { text.set_len(written) };
        Ok(BatchInput::Text(text))
    }
}

/// Copies the UTF-8 of the string `value` into the first `room` bytes of `text`'s buffer (as much as
/// fits, whole characters only, and napi's NUL) and returns how many bytes of text napi wrote;
/// `text`'s length is left as it was (0).
fn copy_utf8(
    env: sys::napi_env,
    value: sys::napi_value,
    text: &mut Vec<u8>,
    room: usize,
) -> napi::Result<usize> {
    let room = room.min(text.capacity());
    let mut written = 0;
    // SAFETY: napi writes at most `room` bytes, within `text`'s capacity.
    check(unsafe {
        sys::napi_get_value_string_utf8(env, value, text.as_mut_ptr().cast(), room, &mut written)
    })?;
    Ok(written.min(room.saturating_sub(1)))
}

impl TypeName for BatchInput {
    fn type_name() -> &'static str {
        "string | Buffer"
    }

    fn value_type() -> napi::ValueType {
        napi::ValueType::Unknown
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
        let options = parser_options(&format, options.unwrap_or_default())?;
        let inner = Parser::new(options).map_err(to_js_error)?;
        Ok(JsParser { inner: Arc::new(inner) })
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

    /// Starts parsing every line of `data` into a sequence of columnar batches: a large input is
    /// parsed on a worker thread while JavaScript builds the objects of the batches already parsed
    /// (see [`crate::stream`]). `parseMany` / `parseManyEntries` use it.
    #[napi(ts_args_type = "data: string | Buffer")]
    pub fn parse_many_stream(&self, data: BatchInput) -> BatchStream {
        BatchStream::start(self.inner.clone(), data)
    }
}

/// A record's map view as a JavaScript object.
pub fn record_to_js(js: Js, record: &Record<'_>) -> napi::Result<sys::napi_value> {
    members_to_js(js, &record.fields)
}

fn members_to_js(
    js: Js,
    members: &[(std::borrow::Cow<'_, str>, Value<'_>)],
) -> napi::Result<sys::napi_value> {
    let object = js.object()?;
    for (key, value) in members {
        js.set_own(object, key, value_to_js(js, value)?)?;
    }
    Ok(object)
}

/// One value as a JavaScript value (BigInt beyond the safe integer range).
pub fn value_to_js(js: Js, value: &Value<'_>) -> napi::Result<sys::napi_value> {
    match value {
        Value::Str(text) => js.string(text),
        Value::Int(number) if number.unsigned_abs() <= MAX_SAFE_INTEGER => js.number(*number as f64),
        Value::Int(number) => js.bigint_i64(*number),
        Value::UInt(number) if *number <= MAX_SAFE_INTEGER => js.number(*number as f64),
        Value::UInt(number) => js.bigint_u64(*number),
        Value::Float(number) => js.number(*number),
        Value::Bool(flag) => js.boolean(*flag),
        Value::Null => js.null(),
        Value::Array(items) => {
            let array = js.array(items.len())?;
            for (index, item) in items.iter().enumerate() {
                js.set_index(array, index, value_to_js(js, item)?)?;
            }
            Ok(array)
        }
        Value::Object(members) => members_to_js(js, members),
    }
}
