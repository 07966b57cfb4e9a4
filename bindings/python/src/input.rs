//! Text arguments that may be `str`, `bytes` or `bytearray`: held without copying where Python allows,
//! and `Send`, so the core can work on them with the GIL released.

use pyo3::prelude::*;
use pyo3::pybacked::{PyBackedBytes, PyBackedStr};

/// A `str` or bytes-like argument.
#[derive(FromPyObject)]
pub(crate) enum Text {
    /// A Python `str` (UTF-8 view).
    Str(PyBackedStr),
    /// `bytes` or `bytearray`.
    Bytes(PyBackedBytes),
}

impl Text {
    /// The raw bytes (UTF-8 for a `str`).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Str(s) => s.as_bytes(),
            Text::Bytes(b) => b,
        }
    }

    /// The text as `&str`; bytes must be valid UTF-8.
    pub(crate) fn as_str(&self) -> Result<&str, std::str::Utf8Error> {
        match self {
            Text::Str(s) => Ok(s),
            Text::Bytes(b) => std::str::from_utf8(b),
        }
    }
}
