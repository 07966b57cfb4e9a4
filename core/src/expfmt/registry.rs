//! Encoding a [`Registry`]: a [`Visitor`] that writes each metric and series as it is shown, copying
//! each series' label text (kept with the series) and writing `_created` from its stored time, so
//! nothing is allocated per sample or per series. Also gives `Registry` its `encode`, `encode_body`,
//! `encode_body_with`, `expose` (a scrape's body and `Content-Type` for an `Accept` header) and
//! `encode_to_string` methods (defined here, so the registry does not depend on the formats).
//!
//! Prometheus 3 (UTF-8) names are written as the negotiated [`NameEscaping`] says, by the escaping
//! code every encoder shares: quoted (`{"http.requests_total","service.name"="api"}`) only for a
//! scraper that allows UTF-8, escaped otherwise. A family whose names are all legacy keeps the fast
//! path (the series' own label text, the same under every scheme); the others render their labels
//! per scrape.

use bytes::BufMut;

use super::encode::{write_exemplar, write_metadata_as};
use super::write::{
    put_short, write_count, write_label_name, write_label_value, write_value, write_whole, Room, NUMBER_ROOM,
};
use super::{finish, Format, NameEscaping};
use crate::metrics::number::write_openmetrics_seconds;
use crate::metrics::{
    is_valid_label_name, is_valid_metric_name, FamilyView, MetricType, Point, Registry, SeriesView, Visitor,
};

impl Registry {
    /// Encodes every metric in `format` (with `# EOF` for OpenMetrics), appending to `buf`.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// r.counter("a_total", "A.", &[]).unwrap().labels(&[]).unwrap().inc();
    /// let mut buf = bytes::BytesMut::new();
    /// r.encode(srekit::expfmt::Format::Text, &mut buf);
    /// assert_eq!(&buf[..], b"# HELP a_total A.\n# TYPE a_total counter\na_total 1\n");
    /// ```
    pub fn encode<B: BufMut>(&self, format: Format, buf: &mut B) {
        self.encode_body(format, buf);
        finish(format, buf);
    }

    /// Encodes every metric without the closing `# EOF` (see [`finish`]).
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// let mut buf = Vec::new();
    /// r.encode_body(srekit::expfmt::Format::OpenMetrics, &mut buf);
    /// assert!(buf.is_empty());
    /// ```
    pub fn encode_body<B: BufMut>(&self, format: Format, buf: &mut B) {
        self.encode_body_with(format, NameEscaping::default(), buf);
    }

    /// As [`encode_body`](Self::encode_body), with names outside the legacy charset written as
    /// `escaping` says: quoted for a scraper that allows UTF-8 ([`NameEscaping::AllowUtf8`]), escaped
    /// otherwise ([`encode_body`](Self::encode_body) escapes with underscores). Take `escaping` from
    /// [`negotiate_exposition`](super::negotiate_exposition).
    ///
    /// ```
    /// use srekit::expfmt::{Format, NameEscaping};
    /// let r = srekit::metrics::Registry::new();
    /// r.counter("http.requests", "Requests.", &["service.name"]).unwrap().labels(&["api"]).unwrap().inc();
    /// let mut utf8 = Vec::new();
    /// r.encode_body_with(Format::Text, NameEscaping::AllowUtf8, &mut utf8);
    /// assert!(String::from_utf8(utf8).unwrap().ends_with("\n{\"http.requests_total\",\"service.name\"=\"api\"} 1\n"));
    /// let mut escaped = Vec::new();
    /// r.encode_body_with(Format::Text, NameEscaping::Underscores, &mut escaped);
    /// assert!(String::from_utf8(escaped).unwrap().ends_with("\nhttp_requests_total{service_name=\"api\"} 1\n"));
    /// ```
    pub fn encode_body_with<B: BufMut>(&self, format: Format, escaping: NameEscaping, buf: &mut B) {
        self.visit_in_place(&mut RegistryEncoder {
            buf,
            format,
            escaping,
            legacy: true,
            quoted: false,
            name: String::new(),
            metadata_name: String::new(),
            prefixes: Default::default(),
            opening_room: 0,
            le_tails: Vec::new(),
            le_room: 0,
            bucket_prefix: Vec::new(),
            labels: Vec::new(),
            created: CreatedText { seconds: None, text: [0; CREATED_ROOM], len: 0 },
        });
    }

