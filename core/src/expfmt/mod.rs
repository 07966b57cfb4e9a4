//! Prometheus text format 0.0.4 and OpenMetrics 1.0: encoding (numbers as client_golang writes them,
//! names escaped for scrapers that do not allow UTF-8), parsing and content negotiation.
//!
//! ```
//! use srekit::expfmt::{encode_to_string, parse_text, Format};
//! use srekit::metrics::MetricFamily;
//!
//! let mut fam = MetricFamily::counter("jobs_done_total", "Jobs done.");
//! fam.push(vec![("queue".into(), "a\"b".into())], 3.0);
//! let text = encode_to_string(&[fam.clone()], Format::Text);
//! assert_eq!(text, "# HELP jobs_done_total Jobs done.\n# TYPE jobs_done_total counter\njobs_done_total{queue=\"a\\\"b\"} 3\n");
//! assert_eq!(parse_text(&text).unwrap(), vec![fam]);
//! ```

mod encode;
mod escaping;
mod negotiate;
mod parse;
mod registry;
mod write;

pub use encode::{encode, encode_body, encode_body_with, encode_to_string, encode_to_writer, finish};
pub use escaping::NameEscaping;
pub use negotiate::{negotiate, negotiate_exposition, Exposition};
pub use parse::{parse, parse_text};
pub use write::{write_float, write_help, write_label_value, write_openmetrics_float};

/// The two exposition formats.
///
/// ```
/// use srekit::expfmt::Format;
/// assert_eq!(Format::from_name("openmetrics"), Some(Format::OpenMetrics));
/// assert!(Format::Text.content_type().starts_with("text/plain; version=0.0.4"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Format {
    /// Prometheus text format 0.0.4.
    #[default]
    Text,
    /// OpenMetrics 1.0 text.
    OpenMetrics,
}

impl Format {
    /// The HTTP `Content-Type` for a response in this format.
    ///
    /// ```
    /// assert_eq!(
    ///     srekit::expfmt::Format::OpenMetrics.content_type(),
    ///     "application/openmetrics-text; version=1.0.0; charset=utf-8"
    /// );
    /// ```
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Text => "text/plain; version=0.0.4; charset=utf-8",
            Format::OpenMetrics => "application/openmetrics-text; version=1.0.0; charset=utf-8",
        }
    }

    /// Looks a format up by name: `text` (or `prometheus`, `0.0.4`) and `openmetrics` (or `om`).
    ///
    /// ```
    /// assert_eq!(srekit::expfmt::Format::from_name("text"), Some(srekit::expfmt::Format::Text));
    /// assert_eq!(srekit::expfmt::Format::from_name("xml"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "text" | "prometheus" | "0.0.4" | "text/plain" => Some(Format::Text),
            "openmetrics" | "om" | "application/openmetrics-text" => Some(Format::OpenMetrics),
            _ => None,
        }
    }
}

/// Parses the names [`Format::from_name`] knows; anything else is an
/// [`UnknownFormatError`](crate::error::UnknownFormatError) with the one message every binding and the
/// exporter show.
///
/// ```
/// use srekit::expfmt::Format;
/// assert_eq!("openmetrics".parse::<Format>(), Ok(Format::OpenMetrics));
/// assert_eq!("xml".parse::<Format>().unwrap_err().code(), "exposition.unknown_format");
/// ```
impl std::str::FromStr for Format {
    type Err = crate::error::UnknownFormatError;

    fn from_str(name: &str) -> Result<Format, Self::Err> {
        Format::from_name(name).ok_or_else(|| crate::error::UnknownFormatError(name.to_string()))
    }
}
