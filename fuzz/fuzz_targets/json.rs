//! Fuzz target: the JSON-lines parser never panics or overflows its stack, and agrees with serde_json
//! on every line serde_json reads as an object (numbers compared as f64 within a relative 1e-15:
//! simd-json rounds some decimal literals more exactly than serde_json's default parser, and reads `-0`
//! as the integer 0).
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use srekit::logs::parse_json;

fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => x == y || (x - y).abs() <= 1e-15 * x.abs().max(y.abs()),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let ours = parse_json(text);
    if let Ok(expected @ Value::Object(_)) = serde_json::from_str::<Value>(text) {
        let record = match ours {
            Ok(record) => record,
            Err(e) if e.message.contains("deeper") => return, // both cap nesting, at nearby depths
            Err(e) => panic!("serde_json reads {text:?} as an object, we fail: {e}"),
        };
        assert!(same(&record.to_json(), &expected), "{text:?}: {} vs {expected}", record.to_json());
    }
});
