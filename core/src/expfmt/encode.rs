//! Encoding of [`MetricFamily`] values into text 0.0.4 or OpenMetrics 1.0, appending to a caller's buffer.

use std::io;

use bytes::BufMut;

use super::write::{write_float, write_help, write_metadata_name, write_series, write_timestamp};
use super::Format;
use crate::metrics::{Exemplar, MetricFamily, MetricType, Sample, Suffix};

/// Encodes `families` in `format` (with `# EOF` for OpenMetrics), appending to `buf`.
///
/// ```
/// use srekit::expfmt::{encode, Format};
/// use srekit::metrics::MetricFamily;
/// let mut up = MetricFamily::gauge("up", "Whether the target is up.");
/// up.push(vec![("job".into(), "node".into())], 1.0);
/// let mut buf = Vec::new();
/// encode(&[up], Format::Text, &mut buf);
/// assert_eq!(
///     String::from_utf8(buf).unwrap(),
///     "# HELP up Whether the target is up.\n# TYPE up gauge\nup{job=\"node\"} 1\n"
/// );
/// ```
pub fn encode<B: BufMut>(families: &[MetricFamily], format: Format, buf: &mut B) {
    encode_body(families, format, buf);
    finish(format, buf);
}

/// Encodes `families` without the closing `# EOF`, so several sources can share one response; call
/// [`finish`] once at the end.
///
/// ```
/// use srekit::expfmt::{encode_body, finish, Format};
/// let mut buf = Vec::new();
/// encode_body(&[], Format::OpenMetrics, &mut buf);
/// finish(Format::OpenMetrics, &mut buf);
/// assert_eq!(buf, b"# EOF\n");
/// ```
pub fn encode_body<B: BufMut>(families: &[MetricFamily], format: Format, buf: &mut B) {
    for family in families {
        encode_family(family, format, buf);
    }
}

/// Ends a response: `# EOF` for OpenMetrics, nothing for text 0.0.4.
///
/// ```
/// let mut buf = Vec::new();
/// srekit::expfmt::finish(srekit::expfmt::Format::Text, &mut buf);
/// assert!(buf.is_empty());
/// ```
pub fn finish<B: BufMut>(format: Format, buf: &mut B) {
    if format == Format::OpenMetrics {
        buf.put_slice(b"# EOF\n");
    }
}

/// Encodes `families` into a `String`.
///
/// ```
/// let text = srekit::expfmt::encode_to_string(&[], srekit::expfmt::Format::OpenMetrics);
/// assert_eq!(text, "# EOF\n");
/// ```
pub fn encode_to_string(families: &[MetricFamily], format: Format) -> String {
    let mut buf = Vec::with_capacity(families.len() * 128);
    encode(families, format, &mut buf);
    // The encoder writes only UTF-8 (names and values come from `String`s).
    String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Encodes `families` into an [`io::Write`] (one buffered write per call).
///
/// ```
/// let mut out = Vec::new();
/// srekit::expfmt::encode_to_writer(&[], srekit::expfmt::Format::OpenMetrics, &mut out).unwrap();
/// assert_eq!(out, b"# EOF\n");
/// ```
pub fn encode_to_writer<W: io::Write>(
    families: &[MetricFamily],
    format: Format,
    mut writer: W,
) -> io::Result<()> {
    let mut buf = Vec::with_capacity(families.len() * 128);
    encode(families, format, &mut buf);
    writer.write_all(&buf)
}

/// The name written in a family's metadata lines.
fn metadata_name(family: &MetricFamily, format: Format) -> String {
    match (format, family.kind) {
        (Format::Text, MetricType::Counter) => {
            let bare = !family.samples.is_empty() && family.samples.iter().all(|s| s.suffix == Suffix::None);
            if bare {
                family.name.clone()
            } else {
                family.sample_name(Suffix::Total)
            }
        }
        (Format::Text, MetricType::Info) => family.sample_name(Suffix::Info),
        _ => family.name.clone(),
    }
}

fn type_text(kind: MetricType, format: Format) -> &'static str {
    match format {
        Format::OpenMetrics => kind.as_str(),
        Format::Text => match kind {
            MetricType::Counter => "counter",
            MetricType::Gauge | MetricType::Info | MetricType::StateSet => "gauge",
            MetricType::Histogram => "histogram",
            MetricType::Summary => "summary",
            MetricType::GaugeHistogram | MetricType::Unknown => "untyped",
        },
    }
}

