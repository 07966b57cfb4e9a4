//! Spare column buffers, per thread: a batch written out as IPC bytes ([`super::ColumnarBatch::into_ipc`])
//! gives its columns' vectors back here and the next batch on the thread builds in them. A batch's
//! columns are megabytes and short-lived; fresh ones cost a page fault per 4 KiB on every call.

use std::cell::RefCell;

use arrow_array::{Array, RecordBatch};
use arrow_buffer::{ArrowNativeType, Buffer};

/// Vectors kept per element type.
const KEPT: usize = 32;
/// Larger vectors are freed, not kept.
const MAX_KEPT_BYTES: usize = 64 << 20;

/// An element type whose vectors are kept.
pub(super) trait Spare: ArrowNativeType {
    /// Runs `f` with this thread's spare vectors of this type.
    fn with_spares<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> R;
}

macro_rules! spares {
    ($($t:ty => $name:ident),*) => {$(
        thread_local! { static $name: RefCell<Vec<Vec<$t>>> = const { RefCell::new(Vec::new()) }; }
        impl Spare for $t {
            fn with_spares<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> R {
                $name.with(|spares| f(&mut spares.borrow_mut()))
            }
        }
    )*};
}

spares!(u8 => SPARE_U8, i32 => SPARE_I32, i64 => SPARE_I64, u64 => SPARE_U64, f64 => SPARE_F64);

/// An empty vector with room for `room` elements: the smallest spare that fits, else a new one.
pub(super) fn take<T: Spare>(room: usize) -> Vec<T> {
    let spare = T::with_spares(|spares| {
        let best = spares
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= room)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i)?;
        Some(spares.swap_remove(best))
    });
    spare.unwrap_or_else(|| Vec::with_capacity(room))
}

fn give<T: Spare>(buffer: Buffer) {
    let Ok(mut vector) = buffer.into_vec::<T>() else { return };
    if vector.capacity() * std::mem::size_of::<T>() > MAX_KEPT_BYTES {
        return;
    }
    vector.clear();
    T::with_spares(|spares| {
        if spares.len() < KEPT {
            spares.push(vector)
        }
    });
}

/// Keeps the value and offset vectors of `batch`'s columns that nothing else holds.
pub(super) fn give_batch(batch: RecordBatch) {
    use arrow_schema::DataType;
    let (_, columns, _) = batch.into_parts();
    for column in columns {
        let data = column.to_data();
        drop(column);
        let data_type = data.data_type().clone();
        let buffers: Vec<Buffer> = data.buffers().to_vec();
        drop(data);
        let mut buffers = buffers.into_iter();
        let mut next = |give: fn(Buffer)| {
            if let Some(buffer) = buffers.next() {
                give(buffer)
            }
        };
        match data_type {
            DataType::Utf8 => {
                next(give::<i32>);
                next(give::<u8>);
            }
            DataType::LargeUtf8 => {
                next(give::<i64>);
                next(give::<u8>);
            }
            DataType::Int64 => next(give::<i64>),
            DataType::UInt64 => next(give::<u64>),
            DataType::Float64 => next(give::<f64>),
            _ => {}
        }
    }
}
