//! xfs: per-filesystem XFS runtime statistics from /sys/fs/xfs/<device>/stats/stats (kernel 4.4+), as
//! node_exporter's xfs collector reports them: counters `node_xfs_<category>_<value>_total{device}`
//! named after the XFS wiki's "Runtime Stats" (extent allocation, allocation and block-map B-trees,
//! block mapping, directory and inode-cache operations, read/write calls, vnodes). A host without XFS mounts has no
//! such files: the collector succeeds with nothing to report, as node_exporter's does.

use crate::host::emit::{pairs, Emitter};
use crate::host::error::CollectError;
use crate::host::read::{DirLister, FileReader};
use crate::host::settings::Settings;
use crate::host::spec::{Collector, CollectorSpec, Placement, WhenAbsent};
use std::path::Path;
use std::sync::Arc;

/// One exported value: the stats line's label, the value's position on it, the metric name and help.
struct Field {
    line: &'static str,
    index: usize,
    name: &'static str,
    help: &'static str,
}

const fn field(line: &'static str, index: usize, name: &'static str, help: &'static str) -> Field {
    Field { line, index, name, help }
}

/// node_exporter's metrics, in its order. Positions are the kernel's (`rw` is write calls, then read).
#[rustfmt::skip]
const FIELDS: &[Field] = &[
    field("extent_alloc", 0, "node_xfs_extent_allocation_extents_allocated_total", "Number of extents allocated for a filesystem."),
    field("extent_alloc", 1, "node_xfs_extent_allocation_blocks_allocated_total", "Number of blocks allocated for a filesystem."),
    field("extent_alloc", 2, "node_xfs_extent_allocation_extents_freed_total", "Number of extents freed for a filesystem."),
    field("extent_alloc", 3, "node_xfs_extent_allocation_blocks_freed_total", "Number of blocks freed for a filesystem."),
    field("abt", 0, "node_xfs_allocation_btree_lookups_total", "Number of allocation B-tree lookups for a filesystem."),
    field("abt", 1, "node_xfs_allocation_btree_compares_total", "Number of allocation B-tree compares for a filesystem."),
    field("abt", 2, "node_xfs_allocation_btree_records_inserted_total", "Number of allocation B-tree records inserted for a filesystem."),
    field("abt", 3, "node_xfs_allocation_btree_records_deleted_total", "Number of allocation B-tree records deleted for a filesystem."),
    field("blk_map", 0, "node_xfs_block_mapping_reads_total", "Number of block map for read operations for a filesystem."),
    field("blk_map", 1, "node_xfs_block_mapping_writes_total", "Number of block map for write operations for a filesystem."),
    field("blk_map", 2, "node_xfs_block_mapping_unmaps_total", "Number of block unmaps (deletes) for a filesystem."),
    field("blk_map", 3, "node_xfs_block_mapping_extent_list_insertions_total", "Number of extent list insertions for a filesystem."),
    field("blk_map", 4, "node_xfs_block_mapping_extent_list_deletions_total", "Number of extent list deletions for a filesystem."),
    field("blk_map", 5, "node_xfs_block_mapping_extent_list_lookups_total", "Number of extent list lookups for a filesystem."),
    field("blk_map", 6, "node_xfs_block_mapping_extent_list_compares_total", "Number of extent list compares for a filesystem."),
    field("bmbt", 0, "node_xfs_block_map_btree_lookups_total", "Number of block map B-tree lookups for a filesystem."),
    field("bmbt", 1, "node_xfs_block_map_btree_compares_total", "Number of block map B-tree compares for a filesystem."),
    field("bmbt", 2, "node_xfs_block_map_btree_records_inserted_total", "Number of block map B-tree records inserted for a filesystem."),
    field("bmbt", 3, "node_xfs_block_map_btree_records_deleted_total", "Number of block map B-tree records deleted for a filesystem."),
    field("dir", 0, "node_xfs_directory_operation_lookup_total", "Number of file name directory lookups which miss the operating systems directory name lookup cache."),
    field("dir", 1, "node_xfs_directory_operation_create_total", "Number of times a new directory entry was created for a filesystem."),
    field("dir", 2, "node_xfs_directory_operation_remove_total", "Number of times an existing directory entry was created for a filesystem."),
    field("dir", 3, "node_xfs_directory_operation_getdents_total", "Number of times the directory getdents operation was performed for a filesystem."),
    field("ig", 0, "node_xfs_inode_operation_attempts_total", "Number of times the OS looked for an XFS inode in the inode cache."),
    field("ig", 1, "node_xfs_inode_operation_found_total", "Number of times the OS looked for and found an XFS inode in the inode cache."),
    field("ig", 2, "node_xfs_inode_operation_recycled_total", "Number of times the OS found an XFS inode in the cache, but could not use it as it was being recycled."),
    field("ig", 3, "node_xfs_inode_operation_missed_total", "Number of times the OS looked for an XFS inode in the cache, but did not find it."),
    field("ig", 4, "node_xfs_inode_operation_duplicates_total", "Number of times the OS tried to add a missing XFS inode to the inode cache, but found it had already been added by another process."),
    field("ig", 5, "node_xfs_inode_operation_reclaims_total", "Number of times the OS reclaimed an XFS inode from the inode cache to free memory for another purpose."),
    field("ig", 6, "node_xfs_inode_operation_attribute_changes_total", "Number of times the OS explicitly changed the attributes of an XFS inode."),
    field("rw", 1, "node_xfs_read_calls_total", "Number of read(2) system calls made to files in a filesystem."),
    field("rw", 0, "node_xfs_write_calls_total", "Number of write(2) system calls made to files in a filesystem."),
    field("vnodes", 0, "node_xfs_vnode_active_total", "Number of vnodes not on free lists for a filesystem."),
    field("vnodes", 1, "node_xfs_vnode_allocate_total", "Number of times vn_alloc called for a filesystem."),
    field("vnodes", 2, "node_xfs_vnode_get_total", "Number of times vn_get called for a filesystem."),
    field("vnodes", 3, "node_xfs_vnode_hold_total", "Number of times vn_hold called for a filesystem."),
    field("vnodes", 4, "node_xfs_vnode_release_total", "Number of times vn_rele called for a filesystem."),
    field("vnodes", 5, "node_xfs_vnode_reclaim_total", "Number of times vn_reclaim called for a filesystem."),
    field("vnodes", 6, "node_xfs_vnode_remove_total", "Number of times vn_remove called for a filesystem."),
];