    /// Answers a scrape: the body and `Content-Type` for an HTTP `Accept` header (empty when the
    /// request had none), with the format and name escaping negotiated as the exporter negotiates
    /// them ([`negotiate_exposition`](super::negotiate_exposition)): names outside the legacy charset
    /// are quoted only when the scraper allows UTF-8 and escaped by its scheme otherwise (legacy names
    /// are the same under every scheme). The `Content-Type` names the escaping when the scraper named one.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// r.gauge("queue_depth", "Jobs waiting.", &[]).unwrap().labels(&[]).unwrap().set(3.0);
    /// let (body, content_type) = r.expose("text/plain;version=1.0.0;escaping=underscores");
    /// assert_eq!(body, b"# HELP queue_depth Jobs waiting.\n# TYPE queue_depth gauge\nqueue_depth 3\n");
    /// assert_eq!(content_type, "text/plain; version=1.0.0; charset=utf-8; escaping=underscores");
    /// let (body, content_type) = r.expose("");
    /// assert_eq!(content_type, "text/plain; version=0.0.4; charset=utf-8");
    /// assert!(body.ends_with(b"queue_depth 3\n"));
    /// ```
    pub fn expose(&self, accept: &str) -> (Vec<u8>, String) {
        let exposition = super::negotiate_exposition(accept);
        let mut body = Vec::new();
        self.encode_body_with(exposition.format, exposition.escaping, &mut body);
        finish(exposition.format, &mut body);
        (body, exposition.content_type())
    }

    /// Encodes every metric into a `String`.
    ///
    /// ```
    /// let r = srekit::metrics::Registry::new();
    /// assert_eq!(r.encode_to_string(srekit::expfmt::Format::OpenMetrics), "# EOF\n");
    /// ```
    pub fn encode_to_string(&self, format: Format) -> String {
        let mut buf = Vec::new();
        self.encode(format, &mut buf);
        String::from_utf8(buf).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}

struct RegistryEncoder<'b, B> {
    buf: &'b mut B,
    format: Format,
    escaping: NameEscaping,
    /// Whether the current family's name and label names are all legacy (the cached label text holds).
    legacy: bool,
    /// Whether the current family's name is written quoted inside the braces (UTF-8 allowed).
    quoted: bool,
    /// The current family's name as written (escaped by `escaping`).
    name: String,
    /// Scratch for a text 0.0.4 counter's `<name>_total`.
    metadata_name: String,
    /// The current family's sample-line openings, one per [`Line`], made once per family so a line is
    /// three copies (opening, label text, then `} value\n` from a stack array) instead of seven.
    prefixes: [Prefix; Line::COUNT],
    /// The longest of `prefixes`.
    opening_room: usize,
    /// A histogram family's `le="<bound>"} ` for each bucket (`+Inf` last), made once per family.
    /// `le` is the same text in both formats, `1`, not client_golang's OpenMetrics `1.0`: Prometheus 2
    /// keeps label text as sent, so `1.0` would be a new series and break queries on `le="1"`.
    le_tails: Vec<Box<[u8]>>,
    /// The longest of `le_tails`.
    le_room: usize,
    /// A histogram series' `<name>_bucket{<labels>,` (`<name>_bucket{` without labels), written once
    /// per series and copied before each bucket's `le="<bound>"} ` (fewer small copies per line).
    bucket_prefix: Vec<u8>,
    /// Scratch for the labels of a series of a family with UTF-8 names.
    labels: Vec<u8>,
    /// The last `_created` value written and its text: series made together (in the same millisecond,
    /// as at startup) share it, and are written without formatting it again.
    created: CreatedText,
}

