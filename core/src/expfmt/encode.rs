//! Encoding of [`MetricFamily`] values into text 0.0.4 or OpenMetrics 1.0, appending to a caller's buffer.

use std::io;

use bytes::BufMut;

use super::write::{
    needs_escaping, write_help, write_label_value, write_series, write_timestamp, write_value, Room,
    NUMBER_ROOM,
};
use super::{Format, NameEscaping};
use crate::metrics::{
    is_valid_label_name, is_valid_metric_name, Exemplar, MetricFamily, MetricType, Sample, Suffix,
};

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
    encode_body_with(families, format, NameEscaping::default(), buf);
}

/// As [`encode_body`], with names outside the legacy charset written as `escaping` says: quoted for a
/// scraper that allows UTF-8 names ([`NameEscaping::AllowUtf8`]), escaped otherwise ([`encode_body`]
/// escapes them with underscores). Take `escaping` from [`negotiate_exposition`](super::negotiate_exposition).
///
/// ```
/// use srekit::expfmt::{encode_body_with, Format, NameEscaping};
/// use srekit::metrics::MetricFamily;
/// let mut fam = MetricFamily::gauge("http.server.active", "Active requests.");
/// fam.push(vec![("url.scheme".into(), "https".into())], 2.0);
/// let mut utf8 = Vec::new();
/// encode_body_with(&[fam.clone()], Format::Text, NameEscaping::AllowUtf8, &mut utf8);
/// assert!(String::from_utf8(utf8).unwrap().ends_with("{\"http.server.active\",\"url.scheme\"=\"https\"} 2\n"));
/// let mut escaped = Vec::new();
/// encode_body_with(&[fam], Format::Text, NameEscaping::Underscores, &mut escaped);
/// assert!(String::from_utf8(escaped).unwrap().ends_with("\nhttp_server_active{url_scheme=\"https\"} 2\n"));
/// ```
pub fn encode_body_with<B: BufMut>(
    families: &[MetricFamily],
    format: Format,
    escaping: NameEscaping,
    buf: &mut B,
) {
    // One string for every family's metadata name, instead of one allocation per family.
    let mut name = String::new();
    for family in families {
        encode_family(family, format, escaping, &mut name, buf);
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

/// The name written in a family's metadata lines: the family's base name escaped by `escaping`
/// (prometheus/common's `model.EscapeName`), then the suffix text 0.0.4 names a counter or info family
/// by, so it names exactly what the sample lines write (escaped base name, then suffix): under `dots`,
/// `http.requests` is `http_dot_requests_total` in both, not `http_dot_requests__total` in one.
/// Written into `name` (cleared first), a string kept across families.
fn metadata_name(
    family: &MetricFamily,
    format: Format,
    escaping: NameEscaping,
    name_is_valid: bool,
    name: &mut String,
) {
    let suffix = match (format, family.kind) {
        (Format::Text, MetricType::Counter) => {
            let bare = !family.samples.is_empty() && family.samples.iter().all(|s| s.suffix == Suffix::None);
            if bare {
                Suffix::None
            } else {
                Suffix::Total
            }
        }
        (Format::Text, MetricType::Info) => Suffix::Info,
        _ => Suffix::None,
    };
    name.clear();
    if name_is_valid {
        // A legacy name is written unchanged under every escaping.
        name.push_str(&family.name);
    } else {
        name.push_str(&escaping.escape_metric_name(&family.name));
    }
    name.push_str(suffix.as_str());
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

/// Writes the HELP / TYPE (/ UNIT when `unit` is given) lines of one family whose name is already
/// escaped and checked: `name` as it is written, quoted and escaped when `quoted` (a name outside the
/// legacy charset). The registry encoder escapes and checks a family's name once for all its lines.
pub(crate) fn write_metadata_as<B: BufMut>(
    buf: &mut B,
    name: &str,
    quoted: bool,
    help: &str,
    unit: Option<&str>,
    type_name: &str,
    openmetrics: bool,
) {
    if !quoted && metadata_in_room(buf, name, help, unit, type_name, openmetrics) {
        return;
    }
    let put_name = |buf: &mut B| {
        if quoted {
            buf.put_u8(b'"');
            write_label_value(buf, name);
            buf.put_u8(b'"');
        } else {
            buf.put_slice(name.as_bytes());
        }
    };
    if !help.is_empty() {
        buf.put_slice(b"# HELP ");
        put_name(buf);
        buf.put_u8(b' ');
        write_help(buf, help, openmetrics);
        buf.put_u8(b'\n');
    }
    buf.put_slice(b"# TYPE ");
    put_name(buf);
    buf.put_u8(b' ');
    buf.put_slice(type_name.as_bytes());
    buf.put_u8(b'\n');
    if let Some(unit) = unit {
        buf.put_slice(b"# UNIT ");
        put_name(buf);
        buf.put_u8(b' ');
        buf.put_slice(unit.as_bytes());
        buf.put_u8(b'\n');
    }
}

/// Writes [`write_metadata_as`]'s lines for a bare name and a help text that needs no escaping (as
/// every host family's) straight into the buffer's spare room ([`Room`]). False, and nothing written,
/// when the help needs escaping or the buffer lacks the room.
fn metadata_in_room<B: BufMut>(
    buf: &mut B,
    name: &str,
    help: &str,
    unit: Option<&str>,
    type_name: &str,
    openmetrics: bool,
) -> bool {
    if needs_escaping(help.as_bytes(), openmetrics) {
        return false;
    }
    // `# HELP name help\n`, `# TYPE name type\n`, `# UNIT name unit\n`.
    let line = |text: &str| 9 + name.len() + text.len();
    let need = line(help) + line(type_name) + unit.map_or(0, line);
    let Some(mut room) = Room::new(buf, need) else { return false };
    let put_line = |room: &mut Room<'_, B>, keyword: &[u8; 7], text: &str| {
        room.put(keyword);
        room.put(name.as_bytes());
        room.put_array([b' ']);
        room.put(text.as_bytes());
        room.put_array([b'\n']);
    };
    if !help.is_empty() {
        put_line(&mut room, b"# HELP ", help);
    }
    put_line(&mut room, b"# TYPE ", type_name);
    if let Some(unit) = unit {
        put_line(&mut room, b"# UNIT ", unit);
    }
    room.done();
    true
}

fn encode_family<B: BufMut>(
    family: &MetricFamily,
    format: Format,
    escaping: NameEscaping,
    name: &mut String,
    buf: &mut B,
) {
    let openmetrics = format == Format::OpenMetrics;
    // Checked once for the metadata and all the family's sample lines.
    let name_is_valid = is_valid_metric_name(&family.name);
    metadata_name(family, format, escaping, name_is_valid, name);
    // A legacy name plus a suffix (`_total`, `_info`) is still legacy; an escaped one may not be.
    let quoted = !name_is_valid && !is_valid_metric_name(name);
    let unit = &family.unit;
    // OpenMetrics requires the unit to be a suffix of the name; a unit that is not is left out.
    let unit = (openmetrics
        && !unit.is_empty()
        && name.strip_suffix(unit.as_str()).is_some_and(|rest| rest.ends_with('_')))
    .then_some(unit.as_str());
    write_metadata_as(buf, name, quoted, &family.help, unit, type_text(family.kind, format), openmetrics);
    for sample in &family.samples {
        if !openmetrics && sample.suffix == Suffix::Created {
            continue;
        }
        encode_sample(family, name_is_valid, sample, format, escaping, buf);
    }
}

fn encode_sample<B: BufMut>(
    family: &MetricFamily,
    name_is_valid: bool,
    sample: &Sample,
    format: Format,
    escaping: NameEscaping,
    buf: &mut B,
) {
    let openmetrics = format == Format::OpenMetrics;
    let suffix = match (openmetrics, family.kind, sample.suffix) {
        // OpenMetrics counters always carry `_total`.
        (true, MetricType::Counter, Suffix::None) => Suffix::Total,
        _ => sample.suffix,
    };
    let plain = sample.timestamp.is_none() && (!openmetrics || sample.exemplar.is_none());
    if name_is_valid
        && plain
        && sample_in_room(buf, &family.name, suffix, &sample.labels, sample.value, openmetrics)
    {
        return;
    }
    write_series(buf, &family.name, name_is_valid, suffix.as_str(), &sample.labels, escaping);
    buf.put_u8(b' ');
    write_sample_value(buf, sample.value, suffix, openmetrics);
    if let Some(ts) = sample.timestamp {
        write_timestamp(buf, ts, openmetrics);
    }
    if openmetrics {
        if let Some(exemplar) = &sample.exemplar {
            if matches!(suffix, Suffix::Total | Suffix::Bucket) {
                write_exemplar(buf, exemplar, escaping);
            }
        }
    }
    buf.put_u8(b'\n');
}

/// Writes the line of a sample with a legacy metric name, no timestamp and no exemplar, when its label
/// names are legacy and its label values need no escaping (as host metrics' are), straight into the
/// buffer's spare room ([`Room`]): the text the general path writes, with one capacity check for the
/// line. False, and nothing written, when the line does not qualify or the buffer lacks the room.
fn sample_in_room<B: BufMut>(
    buf: &mut B,
    name: &str,
    suffix: Suffix,
    labels: &[(String, String)],
    value: f64,
    openmetrics: bool,
) -> bool {
    let suffix_text = suffix.as_str();
    // Name, suffix, `{`, `} `, the value and `\n`.
    let mut need = name.len() + suffix_text.len() + 3 + NUMBER_ROOM;
    for (label, label_value) in labels {
        if !is_valid_label_name(label) || needs_escaping(label_value.as_bytes(), true) {
            return false;
        }
        // `name="value",`
        need += label.len() + label_value.len() + 4;
    }
    let Some(mut room) = Room::new(buf, need) else { return false };
    room.put(name.as_bytes());
    room.put(suffix_text.as_bytes());
    if !labels.is_empty() {
        let mut separator = b'{';
        for (label, label_value) in labels {
            room.put_array([separator]);
            room.put(label.as_bytes());
            room.put_array(*b"=\"");
            room.put(label_value.as_bytes());
            room.put_array([b'"']);
            separator = b',';
        }
        room.put_array([b'}']);
    }
    room.put_array([b' ']);
    match openmetrics_count(value, suffix, openmetrics) {
        Some(count) => room.count(count, true),
        None => room.value(value, openmetrics),
    }
    room.put_array([b'\n']);
    room.done();
    true
}

/// Writes a sample's value: OpenMetrics writes counts (`_bucket`, `_count`, `_gcount`) as integers and
/// other values as floats with a `.0` or exponent; text 0.0.4 writes all as Go's `%g`.
fn write_sample_value<B: BufMut>(buf: &mut B, value: f64, suffix: Suffix, openmetrics: bool) {
    match openmetrics_count(value, suffix, openmetrics) {
        Some(count) => super::write::write_count(buf, count, true),
        None => write_value(buf, value, openmetrics),
    }
}

/// The integer an OpenMetrics count (`_bucket`, `_count`, `_gcount`) with a whole value is written as;
/// `None` for every other sample, written as a float.
fn openmetrics_count(value: f64, suffix: Suffix, openmetrics: bool) -> Option<u64> {
    let count = matches!(suffix, Suffix::Bucket | Suffix::Count | Suffix::Gcount);
    (openmetrics && count && value.fract() == 0.0 && (0.0..1.8e19).contains(&value)).then_some(value as u64)
}

/// Writes ` # {labels} value[ timestamp]`, the OpenMetrics exemplar after a sample's value.
pub(crate) fn write_exemplar<B: BufMut>(buf: &mut B, exemplar: &Exemplar, escaping: NameEscaping) {
    buf.put_slice(b" # ");
    write_labels_only(buf, &exemplar.labels, escaping);
    buf.put_u8(b' ');
    write_value(buf, exemplar.value, true);
    if let Some(ts) = exemplar.timestamp {
        write_timestamp(buf, ts, true);
    }
}

/// Writes `{k="v",...}` (always with braces, as exemplars need).
pub(crate) fn write_labels_only<B: BufMut>(buf: &mut B, labels: &[(String, String)], escaping: NameEscaping) {
    buf.put_u8(b'{');
    for (i, (k, v)) in labels.iter().enumerate() {
        if i > 0 {
            buf.put_u8(b',');
        }
        super::write::write_label_name(buf, k, escaping);
        buf.put_slice(b"=\"");
        super::write::write_label_value(buf, v);
        buf.put_u8(b'"');
    }
    buf.put_u8(b'}');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf8_families() -> Vec<MetricFamily> {
        let mut requests = MetricFamily::counter("http.requests", "Requests.");
        requests.samples.push(Sample::new(Suffix::Total, vec![("service.name".into(), "api".into())], 1.0));
        let mut build = MetricFamily::new("build.version", "Build.", MetricType::Info);
        build.samples.push(Sample::new(Suffix::Info, vec![("v".into(), "1".into())], 1.0));
        vec![requests, build]
    }

    /// A buffer that offers at most 8 bytes of spare room at a time, so no sample line fits a
    /// [`Room`]: every line takes the general path.
    struct Narrow(Vec<u8>);

    // SAFETY: every method forwards to `Vec<u8>`'s; `chunk_mut` returns a prefix of its spare room,
    // so `advance_mut` is only called for bytes within what `Vec` offered.
    unsafe impl BufMut for Narrow {
        fn remaining_mut(&self) -> usize {
            self.0.remaining_mut()
        }
        unsafe fn advance_mut(&mut self, count: usize) {
            // SAFETY: the caller wrote `count` bytes of the chunk we returned, a prefix of Vec's.
            unsafe { self.0.advance_mut(count) }
        }
        fn chunk_mut(&mut self) -> &mut bytes::buf::UninitSlice {
            let chunk = self.0.chunk_mut();
            let len = chunk.len().min(8);
            &mut chunk[..len]
        }
    }

    fn mixed_families() -> Vec<MetricFamily> {
        let values = [0.0, 1.0, -2.5, 12_000_000.0, 0.031, 1e21, f64::NAN, f64::INFINITY, 3e19, 7.0];
        let label_sets: Vec<Vec<(String, String)>> = vec![
            vec![],
            vec![("cpu".into(), "0".into()), ("mode".into(), "idle".into())],
            vec![("device".into(), "a \"quoted\" \\ path\nline".into())],
            vec![("service.name".into(), "api".into())],
            vec![("le".into(), "+Inf".into()), ("x".into(), "a-very-long-label-value-".repeat(5))],
        ];
        let kinds = [
            (MetricType::Counter, Suffix::Total),
            (MetricType::Counter, Suffix::None),
            (MetricType::Counter, Suffix::Created),
            (MetricType::Gauge, Suffix::None),
            (MetricType::Histogram, Suffix::Bucket),
            (MetricType::Histogram, Suffix::Count),
            (MetricType::Info, Suffix::Info),
            (MetricType::GaugeHistogram, Suffix::Gcount),
        ];
        let mut families = Vec::new();
        for (i, (kind, suffix)) in kinds.into_iter().enumerate() {
            for name in ["node_cpu_seconds", "http.requests"] {
                // Plain help (metadata written in room) and help that needs escaping (general path).
                let help = if i % 2 == 0 {
                    "Seconds the CPUs spent in each mode."
                } else {
                    "Help with \\ and\nnewline."
                };
                let mut family = MetricFamily::new(&format!("{name}_{i}"), help, kind);
                if i == 2 || i == 3 {
                    family.name.push_str("_seconds");
                    family = family.with_unit("seconds");
                }
                if i == 5 {
                    family.help.clear();
                }
                for (j, labels) in label_sets.iter().enumerate() {
                    let mut sample = Sample::new(suffix, labels.clone(), values[(i + j) % values.len()]);
                    if j == 3 {
                        sample.timestamp = Some(1_700_000_000.5);
                    }
                    if j == 4 {
                        sample.exemplar = Some(Exemplar {
                            labels: vec![("trace_id".into(), "abc".into())],
                            value: 0.5,
                            timestamp: None,
                        });
                    }
                    family.samples.push(sample);
                }
                families.push(family);
            }
        }
        families
    }

    #[test]
    fn lines_written_in_room_are_the_lines_of_the_general_path() {
        let families = mixed_families();
        for format in [Format::Text, Format::OpenMetrics] {
            for escaping in
                [NameEscaping::Underscores, NameEscaping::Dots, NameEscaping::Values, NameEscaping::AllowUtf8]
            {
                let mut roomy = Vec::with_capacity(1 << 16);
                encode_body_with(&families, format, escaping, &mut roomy);
                let mut narrow = Narrow(Vec::new());
                encode_body_with(&families, format, escaping, &mut narrow);
                let (roomy, narrow) =
                    (String::from_utf8(roomy).unwrap(), String::from_utf8(narrow.0).unwrap());
                assert_eq!(roomy, narrow, "{format:?} {escaping:?}");
                assert!(roomy.contains("node_cpu_seconds_0_total{cpu=\"0\",mode=\"idle\"} "), "{roomy}");
                let unit = "# UNIT node_cpu_seconds_2_seconds seconds\n";
                assert_eq!(roomy.contains(unit), format == Format::OpenMetrics, "{roomy}");
                assert!(roomy.contains("\\\"quoted\\\" \\\\ path\\nline"), "{roomy}");
            }
        }
    }

    #[test]
    fn metadata_names_the_escaped_base_name_then_the_suffix_as_the_samples_do() {
        let cases = [
            (NameEscaping::Underscores, "http_requests_total", "build_version_info"),
            (NameEscaping::Dots, "http_dot_requests_total", "build_dot_version_info"),
            (NameEscaping::Values, "U__http_2e_requests_total", "U__build_2e_version_info"),
        ];
        for (escaping, counter, info) in cases {
            let mut buf = Vec::new();
            encode_body_with(&utf8_families(), Format::Text, escaping, &mut buf);
            let text = String::from_utf8(buf).unwrap();
            assert!(
                text.contains(&format!("# HELP {counter} Requests.\n# TYPE {counter} counter\n{counter}{{")),
                "{escaping:?}:\n{text}"
            );
            assert!(text.contains(&format!("# TYPE {info} gauge\n{info}{{")), "{escaping:?}:\n{text}");
        }
        let mut buf = Vec::new();
        encode_body_with(&utf8_families(), Format::Text, NameEscaping::AllowUtf8, &mut buf);
        let text = String::from_utf8(buf).unwrap();
        assert!(text.contains("# TYPE \"http.requests_total\" counter\n{\"http.requests_total\","), "{text}");
    }
}
