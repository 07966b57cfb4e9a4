//! Parser for Prometheus text 0.0.4 and OpenMetrics 1.0 into [`MetricFamily`] values, with errors
//! naming line and column. It accepts what our encoder writes, what node_exporter writes (Go float forms
//! such as `1e+06`), and Prometheus 3's quoted UTF-8 names (`{"http.server.duration", "k.8s"="x"} 1`).

use std::collections::HashMap;

use super::Format;
use crate::error::ParseError;
use crate::metrics::{Exemplar, Label, MetricFamily, MetricType, Sample, Suffix};

/// Parses exposition text, detecting OpenMetrics by its `# EOF` line (text 0.0.4 otherwise).
///
/// ```
/// let families = srekit::expfmt::parse_text(
///     "# TYPE node_load1 gauge\nnode_load1 0.5\n# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"b\"} 1e+06\n",
/// ).unwrap();
/// assert_eq!(families.len(), 2);
/// assert_eq!(families[1].name, "x");
/// assert_eq!(families[1].samples[0].value, 1e6);
/// ```
pub fn parse_text(text: &str) -> Result<Vec<MetricFamily>, ParseError> {
    let is_openmetrics = text.lines().any(|line| line.trim_end() == "# EOF");
    parse(text, if is_openmetrics { Format::OpenMetrics } else { Format::Text })
}

/// Parses exposition text in the given format. OpenMetrics input must end with `# EOF`.
///
/// ```
/// use srekit::expfmt::{parse, Format};
/// let err = parse("a 1\n", Format::OpenMetrics).unwrap_err();
/// assert!(err.message.contains("# EOF"));
/// let ok = parse("# TYPE a counter\na_total 1 # {trace_id=\"x\"} 1 1.5\n# EOF\n", Format::OpenMetrics).unwrap();
/// assert_eq!(ok[0].samples[0].exemplar.as_ref().unwrap().labels[0].1, "x");
/// ```
pub fn parse(text: &str, format: Format) -> Result<Vec<MetricFamily>, ParseError> {
    let mut parser = Parser { format, families: Vec::new(), declared: HashMap::new(), saw_eof: false };
    let mut line_count = 0;
    for (index, raw_line) in text.split('\n').enumerate() {
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        line_count = index + 1;
        parser.line(line, index + 1)?;
    }
    if format == Format::OpenMetrics && !parser.saw_eof {
        return Err(ParseError {
            line: line_count,
            column: 1,
            message: "OpenMetrics input must end with # EOF".into(),
        });
    }
    Ok(parser.families)
}

struct Parser {
    format: Format,
    families: Vec<MetricFamily>,
    /// Names given in metadata lines (and base names) -> family index.
    declared: HashMap<String, usize>,
    saw_eof: bool,
}

const SUFFIXES: [Suffix; 8] = [
    Suffix::Total,
    Suffix::Created,
    Suffix::Bucket,
    Suffix::Sum,
    Suffix::Count,
    Suffix::Gcount,
    Suffix::Gsum,
    Suffix::Info,
];

impl Parser {
    fn line(&mut self, line: &str, line_no: usize) -> Result<(), ParseError> {
        let openmetrics = self.format == Format::OpenMetrics;
        if self.saw_eof {
            if line.is_empty() {
                return Ok(());
            }
            return Err(ParseError { line: line_no, column: 1, message: "content after # EOF".into() });
        }
        let trimmed = line.trim_start_matches([' ', '\t']);
        if trimmed.is_empty() {
            return Ok(());
        }
        let mut cur = Cursor { line, pos: line.len() - trimmed.len(), line_no };
        if trimmed.starts_with('#') {
            return self.comment(&mut cur, openmetrics);
        }
        self.sample(&mut cur, openmetrics)
    }