/// Room for a created time's text and newline (the longest float text is 24 bytes).
const CREATED_ROOM: usize = 32;

/// See [`RegistryEncoder::created`].
struct CreatedText {
    /// The bits of the `f64` `text` was written from.
    seconds: Option<u64>,
    text: [u8; CREATED_ROOM],
    len: usize,
}

impl CreatedText {
    /// Formats `seconds` (and a newline) into `text`.
    #[inline(never)]
    fn set(&mut self, seconds: f64) {
        let mut rest = &mut self.text[..];
        write_openmetrics_seconds(&mut rest, seconds);
        rest.put_u8(b'\n');
        self.len = CREATED_ROOM - rest.len();
        self.seconds = Some(seconds.to_bits());
    }
}

/// Writes `_sum` and `_count` lines into `room`.
#[inline(always)]
fn sum_count_in_room<B: BufMut>(
    room: &mut Room<'_, B>,
    prefixes: &[Prefix; Line::COUNT],
    labels: &[u8],
    sum: f64,
    count: u64,
    openmetrics: bool,
) {
    open(room, &prefixes[Line::Sum as usize], labels);
    room.value(sum, openmetrics);
    room.put_array(*b"\n");
    open(room, &prefixes[Line::Count as usize], labels);
    room.count(count, openmetrics);
    room.put_array(*b"\n");
}

/// The sample lines a registry series writes, by suffix.
#[derive(Clone, Copy)]
enum Line {
    Plain,
    Total,
    Sum,
    Count,
    Created,
    /// A histogram's bucket lines (only [`Prefix::with_labels`] is used: they always have `le`).
    Bucket,
}

impl Line {
    const COUNT: usize = 6;
    const ALL: [(Line, &'static str); Line::COUNT] = [
        (Line::Plain, ""),
        (Line::Total, "_total"),
        (Line::Sum, "_sum"),
        (Line::Count, "_count"),
        (Line::Created, "_created"),
        (Line::Bucket, "_bucket"),
    ];
}

/// A sample line's opening for one suffix: `name<suffix>{` (`{"name<suffix>",` when quoted) before a
/// label text, and `name<suffix> ` (`{"name<suffix>"} `) for a series without labels.
#[derive(Default)]
struct Prefix {
    with_labels: Vec<u8>,
    bare: Vec<u8>,
}

impl Prefix {
    fn set(&mut self, name: &str, suffix: &str, quoted: bool) {
        self.with_labels.clear();
        self.bare.clear();
        if quoted {
            self.with_labels.extend_from_slice(b"{\"");
            write_label_value(&mut self.with_labels, name);
            self.with_labels.extend_from_slice(suffix.as_bytes());
            self.with_labels.push(b'"');
            self.bare.extend_from_slice(&self.with_labels);
            self.with_labels.push(b',');
            self.bare.extend_from_slice(b"} ");
        } else {
            self.with_labels.extend_from_slice(name.as_bytes());
            self.with_labels.extend_from_slice(suffix.as_bytes());
            self.bare.extend_from_slice(&self.with_labels);
            self.with_labels.push(b'{');
            self.bare.push(b' ');
        }
    }
}

impl<B: BufMut> RegistryEncoder<'_, B> {
    /// Writes everything before a sample's value: `name<suffix>{labels} ` (see [`Prefix`]).
    #[inline(always)]
    fn prefix(&mut self, line: Line, labels: &[u8]) {
        let prefix = &self.prefixes[line as usize];
        if labels.is_empty() {
            put_short(self.buf, &prefix.bare);
        } else {
            put_short(self.buf, &prefix.with_labels);
            put_short(self.buf, labels);
            self.buf.put_slice(b"} ");
        }
    }
}

