//! Mapping core errors to thrown JavaScript `Error`s.
//!
//! A thrown error keeps the core's message verbatim and, where the core names a position, carries it
//! as properties: `offset` (byte offset in a log line), `line` / `column` (exposition text). The
//! `code` property names the kind of failure (`ERR_SREKIT_METRIC`, `ERR_SREKIT_PARSE`, ...).

use napi::{sys, Env, Status};

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

/// Throws a JavaScript `Error` with `message`, `code` and the position properties, and returns the
/// `napi::Error` that tells napi-rs the exception is already pending (so it is not thrown twice).
pub fn throw_error(env: &Env, code: &str, message: &str, position: ErrorPosition) -> napi::Error {
    if let Err(err) = throw_error_inner(env, code, message, position) {
        return err;
    }
    napi::Error::from_status(Status::PendingException)
}

fn throw_error_inner(env: &Env, code: &str, message: &str, position: ErrorPosition) -> napi::Result<()> {
    let raw_env = env.raw();
    let js_code = create_string(raw_env, code)?;
    let js_message = create_string(raw_env, message)?;
    let mut error = std::ptr::null_mut();
    check(unsafe { sys::napi_create_error(raw_env, js_code, js_message, &mut error) })?;
    let numbers = [("offset", position.offset), ("line", position.line), ("column", position.column)];
    for (name, value) in numbers {
        if let Some(value) = value {
            let mut js_value = std::ptr::null_mut();
            check(unsafe { sys::napi_create_double(raw_env, value as f64, &mut js_value) })?;
            let key = create_string(raw_env, name)?;
            check(unsafe { sys::napi_set_property(raw_env, error, key, js_value) })?;
        }
    }
    check(unsafe { sys::napi_throw(raw_env, error) })
}

/// Creates a JavaScript string from UTF-8 text.
pub(crate) fn create_string(env: sys::napi_env, text: &str) -> napi::Result<sys::napi_value> {
    let mut value = std::ptr::null_mut();
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

/// Converts a core error without a position into an `Error` napi-rs throws (`code` is
/// `InvalidArg`), keeping the core's message.
pub fn invalid_arg(err: impl std::fmt::Display) -> napi::Error {
    napi::Error::new(Status::InvalidArg, err.to_string())
}
