//! Log parsing: one [`Record`] type for every format (ordered fields, values borrowed from the line
//! where no unescaping is needed), a memchr line splitter, and parsers for logfmt, LTSV, JSON (simd-json)
//! and regexes with named groups (with nginx, Apache and syslog presets). Nothing here panics on any
//! input: a bad line is a [`LineError`] with its byte offset, and streams go on past it.
//!
//! Every place that describes a parser (the exporter's `[[inputs]]` and `parse` flags, the Python and
//! Node `Parser`s) builds it from one [`ParserSpec`], checked in one place; byte streams read in
//! chunks go through one [`Feed`] (absolute line numbers and byte offsets, partial and over-long
//! lines), and the bindings' one-line regex helpers share one bounded [`ParserCache`].
//!
//! ```
//! use srekit::logs::{LogFormat, Parser, ParserOptions};
//!
//! let mut options = ParserOptions::new(LogFormat::Logfmt);
//! options.set_type("status", "int").unwrap();
//! let parser = Parser::new(options).unwrap();
//! let mut statuses = Vec::new();
//! parser.parse_many(b"status=200 path=/\nstatus=\"oops\nstatus=503 path=/api\n", |line_no, result| {
//!     match result {
//!         Ok(record) => statuses.push(record.get("status").and_then(|v| v.as_f64())),
//!         Err(err) => eprintln!("line {line_no}: {err}"),
//!     }
//! });
//! assert_eq!(statuses, [Some(200.0), Some(503.0)]);
//! ```

mod batch;
mod container;
mod error;
mod feed;
mod framing;
mod json;
mod kubernetes;
mod logfmt;
mod ltsv;
mod multiline;
mod parser;
mod record;
mod regex;
mod scan;
mod spec;
mod split;
mod time;
mod types;
mod value;

#[cfg(feature = "arrow")]
pub mod columnar;
pub mod config;
pub mod pipeline;
mod pipeline_error;
mod pipeline_handle;
mod pipeline_run;
pub mod pipeline_state;
pub mod rules;
pub mod runner;
pub mod sources;
pub mod tail;

pub use container::{ContainerFormat, JoinError, Joined, Joiner, Piece, Stream, CONTAINER_NAMES};
pub use error::{LineError, LogError};
pub use feed::{Feed, FeedEvent, FeedItem, LineBlock, OwnedFeedItem, SkippedLine};
pub use framing::{Framed, Framer, Framing, Message};
pub use json::{parse_json, MAX_JSON_DEPTH};
pub use kubernetes::PodInfo;
pub use logfmt::{encode_logfmt, parse_logfmt};
pub use ltsv::parse_ltsv;
pub use multiline::{GroupedEvent, Grouper, Multiline, MultilineSpec, TooLongEvent, DEFAULT_MAX_LINES};
pub use parser::{LogFormat, Parser, ParserOptions};
pub use record::Record;
pub use spec::{ParserCache, ParserSpec, FORMAT_NAMES, PARSER_CACHE_SIZE};
pub use split::{
    lines, text_lines, whole_lines_prefix, LineSplitter, Lines, SplitBlock, SplitEvent, TextLines,
    DEFAULT_MAX_LINE_LENGTH,
};
pub use time::TimeFormat;
pub use types::FieldType;
pub use value::Value;

/// The regexes of the built-in presets and their time formats (Fluent Bit's, adapted to the `regex`
/// crate's syntax).
///
/// ```
/// assert!(srekit::logs::presets::SYSLOG_RFC5424.starts_with("^<"));
/// ```
pub mod presets {
    pub use super::regex::{
        ACCESS_LOG_TIME_FORMAT, APACHE_COMBINED, APACHE_COMMON, NGINX_COMBINED, NGINX_COMMON,
        RFC3164_TIME_FORMAT, SYSLOG_RFC3164, SYSLOG_RFC5424,
    };
}