/// A number then `\n` (when `newline`).
#[inline(always)]
fn put_number<B: BufMut>(buf: &mut B, newline: bool, write: impl FnOnce(&mut B)) {
    write(buf);
    if newline {
        buf.put_u8(b'\n');
    }
}

impl<B: BufMut> Visitor for RegistryEncoder<'_, B> {
    fn family(&mut self, family: &FamilyView<'_>) {
        // A legacy name is its own escape under every scheme, and stays legacy with a suffix: checked
        // once here (escaping and checking it again for each metadata line was 1.5% of encoding).
        let legacy_name = is_valid_metric_name(family.name);
        self.legacy = legacy_name && family.label_names.iter().all(|l| is_valid_label_name(l));
        self.name.clear();
        if legacy_name {
            self.name.push_str(family.name);
        } else {
            self.name.push_str(&self.escaping.escape_metric_name(family.name));
        }
        self.quoted = !legacy_name && !is_valid_metric_name(&self.name);
        self.metadata_name.clear();
        self.metadata_name.push_str(&self.name);
        // The suffix follows the escaped base name, in the metadata as in every sample line.
        let mut metadata_quoted = self.quoted;
        if family.kind == MetricType::Counter && self.format == Format::Text {
            self.metadata_name.push_str("_total");
            metadata_quoted = !legacy_name && !is_valid_metric_name(&self.metadata_name);
        }
        for (line, suffix) in Line::ALL {
            self.prefixes[line as usize].set(&self.name, suffix, self.quoted);
        }
        self.opening_room =
            self.prefixes.iter().map(|p| p.with_labels.len().max(p.bare.len())).max().unwrap_or(0);
        // Histograms with the same buckets (the default ones, usually) keep the previous tails.
        let same_buckets = self.le_tails.len() == family.bucket_labels.len()
            && self
                .le_tails
                .iter()
                .zip(family.bucket_labels)
                .all(|(tail, le)| tail.len() >= 7 && tail.get(4..tail.len() - 3) == Some(le.as_bytes()));
        if !same_buckets {
            self.le_tails.clear();
        }
        self.le_tails.extend(family.bucket_labels.iter().skip(self.le_tails.len()).map(|le| {
            let mut tail = Vec::with_capacity(le.len() + 7);
            tail.extend_from_slice(b"le=\"");
            tail.extend_from_slice(le.as_bytes());
            tail.extend_from_slice(b"\"} ");
            tail.into_boxed_slice()
        }));
        self.le_room = self.le_tails.iter().map(|tail| tail.len()).max().unwrap_or(0);
        write_metadata_as(
            self.buf,
            &self.metadata_name,
            metadata_quoted,
            family.help,
            None,
            family.kind.as_str(),
            self.format == Format::OpenMetrics,
        );
    }

    // Inlined into each family's loop over its series, where the point's kind is known (a counter
    // family's loop holds only the counter lines): no call, no match on the kind per series.
    #[inline(always)]
    fn series(&mut self, family: &FamilyView<'_>, series: &SeriesView<'_>) {
        // The scratch is taken only for a family with UTF-8 names (a legacy family copies its series'
        // own label text, without touching it).
        let mut rendered = Vec::new();
        let labels: &[u8] = if self.legacy {
            series.labels.as_bytes()
        } else {
            rendered = std::mem::take(&mut self.labels);
            rendered.clear();
            render_labels(&mut rendered, family, series, self.escaping);
            &rendered
        };
        if !self.series_in_room(series, labels) {
            self.series_lines(family, series, labels);
        }
        if !self.legacy {
            self.labels = rendered;
        }
    }
}