    fn comment(&mut self, cur: &mut Cursor<'_>, openmetrics: bool) -> Result<(), ParseError> {
        cur.pos += 1;
        let rest = &cur.line[cur.pos..];
        if rest.trim_end() == " EOF" {
            if openmetrics {
                self.saw_eof = true;
            }
            return Ok(());
        }
        cur.skip_blanks();
        let keyword_start = cur.pos;
        let keyword = cur.take_while(|b| b.is_ascii_alphabetic());
        let kind = match keyword {
            "HELP" => 0,
            "TYPE" => 1,
            "UNIT" => 2,
            _ if openmetrics => {
                cur.pos = keyword_start;
                return Err(cur.error("expected HELP, TYPE, UNIT or EOF after '#'"));
            }
            _ => return Ok(()), // a plain comment in text 0.0.4
        };
        if !cur.skip_blanks() {
            return Err(cur.error("expected a space after the keyword"));
        }
        let name = if cur.peek() == Some(b'"') { cur.quoted()? } else { cur.metric_name()?.to_string() };
        let has_space = cur.skip_one_blank();
        let rest = &cur.line[cur.pos..];
        match kind {
            0 => {
                let help = if has_space { unescape_help(rest, openmetrics, cur)? } else { String::new() };
                let index = self.declare(&name);
                self.families[index].help = help;
            }
            1 => {
                let type_text = rest.trim();
                let kind = MetricType::parse(type_text)
                    .filter(|kind| {
                        openmetrics || !matches!(kind, MetricType::Unknown) || type_text == "untyped"
                    })
                    .ok_or_else(|| cur.error(&format!("unknown metric type {type_text:?}")))?;
                let index = self.declare(&name);
                let family = &mut self.families[index];
                if !family.samples.is_empty() {
                    return Err(cur.error(&format!("TYPE line for {name:?} after its samples")));
                }
                family.kind = kind;
                let base = match kind {
                    MetricType::Counter => name.strip_suffix("_total").unwrap_or(&name),
                    MetricType::Info => name.strip_suffix("_info").unwrap_or(&name),
                    _ => &name,
                }
                .to_string();
                if base != family.name {
                    family.name = base.clone();
                    self.declared.insert(base, index);
                }
            }
            _ => {
                let index = self.declare(&name);
                self.families[index].unit = rest.trim().to_string();
            }
        }
        Ok(())
    }

    /// The family declared under `name`, created (untyped) when new.
    fn declare(&mut self, name: &str) -> usize {
        if let Some(&index) = self.declared.get(name) {
            return index;
        }
        self.families.push(MetricFamily::new(name, "", MetricType::Unknown));
        let index = self.families.len() - 1;
        self.declared.insert(name.to_string(), index);
        index
    }

    /// Finds the family and suffix a sample named `name` belongs to, creating an untyped family if none.
    fn family_for(&mut self, name: &str) -> (usize, Suffix) {
        if let Some(last) = self.families.len().checked_sub(1) {
            if let Some(suffix) = matching_suffix(&self.families[last], name) {
                return (last, suffix);
            }
        }
        if let Some(&index) = self.declared.get(name) {
            if let Some(suffix) = matching_suffix(&self.families[index], name) {
                return (index, suffix);
            }
        }
        for suffix in SUFFIXES {
            if let Some(base) = name.strip_suffix(suffix.as_str()) {
                if let Some(&index) = self.declared.get(base) {
                    if let Some(found) = matching_suffix(&self.families[index], name) {
                        return (index, found);
                    }
                }
            }
        }
        self.families.push(MetricFamily::new(name, "", MetricType::Unknown));
        let index = self.families.len() - 1;
        self.declared.insert(name.to_string(), index);
        (index, Suffix::None)
    }

