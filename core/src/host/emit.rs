//! The output side of a collector: an [`Emitter`] gathers samples into metric families by name,
//! reusing the families of its last collection, and tells what it rewrote ([`Steadiness`]) so that
//! [`super::order`] can put the families in node_exporter's order without checking it anew.

use super::order::{family_bit, finish_in_order, FamilyOrder, Steadiness};
use super::recycle::{FamilyPool, Slots};
use crate::metrics::{Label, MetricFamily, MetricType, Sample, Suffix};
use std::hash::{BuildHasher, Hasher};
use std::sync::Arc;

/// A hash map with a fast (non-DoS-resistant) hasher: keys are metric names the kernel gives us.
pub(crate) type FastMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

/// Collects the families one collector produces; a family is created on its first sample.
///
/// An emitter with a [`FamilyPool`] lives as long as its collector: each collection takes the families
/// handed back after the previous one and overwrites their samples and label strings in place, so a
/// collection that writes what the previous one wrote allocates nothing.
#[derive(Debug, Default)]
pub(crate) struct Emitter {
    families: Vec<MetricFamily>,
    /// How many samples of each family this collection wrote (the rest are last collection's);
    /// [`UNTOUCHED`] for a family taken from the pool before this collection asked for it.
    filled: Vec<usize>,
    /// The families (base name, type) of the last collection, taken from the pool in one go, and
    /// their slots in the pool.
    last: Vec<(String, MetricType)>,
    slots: Slots,
    /// Whether this collection's list of families differs from the one [`begin`](Emitter::begin)
    /// took (one created, one not taken from the pool or not written): `last` must be written again.
    changed: bool,
    /// Hash of the name a family was asked for -> its position (checked against the name); built on
    /// the first request the cursor does not answer (`indexed`), so a collection that asks for its
    /// families in last collection's order hashes no name.
    index: FastMap<u64, usize>,
    indexed: bool,
    /// The position [`position`](Emitter::position) returned last (`usize::MAX` before the first
    /// request of a collection). A collector asks for its families in the same order every collection,
    /// several samples in a row, so the family asked for is mostly this one or the next.
    cursor: usize,
    /// The order the last [`finish_families`](Emitter::finish_families) put families in.
    order: FamilyOrder,
    /// Collections begun, for [`Steadiness::run`].
    runs: u64,
    /// The families (by position) in which this collection wrote a label name or value other than
    /// the one the reused sample held, or added a sample (see [`Steadiness::relabelled`]).
    relabelled: u64,
    relabelled_past_64: bool,
    names: foldhash::fast::FixedState,
    pool: Option<(Arc<FamilyPool>, usize)>,
}

/// `filled` of a family taken from the pool at [`Emitter::begin`] that this collection has not written.
const UNTOUCHED: usize = usize::MAX;

/// Label pairs an emitter copies into a sample: borrowed pairs (`&[("cpu", "0")]`, which allocate
/// nothing when a reused sample has the room) or an owned `Vec<Label>`.
pub(crate) trait LabelPairs {
    /// Overwrites `target` with these pairs, reusing its strings; whether `target` held other pairs.
    fn write_into(self, target: &mut Vec<Label>) -> bool;
    /// The pairs as a new vector.
    fn into_labels(self) -> Vec<Label>;
}

impl LabelPairs for Vec<Label> {
    fn write_into(self, target: &mut Vec<Label>) -> bool {
        if target.capacity() == 0 {
            let rewritten = !(target.is_empty() && self.is_empty());
            *target = self;
            return rewritten;
        }
        overwrite(target, self.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }
    fn into_labels(self) -> Vec<Label> {
        self
    }
}

impl LabelPairs for &[(&str, &str)] {
    fn write_into(self, target: &mut Vec<Label>) -> bool {
        overwrite(target, self.iter().copied())
    }
    fn into_labels(self) -> Vec<Label> {
        labels(self)
    }
}

impl<const N: usize> LabelPairs for &[(&str, &str); N] {
    fn write_into(self, target: &mut Vec<Label>) -> bool {
        overwrite(target, self.iter().copied())
    }
    fn into_labels(self) -> Vec<Label> {
        labels(self)
    }
}

/// Overwrites `target` with `pairs`, reusing the strings it holds; whether it held other pairs.
fn overwrite<'a>(target: &mut Vec<Label>, pairs: impl ExactSizeIterator<Item = (&'a str, &'a str)>) -> bool {
    let mut rewritten = target.len() != pairs.len();
    target.truncate(pairs.len());
    for (i, (name, value)) in pairs.enumerate() {
        match target.get_mut(i) {
            Some((n, v)) => {
                rewritten |= assign(n, name);
                rewritten |= assign(v, value);
            }
            None => target.push((name.to_string(), value.to_string())),
        }
    }
    rewritten
}

