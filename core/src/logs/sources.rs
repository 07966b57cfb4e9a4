//! [`FileContexts`]: what an input keeps per file it follows — the framing state (container pieces
//! waiting for their final piece, open multi-line events; kept per path, so a file rotated in the middle
//! of a partial line continues in its successor) and the fields the file adds to its records (Kubernetes
//! metadata from its name, its path, the input's constant fields).

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::config::InputConfig;
use super::framing::{Framed, Framer};
use super::kubernetes::PodInfo;
use super::parser::Parser;
use super::pipeline::{recycle, Field};
use super::record::Record;
use super::value::Value;

/// What became of one line or event of a file.
#[derive(Debug)]
pub enum SourceItem<'r, 'a> {
    /// A parsed record (with the file's fields).
    Record(&'r Record<'a>),
    /// A line or envelope that failed to parse.
    ParseError,
    /// A joined message over the maximum length, skipped.
    TooLong,
}

/// The per-file state of one input.
///
/// ```
/// use srekit::logs::{config::InputConfig, sources::{FileContexts, SourceItem}};
///
/// let input: InputConfig = toml::from_str(r#"
///     name = "k8s"
///     paths = ["/var/log/containers/*.log"]
///     format = "logfmt"
///     container = "cri"
///     kubernetes = true
///     fields = { cluster = "prod" }
///     path_field = "file"
/// "#).unwrap();
/// let parser = input.parser.build().unwrap();
/// let mut contexts = FileContexts::new(&input);
/// let path = std::path::Path::new("/var/log/containers/web-1_shop_app-abc123.log");
/// let mut seen = Vec::new();
/// for line in [&b"2024-05-01T10:00:00Z stdout P status="[..], b"2024-05-01T10:00:00Z stdout F 200"] {
///     contexts.line(&parser, path, line, std::time::Instant::now(), |item| {
///         if let SourceItem::Record(record) = item { seen.push(record.to_json()) }
///     });
/// }
/// assert_eq!(seen, [serde_json::json!({
///     "status": "200", "stream": "stdout", "time": "2024-05-01T10:00:00Z",
///     "kubernetes.namespace": "shop", "kubernetes.pod": "web-1", "kubernetes.container": "app",
///     "kubernetes.container_id": "abc123", "file": "/var/log/containers/web-1_shop_app-abc123.log",
///     "cluster": "prod",
/// })]);
/// ```
#[derive(Debug)]
pub struct FileContexts {
    kubernetes: bool,
    path_field: Option<String>,
    constants: Vec<(String, String)>,
    /// Per file, looked up on every line: a fast (seeded) hasher, the path hashed once per lookup.
    files: HashMap<PathBuf, FileContext, foldhash::fast::RandomState>,
    /// The (empty) field buffer records are parsed into, kept between lines.
    spare: Vec<Field<'static>>,
}

#[derive(Debug)]
struct FileContext {
    framer: Option<Framer>,
    fields: Vec<(Cow<'static, str>, String)>,
}

impl FileContexts {
    /// The contexts of `input`'s files (none yet).
    ///
    /// ```
    /// let input: srekit::logs::config::InputConfig = toml::from_str("name = \"a\"\npaths = []").unwrap();
    /// assert!(srekit::logs::sources::FileContexts::new(&input).is_plain());
    /// ```
    pub fn new(input: &InputConfig) -> FileContexts {
        FileContexts {
            kubernetes: input.kubernetes,
            path_field: input.path_field.clone(),
            constants: input.fields.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            files: HashMap::default(),
            spare: Vec::with_capacity(32),
        }
    }

    /// Whether files add no fields (with an unframed parser, lines can be parsed as they come).
    ///
    /// ```
    /// let input: srekit::logs::config::InputConfig = toml::from_str("name = \"a\"\npaths = []\nkubernetes = true").unwrap();
    /// assert!(!srekit::logs::sources::FileContexts::new(&input).is_plain());
    /// ```
    pub fn is_plain(&self) -> bool {
        !self.kubernetes && self.path_field.is_none() && self.constants.is_empty()
    }

