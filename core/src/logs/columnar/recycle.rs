//! Recycled column memory: the value, offset and byte vectors of a batch that was written out (as IPC
//! bytes) and dropped come back here, and the next batch's columns grow into them. A column of a
//! large batch is megabytes of fresh memory otherwise, and the kernel faults in and zeroes every page
//! of it on every call: most of a Node `parseColumns` call's time before this pool. One pool per
//! element type, shared by all threads, bounded in count and bytes.

use std::sync::Mutex;

use arrow_array::{Array, ArrayRef};
use arrow_buffer::{ArrowNativeType, Buffer};
use arrow_schema::DataType;

/// Vectors kept per element type.
const KEPT: usize = 32;
/// Bytes kept per element type, at most (a larger vector is freed): the pools hold at most 192 MiB
/// in all (the string bytes of about 100 MB of logfmt input fit in 64 MiB).
const MAX_KEPT_BYTES: usize = 64 << 20;

/// An element type with a pool.
pub(super) trait Recycled: ArrowNativeType {
    fn pool() -> &'static Mutex<Vec<Vec<Self>>>;
}

macro_rules! recycled {
    ($($t:ty => $pool:ident),*) => {$(
        static $pool: Mutex<Vec<Vec<$t>>> = Mutex::new(Vec::new());
        impl Recycled for $t {
            fn pool() -> &'static Mutex<Vec<Vec<Self>>> {
                &$pool
            }
        }
    )*};
}

recycled!(u8 => BYTES, i32 => OFFSETS, i64 => INTS);

/// Makes room for `more` elements in `items`: in a pooled vector (its contents copied over) when
/// `items` must grow and the pool has one large enough, else by growing `items`.
///
/// ```text
/// grow(&mut offsets, rows) // offsets.capacity() >= offsets.len() + rows
/// ```
pub(super) fn grow<T: Recycled>(items: &mut Vec<T>, more: usize) {
    let wanted = items.len().saturating_add(more);
    if items.capacity() >= wanted {
        return;
    }
    let pooled = T::pool().lock().ok().and_then(|mut pool| {
        let best = pool
            .iter()
            .enumerate()
            .filter(|(_, v)| v.capacity() >= wanted)
            .min_by_key(|(_, v)| v.capacity())
            .map(|(i, _)| i)?;
        Some(pool.swap_remove(best))
    });
    match pooled {
        Some(mut pooled) => {
            pooled.clear();
            pooled.extend_from_slice(items);
            *items = pooled;
        }
        None => items.reserve(more),
    }
}

/// Gives the vector of `buffer` back to its pool, if `buffer` is its only owner and was a `Vec<T>`.
fn give<T: Recycled>(buffer: Buffer) {
    let Ok(items) = buffer.into_vec::<T>() else { return };
    let bytes = items.capacity() * std::mem::size_of::<T>();
    if bytes == 0 || bytes > MAX_KEPT_BYTES {
        return;
    }
    if let Ok(mut pool) = T::pool().lock() {
        pool.push(items);
        let mut total: usize = pool.iter().map(|v| v.capacity() * std::mem::size_of::<T>()).sum();
        // Over the bounds: drop the smallest first (the large ones save the most page faults).
        while pool.len() > KEPT || total > MAX_KEPT_BYTES {
            let Some(smallest) = pool.iter().enumerate().min_by_key(|(_, v)| v.capacity()).map(|(i, _)| i)
            else {
                break;
            };
            total -= pool.swap_remove(smallest).capacity() * std::mem::size_of::<T>();
        }
    }
}

/// Returns the memory of `arrays` (utf8 and int64 columns this module's builder made) to the pools;
/// arrays still shared elsewhere keep theirs.
pub(super) fn recycle(arrays: Vec<ArrayRef>) {
    for array in arrays {
        let data = array.to_data();
        drop(array);
        let kind = data.data_type().clone();
        let buffers = data.buffers().to_vec();
        drop(data);
        let mut buffers = buffers.into_iter();
        match kind {
            DataType::Utf8 => {
                if let (Some(offsets), Some(bytes)) = (buffers.next(), buffers.next()) {
                    give::<i32>(offsets);
                    give::<u8>(bytes);
                }
            }
            DataType::Int64 => {
                if let Some(values) = buffers.next() {
                    give::<i64>(values);
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array};

    use super::{grow, recycle, INTS};

    #[test]
    fn a_recycled_column_is_grown_into_and_keeps_the_values() {
        // A capacity no other test uses, so this test finds its own vector in the shared pool.
        let capacity = 1_234_567;
        let mut values: Vec<i64> = Vec::with_capacity(capacity);
        values.extend(0..10);
        let array: ArrayRef = Arc::new(Int64Array::from(values));
        recycle(vec![array]);
        assert!(INTS.lock().unwrap().iter().any(|v| v.capacity() == capacity));
        let mut items = vec![7i64, 8, 9];
        grow(&mut items, capacity - 3);
        assert_eq!(items, [7, 8, 9]);
        assert!(items.capacity() >= capacity);
        // A shared array keeps its memory.
        let shared: ArrayRef = Arc::new(Int64Array::from(vec![1i64; 99_991]));
        let kept = Arc::clone(&shared);
        recycle(vec![shared]);
        assert!(!INTS.lock().unwrap().iter().any(|v| v.capacity() == 99_991));
        assert_eq!(kept.len(), 99_991);
    }
}
