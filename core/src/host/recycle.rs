//! [`FamilyPool`]: the families of a finished collection, handed back with
//! [`HostCollector::recycle`](super::HostCollector::recycle), kept by name so the next collection
//! fills the same families, samples and label strings in place instead of allocating them again.
//! Also keeps the emptied family lists (one per collector, one for the report) for the same reason.

use super::emit::FastMap;
use crate::metrics::{MetricFamily, MetricType};
use std::sync::{Mutex, PoisonError};

/// How many distinct family names the pool remembers before it starts over (textfile names may come
/// and go without bound; node_exporter's default collectors write a few hundred).
const MAX_NAMES: usize = 20_000;

/// Families kept for reuse, shared by a collector's workers (locked briefly per family).
#[derive(Debug, Default)]
pub(crate) struct FamilyPool {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    /// Base name -> slot in `families` (slots are never removed, only emptied, until the pool is full).
    index: FastMap<String, usize>,
    /// Bumped when the pool starts over: a slot number of the same generation still holds (when
    /// anything) the family of the name it was found for.
    generation: u64,
    families: Vec<Option<MetricFamily>>,
    /// The name of each slot (the key `index` maps to it).
    names: Vec<String>,
    /// The slot of each family of the last [`keep`](FamilyPool::keep), by position: a collection hands
    /// back the same families in the same order as the one before, so a family named as the slot
    /// kept for its position (one comparison) needs no hashing of its name.
    kept_order: Vec<usize>,
    /// Emptied family lists by collector index.
    lists: Vec<Vec<MetricFamily>>,
    /// The emptied list of a report.
    report: Vec<MetricFamily>,
}

impl FamilyPool {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The pool holds no invariant a panic could break: at worst a family is missing.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept family of base name `base` and type `kind`, if one was handed back.
    pub(crate) fn take(&self, base: &str, kind: MetricType) -> Option<MetricFamily> {
        let mut inner = self.lock();
        let slot = *inner.index.get(base)?;
        let family = inner.families.get_mut(slot)?;
        if family.as_ref().is_some_and(|family| family.kind == kind) {
            family.take()
        } else {
            None
        }
    }

    /// Moves the kept families named in `wanted` (base name and type) to `into`, under one lock.
    /// `slots` remembers (with the pool's generation) the slot of each name from the last call with
    /// the same `wanted`, so the names are looked up only when they or the slots changed; it is the
    /// caller's to clear when `wanted` changes.
    pub(crate) fn take_all(
        &self,
        wanted: &[(String, MetricType)],
        slots: &mut Slots,
        into: &mut Vec<MetricFamily>,
    ) {
        if wanted.is_empty() {
            return;
        }
        let mut inner = self.lock();
        let inner = &mut *inner;
        if slots.generation != inner.generation || slots.slots.len() != wanted.len() {
            slots.generation = inner.generation;
            slots.slots.clear();
            slots.slots.resize(wanted.len(), usize::MAX);
        }
        for ((base, kind), slot) in wanted.iter().zip(slots.slots.iter_mut()) {
            if *slot == usize::MAX {
                let Some(&found) = inner.index.get(base.as_str()) else { continue };
                *slot = found;
            }
            let Some(family) = inner.families.get_mut(*slot) else { continue };
            if family.as_ref().is_some_and(|family| family.kind == *kind) {
                into.extend(family.take());
            }
        }
    }

    /// An empty list for collector `index`'s families (the one it filled last time, when handed back).
    pub(crate) fn list(&self, index: usize) -> Vec<MetricFamily> {
        self.lock().lists.get_mut(index).map(std::mem::take).unwrap_or_default()
    }

    /// Keeps the emptied list of collector `index`.
    pub(crate) fn keep_list(&self, index: usize, list: Vec<MetricFamily>) {
        debug_assert!(list.is_empty());
        let mut inner = self.lock();
        if inner.lists.len() <= index {
            inner.lists.resize_with(index + 1, Vec::new);
        }
        inner.lists[index] = list;
    }