    fn context(&mut self, parser: &Parser, path: &Path) -> &mut FileContext {
        if !self.files.contains_key(path) {
            let mut fields: Vec<(Cow<'static, str>, String)> = Vec::new();
            if self.kubernetes {
                if let Some(info) = PodInfo::from_path(path) {
                    fields.extend(info.fields().into_iter().map(|(k, v)| (Cow::Borrowed(k), v)));
                }
            }
            if let Some(field) = &self.path_field {
                fields.push((Cow::Owned(field.clone()), path.to_string_lossy().into_owned()));
            }
            fields.extend(self.constants.iter().map(|(k, v)| (Cow::Owned(k.clone()), v.clone())));
            let framer = parser.framing().map(|framing| framing.framer());
            self.files.insert(path.to_path_buf(), FileContext { framer, fields });
        }
        // Inserted just above when missing.
        self.files.get_mut(path).unwrap_or_else(|| unreachable!())
    }

    /// Handles one line of the file at `path`, read at `now`: framed, parsed, given the file's fields
    /// and handed to `on_item` (nothing yet while pieces or an event wait for more lines).
    pub fn line(
        &mut self,
        parser: &Parser,
        path: &Path,
        line: &[u8],
        now: Instant,
        mut on_item: impl FnMut(SourceItem<'_, '_>),
    ) {
        let mut spare = std::mem::take(&mut self.spare);
        let FileContext { framer, fields } = self.context(parser, path);
        match (framer, parser.framing()) {
            (Some(framer), Some(framing)) => framer.push_line(framing, 0, 0, line, now, |framed| {
                framed_item(parser, fields, &mut spare, framed, &mut on_item)
            }),
            _ if line.is_empty() => {}
            _ => {
                parse_with_fields(&mut spare, fields, &mut on_item, |record| parser.parse_into(line, record))
            }
        }
        self.spare = spare;
    }

    /// Whether some file has a piece or an event not emitted yet (a multi-line event waits for its
    /// timeout: the caller must poll again soon).
    pub fn has_pending(&self) -> bool {
        self.files.values().any(|context| context.framer.as_ref().is_some_and(Framer::has_pending))
    }

    /// Emits the multi-line events that had no new line for their timeout by `now`, and forgets files
    /// that are no longer followed (`open`: the paths followed, open or waiting for their turn) and wait
    /// for nothing.
    pub fn flush_idle(
        &mut self,
        parser: &Parser,
        now: Instant,
        open: &[&Path],
        mut on_item: impl FnMut(SourceItem<'_, '_>),
    ) {
        let Some(framing) = parser.framing() else {
            if self.files.len() > open.len() {
                let open: std::collections::HashSet<&Path> = open.iter().copied().collect();
                self.files.retain(|path, _| open.contains(path.as_path()));
            }
            return;
        };
        for context in self.files.values_mut() {
            let FileContext { framer, fields } = context;
            if let Some(framer) = framer {
                let spare = &mut self.spare;
                framer.flush_idle(framing, now, |framed| {
                    framed_item(parser, fields, spare, framed, &mut on_item)
                });
            }
        }
        if self.files.len() > open.len() {
            let open: std::collections::HashSet<&Path> = open.iter().copied().collect();
            self.files.retain(|path, context| {
                open.contains(path.as_path()) || context.framer.as_ref().is_some_and(Framer::has_pending)
            });
        }
    }

    /// Emits everything still waiting (at shutdown).
    pub fn finish(&mut self, parser: &Parser, mut on_item: impl FnMut(SourceItem<'_, '_>)) {
        let Some(framing) = parser.framing() else { return };
        for context in self.files.values_mut() {
            let FileContext { framer, fields } = context;
            if let Some(framer) = framer {
                let spare = &mut self.spare;
                framer.finish(framing, |framed| framed_item(parser, fields, spare, framed, &mut on_item));
            }
        }
    }
}

fn framed_item(
    parser: &Parser,
    fields: &[(Cow<'static, str>, String)],
    spare: &mut Vec<Field<'static>>,
    framed: Framed<'_>,
    on_item: &mut impl FnMut(SourceItem<'_, '_>),
) {
    match framed {
        Framed::TooLong { .. } => on_item(SourceItem::TooLong),
        Framed::Error { .. } => on_item(SourceItem::ParseError),
        // An empty message is skipped, as an empty line is.
        Framed::Message(message) if message.text.is_empty() => {}
        Framed::Message(message) => {
            parse_with_fields(spare, fields, on_item, |record| parser.parse_message_into(&message, record))
        }
    }
}

/// Parses into a record reusing `spare`'s buffer, adds the file's fields and hands it on.
fn parse_with_fields<'a>(
    spare: &mut Vec<Field<'static>>,
    fields: &'a [(Cow<'static, str>, String)],
    on_item: &mut impl FnMut(SourceItem<'_, '_>),
    parse: impl FnOnce(&mut Record<'a>) -> Result<(), super::LineError>,
) {
    let mut record = Record { fields: recycle(std::mem::take(spare)), timestamp: None };
    match parse(&mut record) {
        Ok(()) => {
            add_fields(&mut record, fields);
            on_item(SourceItem::Record(&record));
        }
        Err(_) => on_item(SourceItem::ParseError),
    }
    *spare = recycle(record.fields);
}

fn add_fields<'a>(record: &mut Record<'a>, fields: &'a [(Cow<'static, str>, String)]) {
    for (name, value) in fields {
        record.fields.push((Cow::Borrowed(name.as_ref()), Value::Str(Cow::Borrowed(value.as_str()))));
    }
}
