//! A rule's recently used series: a small two-way set-associative table by the hash of the series'
//! field label values (a new series goes first in its set, the one there moving to the second way, so
//! two label sets whose hashes share a set do not push each other out), each slot holding the series' position and its key: the values, each followed by a 0xFF
//! byte (which UTF-8 never holds, so the key splits back into the values one way only). A record whose
//! series is there is matched by comparing its values with that key, without probing the rule's index,
//! following the series' handle to its label text or escaping. Its size is fixed per rule (allocated
//! on first use) whatever the number of series, so the memory a series costs does not grow; the rule
//! empties it whenever series move (expiry).

use crate::short_eq::same;

/// Number of slots (a power of two).
const SLOTS: usize = 128;
/// Number of sets of two slots.
const SETS: usize = SLOTS / 2;
/// The longest key kept; a series with a longer one is not cached.
pub(super) const KEY: usize = 48;
/// Ends each value in a key.
const END: u8 = 0xFF;
/// The position of an empty slot.
const EMPTY: u32 = u32::MAX;

/// One cached series: 64 bytes, one cache line.
#[derive(Clone, Copy)]
struct Slot {
    hash: u64,
    index: u32,
    len: u32,
    key: [u8; KEY],
}

const EMPTY_SLOT: Slot = Slot { hash: 0, index: EMPTY, len: 0, key: [0; KEY] };

impl Slot {
    /// The position of the series in the slot if it is that of `values`, cached under `hash`.
    #[inline(always)]
    fn holds(&self, hash: u64, values: &[&str]) -> Option<usize> {
        if self.hash != hash || self.index == EMPTY {
            return None;
        }
        let mut rest = self.key.get(..self.len as usize)?;
        for value in values {
            let (head, tail) = rest.split_at_checked(value.len())?;
            let (&end, tail) = tail.split_first()?;
            if end != END || !same(head, value.as_bytes()) {
                return None;
            }
            rest = tail;
        }
        rest.is_empty().then_some(self.index as usize)
    }
}

/// The cache of one rule.
///
/// ```text
/// let mut recent = Recent::default();
/// recent.put(hash, 3, &["GET", "200"]);
/// assert_eq!(recent.find(hash, &["GET", "200"]), Some(3));
/// assert_eq!(recent.find(hash, &["GET", "20"]), None);
/// ```
#[derive(Default)]
pub(super) struct Recent {
    slots: Vec<Slot>,
}

impl Recent {
    /// The position of the series of field label `values` if it is cached under `hash`.
    #[inline(always)]
    pub(super) fn find(&self, hash: u64, values: &[&str]) -> Option<usize> {
        let set = 2 * (hash as usize & (SETS - 1));
        let ways = self.slots.get(set..set + 2)?;
        ways.iter().find_map(|slot| slot.holds(hash, values))
    }

    /// Caches the series at `index`, whose field label values are `values` and hash to `hash`
    /// (first in its set; the series there moves to the second way, replacing the one there). A key
    /// over [`KEY`] bytes is not cached.
    pub(super) fn put(&mut self, hash: u64, index: usize, values: &[&str]) {
        let len: usize = values.iter().map(|value| value.len() + 1).sum();
        let (Ok(index), Ok(len)) = (u32::try_from(index), u32::try_from(len)) else { return };
        if index == EMPTY || len as usize > KEY {
            return;
        }
        if self.slots.is_empty() {
            self.slots = vec![EMPTY_SLOT; SLOTS];
        }
        let set = 2 * (hash as usize & (SETS - 1));
        let Some([first, second]) = self.slots.get_mut(set..set + 2) else { return };
        // The series in the first way moves to the second (the one there is forgotten).
        *second = *first;
        let slot = first;
        slot.index = EMPTY;
        let mut at = 0;
        for value in values {
            let Some(room) = slot.key.get_mut(at..at + value.len() + 1) else { return };
            let (text, end) = room.split_at_mut(value.len());
            text.copy_from_slice(value.as_bytes());
            end.fill(END);
            at += value.len() + 1;
        }
        slot.hash = hash;
        slot.index = index;
        slot.len = len;
    }

    /// Forgets every series (their positions changed).
    pub(super) fn clear(&mut self) {
        self.slots.fill(EMPTY_SLOT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_are_found_by_hash_and_values_until_cleared() {
        let mut recent = Recent::default();
        assert_eq!(recent.find(7, &["GET", "200"]), None);
        recent.put(7, 3, &["GET", "200"]);
        assert_eq!(recent.find(7, &["GET", "200"]), Some(3));
        // Same hash, other values (a collision) or the same bytes split otherwise: not found.
        for other in [&["GET", "20"][..], &["GET2", "00"], &["GET", "200", ""], &["GET"], &["GET", "201"]] {
            assert_eq!(recent.find(7, other), None, "{other:?}");
        }
        assert_eq!(recent.find(8, &["GET", "200"]), None);
        // Another hash in the same set joins it; a third pushes out the oldest of the two.
        recent.put(7 + SETS as u64, 4, &["PUT", "500"]);
        assert_eq!(recent.find(7, &["GET", "200"]), Some(3));
        assert_eq!(recent.find(7 + SETS as u64, &["PUT", "500"]), Some(4));
        recent.put(7 + 2 * SETS as u64, 5, &["GET", "404"]);
        assert_eq!(recent.find(7, &["GET", "200"]), None);
        assert_eq!(recent.find(7 + SETS as u64, &["PUT", "500"]), Some(4));
        assert_eq!(recent.find(7 + 2 * SETS as u64, &["GET", "404"]), Some(5));
        recent.put(7 + SLOTS as u64, 4, &["PUT", "500"]);
        // Empty values and no values are keys too.
        recent.put(9, 5, &["", ""]);
        assert_eq!(recent.find(9, &["", ""]), Some(5));
        assert_eq!(recent.find(9, &[""]), None);
        recent.put(10, 6, &[]);
        assert_eq!(recent.find(10, &[]), Some(6));
        assert_eq!(recent.find(10, &[""]), None);
        // Too long to keep inline, or a position that is the empty marker: not cached.
        let long = "x".repeat(KEY);
        recent.put(11, 7, &[&long]);
        assert_eq!(recent.find(11, &[&long]), None);
        let fits = "y".repeat(KEY - 1);
        recent.put(11, 7, &[&fits]);
        assert_eq!(recent.find(11, &[&fits]), Some(7));
        recent.put(12, EMPTY as usize, &["a"]);
        assert_eq!(recent.find(12, &["a"]), None);
        recent.clear();
        assert_eq!(recent.find(7 + SLOTS as u64, &["PUT", "500"]), None);
        assert_eq!(recent.find(11, &[&fits]), None);
    }

    #[test]
    fn the_cache_costs_nothing_until_used_then_a_fixed_8_kib() {
        let mut recent = Recent::default();
        assert_eq!(recent.slots.capacity(), 0);
        for index in 0..10_000u32 {
            recent.put(u64::from(index).wrapping_mul(0x9E37_79B9_7F4A_7C15), index as usize, &["GET", "200"]);
        }
        assert_eq!(std::mem::size_of::<Slot>(), 64);
        assert_eq!(recent.slots.capacity() * std::mem::size_of::<Slot>(), 8 * 1024);
        recent.clear();
        assert_eq!(recent.slots.capacity() * std::mem::size_of::<Slot>(), 8 * 1024);
    }
}
