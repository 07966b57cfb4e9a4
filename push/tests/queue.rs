//! The disk queue on real files: replay after reopen, acks remembered, torn and corrupt tails
//! truncated and counted, budgets drop the oldest.

use std::fs;
use std::path::Path;
use std::time::Duration;

use srekit_push::{DiskQueue, QueueOptions};

fn options(dir: &Path) -> QueueOptions {
    let mut options = QueueOptions::new(dir.to_path_buf());
    options.segment_bytes = 64;
    options
}

fn drain(queue: &mut DiskQueue) -> Vec<Vec<u8>> {
    let mut bodies = Vec::new();
    while let (Some(record), _) = queue.peek(0).expect("peek") {
        bodies.push(record.body.clone());
        queue.ack(record.seq).expect("ack");
    }
    bodies
}

fn segments(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .expect("dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    files.sort();
    files
}

#[test]
fn unacknowledged_records_are_replayed_oldest_first_and_acknowledged_ones_never() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut queue, _) = DiskQueue::open(options(dir.path())).expect("open");
    for i in 0..10u8 {
        queue.append(0, 1, &[i; 20]).expect("append");
    }
    assert!(segments(dir.path()).len() > 2, "small segments rotate");
    for _ in 0..4 {
        let (record, _) = queue.peek(0).expect("peek");
        queue.ack(record.expect("a record").seq).expect("ack");
    }
    drop(queue);
    let (mut queue, report) = DiskQueue::open(options(dir.path())).expect("reopen");
    assert_eq!(report.replayed, 6);
    assert_eq!(report.truncated_segments, 0);
    let bodies = drain(&mut queue);
    assert_eq!(bodies, (4..10u8).map(|i| vec![i; 20]).collect::<Vec<_>>());
    // Everything acknowledged: only the segment being written is left, and a reopen replays nothing.
    assert_eq!(segments(dir.path()).len(), 1);
    drop(queue);
    let (queue, report) = DiskQueue::open(options(dir.path())).expect("reopen");
    assert_eq!((report.replayed, queue.len(), queue.bytes()), (0, 0, 0));
}

#[test]
fn a_torn_tail_is_truncated_at_the_last_good_record_and_counted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(dir.path());
    opts.segment_bytes = 1 << 20;
    let (mut queue, _) = DiskQueue::open(opts.clone()).expect("open");
    queue.append(0, 1, b"one").expect("append");
    queue.append(0, 1, b"two").expect("append");
    drop(queue);
    let segment = segments(dir.path()).pop().expect("a segment");
    let whole = fs::metadata(&segment).expect("meta").len();
    // A crash in the middle of a third write.
    let mut data = fs::read(&segment).expect("read");
    data.extend_from_slice(&[30, 0, 0, 0, 1, 2, 3]);
    fs::write(&segment, &data).expect("write");
    let (mut queue, report) = DiskQueue::open(opts.clone()).expect("reopen");
    assert_eq!((report.replayed, report.truncated_segments, report.truncated_bytes), (2, 1, 7));
    assert_eq!(fs::metadata(&segment).expect("meta").len(), whole);
    // New records go after the good ones and are read back.
    queue.append(0, 1, b"three").expect("append");
    assert_eq!(drain(&mut queue), [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);
}

#[test]
fn a_corrupt_record_cuts_its_segment_there_and_later_segments_survive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut queue, _) = DiskQueue::open(options(dir.path())).expect("open");
    for i in 0..6u8 {
        queue.append(0, 1, &[i; 40]).expect("append");
    }
    drop(queue);
    let first = segments(dir.path()).remove(0);
    let mut data = fs::read(&first).expect("read");
    let last = data.len() - 1;
    data[last] ^= 0xff;
    fs::write(&first, &data).expect("write");
    let (mut queue, report) = DiskQueue::open(options(dir.path())).expect("reopen");
    assert_eq!(report.truncated_segments, 1);
    let bodies = drain(&mut queue);
    assert!(!bodies.is_empty());
    assert!(bodies.iter().all(|b| b.len() == 40 && b.iter().all(|&x| x == b[0])), "no corrupt body served");
    assert_eq!(bodies.last(), Some(&vec![5u8; 40]));
}

#[test]
fn max_bytes_drops_the_oldest_and_counts_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(dir.path());
    opts.max_bytes = 200;
    let (mut queue, _) = DiskQueue::open(opts).expect("open");
    let mut dropped = 0;
    for i in 0..20u8 {
        let d = queue.append(0, 3, &[i; 30]).expect("append");
        assert_eq!(d.samples, d.records * 3);
        dropped += d.records;
        assert!(queue.bytes() <= 200, "queue at {} bytes", queue.bytes());
    }
    let kept = drain(&mut queue);
    assert_eq!(dropped + kept.len() as u64, 20);
    assert_eq!(kept.last(), Some(&vec![19u8; 30]));
    assert!(segments(dir.path()).len() <= 2, "dropped segments are deleted");
}

#[test]
fn max_age_drops_records_older_than_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(dir.path());
    opts.max_age = Duration::from_secs(60);
    let (mut queue, _) = DiskQueue::open(opts).expect("open");
    queue.append(1_000, 5, b"old").expect("append");
    queue.append(50_000, 5, b"newer").expect("append");
    let (record, dropped) = queue.peek(100_000).expect("peek");
    assert_eq!((dropped.records, dropped.samples), (1, 5));
    assert_eq!(record.expect("newer kept").body, b"newer");
}

#[test]
fn an_ack_for_a_record_a_budget_already_dropped_is_ignored() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut opts = options(dir.path());
    opts.max_bytes = 100;
    let (mut queue, _) = DiskQueue::open(opts).expect("open");
    queue.append(0, 1, &[1; 30]).expect("append");
    let (in_flight, _) = queue.peek(0).expect("peek");
    for i in 2..6u8 {
        queue.append(0, 1, &[i; 30]).expect("append");
    }
    let before = queue.len();
    queue.ack(in_flight.expect("record").seq).expect("ack");
    assert_eq!(queue.len(), before, "the ack of a dropped record removes nothing else");
}