/// Whether `a` and `b` hold the same text, compared inline ([`crate::short_eq::same`]).
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    crate::short_eq::same(a.as_bytes(), b.as_bytes())
}

/// Sets `target` to `text`, keeping its allocation; whether it held another text.
fn assign(target: &mut String, text: &str) -> bool {
    if same(target, text) {
        return false;
    }
    target.clear();
    target.push_str(text);
    true
}

/// The suffix of a family's main samples (`_total` for counters, `_info` for info metrics).
fn main_suffix(kind: MetricType) -> Suffix {
    match kind {
        MetricType::Counter => Suffix::Total,
        MetricType::Info => Suffix::Info,
        _ => Suffix::None,
    }
}

/// The base name of a family whose main samples are named `name`.
fn base_name(name: &str, kind: MetricType) -> &str {
    let suffix = main_suffix(kind).as_str();
    match name.len().checked_sub(suffix.len()) {
        Some(base) if !suffix.is_empty() && name.is_char_boundary(base) && same(&name[base..], suffix) => {
            &name[..base]
        }
        _ => name,
    }
}

impl Emitter {
    /// An empty emitter.
    pub(crate) fn new() -> Emitter {
        Emitter::default()
    }

    /// An emitter for collector `index` that reuses the families handed back to `pool`.
    pub(crate) fn recycling(pool: Arc<FamilyPool>, index: usize) -> Emitter {
        Emitter { pool: Some((pool, index)), ..Emitter::default() }
    }

    /// Starts a collection: takes the list kept for this collector and, in one go, the families it
    /// wrote last time, when they were handed back.
    pub(crate) fn begin(&mut self) {
        self.runs = self.runs.wrapping_add(1);
        self.relabelled = 0;
        self.relabelled_past_64 = false;
        self.index.clear();
        self.indexed = false;
        self.cursor = usize::MAX;
        self.filled.clear();
        self.changed = true;
        let Some((pool, index)) = &self.pool else { return };
        if self.families.capacity() == 0 {
            self.families = pool.list(*index);
        }
        self.families.clear();
        pool.take_all(&self.last, &mut self.slots, &mut self.families);
        self.changed = self.families.len() != self.last.len();
        self.filled.resize(self.families.len(), UNTOUCHED);
    }

    /// Builds the name index of the families so far, if not built yet in this collection.
    fn ensure_index(&mut self) {
        if self.indexed {
            return;
        }
        self.indexed = true;
        for position in 0..self.families.len() {
            let key = self.key(&self.families[position].name, self.families[position].kind);
            self.index.entry(key).or_insert(position);
        }
    }

    /// The position of the family of base name `base` and type `kind` if it is at the cursor, right
    /// after it or right before it (names are unique among the families, so this is the family the
    /// index would find).
    fn near_cursor(&self, base: &str, kind: MetricType) -> Option<usize> {
        let suffix = main_suffix(kind);
        [self.cursor, self.cursor.wrapping_add(1), self.cursor.wrapping_sub(1)].into_iter().find(|&i| {
            self.families.get(i).is_some_and(|f| main_suffix(f.kind) == suffix && same(&f.name, base))
        })
    }

