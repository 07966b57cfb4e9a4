//! Rotation styles: rename (with late writes to the renamed file), copytruncate, truncation, delete and
//! re-create, a rotated file still matched by the glob, and inode reuse.

mod tail_support;

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::time::Duration;

use srekit::logs::tail::{Checkpoint, CheckpointEntry, Fingerprint, Inode};
use tail_support::{append, append_lines, line, rename, Harness};

#[test]
fn rename_rotation_reads_old_file_to_end_and_new_file_from_start() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let mut next = append_lines(&log, 0, 100);
    assert_eq!(h.poll(), 100);
    next = append_lines(&log, next, 50); // written before the rename, not read yet
    rename(&log, &h.path("app.log.1"));
    next = append_lines(&log, next, 30); // the new file
    assert_eq!(h.poll(), 80);
    assert_eq!(h.open_files(), 1, "the rotated file is let go after rotate_wait (0 here)");
    next = append_lines(&log, next, 5);
    assert_eq!(h.poll(), 5);
    h.assert_exactly_once(next);
}

#[test]
fn late_writes_to_a_renamed_file_are_read_until_it_is_idle() {
    let mut h = Harness::new("app.log");
    h.options.rotate_wait = Duration::from_millis(300);
    let log = h.path("app.log");
    let mut writer = OpenOptions::new().create(true).append(true).open(&log).expect("open");
    let mut next = 0;
    let mut write = |writer: &mut fs::File, count: u64| {
        for _ in 0..count {
            writeln!(writer, "{}", line(next)).expect("write");
            next += 1;
        }
    };
    write(&mut writer, 10);
    assert_eq!(h.poll(), 10);
    rename(&log, &h.path("app.log.1"));
    write(&mut writer, 5); // the writer has not reopened yet: these go to app.log.1
    let new_first = append_lines(&log, 1000, 3);
    assert_eq!(h.poll(), 8);
    assert_eq!(h.open_files(), 2);
    write(&mut writer, 2); // still later
    assert_eq!(h.poll(), 2);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(h.poll(), 0);
    assert_eq!(h.open_files(), 1, "idle for rotate_wait: the renamed file is closed");
    write(&mut writer, 1); // after it was let go: not read
    assert_eq!(h.poll(), 0);
    let counts = h.counts();
    assert_eq!(counts.len(), 20);
    assert!((0..17).all(|n| counts.get(&n) == Some(&1)));
    assert!((1000..new_first).all(|n| counts.get(&n) == Some(&1)));
}

#[test]
fn copytruncate_restarts_at_zero() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 100);
    assert_eq!(h.poll(), 100);
    fs::copy(&log, h.path("app.log.1")).expect("copy");
    OpenOptions::new().write(true).open(&log).expect("open").set_len(0).expect("truncate");
    let next = append_lines(&log, next, 20); // fewer bytes than before: size < offset
    assert_eq!(h.poll(), 20);
    h.assert_exactly_once(next);
}

#[test]
fn truncation_then_rewrite_past_the_old_offset_is_detected_by_fingerprint() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 10);
    assert_eq!(h.poll(), 10);
    OpenOptions::new().write(true).open(&log).expect("open").set_len(0).expect("truncate");
    // Before the next poll the file grows beyond the old offset: only the fingerprint can tell.
    let next = append_lines(&log, next, 200);
    assert_eq!(h.poll(), 200);
    h.assert_exactly_once(next);
}

#[test]
fn truncation_to_a_smaller_size() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    append(&log, b"seq=0 x\nseq=1 y\n");
    h.poll();
    OpenOptions::new().write(true).open(&log).expect("open").set_len(0).expect("truncate");
    append(&log, b"z\n");
    h.poll();
    assert_eq!(h.lines, ["seq=0 x", "seq=1 y", "z"]);
}