/// Writes the HELP / TYPE (/ UNIT) lines of one family.
pub(crate) fn write_metadata<B: BufMut>(
    buf: &mut B,
    name: &str,
    help: &str,
    unit: &str,
    type_name: &str,
    format: Format,
) {
    let openmetrics = format == Format::OpenMetrics;
    if !help.is_empty() {
        buf.put_slice(b"# HELP ");
        write_metadata_name(buf, name);
        buf.put_u8(b' ');
        write_help(buf, help, openmetrics);
        buf.put_u8(b'\n');
    }
    buf.put_slice(b"# TYPE ");
    write_metadata_name(buf, name);
    buf.put_u8(b' ');
    buf.put_slice(type_name.as_bytes());
    buf.put_u8(b'\n');
    // OpenMetrics requires the unit to be a suffix of the name; a unit that is not is left out.
    if openmetrics && !unit.is_empty() && name.strip_suffix(unit).is_some_and(|rest| rest.ends_with('_')) {
        buf.put_slice(b"# UNIT ");
        write_metadata_name(buf, name);
        buf.put_u8(b' ');
        buf.put_slice(unit.as_bytes());
        buf.put_u8(b'\n');
    }
}

fn encode_family<B: BufMut>(family: &MetricFamily, format: Format, buf: &mut B) {
    let openmetrics = format == Format::OpenMetrics;
    let name = metadata_name(family, format);
    write_metadata(buf, &name, &family.help, &family.unit, type_text(family.kind, format), format);
    for sample in &family.samples {
        if !openmetrics && sample.suffix == Suffix::Created {
            continue;
        }
        encode_sample(family, sample, format, buf);
    }
}

fn encode_sample<B: BufMut>(family: &MetricFamily, sample: &Sample, format: Format, buf: &mut B) {
    let openmetrics = format == Format::OpenMetrics;
    let suffix = match (openmetrics, family.kind, sample.suffix) {
        // OpenMetrics counters always carry `_total`.
        (true, MetricType::Counter, Suffix::None) => Suffix::Total,
        _ => sample.suffix,
    };
    write_series(buf, &family.name, suffix.as_str(), &sample.labels, None);
    buf.put_u8(b' ');
    write_float(buf, sample.value);
    if let Some(ts) = sample.timestamp {
        write_timestamp(buf, ts, openmetrics);
    }
    if openmetrics {
        if let Some(exemplar) = &sample.exemplar {
            if matches!(suffix, Suffix::Total | Suffix::Bucket) {
                write_exemplar(buf, exemplar);
            }
        }
    }
    buf.put_u8(b'\n');
}

/// Writes ` # {labels} value[ timestamp]`, the OpenMetrics exemplar after a sample's value.
pub(crate) fn write_exemplar<B: BufMut>(buf: &mut B, exemplar: &Exemplar) {
    buf.put_slice(b" # ");
    write_labels_only(buf, &exemplar.labels);
    buf.put_u8(b' ');
    write_float(buf, exemplar.value);
    if let Some(ts) = exemplar.timestamp {
        write_timestamp(buf, ts, true);
    }
}

/// Writes `{k="v",...}` (always with braces, as exemplars need).
pub(crate) fn write_labels_only<B: BufMut>(buf: &mut B, labels: &[(String, String)]) {
    buf.put_u8(b'{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            buf.put_u8(b',');
        }
        super::write::write_label_name(buf, k);
        buf.put_slice(b"=\"");
        super::write::write_label_value(buf, v);
        buf.put_u8(b'"');
    }
    buf.put_u8(b'}');
}
