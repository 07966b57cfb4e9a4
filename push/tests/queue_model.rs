//! The disk queue against a model (a VecDeque): any sequence of appends, acks, reopens and torn
//! writes leaves exactly the unacknowledged records, oldest first.

use std::collections::VecDeque;
use std::io::Write;

use proptest::prelude::*;
use srekit_push::{DiskQueue, QueueOptions};

#[derive(Debug, Clone)]
enum Step {
    Append(Vec<u8>),
    Ack,
    Reopen,
    /// A torn write of `n` garbage bytes at the end of the newest segment, then a reopen.
    TornReopen(u8),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Step::Append),
        3 => Just(Step::Ack),
        1 => Just(Step::Reopen),
        1 => (1u8..30).prop_map(Step::TornReopen),
    ]
}

fn newest_segment(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let mut segments: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    segments.sort();
    segments.pop()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn the_queue_behaves_like_a_fifo_of_unacknowledged_records(steps in proptest::collection::vec(step(), 1..40)) {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut options = QueueOptions::new(dir.path().to_path_buf());
        options.segment_bytes = 100;
        let mut model: VecDeque<Vec<u8>> = VecDeque::new();
        let mut queue = DiskQueue::open(options.clone()).expect("open").0;
        for step in steps {
            match step {
                Step::Append(body) => {
                    queue.append(0, 1, &body).expect("append");
                    model.push_back(body);
                }
                Step::Ack => {
                    let (record, _) = queue.peek(0).expect("peek");
                    prop_assert_eq!(record.as_ref().map(|r| &r.body), model.front());
                    if let Some(record) = record {
                        queue.ack(record.seq).expect("ack");
                        model.pop_front();
                    }
                }
                Step::Reopen => {
                    drop(queue);
                    let (reopened, report) = DiskQueue::open(options.clone()).expect("reopen");
                    prop_assert_eq!(report.replayed as usize, model.len());
                    queue = reopened;
                }
                Step::TornReopen(n) => {
                    drop(queue);
                    if let Some(path) = newest_segment(dir.path()) {
                        let mut file = std::fs::OpenOptions::new().append(true).open(path).expect("segment");
                        file.write_all(&vec![0xA5; n as usize]).expect("garbage");
                    }
                    let (reopened, report) = DiskQueue::open(options.clone()).expect("reopen");
                    prop_assert_eq!(report.replayed as usize, model.len());
                    prop_assert_eq!(report.truncated_segments, 1);
                    queue = reopened;
                }
            }
            prop_assert_eq!(queue.len(), model.len());
        }
        let mut left = Vec::new();
        while let (Some(record), _) = queue.peek(0).expect("peek") {
            left.push(record.body.clone());
            queue.ack(record.seq).expect("ack");
        }
        prop_assert_eq!(left, Vec::from(model));
    }
}