    /// Ends a collection: drops the families taken at [`begin`](Emitter::begin) that it did not
    /// write, truncates the others to what it wrote and remembers their names for the next one.
    fn end(&mut self) {
        if self.filled.contains(&UNTOUCHED) {
            self.changed = true;
            // Positions shift: the families' relabelled bits would name others.
            self.relabel_all();
            let mut position = 0;
            let filled = &self.filled;
            self.families.retain(|_| {
                position += 1;
                filled[position - 1] != UNTOUCHED
            });
            self.filled.retain(|&filled| filled != UNTOUCHED);
        }
        for (family, &filled) in self.families.iter_mut().zip(&self.filled) {
            family.samples.truncate(filled);
        }
        if self.changed {
            self.slots.clear();
            self.last.truncate(self.families.len());
            for (i, family) in self.families.iter().enumerate() {
                match self.last.get_mut(i) {
                    Some((name, kind)) => {
                        assign(name, &family.name);
                        *kind = family.kind;
                    }
                    None => self.last.push((family.name.clone(), family.kind)),
                }
            }
        }
        self.filled.clear();
        self.index.clear();
        self.indexed = false;
    }

    /// The key of the family of base name `base` and type `kind` in `index`: the hash of its
    /// exposition name.
    fn key(&self, base: &str, kind: MetricType) -> u64 {
        let mut hasher = self.names.build_hasher();
        hasher.write(base.as_bytes());
        hasher.write(main_suffix(kind).as_str().as_bytes());
        hasher.finish()
    }

    /// The position of the family of base name `base` and type `kind` with key `key`, if present.
    fn find(&self, key: u64, base: &str, kind: MetricType) -> Option<usize> {
        let &i = self.index.get(&key)?;
        let matches = |f: &MetricFamily| f.name == base && main_suffix(f.kind) == main_suffix(kind);
        if matches(&self.families[i]) {
            Some(i)
        } else {
            self.families.iter().position(matches)
        }
    }

    /// The position of the family named `name` (exposition name, e.g. `node_cpu_seconds_total`),
    /// created (or taken from the pool) if needed.
    fn position(&mut self, name: &str, help: &str, kind: MetricType) -> usize {
        let base = base_name(name, kind);
        let found = match self.near_cursor(base, kind) {
            Some(i) => Some(i),
            None => {
                self.ensure_index();
                self.find(self.key(base, kind), base, kind)
            }
        };
        if let Some(i) = found {
            if self.filled[i] == UNTOUCHED {
                self.filled[i] = 0;
                assign(&mut self.families[i].help, help);
                self.families[i].unit.clear();
            }
            self.cursor = i;
            return i;
        }
        let family = match self.pool.as_ref().and_then(|(pool, _)| pool.take(base, kind)) {
            Some(mut family) => {
                assign(&mut family.help, help);
                family.unit.clear();
                family
            }
            None => MetricFamily {
                name: base.to_string(),
                help: help.to_string(),
                unit: String::new(),
                kind,
                samples: Vec::new(),
            },
        };
        self.families.push(family);
        self.filled.push(0);
        self.changed = true;
        let position = self.families.len() - 1;
        let key = self.key(base, kind);
        self.index.entry(key).or_insert(position);
        self.cursor = position;
        position
    }

    /// Adds a sample with `kind`'s main suffix to the family named `name`, created if needed.
    pub(crate) fn sample(
        &mut self,
        name: &str,
        help: &str,
        kind: MetricType,
        labels: impl LabelPairs,
        value: f64,
    ) {
        let position = self.position(name, help, kind);
        let suffix = main_suffix(kind);
        let family = &mut self.families[position];
        match family.samples.get_mut(self.filled[position]) {
            Some(sample) => {
                sample.suffix = suffix;
                sample.value = value;
                sample.timestamp = None;
                sample.exemplar = None;
                if labels.write_into(&mut sample.labels) {
                    self.relabel(position);
                }
            }
            None => {
                family.samples.push(Sample::new(suffix, labels.into_labels(), value));
                self.relabel(position);
            }
        }
        self.filled[position] += 1;
    }

    /// Notes that every family may have other label sets than its recycled samples.
    fn relabel_all(&mut self) {
        self.relabelled = u64::MAX;
        self.relabelled_past_64 = true;
    }

    /// Notes that family `position` has other label sets than its recycled samples.
    fn relabel(&mut self, position: usize) {
        match family_bit(position) {
            Some(bit) => self.relabelled |= bit,
            None => self.relabelled_past_64 = true,
        }
    }

