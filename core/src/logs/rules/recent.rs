//! A rule's recently used series: a small direct-mapped table by the hash of the series' field label
//! values, each slot holding the series' position and a copy of its label text. A record whose series
//! is there is matched with one load and one comparison against that copy, without probing the rule's
//! index or following the series' handle to its text. Its size is fixed per rule (allocated on first
//! use) whatever the number of series, so the memory a series costs does not grow; the rule empties it
//! whenever series move (expiry).

/// Number of slots (a power of two).
const SLOTS: usize = 128;
/// The longest label text kept; a series with a longer one is not cached.
const TEXT: usize = 48;
/// The position of an empty slot.
const EMPTY: u32 = u32::MAX;

/// One cached series: 64 bytes, one cache line.
#[derive(Clone, Copy)]
struct Slot {
    hash: u64,
    index: u32,
    len: u32,
    text: [u8; TEXT],
}

const EMPTY_SLOT: Slot = Slot { hash: 0, index: EMPTY, len: 0, text: [0; TEXT] };

/// The cache of one rule.
///
/// ```text
/// let mut recent = Recent::default();
/// recent.put(hash, 3, b"code=\"200\"");
/// assert_eq!(recent.get(hash), Some((3, &b"code=\"200\""[..])));
/// recent.clear();
/// assert_eq!(recent.get(hash), None);
/// ```
#[derive(Default)]
pub(super) struct Recent {
    slots: Vec<Slot>,
}

impl Recent {
    /// The position and label text of the series cached under `hash` (the caller compares the text
    /// with the record's values: equal hashes do not make equal label sets).
    #[inline(always)]
    pub(super) fn get(&self, hash: u64) -> Option<(usize, &[u8])> {
        let slot = self.slots.get(hash as usize & (SLOTS - 1))?;
        if slot.hash != hash || slot.index == EMPTY {
            return None;
        }
        Some((slot.index as usize, slot.text.get(..slot.len as usize)?))
    }

    /// Caches the series at `index`, whose label text is `text` and values hash to `hash` (replacing
    /// the slot's previous series). Text over the inline size is not cached.
    pub(super) fn put(&mut self, hash: u64, index: usize, text: &[u8]) {
        let (Ok(index), Ok(len)) = (u32::try_from(index), u32::try_from(text.len())) else { return };
        if index == EMPTY || text.len() > TEXT {
            return;
        }
        if self.slots.is_empty() {
            self.slots = vec![EMPTY_SLOT; SLOTS];
        }
        let Some(slot) = self.slots.get_mut(hash as usize & (SLOTS - 1)) else { return };
        let Some(copy) = slot.text.get_mut(..text.len()) else { return };
        copy.copy_from_slice(text);
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
    fn series_are_found_by_hash_until_cleared() {
        let mut recent = Recent::default();
        assert_eq!(recent.get(7), None);
        recent.put(7, 3, b"code=\"200\"");
        assert_eq!(recent.get(7), Some((3, &b"code=\"200\""[..])));
        // Another hash in the same slot replaces it; a different hash never finds it.
        recent.put(7 + SLOTS as u64, 4, b"code=\"500\"");
        assert_eq!(recent.get(7), None);
        assert_eq!(recent.get(7 + SLOTS as u64), Some((4, &b"code=\"500\""[..])));
        // Too long to keep inline, or a position that is the empty marker: not cached.
        recent.put(9, 5, &[b'x'; TEXT + 1]);
        assert_eq!(recent.get(9), None);
        recent.put(10, EMPTY as usize, b"a");
        assert_eq!(recent.get(10), None);
        recent.put(11, 6, &[b'y'; TEXT]);
        assert_eq!(recent.get(11).map(|(i, t)| (i, t.len())), Some((6, TEXT)));
        recent.clear();
        assert_eq!(recent.get(7 + SLOTS as u64), None);
        assert_eq!(recent.get(11), None);
    }
}
