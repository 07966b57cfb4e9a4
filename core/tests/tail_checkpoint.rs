//! Restarts: from a checkpoint with lines written while stopped, with a torn last line, after a crash
//! between checkpoints, and after a rotation that happened while stopped.

mod tail_support;

use std::fs;

use srekit::logs::tail::Checkpoint;
use tail_support::{append, append_lines, rename, Harness};

#[test]
fn restart_resumes_at_the_checkpoint_with_lines_written_while_stopped() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 100);
    assert_eq!(h.poll(), 100);
    h.store();
    h.tailer = None; // stopped
    let next = append_lines(&log, next, 50);
    h.start();
    assert_eq!(h.poll(), 50);
    h.assert_exactly_once(next);
}

#[test]
fn checkpoint_records_identity_and_offset_of_the_last_complete_line() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    append(&log, b"a=1\nb=2\nc=");
    h.poll();
    h.store();
    let checkpoint = Checkpoint::load(&h.checkpoint_path).expect("load").expect("stored");
    assert_eq!(checkpoint.files.len(), 1);
    let entry = &checkpoint.files[0];
    assert_eq!(entry.offset, 8);
    assert_eq!(entry.path, log);
    assert_eq!(entry.inode, srekit::logs::tail::Inode::of(&fs::metadata(&log).expect("stat")));
    assert_eq!(entry.fingerprint, srekit::logs::tail::Fingerprint::of(b"a=1\nb=2\nc="));
}

#[test]
fn a_torn_last_line_is_counted_once_after_a_restart() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    append(&log, b"seq=0 a\nseq=1 b\nseq=2 par");
    assert_eq!(h.poll(), 2);
    h.restart();
    assert_eq!(h.poll(), 0, "the partial line waits for its newline");
    append(&log, b"tial\nseq=3 d\n");
    assert_eq!(h.poll(), 2);
    assert_eq!(h.lines, ["seq=0 a", "seq=1 b", "seq=2 partial", "seq=3 d"]);
}

#[test]
fn a_crash_between_checkpoints_repeats_lines_but_never_skips() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 100);
    assert_eq!(h.poll(), 100);
    h.store(); // last checkpoint at line 100
    let next = append_lines(&log, next, 40);
    assert_eq!(h.poll(), 40); // processed, not checkpointed
    h.crash();
    let next = append_lines(&log, next, 10);
    assert_eq!(h.poll(), 50, "the 40 lines since the checkpoint are read again, plus the 10 new ones");
    let counts = h.counts();
    assert!((0..next).all(|n| counts.contains_key(&n)), "nothing skipped");
    assert_eq!(counts.values().filter(|c| **c == 2).count(), 40);
    assert_eq!(counts.values().filter(|c| **c > 2).count(), 0);
}

#[test]
fn a_crash_of_a_real_process_leaves_a_valid_checkpoint() {
    // The checkpoint is replaced atomically: whatever was on disk is either the old or the new state.
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let mut next = 0;
    for round in 0..20 {
        next = append_lines(&log, next, 25);
        h.poll();
        h.store();
        let text = fs::read_to_string(&h.checkpoint_path).expect("read");
        assert!(text.ends_with("}\n"), "round {round}: checkpoint is complete");
        assert!(!h.dir.path().join("checkpoint.json.tmp").exists());
    }
    h.crash();
    assert_eq!(h.poll(), 0);
    h.assert_exactly_once(next);
}

#[test]
fn a_rotation_while_stopped_finishes_the_old_file_then_reads_the_new_one() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 60);
    assert_eq!(h.poll(), 60);
    h.store();
    h.tailer = None;
    let next = append_lines(&log, next, 15); // lands in the file that is then rotated
    rename(&log, &h.path("app.log.2026-11-25"));
    let next = append_lines(&log, next, 9);
    h.start();
    assert_eq!(h.poll(), 24);
    h.assert_exactly_once(next);
}

#[test]
fn truncation_while_stopped_restarts_at_zero() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 60);
    h.poll();
    h.restart();
    h.tailer = None;
    fs::OpenOptions::new().write(true).open(&log).expect("open").set_len(0).expect("truncate");
    let next = append_lines(&log, next, 3);
    h.start();
    assert_eq!(h.poll(), 3);
    h.assert_exactly_once(next);
}

#[test]
fn without_a_checkpoint_a_new_start_begins_at_the_end_but_with_one_files_appearing_later_are_read() {
    let mut h = Harness::new("*.log");
    h.options.read_from_head = false;
    append_lines(&h.path("a.log"), 0, 10);
    assert_eq!(h.poll(), 0);
    h.store();
    h.tailer = None;
    let next = append_lines(&h.path("b.log"), 10, 5); // appeared while stopped
    h.start();
    assert_eq!(h.poll(), 5);
    let counts = h.counts();
    assert!((10..next).all(|n| counts.get(&n) == Some(&1)));
}
