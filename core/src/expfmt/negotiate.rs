//! Content negotiation: choose text (0.0.4 or 1.0.0) or OpenMetrics 1.0 from an HTTP `Accept` header
//! the way Prometheus' own client libraries do, and how to write names outside the legacy charset
//! from its `escaping=` parameter (Prometheus 3).

use super::{Format, NameEscaping};

/// What a scraper asked for: the format, and how names outside the legacy charset are written.
///
/// ```
/// use srekit::expfmt::{negotiate_exposition, Format, NameEscaping};
/// // Prometheus 3's default header.
/// let accept = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,\
///     application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,\
///     text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
/// let exposition = negotiate_exposition(accept);
/// assert_eq!((exposition.format, exposition.escaping), (Format::OpenMetrics, NameEscaping::AllowUtf8));
/// assert_eq!(
///     exposition.content_type(),
///     "application/openmetrics-text; version=1.0.0; charset=utf-8; escaping=allow-utf-8"
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Exposition {
    /// The format to write.
    pub format: Format,
    /// How names outside the legacy charset are written.
    pub escaping: NameEscaping,
    /// Whether the scraper named the escaping (then the `Content-Type` names it too).
    pub escaping_requested: bool,
    /// Whether the scraper asked for text format 1.0.0 (the same text, named so in `Content-Type`).
    pub text_version_1: bool,
}

impl Exposition {
    /// An exposition in `format` with the default escaping (underscores), as for a scraper that
    /// names none.
    ///
    /// ```
    /// let e = srekit::expfmt::Exposition::new(srekit::expfmt::Format::Text);
    /// assert_eq!(e.content_type(), "text/plain; version=0.0.4; charset=utf-8");
    /// ```
    pub fn new(format: Format) -> Exposition {
        Exposition { format, ..Exposition::default() }
    }

    /// The HTTP `Content-Type` of the response: the format's, with the escaping when the scraper named one.
    ///
    /// ```
    /// let e = srekit::expfmt::negotiate_exposition("text/plain;version=1.0.0;escaping=dots");
    /// assert_eq!(e.content_type(), "text/plain; version=1.0.0; charset=utf-8; escaping=dots");
    /// ```
    pub fn content_type(&self) -> String {
        let base = match (self.format, self.text_version_1) {
            (Format::Text, true) => "text/plain; version=1.0.0; charset=utf-8",
            (format, _) => format.content_type(),
        };
        if self.escaping_requested {
            format!("{base}; escaping={}", self.escaping.as_str())
        } else {
            base.to_string()
        }
    }
}

/// Picks the format for an `Accept` header: the highest-weighted media range that is OpenMetrics
/// (`application/openmetrics-text`, version 1.0.0, 0.0.1 or none) or text (`text/plain`, `*/*`), text
/// 0.0.4 when nothing matches. Ranges with `q=0` are refused.
///
/// ```
/// use srekit::expfmt::{negotiate, Format};
/// let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
/// assert_eq!(negotiate(prometheus), Format::OpenMetrics);
/// assert_eq!(negotiate("text/plain"), Format::Text);
/// assert_eq!(negotiate(""), Format::Text);
/// assert_eq!(negotiate("text/plain;q=0.2, application/openmetrics-text;q=0.9"), Format::OpenMetrics);
/// ```
pub fn negotiate(accept: &str) -> Format {
    negotiate_exposition(accept).format
}

/// As [`negotiate`], and the name escaping from the chosen range's `escaping=` parameter
/// (`allow-utf-8`, `underscores`, `dots` or `values`; underscores when absent or unknown).
///
/// ```
/// use srekit::expfmt::{negotiate_exposition, Format, NameEscaping};
/// let e = negotiate_exposition("text/plain;version=0.0.4");
/// assert_eq!((e.format, e.escaping, e.escaping_requested), (Format::Text, NameEscaping::Underscores, false));
/// let e = negotiate_exposition("application/openmetrics-text;version=1.0.0;escaping=values");
/// assert_eq!((e.format, e.escaping), (Format::OpenMetrics, NameEscaping::Values));
/// ```
pub fn negotiate_exposition(accept: &str) -> Exposition {
    let mut best: Option<(f32, Exposition)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut quality = 1.0f32;
        let mut version: Option<String> = None;
        let mut escaping = None;
        for param in parts {
            let Some((key, value)) = param.split_once('=') else { continue };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "q" => quality = value.parse().unwrap_or(0.0),
                "version" => version = Some(value.to_string()),
                "escaping" => escaping = NameEscaping::from_name(value),
                _ => {}
            }
        }
        if quality <= 0.0 {
            continue;
        }
        let (format, text_version_1) = match media.as_str() {
            "application/openmetrics-text" => match version.as_deref() {
                None | Some("1.0.0") | Some("0.0.1") => (Format::OpenMetrics, false),
                _ => continue,
            },
            "text/plain" => match version.as_deref() {
                None | Some("0.0.4") => (Format::Text, false),
                Some("1.0.0") => (Format::Text, true),
                _ => continue,
            },
            "*/*" | "text/*" => (Format::Text, false),
            _ => continue,
        };
        if best.is_none_or(|(q, _)| quality > q) {
            let exposition = Exposition {
                format,
                escaping: escaping.unwrap_or_default(),
                escaping_requested: escaping.is_some(),
                text_version_1,
            };
            best = Some((quality, exposition));
        }
    }
    best.map(|(_, exposition)| exposition).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The headers Prometheus 3 sends (scrape.acceptHeader with its default scrape_protocols), with
    /// UTF-8 names allowed and with `metric_name_escaping_scheme` set.
    #[test]
    fn prometheus_3_headers() {
        let utf8 = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";
        let e = negotiate_exposition(utf8);
        assert_eq!((e.format, e.escaping), (Format::OpenMetrics, NameEscaping::AllowUtf8));
        let underscores = utf8.replace("allow-utf-8", "underscores");
        assert_eq!(negotiate_exposition(&underscores).escaping, NameEscaping::Underscores);
        let dots = utf8.replace("allow-utf-8", "dots");
        assert_eq!(negotiate_exposition(&dots).escaping, NameEscaping::Dots);
        // scrape_protocols: [PrometheusText1.0.0]
        let text = "text/plain;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5";
        let e = negotiate_exposition(text);
        assert_eq!((e.format, e.escaping, e.text_version_1), (Format::Text, NameEscaping::AllowUtf8, true));
        assert_eq!(e.content_type(), "text/plain; version=1.0.0; charset=utf-8; escaping=allow-utf-8");
        // scrape_protocols: [PrometheusText0.0.4]: no escaping parameter, so names are escaped.
        let old = negotiate_exposition("text/plain;version=0.0.4;q=0.6,*/*;q=0.5");
        assert_eq!((old.format, old.escaping), (Format::Text, NameEscaping::Underscores));
        assert_eq!(old.content_type(), "text/plain; version=0.0.4; charset=utf-8");
        // Prometheus 2.42's header.
        let p2 = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        let e = negotiate_exposition(p2);
        assert_eq!(
            (e.format, e.escaping, e.escaping_requested),
            (Format::OpenMetrics, NameEscaping::Underscores, false)
        );
        // An unknown scheme is ignored.
        assert_eq!(negotiate_exposition("text/plain;escaping=bogus").escaping, NameEscaping::Underscores);
    }
}