/// How many values each stats line must carry (vnodes: 7 on old kernels, 8 with `free`).
fn expected_counts(line: &str) -> &'static [usize] {
    match line {
        "extent_alloc" | "abt" | "bmbt" | "dir" => &[4],
        "blk_map" | "ig" => &[7],
        "rw" => &[2],
        "vnodes" => &[7, 8],
        _ => &[],
    }
}

/// The xfs collector.
pub(crate) struct Xfs {
    settings: Arc<Settings>,
    reader: FileReader,
    /// Lists /sys/fs/xfs, kept open between collections.
    lister: DirLister,
}

impl Xfs {
    pub(crate) fn new(settings: Arc<Settings>) -> Xfs {
        Xfs { settings, reader: FileReader::new(), lister: DirLister::keeping() }
    }
}

/// The xfs collector's entry in the catalog.
pub(crate) const SPEC: CollectorSpec = CollectorSpec {
    name: "xfs",
    enabled_by_default: true,
    placement: Placement::Kernel,
    when_absent: WhenAbsent::NoData,
    build: |settings| Box::new(Xfs::new(settings)),
};

impl Collector for Xfs {
    fn update(&mut self, out: &mut Emitter) -> Result<(), CollectError> {
        let root = self.settings.sys("fs/xfs");
        // One unreadable file fails the collector (the runner then drops what was emitted), as in
        // node_exporter.
        for device in self.lister.list_if_present(&root)? {
            let path = root.join(device).join("stats/stats");
            if !self.settings.absences.is_file(&path) {
                continue; // e.g. /sys/fs/xfs/stats (the global totals) has no per-device stats file
            }
            let values = parse_stats(self.reader.read_str(&path)?, &path)?;
            for (field, value) in FIELDS.iter().zip(values) {
                out.counter(field.name, field.help, pairs(&[("device", device)]), value as f64);
            }
        }
        Ok(())
    }
}

/// The values of [`FIELDS`] from one stats file (0 for a line the file lacks).
fn parse_stats(text: &str, path: &Path) -> Result<Vec<u64>, CollectError> {
    let mut values = vec![0u64; FIELDS.len()];
    for line in text.lines() {
        let mut words = line.split_ascii_whitespace();
        let Some(label) = words.next() else { continue };
        let counts = expected_counts(label);
        if counts.is_empty() {
            continue;
        }
        let numbers: Vec<u64> = words
            .map(|w| w.parse::<u64>().map_err(|_| CollectError::parse(path, "a value is not a number")))
            .collect::<Result<_, _>>()?;
        if !counts.contains(&numbers.len()) {
            return Err(CollectError::parse(path, "unexpected number of values on a line"));
        }
        for (slot, field) in values.iter_mut().zip(FIELDS) {
            if field.line == label {
                *slot = numbers[field.index];
            }
        }
    }
    Ok(values)
}