#[test]
fn deleted_and_recreated_file_is_a_new_file() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 50);
    assert_eq!(h.poll(), 50);
    let next = append_lines(&log, next, 7); // unread when deleted: still read through the open file
    fs::remove_file(&log).expect("delete");
    let next = append_lines(&log, next, 10);
    assert_eq!(h.poll(), 17);
    assert_eq!(h.open_files(), 1);
    h.assert_exactly_once(next);
}

#[test]
fn renamed_file_still_matching_the_glob_is_not_read_again() {
    let mut h = Harness::new("app.log*");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 40);
    assert_eq!(h.poll(), 40);
    rename(&log, &h.path("app.log.1"));
    let next = append_lines(&h.path("app.log.1"), next, 5);
    let next = append_lines(&log, next, 5);
    assert_eq!(h.poll(), 10);
    assert_eq!(h.open_files(), 2, "both files match the glob and stay followed");
    h.restart();
    assert_eq!(h.poll(), 0);
    h.assert_exactly_once(next);
}

#[test]
fn a_reused_inode_with_other_content_is_read_from_the_start() {
    let mut h = Harness::new("app.log");
    let log = h.path("app.log");
    let next = append_lines(&log, 0, 30);
    let meta = fs::metadata(&log).expect("stat");
    // A checkpoint that names this very inode, but for a file that started differently.
    let mut checkpoint = Checkpoint::new("test");
    checkpoint.files.push(CheckpointEntry {
        path: log.clone(),
        inode: Inode::of(&meta),
        fingerprint: Fingerprint::of(b"seq=999999 another file\n"),
        offset: meta.len() / 2,
    });
    checkpoint.store(&h.checkpoint_path).expect("store");
    assert_eq!(h.poll(), 30);
    h.assert_exactly_once(next);
}

#[test]
fn files_matching_the_glob_later_are_picked_up_from_their_start() {
    let mut h = Harness::new("*.log");
    h.options.read_from_head = false;
    let a = h.path("a.log");
    append_lines(&a, 0, 10); // present at the first start: starts at its end
    assert_eq!(h.poll(), 0);
    let next = append_lines(&a, 10, 5);
    let next = append_lines(&h.path("b.log"), next, 8); // appears later: from its start
    assert_eq!(h.poll(), 13);
    let counts = h.counts();
    assert_eq!(counts.len(), 13);
    assert!((10..next).all(|n| counts.get(&n) == Some(&1)));
}

#[test]
fn first_start_at_end_counts_a_partial_last_line_once_complete() {
    let mut h = Harness::new("app.log");
    h.options.read_from_head = false;
    let log = h.path("app.log");
    append(&log, b"old=1\nold=2\nhalf");
    assert_eq!(h.poll(), 0);
    append(&log, b"-done\nnew=1\n");
    assert_eq!(h.poll(), 2);
    assert_eq!(h.lines, ["half-done", "new=1"]);
}

#[test]
fn over_long_lines_are_skipped_and_reported() {
    let mut h = Harness::new("app.log");
    h.options.max_line_length = 100;
    let log = h.path("app.log");
    let long = "x".repeat(5000);
    append(&log, format!("a=1\n{long}\nb=2\n").as_bytes());
    h.poll();
    append(&log, long.as_bytes()); // an over-long partial line, completed later
    h.poll();
    append(&log, b"\nc=3\n");
    h.poll();
    assert_eq!(h.lines, ["a=1", "b=2", "c=3"]);
    assert_eq!(h.too_long, [5000, 5000]);
}

#[test]
fn max_open_files_bounds_the_open_files() {
    let mut h = Harness::new("*.log");
    h.options.max_open_files = 2;
    for name in ["a.log", "b.log", "c.log"] {
        append(&h.path(name), b"x=1\n");
    }
    assert_eq!(h.poll(), 2);
    assert_eq!(h.open_files(), 2);
    fs::remove_file(h.path("a.log")).expect("delete");
    h.poll(); // a.log is let go; c.log gets the slot on the following poll
    h.poll();
    assert_eq!(h.lines.len(), 3);
    assert_eq!(h.open_files(), 2);
}
