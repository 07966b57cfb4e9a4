//! Content negotiation: choose text 0.0.4 or OpenMetrics 1.0 from an HTTP `Accept` header the way
//! Prometheus' own client libraries do.

use super::Format;

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
    let mut best: Option<(f32, usize, Format)> = None;
    for (position, range) in accept.split(',').enumerate() {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut quality = 1.0f32;
        let mut version: Option<String> = None;
        for param in parts {
            let Some((key, value)) = param.split_once('=') else { continue };
            let value = value.trim().trim_matches('"');
            match key.trim().to_ascii_lowercase().as_str() {
                "q" => quality = value.parse().unwrap_or(0.0),
                "version" => version = Some(value.to_string()),
                _ => {}
            }
        }
        if quality <= 0.0 {
            continue;
        }
        let format = match media.as_str() {
            "application/openmetrics-text" => match version.as_deref() {
                None | Some("1.0.0") | Some("0.0.1") => Format::OpenMetrics,
                _ => continue,
            },
            "text/plain" => match version.as_deref() {
                None | Some("0.0.4") | Some("1.0.0") => Format::Text,
                _ => continue,
            },
            "*/*" | "text/*" => Format::Text,
            _ => continue,
        };
        let better = match best {
            None => true,
            Some((q, _, _)) => quality > q,
        };
        if better {
            best = Some((quality, position, format));
        }
    }
    best.map(|(_, _, format)| format).unwrap_or(Format::Text)
}