    /// An empty list for a report's families.
    pub(crate) fn report_list(&self) -> Vec<MetricFamily> {
        std::mem::take(&mut self.lock().report)
    }

    /// Keeps `families` (and their list) for the next collection.
    pub(crate) fn keep(&self, mut families: Vec<MetricFamily>) {
        let mut inner = self.lock();
        let inner = &mut *inner;
        if inner.index.len() + families.len() > MAX_NAMES {
            inner.index.clear();
            inner.families.clear();
            inner.names.clear();
            inner.kept_order.clear();
            inner.generation += 1;
        }
        let count = families.len();
        for (position, family) in families.drain(..).enumerate() {
            let kept = inner.kept_order.get(position).copied();
            let slot = match kept {
                Some(slot) if inner.names.get(slot).is_some_and(|name| *name == family.name) => slot,
                _ => match inner.index.get(family.name.as_str()) {
                    Some(&slot) => slot,
                    None => {
                        let slot = inner.families.len();
                        inner.index.insert(family.name.clone(), slot);
                        inner.names.push(family.name.clone());
                        inner.families.push(None);
                        slot
                    }
                },
            };
            match inner.kept_order.get_mut(position) {
                Some(kept) => *kept = slot,
                None => inner.kept_order.push(slot),
            }
            inner.families[slot] = Some(family);
        }
        inner.kept_order.truncate(count);
        if families.capacity() > inner.report.capacity() {
            inner.report = families;
        }
    }
}

/// The pool slots of a list of names (see [`FamilyPool::take_all`]).
#[derive(Debug, Default)]
pub(crate) struct Slots {
    generation: u64,
    /// By name; `usize::MAX` where not found yet.
    slots: Vec<usize>,
}

impl Slots {
    /// Forgets the slots (the list of names changed).
    pub(crate) fn clear(&mut self) {
        self.slots.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_family_comes_back_by_name_and_type_once() {
        let pool = FamilyPool::default();
        let mut family = MetricFamily::gauge("node_load1", "1m load average.");
        family.push(vec![], 0.5);
        pool.keep(vec![family, MetricFamily::counter("node_intr_total", "Interrupts.")]);
        assert!(pool.take("node_load1", MetricType::Counter).is_none(), "another type is not reused");
        let again = pool.take("node_load1", MetricType::Gauge).expect("kept");
        assert_eq!(again.samples.len(), 1);
        assert!(pool.take("node_load1", MetricType::Gauge).is_none(), "taken once");
        assert!(pool.take("node_intr", MetricType::Counter).is_some(), "kept under its base name");
        assert!(pool.report_list().capacity() >= 2, "the list comes back too");
    }

    #[test]
    fn a_family_kept_at_another_position_or_under_another_name_goes_to_its_own_slot() {
        let pool = FamilyPool::default();
        let gauge = |name: &str, value: f64| {
            let mut family = MetricFamily::gauge(name, "Help.");
            family.push(vec![], value);
            family
        };
        pool.keep(vec![gauge("a", 1.0), gauge("b", 2.0)]);
        assert_eq!(pool.take("a", MetricType::Gauge).map(|f| f.samples[0].value), Some(1.0));
        pool.keep(vec![gauge("b", 3.0), gauge("c", 4.0), gauge("a", 5.0)]);
        assert_eq!(pool.take("a", MetricType::Gauge).map(|f| f.samples[0].value), Some(5.0));
        assert_eq!(pool.take("b", MetricType::Gauge).map(|f| f.samples[0].value), Some(3.0));
        assert_eq!(pool.take("c", MetricType::Gauge).map(|f| f.samples[0].value), Some(4.0));
        pool.keep(vec![gauge("b", 6.0), gauge("c", 7.0), gauge("a", 8.0)]);
        pool.keep(vec![gauge("b", 9.0)]);
        assert_eq!(pool.take("b", MetricType::Gauge).map(|f| f.samples[0].value), Some(9.0));
        assert_eq!(pool.take("a", MetricType::Gauge).map(|f| f.samples[0].value), Some(8.0));
    }
}
