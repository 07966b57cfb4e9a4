//! `srekit-push`: the I/O side of pushing metrics, used by the exporter's `[[outputs]]`. The encoders
//! live in core (`srekit::push`); this crate owns the disk queue ([`queue`], framing in [`segment`]),
//! the HTTP sender with its retry policy ([`sender`]) and file-backed credentials ([`credentials`]) and the run loop of one output ([`output`]).
//!
//! ```
//! use srekit_push::{DiskQueue, QueueOptions};
//! let dir = tempfile::tempdir().unwrap();
//! let (mut queue, report) = DiskQueue::open(QueueOptions::new(dir.path().into())).unwrap();
//! assert_eq!(report.replayed, 0);
//! queue.append(0, 1, b"body").unwrap();
//! assert_eq!(queue.len(), 1);
//! ```

pub mod credentials;
pub mod output;
pub mod queue;
pub mod segment;
pub mod sender;

pub use credentials::{Auth, Credentials};
pub use output::{start, Collect, Kind, Output, PushMetrics, RunningOutput};
pub use queue::{DiskQueue, Dropped, OpenReport, QueueError, QueueOptions, Record};
pub use sender::{Endpoint, EndpointError, Outcome, TlsOptions};
