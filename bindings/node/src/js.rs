//! A small, allocation-light builder of JavaScript values over raw napi calls, for the conversions
//! that produce many objects (metric families, records). [`RawValue`] lets a `#[napi]` function
//! return a value built this way.

use napi::bindgen_prelude::{FromNapiValue, ToNapiValue, TypeName};
use napi::{sys, Env, ValueType};

use crate::errors::check;
use crate::pool::{self, Pooled};

/// A JavaScript value built with [`Js`], returned as is to JavaScript.
#[derive(Clone, Copy)]
pub struct RawValue(pub sys::napi_value);

impl ToNapiValue for RawValue {
    unsafe fn to_napi_value(_env: sys::napi_env, value: Self) -> napi::Result<sys::napi_value> {
        Ok(value.0)
    }
}

impl TypeName for RawValue {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// A JavaScript argument taken as it is (its checks are the callee's).
#[derive(Clone, Copy)]
pub struct RawArg(pub sys::napi_value);

impl FromNapiValue for RawArg {
    unsafe fn from_napi_value(_env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        Ok(RawArg(value))
    }
}

impl TypeName for RawArg {
    fn type_name() -> &'static str {
        "unknown"
    }

    fn value_type() -> ValueType {
        ValueType::Unknown
    }
}

/// Builds JavaScript values in one environment (valid only during the current call).
///
/// The `unsafe` napi calls of its methods rely on this: `env` is the env of the JavaScript call
/// running on this thread. [`Js::new`] takes it from the call's `&Env`, a `Js` is used only within
/// that call (it is passed down, never stored), and, holding a raw pointer, it is neither `Send` nor
/// `Sync`, so it cannot reach another thread.
#[derive(Clone, Copy)]
pub struct Js {
    env: sys::napi_env,
}

impl Js {
    /// A builder for the environment of the current call.
    pub fn new(env: &Env) -> Js {
        Js { env: env.raw() }
    }

