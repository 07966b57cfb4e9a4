//! The queue's record framing, with no I/O: `len: u32 LE | crc32(payload): u32 LE | payload`, the
//! payload being `created_ms: i64 LE | samples: u32 LE | body`. [`scan`] reads a segment's bytes
//! and stops at the first torn or corrupt record, so the caller truncates there.

/// Bytes before a record's payload (length and CRC).
pub const FRAME_HEADER: usize = 8;
/// Bytes of a payload before the body (creation time and sample count).
pub const PAYLOAD_HEADER: usize = 12;
/// The largest payload a reader accepts; a longer length field is corruption.
pub const MAX_PAYLOAD: usize = 256 << 20;

/// One record found by [`scan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordInfo {
    /// Offset of the frame in the segment.
    pub offset: u64,
    /// Length of the whole frame (header, payload).
    pub frame_len: u32,
    /// When the record was queued (Unix milliseconds).
    pub created_ms: i64,
    /// How many samples its body holds.
    pub samples: u32,
}

/// What [`scan`] found in a segment.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Scan {
    /// The good records, in order.
    pub records: Vec<RecordInfo>,
    /// Bytes up to the end of the last good record: where to truncate.
    pub good_len: u64,
    /// Whether bytes after `good_len` were dropped (a torn or corrupt tail).
    pub torn: bool,
}

/// Frames one record into `out`.
///
/// ```
/// let mut buf = Vec::new();
/// srekit_push::segment::frame(1_000, 3, b"body", &mut buf);
/// let scan = srekit_push::segment::scan(&buf);
/// assert_eq!(scan.records.len(), 1);
/// assert_eq!(scan.records[0].samples, 3);
/// assert!(!scan.torn);
/// ```
pub fn frame(created_ms: i64, samples: u32, body: &[u8], out: &mut Vec<u8>) {
    let payload_len = PAYLOAD_HEADER + body.len();
    let mut hasher = crc32fast::Hasher::new();
    let mut head = [0u8; PAYLOAD_HEADER];
    head[..8].copy_from_slice(&created_ms.to_le_bytes());
    head[8..].copy_from_slice(&samples.to_le_bytes());
    hasher.update(&head);
    hasher.update(body);
    out.reserve(FRAME_HEADER + payload_len);
    out.extend_from_slice(&(payload_len as u32).to_le_bytes());
    out.extend_from_slice(&hasher.finalize().to_le_bytes());
    out.extend_from_slice(&head);
    out.extend_from_slice(body);
}

/// Checks one frame at the start of `bytes`: its info (offset 0) when whole and its CRC matches.
///
/// ```
/// let mut buf = Vec::new();
/// srekit_push::segment::frame(7, 1, b"x", &mut buf);
/// assert!(srekit_push::segment::check(&buf).is_some());
/// buf[10] ^= 1;
/// assert!(srekit_push::segment::check(&buf).is_none());
/// ```
pub fn check(bytes: &[u8]) -> Option<RecordInfo> {
    let len = u32::from_le_bytes(bytes.get(0..4)?.try_into().ok()?) as usize;
    if !(PAYLOAD_HEADER..=MAX_PAYLOAD).contains(&len) {
        return None;
    }
    let crc = u32::from_le_bytes(bytes.get(4..8)?.try_into().ok()?);
    let payload = bytes.get(FRAME_HEADER..FRAME_HEADER + len)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    Some(RecordInfo {
        offset: 0,
        frame_len: (FRAME_HEADER + len) as u32,
        created_ms: i64::from_le_bytes(payload.get(0..8)?.try_into().ok()?),
        samples: u32::from_le_bytes(payload.get(8..12)?.try_into().ok()?),
    })
}

/// The body of a checked frame (after [`check`] said yes).
pub fn body(frame: &[u8]) -> &[u8] {
    frame.get(FRAME_HEADER + PAYLOAD_HEADER..).unwrap_or_default()
}

/// Reads every good record of a segment, stopping at the first torn or corrupt one.
///
/// ```
/// let mut buf = Vec::new();
/// srekit_push::segment::frame(1, 1, b"a", &mut buf);
/// let whole = buf.len() as u64;
/// srekit_push::segment::frame(2, 1, b"b", &mut buf);
/// buf.truncate(buf.len() - 1); // torn write
/// let scan = srekit_push::segment::scan(&buf);
/// assert_eq!((scan.records.len(), scan.good_len, scan.torn), (1, whole, true));
/// ```
pub fn scan(bytes: &[u8]) -> Scan {
    let mut result = Scan::default();
    let mut offset = 0usize;
    while offset < bytes.len() {
        let Some(mut info) = bytes.get(offset..).and_then(check) else {
            result.torn = true;
            break;
        };
        info.offset = offset as u64;
        offset += info.frame_len as usize;
        result.records.push(info);
    }
    result.good_len = offset.min(bytes.len()) as u64;
    result
}
