//! Fuzz target: the push queue's segment reader must never panic on any bytes (a torn write, a
//! corrupt disk), and what it accepts must be exactly the good records: re-framing them gives back
//! the bytes up to where it would truncate.
#![no_main]

use libfuzzer_sys::fuzz_target;
use srekit_push::segment::{body, check, frame, scan};

fuzz_target!(|data: &[u8]| {
    let found = scan(data);
    assert!(found.good_len as usize <= data.len());
    assert_eq!(found.torn, (found.good_len as usize) < data.len());
    let mut reframed = Vec::new();
    for record in &found.records {
        let start = record.offset as usize;
        let bytes = &data[start..start + record.frame_len as usize];
        assert_eq!(check(bytes), Some(srekit_push::segment::RecordInfo { offset: 0, ..*record }));
        frame(record.created_ms, record.samples, body(bytes), &mut reframed);
    }
    assert_eq!(reframed.as_slice(), &data[..found.good_len as usize]);
});
