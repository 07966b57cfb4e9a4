//! Shared helpers of the tail tests: a log directory, a writer that appends numbered lines, and a
//! harness that runs a `Tailer`, stores its checkpoint, restarts it cleanly or "crashes" it.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use srekit::logs::tail::{Checkpoint, TailEvent, TailOptions, Tailer};

/// Appends `count` numbered lines `seq=<n> msg=...` starting at `first` to `path`; returns the next
/// number.
pub fn append_lines(path: &Path, first: u64, count: u64) -> u64 {
    let mut text = String::new();
    for n in first..first + count {
        text.push_str(&line(n));
        text.push('\n');
    }
    append(path, text.as_bytes());
    first + count
}

/// The line numbered `n` (without newline).
pub fn line(n: u64) -> String {
    format!("seq={n} level=info msg=\"request served\" path=/api/v1/items/{}", n % 97)
}

/// Appends raw bytes to `path` (creating it).
pub fn append(path: &Path, bytes: &[u8]) {
    let mut file = OpenOptions::new().create(true).append(true).open(path).expect("open log for append");
    file.write_all(bytes).expect("append");
}

/// Runs a tailer over a temporary directory and records every line it hands out.
pub struct Harness {
    pub dir: tempfile::TempDir,
    pub options: TailOptions,
    pub tailer: Option<Tailer>,
    pub lines: Vec<String>,
    pub too_long: Vec<usize>,
    pub checkpoint_path: PathBuf,
}

impl Harness {
    /// A harness following `<dir>/<pattern>`, reading files present at the start from the head.
    pub fn new(pattern: &str) -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut options = TailOptions::new("test", vec![format!("{}/{pattern}", dir.path().display())]);
        options.read_from_head = true;
        options.rotate_wait = Duration::ZERO;
        let checkpoint_path = dir.path().join("checkpoint.json");
        Harness { dir, options, tailer: None, lines: Vec::new(), too_long: Vec::new(), checkpoint_path }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Starts the tailer from the stored checkpoint, if any.
    pub fn start(&mut self) {
        let checkpoint = Checkpoint::load(&self.checkpoint_path).expect("load checkpoint");
        self.tailer = Some(Tailer::new(self.options.clone(), checkpoint).expect("tailer"));
    }

    /// Polls once (starting the tailer if needed); returns the number of new lines.
    pub fn poll(&mut self) -> usize {
        if self.tailer.is_none() {
            self.start();
        }
        let before = self.lines.len();
        let (lines, too_long) = (&mut self.lines, &mut self.too_long);
        let tailer = self.tailer.as_mut().expect("started");
        loop {
            let stats = tailer
                .poll(|event| match event {
                    TailEvent::Line(l) => lines.push(String::from_utf8_lossy(l).into_owned()),
                    TailEvent::TooLong(n) => too_long.push(n),
                })
                .expect("poll");
            if !stats.more {
                break;
            }
        }
        self.lines.len() - before
    }

    /// Stores the checkpoint now.
    pub fn store(&mut self) {
        if let Some(tailer) = &self.tailer {
            tailer.checkpoint().store(&self.checkpoint_path).expect("store checkpoint");
        }
    }

    /// A clean stop as `Pipeline::shutdown` does it (a last poll, so open files, deleted ones included,
    /// are drained; then the checkpoint) followed by a start.
    pub fn restart(&mut self) {
        if self.tailer.is_some() {
            self.poll();
        }
        self.store();
        self.tailer = None;
        self.start();
    }

    /// A crash: the tailer is gone without storing; the next start uses the last stored checkpoint.
    pub fn crash(&mut self) {
        self.tailer = None;
        self.start();
    }

    /// How often each `seq` was seen; panics on a line that is not one of ours (a torn line).
    pub fn counts(&self) -> BTreeMap<u64, usize> {
        let mut counts = BTreeMap::new();
        for l in &self.lines {
            let n: u64 = l
                .strip_prefix("seq=")
                .and_then(|rest| rest.split(' ').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("unexpected line {l:?}"));
            assert_eq!(*l, line(n), "line {n} is torn or altered");
            *counts.entry(n).or_insert(0) += 1;
        }
        counts
    }

    /// Asserts that lines `0..total` were each seen exactly once.
    pub fn assert_exactly_once(&self, total: u64) {
        let counts = self.counts();
        let missing: Vec<u64> = (0..total).filter(|n| !counts.contains_key(n)).take(10).collect();
        let repeated: Vec<(u64, usize)> =
            counts.iter().filter(|(_, c)| **c > 1).map(|(n, c)| (*n, *c)).take(10).collect();
        assert!(missing.is_empty(), "missing lines (first 10): {missing:?}");
        assert!(repeated.is_empty(), "repeated lines (first 10): {repeated:?}");
        assert_eq!(self.lines.len() as u64, total);
    }

    pub fn open_files(&self) -> usize {
        self.tailer.as_ref().map_or(0, |t| t.open_files().len())
    }
}

/// Renames `from` to `to` inside the harness directory.
pub fn rename(from: &Path, to: &Path) {
    fs::rename(from, to).expect("rename");
}