    fn sample(&mut self, cur: &mut Cursor<'_>, openmetrics: bool) -> Result<(), ParseError> {
        let mut name: Option<String> = None;
        if cur.peek() != Some(b'{') {
            name = Some(cur.metric_name()?.to_string());
        }
        let mut spaced = cur.skip_blanks();
        let mut labels = Vec::new();
        if cur.peek() == Some(b'{') {
            labels = cur.labels(if name.is_none() { Some(&mut name) } else { None })?;
            spaced = cur.skip_blanks();
        }
        let Some(name) = name else {
            return Err(cur.error("expected a metric name"));
        };
        if !spaced {
            return Err(cur.error("expected a space before the value"));
        }
        let value = cur.float("value")?;
        let mut timestamp = None;
        let mut exemplar = None;
        if cur.skip_blanks() && !cur.at_end() && cur.peek() != Some(b'#') {
            timestamp = Some(cur.timestamp(openmetrics)?);
            cur.skip_blanks();
        }
        if openmetrics && cur.peek() == Some(b'#') {
            cur.pos += 1;
            if !cur.skip_blanks() {
                return Err(cur.error("expected a space after '#' before the exemplar"));
            }
            if cur.peek() != Some(b'{') {
                return Err(cur.error("expected '{' to start the exemplar's labels"));
            }
            let exemplar_labels = cur.labels(None)?;
            if !cur.skip_blanks() {
                return Err(cur.error("expected a space before the exemplar value"));
            }
            let exemplar_value = cur.float("exemplar value")?;
            let mut exemplar_ts = None;
            if cur.skip_blanks() && !cur.at_end() {
                exemplar_ts = Some(cur.float("exemplar timestamp")?);
                cur.skip_blanks();
            }
            exemplar =
                Some(Exemplar { labels: exemplar_labels, value: exemplar_value, timestamp: exemplar_ts });
        }
        if !cur.at_end() {
            return Err(cur.error("unexpected text after the sample"));
        }
        let (index, suffix) = self.family_for(&name);
        self.families[index].samples.push(Sample { suffix, labels, value, timestamp, exemplar });
        Ok(())
    }
}

fn matching_suffix(family: &MetricFamily, name: &str) -> Option<Suffix> {
    let rest = name.strip_prefix(family.name.as_str())?;
    Suffix::allowed_for(family.kind).iter().copied().find(|suffix| suffix.as_str() == rest)
}

fn unescape_help(text: &str, openmetrics: bool, cur: &Cursor<'_>) -> Result<String, ParseError> {
    if !text.contains('\\') {
        return Ok(text.to_string());
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('n') => out.push('\n'),
            Some('"') if openmetrics => out.push('"'),
            Some(other) if !openmetrics => {
                out.push('\\');
                out.push(other);
            }
            Some(other) => return Err(cur.error(&format!("invalid escape \\{other} in HELP text"))),
            None => out.push('\\'),
        }
    }
    Ok(out)
}

/// A position in one line; every error it makes names the line and the 1-based byte column.
struct Cursor<'a> {
    line: &'a str,
    pos: usize,
    line_no: usize,
}

impl<'a> Cursor<'a> {
    fn error(&self, message: &str) -> ParseError {
        ParseError { line: self.line_no, column: self.pos + 1, message: message.to_string() }
    }

    fn peek(&self) -> Option<u8> {
        self.line.as_bytes().get(self.pos).copied()
    }

    fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    /// Skips spaces and tabs; true if any were skipped.
    fn skip_blanks(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn skip_one_blank(&mut self) -> bool {
        if matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
            return true;
        }
        false
    }