    /// Adds a gauge sample.
    pub(crate) fn gauge(&mut self, name: &str, help: &str, labels: impl LabelPairs, value: f64) {
        self.sample(name, help, MetricType::Gauge, labels, value);
    }

    /// Adds a counter sample (`name` ends in `_total`).
    pub(crate) fn counter(&mut self, name: &str, help: &str, labels: impl LabelPairs, value: f64) {
        self.sample(name, help, MetricType::Counter, labels, value);
    }

    /// Adds an untyped sample.
    pub(crate) fn untyped(&mut self, name: &str, help: &str, labels: impl LabelPairs, value: f64) {
        self.sample(name, help, MetricType::Unknown, labels, value);
    }

    /// Adds a whole family (from the textfile collector), merging samples into one of the same name.
    pub(crate) fn add_family(&mut self, family: MetricFamily) {
        self.relabel_all();
        self.ensure_index();
        let key = self.key(&family.name, family.kind);
        match self.find(key, &family.name, family.kind) {
            Some(i) if self.filled[i] == UNTOUCHED => {
                self.families[i] = family;
                self.filled[i] = self.families[i].samples.len();
            }
            Some(i) => {
                self.families[i].samples.truncate(self.filled[i]);
                self.families[i].samples.extend(family.samples);
                self.filled[i] = self.families[i].samples.len();
            }
            None => {
                self.changed = true;
                self.filled.push(family.samples.len());
                self.families.push(family);
                self.index.entry(key).or_insert(self.families.len() - 1);
            }
        }
    }

    /// The families gathered in this collection (the emitter keeps its bookkeeping for the next).
    pub(crate) fn take_families(&mut self) -> Vec<MetricFamily> {
        self.end();
        std::mem::take(&mut self.families)
    }

    /// Moves the families gathered in this collection to the end of `target`, keeping the list.
    pub(crate) fn drain_into(&mut self, target: &mut Vec<MetricFamily>) {
        self.end();
        target.append(&mut self.families);
    }

    /// What this collection kept of the one before (call it after the families are taken).
    pub(crate) fn steadiness(&self) -> Steadiness {
        Steadiness {
            run: self.runs,
            same_families: !self.changed,
            relabelled: self.relabelled,
            relabelled_past_64: self.relabelled_past_64,
        }
    }

    /// The order of the whole collections this emitter finishes, to list their sources in
    /// ([`FamilyOrder::begin`], [`FamilyOrder::add_source`]) before
    /// [`finish_families`](Emitter::finish_families).
    pub(crate) fn family_order(&mut self) -> &mut FamilyOrder {
        &mut self.order
    }

    /// [`finish`](super::order::finish) of `families` (a whole collection), reusing the order this
    /// emitter's last call found when it still sorts them (see [`finish_in_order`]).
    pub(crate) fn finish_families(&mut self, families: Vec<MetricFamily>) -> Vec<MetricFamily> {
        finish_in_order(families, &mut self.order)
    }

    /// The families gathered so far.
    pub(crate) fn into_families(mut self) -> Vec<MetricFamily> {
        self.take_families()
    }
}

/// Borrowed label pairs for an emitter (which copies them into reused strings), typed so that
/// `&String` values coerce: `out.gauge(name, help, pairs(&[("device", &device)]), 1.0)`.
pub(crate) fn pairs<'a, 'b>(pairs: &'a [(&'b str, &'b str)]) -> &'a [(&'b str, &'b str)] {
    pairs
}

/// Label pairs from `(&str, &str)` tuples.
pub(crate) fn labels(pairs: &[(&str, &str)]) -> Vec<Label> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_compares_bytes() {
        let texts = [
            "",
            "a",
            "node_load1",
            "node_load5",
            "node_scrape_collector_success",
            "node_scrape_collector_successX",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same(a, b), a == b, "{a:?} {b:?}");
            }
        }
        assert!(!same("node_scrape_collector_duration_secondz", "node_scrape_collector_duration_seconds"));
        assert!(!same("xode_scrape_collector_duration_seconds", "node_scrape_collector_duration_seconds"));
    }
}
