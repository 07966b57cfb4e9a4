//! Record values as JavaScript values, one at a time (the one-line calls, and the nested values and
//! BigInts of a batch): one property per key, the last duplicate winning; integers beyond
//! `Number.MAX_SAFE_INTEGER` as `BigInt`, every other number as a JavaScript number.

use napi::sys;
use srekit::logs::{Record, Value};

use crate::js::Js;

/// The largest integer a JavaScript number holds exactly (2^53 - 1).
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

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
