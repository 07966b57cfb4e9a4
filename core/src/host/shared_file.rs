//! [`SharedFile`]: a kernel file that several collectors read in one collection (/proc/stat, which
//! cpu and stat both parse; /proc/net/sockstat{,6}, read by sockstat and udp_queues), read once per collection and handed to each of them, as
//! [`SharedLinks`](super::netlink::SharedLinks) does for the link dump.

use super::error::CollectError;
use super::read::FileReader;
use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// The text of one file read for a collection, shared by its takers: the first to ask in a
/// collection reads the file, the next ones get the same text instead of a read of their own. A
/// taker asking again in the same collection number (a concurrent collection's turn) reads afresh,
/// so no taker is ever handed text older than its own collection's start.
#[derive(Debug, Default)]
pub(crate) struct SharedFile {
    state: Mutex<Share>,
}

#[derive(Debug, Default)]
struct Share {
    /// Holds the text of the last read.
    reader: FileReader,
    /// The collection the last read was made for (`None`: no text to share).
    collection: Option<u64>,
    /// The takers (bits) the last read was handed to.
    taken: u32,
}

impl SharedFile {
    /// Calls `read` with the text of the file at `path` (made in one piece, as for
    /// [`FileReader::read_one_piece`]): the text already read for `collection` if taker `taker`
    /// (a bit of its own, below 32) has not had it yet, else read afresh. Every taker passes the
    /// same path.
    pub(crate) fn read<R>(
        &self,
        path: &Path,
        collection: u64,
        taker: u32,
        read: impl FnOnce(&str) -> R,
    ) -> Result<R, CollectError> {
        let mut share = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let share = &mut *share;
        let bit = 1u32 << (taker % 32);
        if share.collection != Some(collection) || share.taken & bit != 0 {
            share.collection = None;
            share.reader.read_one_piece(path)?;
            (share.collection, share.taken) = (Some(collection), 0);
        }
        share.taken |= bit;
        let text =
            std::str::from_utf8(share.reader.last()).map_err(|_| CollectError::parse(path, "not UTF-8"))?;
        Ok(read(text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_once_per_collection_and_taker() {
        let dir = tempfile::tempdir().expect("test setup");
        let path = dir.path().join("stat");
        let shared = SharedFile::default();
        std::fs::write(&path, "one\n").expect("test setup");
        let read =
            |collection, taker| shared.read(&path, collection, taker, str::to_string).expect("readable");
        assert_eq!(read(1, 0), "one\n");
        std::fs::write(&path, "two\n").expect("test setup");
        assert_eq!(read(1, 1), "one\n", "the second taker gets the text of the first read");
        assert_eq!(read(1, 1), "two\n", "a taker that had this collection's text reads afresh");
        std::fs::write(&path, "three\n").expect("test setup");
        assert_eq!(read(1, 0), "two\n", "shared with the other taker again");
        assert_eq!(read(2, 0), "three\n", "the next collection reads afresh");
        std::fs::remove_file(&path).expect("test setup");
        assert!(shared.read(&path, 2, 1, |_| ()).is_ok(), "shared: no read");
        assert!(shared.read(&path, 3, 1, |_| ()).is_err(), "a failed read is an error");
        assert!(shared.read(&path, 3, 0, |_| ()).is_err(), "and nothing is shared after it");
    }
}