    fn take_while(&mut self, keep: impl Fn(u8) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&keep) {
            self.pos += 1;
        }
        &self.line[start..self.pos]
    }

    fn metric_name(&mut self) -> Result<&'a str, ParseError> {
        if !self.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':') {
            return Err(self.error("expected a metric name"));
        }
        Ok(self.take_while(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':'))
    }

    fn label_name(&mut self) -> Result<String, ParseError> {
        if self.peek() == Some(b'"') {
            return self.quoted();
        }
        if !self.peek().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_') {
            return Err(self.error("expected a label name"));
        }
        Ok(self.take_while(|b| b.is_ascii_alphanumeric() || b == b'_').to_string())
    }

    /// Reads `"..."` with the escapes `\\`, `\"` and `\n`.
    fn quoted(&mut self) -> Result<String, ParseError> {
        if self.peek() != Some(b'"') {
            return Err(self.error("expected '\"'"));
        }
        self.pos += 1;
        let bytes = self.line.as_bytes();
        let start = self.pos;
        let mut out: Option<String> = None;
        let mut run_start = start;
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b'"' => {
                    let value = match out {
                        Some(mut owned) => {
                            owned.push_str(&self.line[run_start..self.pos]);
                            owned
                        }
                        None => self.line[start..self.pos].to_string(),
                    };
                    self.pos += 1;
                    return Ok(value);
                }
                b'\\' => {
                    let owned = out.get_or_insert_with(String::new);
                    owned.push_str(&self.line[run_start..self.pos]);
                    let escaped = match bytes.get(self.pos + 1) {
                        Some(b'\\') => '\\',
                        Some(b'"') => '"',
                        Some(b'n') => '\n',
                        _ => return Err(self.error("invalid escape sequence in quoted string")),
                    };
                    owned.push(escaped);
                    self.pos += 2;
                    run_start = self.pos;
                }
                _ => self.pos += 1,
            }
        }
        Err(self.error("unterminated quoted string"))
    }

    /// Reads `{name="value",...}`. When `metric_name` is given, a lone quoted string is taken as the
    /// metric name (Prometheus 3 UTF-8 syntax).
    fn labels(&mut self, mut metric_name: Option<&mut Option<String>>) -> Result<Vec<Label>, ParseError> {
        self.pos += 1; // '{'
        let mut labels: Vec<Label> = Vec::new();
        loop {
            self.skip_blanks();
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(labels);
            }
            let name_start = self.pos;
            let quoted = self.peek() == Some(b'"');
            let name = self.label_name()?;
            self.skip_blanks();
            if quoted && matches!(self.peek(), Some(b',' | b'}')) {
                match metric_name.as_deref_mut() {
                    Some(slot @ None) if labels.is_empty() => *slot = Some(name),
                    _ => {
                        self.pos = name_start;
                        return Err(self.error("a quoted metric name may only come first inside '{'"));
                    }
                }
            } else {
                if self.peek() != Some(b'=') {
                    return Err(self.error("expected '=' after the label name"));
                }
                self.pos += 1;
                self.skip_blanks();
                let value = self.quoted()?;
                if labels.iter().any(|(existing, _)| *existing == name) {
                    self.pos = name_start;
                    return Err(self.error(&format!("duplicate label {name:?}")));
                }
                labels.push((name, value));
            }
            self.skip_blanks();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err(self.error("expected ',' or '}' in the label set")),
            }
        }
    }

    fn token(&mut self) -> &'a str {
        self.take_while(|b| b != b' ' && b != b'\t')
    }

    /// Reads a float in Go's accepted forms (`1e+06`, `+Inf`, `-Inf`, `NaN`, ...).
    fn float(&mut self, what: &str) -> Result<f64, ParseError> {
        let start = self.pos;
        let token = self.token();
        parse_go_float(token).ok_or_else(|| {
            self.pos = start;
            self.error(&format!("invalid {what} {token:?}"))
        })
    }

    /// Reads a timestamp: integer milliseconds in text 0.0.4, float seconds in OpenMetrics.
    fn timestamp(&mut self, openmetrics: bool) -> Result<f64, ParseError> {
        let start = self.pos;
        let token = self.token();
        let parsed = if openmetrics {
            parse_go_float(token).filter(|v| v.is_finite())
        } else {
            token.parse::<i64>().ok().map(|ms| ms as f64 / 1000.0)
        };
        parsed.ok_or_else(|| {
            self.pos = start;
            self.error(&format!("invalid timestamp {token:?}"))
        })
    }
}

/// Parses a float the way Go's `strconv.ParseFloat` does for the forms exposition text uses.
fn parse_go_float(token: &str) -> Option<f64> {
    if token.is_empty() || token.contains('_') {
        return None;
    }
    token.parse::<f64>().ok()
}
