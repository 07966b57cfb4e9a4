//! Recycled column buffers for [`crate::batch`]. A batch's columns are large (megabytes for a big
//! input) and short-lived: copied into JavaScript typed arrays at the end of each call. Fresh
//! allocations of that size cost page faults on every call, so the buffers come back here and the
//! next batch reuses them. One pool per element type, shared by the JavaScript thread and the
//! worker that parses large inputs ahead of it (see `crate::stream`).

use std::sync::Mutex;

/// Buffers kept per element type.
const KEPT: usize = 8;
/// Larger buffers are freed, not kept: the pool holds at most `KEPT` x this per element type.
const MAX_KEPT_BYTES: usize = 32 << 20;

/// An element type whose `Vec`s are pooled.
pub trait Pooled: Copy + 'static {
    /// Runs `f` with this type's pool; `None` when the pool cannot be reached (a thread panicked
    /// while holding it), so this never panics.
    fn with_pool<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> Option<R>;
}

macro_rules! pooled {
    ($($t:ty => $pool:ident),*) => {$(
        static $pool: Mutex<Vec<Vec<$t>>> = Mutex::new(Vec::new());
        impl Pooled for $t {
            fn with_pool<R>(f: impl FnOnce(&mut Vec<Vec<Self>>) -> R) -> Option<R> {
                $pool.lock().ok().map(|mut pool| f(&mut pool))
            }
        }
    )*};
}

pooled!(u8 => POOL_U8, u32 => POOL_U32, f64 => POOL_F64);

/// An empty `Vec` with room for at least `capacity` elements, recycled when one is pooled.
pub fn take<T: Pooled>(capacity: usize) -> Vec<T> {
    let recycled = T::with_pool(|pool| {
        // The smallest buffer that is large enough, else the largest (which then grows): a small
        // request does not take the big buffer a large one will want next.
        let fits = pool.iter().enumerate().filter(|(_, v)| v.capacity() >= capacity);
        let best = fits
            .min_by_key(|(_, v)| v.capacity())
            .or_else(|| pool.iter().enumerate().max_by_key(|(_, v)| v.capacity()))
            .map(|(i, _)| i)?;
        Some(pool.swap_remove(best))
    })
    .flatten();
    match recycled {
        Some(mut items) => {
            items.clear();
            items.reserve(capacity);
            items
        }
        None => Vec::with_capacity(capacity),
    }
}

/// Returns a buffer to its pool (dropping the smallest when the pool is full).
pub fn give<T: Pooled>(items: Vec<T>) {
    if items.capacity() == 0 || items.capacity() * std::mem::size_of::<T>() > MAX_KEPT_BYTES {
        return;
    }
    T::with_pool(|pool| {
        pool.push(items);
        if pool.len() > KEPT {
            if let Some(smallest) = pool.iter().enumerate().min_by_key(|(_, v)| v.capacity()).map(|(i, _)| i)
            {
                pool.swap_remove(smallest);
            }
        }
    });
}