/// Sets `prefix` to what every bucket line of a histogram series starts with, up to its `le` label:
/// `name_bucket{labels,` (or `{"name_bucket",labels,` for a name that must be quoted).
fn bucket_prefix(prefix: &mut Vec<u8>, name: &str, quoted: bool, labels: &[u8]) {
    prefix.clear();
    if quoted {
        prefix.extend_from_slice(b"{\"");
        write_label_value(prefix, name);
        prefix.extend_from_slice(b"_bucket\",");
    } else {
        prefix.extend_from_slice(name.as_bytes());
        prefix.extend_from_slice(b"_bucket{");
    }
    if !labels.is_empty() {
        prefix.extend_from_slice(labels);
        prefix.push(b',');
    }
}

/// Writes a line's opening (see [`Prefix`]) and labels, up to the `} ` before the value.
#[inline(always)]
fn open<B: BufMut>(room: &mut Room<'_, B>, prefix: &Prefix, labels: &[u8]) {
    if labels.is_empty() {
        room.put(&prefix.bare);
    } else {
        room.put(&prefix.with_labels);
        room.put(labels);
        room.put_array(*b"} ");
    }
}

impl<B: BufMut> RegistryEncoder<'_, B> {
    /// Writes a series without exemplars into the buffer's spare room (see [`Room`]) when it has room
    /// for the series' longest possible text; returns `false`, having written nothing, otherwise.
    /// [`Self::series_lines`] writes the same text through `BufMut`.
    #[inline(always)]
    fn series_in_room(&mut self, series: &SeriesView<'_>, labels: &[u8]) -> bool {
        let openmetrics = self.format == Format::OpenMetrics;
        // Any line: opening, labels, `} `, then a number or a created time and `\n`.
        let line = self.opening_room + labels.len() + 2 + NUMBER_ROOM.max(CREATED_ROOM);
        let prefixes = &self.prefixes;
        let mut room = match &series.point {
            Point::Gauge(value) => {
                let Some(mut room) = Room::new(&mut *self.buf, line) else { return false };
                open(&mut room, &prefixes[Line::Plain as usize], labels);
                room.value(*value, openmetrics);
                room.put_array(*b"\n");
                room.done();
                return true;
            }
            Point::Counter(counter) => {
                if openmetrics && counter.with_exemplar(|_| ()).is_some() {
                    return false;
                }
                let Some(mut room) = Room::new(&mut *self.buf, 2 * line) else { return false };
                open(&mut room, &prefixes[Line::Total as usize], labels);
                match counter.whole() {
                    Some(whole) => room.whole(whole, openmetrics),
                    None => room.value(counter.value(), openmetrics),
                }
                room.put_array(*b"\n");
                room
            }
            Point::Histogram(histogram) => {
                if openmetrics && !histogram.never_had_exemplars() {
                    return false;
                }
                // Each bucket line opens as `bucket_prefix` says: written into the room for the first
                // bucket, then repeated from there (nothing built per series outside the room).
                let opening = &prefixes[Line::Bucket as usize].with_labels;
                let prefix_len = opening.len() + if labels.is_empty() { 0 } else { labels.len() + 1 };
                let bucket_line = prefix_len + self.le_room + NUMBER_ROOM;
                let need = self.le_tails.len() * bucket_line + 3 * line;
                let Some(mut room) = Room::new(&mut *self.buf, need) else { return false };
                let mut lines = histogram.cumulative_counts().zip(self.le_tails.iter());
                let mut count = 0;
                let prefix_at = room.written();
                if let Some((cumulative, tail)) = lines.next() {
                    room.put(opening);
                    if !labels.is_empty() {
                        room.put(labels);
                        room.put_array(*b",");
                    }
                    room.put(tail);
                    room.count(cumulative, openmetrics);
                    room.put_array(*b"\n");
                    count = cumulative;
                }
                for (cumulative, tail) in lines {
                    room.repeat(prefix_at, prefix_len);
                    room.put(tail);
                    room.count(cumulative, openmetrics);
                    room.put_array(*b"\n");
                    count = cumulative;
                }
                sum_count_in_room(&mut room, prefixes, labels, histogram.sum(), count, openmetrics);
                room
            }
            Point::Summary { sum, count } => {
                let Some(mut room) = Room::new(&mut *self.buf, 3 * line) else { return false };
                sum_count_in_room(&mut room, prefixes, labels, *sum, *count, openmetrics);
                room
            }
        };
        if openmetrics {
            open(&mut room, &prefixes[Line::Created as usize], labels);
            let created = &mut self.created;
            if created.seconds != Some(series.created.to_bits()) {
                created.set(series.created);
            }
            room.put(&created.text[..created.len]);
        }
        room.done();
        true
    }

    #[inline(always)]
    fn series_lines(&mut self, _family: &FamilyView<'_>, series: &SeriesView<'_>, labels: &[u8]) {
        let openmetrics = self.format == Format::OpenMetrics;
        match &series.point {
            Point::Gauge(value) => {
                self.prefix(Line::Plain, labels);
                put_number(self.buf, true, |b| write_value(b, *value, openmetrics));
                return;
            }
            Point::Counter(counter) => {
                self.prefix(Line::Total, labels);
                let exemplar = openmetrics && counter.with_exemplar(|_| ()).is_some();
                // client_golang writes a counter as a float in both formats (`3`, `3.0`, `1.2e+07`).
                match counter.whole() {
                    Some(whole) => put_number(self.buf, !exemplar, |b| write_whole(b, whole, openmetrics)),
                    None => put_number(self.buf, !exemplar, |b| write_value(b, counter.value(), openmetrics)),
                }
                if exemplar {
                    counter.with_exemplar(|exemplar| write_exemplar(self.buf, exemplar, self.escaping));
                    self.buf.put_u8(b'\n');
                }
            }
            Point::Histogram(histogram) => {
                let prefix = &mut self.bucket_prefix;
                bucket_prefix(prefix, &self.name, self.quoted, labels);
                let buf = &mut *self.buf;
                let mut count = 0;
                for (bucket, (cumulative, tail)) in
                    histogram.cumulative_counts().zip(self.le_tails.iter()).enumerate()
                {
                    put_short(buf, prefix);
                    put_short(buf, tail);
                    if openmetrics && histogram.with_exemplar(bucket, |_| ()).is_some() {
                        write_count(buf, cumulative, openmetrics);
                        histogram
                            .with_exemplar(bucket, |exemplar| write_exemplar(buf, exemplar, self.escaping));
                        buf.put_u8(b'\n');
                    } else {
                        put_number(buf, true, |b| write_count(b, cumulative, openmetrics));
                    }
                    count = cumulative;
                }
                self.sum_count(labels, histogram.sum(), count, openmetrics);
            }
            Point::Summary { sum, count } => self.sum_count(labels, *sum, *count, openmetrics),
        }
        if openmetrics {
            self.prefix(Line::Created, labels);
            let created = &mut self.created;
            if created.seconds != Some(series.created.to_bits()) {
                created.set(series.created);
            }
            put_short(self.buf, &created.text[..created.len]);
        }
    }

    #[inline(always)]
    fn sum_count(&mut self, labels: &[u8], sum: f64, count: u64, openmetrics: bool) {
        self.prefix(Line::Sum, labels);
        put_number(self.buf, true, |b| write_value(b, sum, openmetrics));
        self.prefix(Line::Count, labels);
        put_number(self.buf, true, |b| write_count(b, count, openmetrics));
    }
}

/// Writes the series' label set (`a="x",b="y"`), names as `escaping` says.
fn render_labels(
    out: &mut Vec<u8>,
    family: &FamilyView<'_>,
    series: &SeriesView<'_>,
    escaping: NameEscaping,
) {
    for (i, (name, value)) in family.label_names.iter().zip(series.label_values()).enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_label_name(out, name, escaping);
        out.extend_from_slice(b"=\"");
        write_label_value(out, &value);
        out.push(b'"');
    }
}