    /// `{}`.
    pub fn object(self) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `value` is a live local
        // that napi writes the new value to.
        check(unsafe { sys::napi_create_object(self.env, &mut value) })?;
        Ok(value)
    }

    /// An array of `len` holes.
    pub fn array(self, len: usize) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `value` is a live local
        // that napi writes the new value to.
        check(unsafe { sys::napi_create_array_with_length(self.env, len, &mut value) })?;
        Ok(value)
    }

    /// A string from UTF-8 text.
    pub fn string(self, text: &str) -> napi::Result<sys::napi_value> {
        crate::errors::create_string(self.env, text)
    }

    /// An array of strings from UTF-8 texts.
    pub fn string_array<S: AsRef<str>>(self, texts: &[S]) -> napi::Result<sys::napi_value> {
        let array = self.array(texts.len())?;
        for (index, text) in texts.iter().enumerate() {
            self.set_index(array, index, self.string(text.as_ref())?)?;
        }
        Ok(array)
    }

    /// A string from Latin-1 bytes (ASCII text is Latin-1): a plain copy, no UTF-8 decoding.
    pub fn string_latin1(self, bytes: &[u8]) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); napi reads exactly
        // `bytes.len()` bytes from `bytes` (explicit length, no NUL needed) and writes to the live local `value`.
        check(unsafe {
            sys::napi_create_string_latin1(self.env, bytes.as_ptr().cast(), bytes.len() as isize, &mut value)
        })?;
        Ok(value)
    }

    /// A number.
    pub fn number(self, number: f64) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `value` is a live local
        // that napi writes the new value to.
        check(unsafe { sys::napi_create_double(self.env, number, &mut value) })?;
        Ok(value)
    }

    /// A BigInt from a signed integer.
    pub fn bigint_i64(self, number: i64) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `value` is a live local
        // that napi writes the new value to.
        check(unsafe { sys::napi_create_bigint_int64(self.env, number, &mut value) })?;
        Ok(value)
    }

    /// A BigInt from an unsigned integer.
    pub fn bigint_u64(self, number: u64) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `value` is a live local
        // that napi writes the new value to.
        check(unsafe { sys::napi_create_bigint_uint64(self.env, number, &mut value) })?;
        Ok(value)
    }

    /// `true` or `false`.
    pub fn boolean(self, flag: bool) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `value` is a live local
        // that napi writes the new value to.
        check(unsafe { sys::napi_get_boolean(self.env, flag, &mut value) })?;
        Ok(value)
    }

    /// `undefined`.
    pub fn undefined(self) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `value` is a live local
        // that napi writes the new value to.
        check(unsafe { sys::napi_get_undefined(self.env, &mut value) })?;
        Ok(value)
    }

    /// `null`.
    pub fn null(self) -> napi::Result<sys::napi_value> {
        let mut value = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `value` is a live local
        // that napi writes the new value to.
        check(unsafe { sys::napi_get_null(self.env, &mut value) })?;
        Ok(value)
    }

    /// `object[key] = value` with a key built beforehand (see [`Js::string`]).
    pub fn set(
        self,
        object: sys::napi_value,
        key: sys::napi_value,
        value: sys::napi_value,
    ) -> napi::Result<()> {
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); the caller
        // passes `object`, `key` and `value` created in that env during this call.
        check(unsafe { sys::napi_set_property(self.env, object, key, value) })
    }

    /// Defines own enumerable property `key` (text) on `object`, also for `__proto__`, which a plain
    /// assignment would turn into a prototype change.
    pub fn set_own(self, object: sys::napi_value, key: &str, value: sys::napi_value) -> napi::Result<()> {
        if key != "__proto__" {
            return self.set(object, self.string(key)?, value);
        }
        let descriptor = sys::napi_property_descriptor {
            utf8name: std::ptr::null(),
            name: self.string(key)?,
            method: None,
            getter: None,
            setter: None,
            value,
            attributes: sys::PropertyAttributes::enumerable
                | sys::PropertyAttributes::writable
                | sys::PropertyAttributes::configurable,
            data: std::ptr::null_mut(),
        };
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `descriptor` is
        // one initialised descriptor (count 1) whose `name` and `value` were created in this env; napi copies
        // it before returning.
        check(unsafe { sys::napi_define_properties(self.env, object, 1, &descriptor) })
    }

    /// `array[index] = value`.
    pub fn set_index(self, array: sys::napi_value, index: usize, value: sys::napi_value) -> napi::Result<()> {
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); the caller
        // passes `array` and `value` created in that env during this call.
        check(unsafe { sys::napi_set_element(self.env, array, index as u32, value) })
    }

    /// A `Float64Array` over `items`.
    pub fn float64_array(self, items: Vec<f64>) -> napi::Result<sys::napi_value> {
        self.typed_array(items, sys::TypedarrayType::float64_array)
    }

    /// Copies `items` into a new typed array of `kind` and gives the `Vec` back to its pool. (An
    /// external `ArrayBuffer` would save the copy, but Node runs its finalizer only when the event
    /// loop turns, so a synchronous loop of calls would hold every buffer until then.)
    fn typed_array<T: Pooled>(
        self,
        items: Vec<T>,
        kind: sys::napi_typedarray_type,
    ) -> napi::Result<sys::napi_value> {
        let array = self.copied_typed_array(&items, kind);
        pool::give(items);
        array
    }

    /// Writes `parts` one after another into one `Uint32Array` and returns a view of each part (a
    /// `Uint32Array` over that part only) and the whole array. The whole array is `scratch` when it is
    /// a `Uint32Array` of its own `ArrayBuffer` with room for every part; otherwise a new one with some
    /// headroom, which the caller can pass back as `scratch` next time. Views and the whole array share
    /// memory, so a caller reuses `scratch` only after it is done with the previous views.
    pub fn uint32_parts(
        self,
        scratch: Option<sys::napi_value>,
        parts: &[&[u32]],
    ) -> napi::Result<(Vec<sys::napi_value>, sys::napi_value)> {
        let total: usize = parts.iter().map(|part| part.len()).sum();
        let uint32 = sys::TypedarrayType::uint32_array;
        let (whole, buffer, data) = match scratch.and_then(|array| self.uint32_room(array, total)) {
            Some(found) => found,
            None => {
                let capacity = (total + total / 4).max(1024);
                let (buffer, data) = self.array_buffer(capacity * 4)?;
                (self.typed_view(uint32, buffer, 0, capacity)?, buffer, data.cast::<u32>())
            }
        };
        let mut views = Vec::with_capacity(parts.len());
        let mut at = 0;
        for part in parts {
            // SAFETY: `data` is the start of an ArrayBuffer of at least `total` u32s (checked by
            // `uint32_room` or just allocated; napi's allocations are aligned for any element type).
            unsafe { std::ptr::copy_nonoverlapping(part.as_ptr(), data.add(at), part.len()) };
            views.push(self.typed_view(uint32, buffer, at * 4, part.len())?);
            at += part.len();
        }
        Ok((views, whole))
    }

    /// `array`, its `ArrayBuffer` and its data when it is a `Uint32Array` that starts its buffer and
    /// has room for `len` elements.
    fn uint32_room(
        self,
        array: sys::napi_value,
        len: usize,
    ) -> Option<(sys::napi_value, sys::napi_value, *mut u32)> {
        let mut is_typed = false;
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `array` is
        // a value of this call (any type is allowed) and `is_typed` a live local.
        check(unsafe { sys::napi_is_typedarray(self.env, array, &mut is_typed) }).ok()?;
        if !is_typed {
            return None;
        }
        let (mut kind, mut length, mut data, mut buffer, mut offset) =
            (0, 0, std::ptr::null_mut(), std::ptr::null_mut(), 0);
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `array` is a
        // typed array (checked just above) of this call; every out-pointer is a live local.
        check(unsafe {
            sys::napi_get_typedarray_info(
                self.env,
                array,
                &mut kind,
                &mut length,
                &mut data,
                &mut buffer,
                &mut offset,
            )
        })
        .ok()?;
        let usable =
            kind == sys::TypedarrayType::uint32_array && offset == 0 && length >= len && !data.is_null();
        usable.then_some((array, buffer, data.cast::<u32>()))
    }

    fn copied_typed_array<T: Copy>(
        self,
        items: &[T],
        kind: sys::napi_typedarray_type,
    ) -> napi::Result<sys::napi_value> {
        let byte_len = std::mem::size_of_val(items);
        let (buffer, data) = self.array_buffer(byte_len)?;
        if byte_len > 0 {
            // SAFETY: napi just allocated `byte_len` writable bytes at `data`; `T: Copy` has no drop glue.
            unsafe {
                std::ptr::copy_nonoverlapping(items.as_ptr().cast::<u8>(), data.cast::<u8>(), byte_len)
            };
        }
        self.typed_view(kind, buffer, 0, items.len())
    }

    /// A new `ArrayBuffer` of `byte_len` bytes and its data.
    fn array_buffer(self, byte_len: usize) -> napi::Result<(sys::napi_value, *mut std::ffi::c_void)> {
        let mut data = std::ptr::null_mut();
        let mut buffer = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `data` and
        // `buffer` are live locals napi writes the new buffer and its backing store to.
        check(unsafe { sys::napi_create_arraybuffer(self.env, byte_len, &mut data, &mut buffer) })?;
        Ok((buffer, data))
    }

    /// A typed array of `kind` and `len` elements over `buffer` from `byte_offset`.
    fn typed_view(
        self,
        kind: sys::napi_typedarray_type,
        buffer: sys::napi_value,
        byte_offset: usize,
        len: usize,
    ) -> napi::Result<sys::napi_value> {
        let mut array = std::ptr::null_mut();
        // SAFETY: `self.env` is the env of the JavaScript call running on this thread (see [`Js`]); `buffer` is
        // an ArrayBuffer of this call; napi itself checks that `len` elements of `kind` from `byte_offset`
        // fit in it (and fails with a RangeError otherwise); `array` is a live local.
        check(unsafe { sys::napi_create_typedarray(self.env, kind, len, buffer, byte_offset, &mut array) })?;
        Ok(array)
    }
}
