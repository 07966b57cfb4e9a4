//! Mapping core errors to thrown JavaScript `Error`s: every core error goes through [`to_js_error`] (or,
//! when it names a position, [`throw_error`]), so every error srekit throws has a `code`.
//!
//! - `message` is the core's message verbatim (the same text Python shows).
//! - `code` is `ERR_SREKIT_` followed by the core's stable code (`srekit::error::codes`) in upper case
//!   with `.` as `_`: `metric.invalid_name` is `ERR_SREKIT_METRIC_INVALID_NAME`, `log.line` is
//!   `ERR_SREKIT_LOG_LINE`, `config.invalid` is `ERR_SREKIT_CONFIG_INVALID`. One exception keeps the
//!   code it had before codes came from the core: `exposition.parse` is `ERR_SREKIT_EXPOSITION`.
//! - where the core names a position it is attached as numeric properties: `offset` (byte offset in
//!   a log line), `line` / `column` (exposition text).

use std::fmt::Display;

use napi::{sys, Env, Status};
use srekit::error::{codes, ErrorCode};

/// The `code` of a thrown error, e.g. `ERR_SREKIT_METRIC_DUPLICATE` (see the module docs). A binding
/// function that can fail with a core error returns `napi::Result<T, JsErrorCode>`, and napi-rs throws
/// the error with this as its `code`. (napi-rs recognises a fallible function by the return type's
/// name `Result`, so this cannot be shortened by a type alias.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsErrorCode(String);

impl JsErrorCode {
    /// The Node code for a core code.
    pub fn from_core(code: &str) -> JsErrorCode {
        if code == codes::EXPOSITION_PARSE {
            return JsErrorCode("ERR_SREKIT_EXPOSITION".to_string());
        }
        JsErrorCode(format!("ERR_SREKIT_{}", code.to_ascii_uppercase().replace('.', "_")))
    }
}

impl AsRef<str> for JsErrorCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A core error as a thrown `Error` with the core's message and `code`.
pub fn to_js_error(err: impl ErrorCode) -> napi::Error<JsErrorCode> {
    coded_error(err.code(), err)
}

/// An error the binding finds itself (e.g. rule JSON that does not deserialize) under one of the
/// core's codes, so it is thrown like the core's own errors of that kind.
pub fn coded_error(code: &'static str, message: impl Display) -> napi::Error<JsErrorCode> {
    napi::Error::new(JsErrorCode::from_core(code), message.to_string())
}

/// A position to attach to a thrown error as numeric properties.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorPosition {
    /// Byte offset in the input line (`error.offset`).
    pub offset: Option<usize>,
    /// 1-based line (`error.line`).
    pub line: Option<usize>,
    /// 1-based column (`error.column`).
    pub column: Option<usize>,
}

/// Throws a core error as a JavaScript `Error` with its message, `code` and the position properties,
/// and returns the `napi::Error` that tells napi-rs the exception is already pending (so it is not
/// thrown twice).
pub fn throw_error(env: &Env, err: &dyn ErrorCode, position: ErrorPosition) -> napi::Error {
    let code = JsErrorCode::from_core(err.code());
    if let Err(failed) = throw_error_inner(env, code.as_ref(), &err.to_string(), position) {
        return failed;
    }
    napi::Error::from_status(Status::PendingException)
}

fn throw_error_inner(env: &Env, code: &str, message: &str, position: ErrorPosition) -> napi::Result<()> {
    // Every napi call below gets `raw_env`, the env of the JavaScript call that is running on this
    // thread (borrowed from napi-rs for the call), values created in it during this call, and
    // pointers to live locals for napi to write its results to.
    let raw_env = env.raw();
    let js_code = create_string(raw_env, code)?;
    let js_message = create_string(raw_env, message)?;
    let mut error = std::ptr::null_mut();
    // SAFETY: see above; `js_code` and `js_message` are strings just created in this env.
    check(unsafe { sys::napi_create_error(raw_env, js_code, js_message, &mut error) })?;
    let numbers = [("offset", position.offset), ("line", position.line), ("column", position.column)];
    for (name, value) in numbers {
        if let Some(value) = value {
            let mut js_value = std::ptr::null_mut();
            // SAFETY: see above; `js_value` is a live local for the result.
            check(unsafe { sys::napi_create_double(raw_env, value as f64, &mut js_value) })?;
            let key = create_string(raw_env, name)?;
            // SAFETY: see above; `error`, `key` and `js_value` were created in this env just now.
            check(unsafe { sys::napi_set_property(raw_env, error, key, js_value) })?;
        }
    }
    // SAFETY: see above; `error` is the Error object created in this env just now.
    check(unsafe { sys::napi_throw(raw_env, error) })
}

/// Creates a JavaScript string from UTF-8 text. `env` must be the env of the JavaScript call running
/// on this thread.
pub(crate) fn create_string(env: sys::napi_env, text: &str) -> napi::Result<sys::napi_value> {
    let mut value = std::ptr::null_mut();
    // SAFETY: `env` is the current call's env (callers pass `Env::raw()` of the call or a `Js` built
    // from it); napi reads exactly `text.len()` bytes from `text`, which is valid UTF-8 for that long
    // (an explicit length, so no NUL terminator is needed); `value` is a live local for the result.
    check(unsafe {
        sys::napi_create_string_utf8(env, text.as_ptr().cast(), text.len() as isize, &mut value)
    })?;
    Ok(value)
}

/// Turns a raw napi status into a `Result`.
pub(crate) fn check(status: sys::napi_status) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::from_status(Status::from(status)))
    }
}

/// An argument error the binding finds itself that has no core code (`code` is `InvalidArg`).
pub fn invalid_arg(err: impl Display) -> napi::Error {
    napi::Error::new(Status::InvalidArg, err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_codes_follow_core_codes() {
        let code = |core: &str| JsErrorCode::from_core(core).0;
        assert_eq!(code(codes::METRIC_INVALID_NAME), "ERR_SREKIT_METRIC_INVALID_NAME");
        assert_eq!(code(codes::LOG_LINE), "ERR_SREKIT_LOG_LINE");
        assert_eq!(code(codes::EXPOSITION_PARSE), "ERR_SREKIT_EXPOSITION");
        let all: std::collections::BTreeSet<String> = codes::ALL.iter().map(|c| code(c)).collect();
        assert_eq!(all.len(), codes::ALL.len(), "two core codes map to one Node code");
    }

    #[test]
    fn to_js_error_keeps_the_core_message() {
        let err = to_js_error(srekit::MetricError::Duplicate("up".into()));
        assert_eq!(err.status.as_ref(), "ERR_SREKIT_METRIC_DUPLICATE");
        assert_eq!(err.reason, "metric \"up\" is already registered");
    }
}
