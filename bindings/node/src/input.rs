//! The `string | Buffer` argument of the batch calls (`parseManyBatch`, `parseManyStream`): a Buffer is
//! borrowed, a string's UTF-8 is copied once into a pooled buffer (see [`crate::pool`]).

use napi::bindgen_prelude::{Buffer, FromNapiValue, TypeName};
use napi::sys;

use crate::errors::check;
use crate::pool;

/// A `string | Buffer` argument of the batch call. A string's UTF-8 goes into a pooled buffer rather
/// than a fresh `String` (megabytes of new pages on every call otherwise).
pub enum BatchInput {
    /// Bytes of our own: a string's UTF-8, or a Buffer's bytes copied for a parsing thread (given back
    /// to the pool on drop).
    Owned(Vec<u8>),
    /// A Buffer's bytes, borrowed.
    Bytes(Buffer),
}

impl BatchInput {
    /// The input's bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            BatchInput::Owned(text) => text,
            BatchInput::Bytes(buffer) => buffer,
        }
    }
}

impl Drop for BatchInput {
    fn drop(&mut self) {
        if let BatchInput::Owned(text) = self {
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
        Ok(BatchInput::Owned(text))
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
