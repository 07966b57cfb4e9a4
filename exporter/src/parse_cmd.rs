//! `srekit-exporter parse`: log lines (files or stdin) to NDJSON on stdout, one object per good line;
//! each bad line is reported on stderr with its file and line number, and the good lines around it are
//! still printed. A `--type` conversion that fails (`status=int` on `status=abc`) keeps the text, as in
//! Fluent Bit, and is warned about on stderr once per field, with the first line where it happened.
//! Exit status: 0 when every line parsed, 1 when some did not, 2 on usage or I/O errors.

use std::collections::BTreeSet;
use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use srekit::logs::{Feed, FeedItem, FieldType, MultilineSpec, Parser, ParserSpec, Record, Value};

/// Flags of the `parse` subcommand.
#[derive(Debug, Clone, Args)]
pub struct ParseArgs {
    /// logfmt, ltsv, json, regex, nginx, nginx-common, apache, apache-common, syslog-rfc3164, syslog-rfc5424, raw.
    #[arg(long)]
    pub format: String,
    /// The pattern (with named groups), or a preset name, for `--format regex`.
    #[arg(long)]
    pub regex: Option<String>,
    /// Field types, `field=int|float|bool|string` (repeatable).
    #[arg(long = "type", value_name = "FIELD=TYPE")]
    pub types: Vec<String>,
    /// The field holding the record's time.
    #[arg(long)]
    pub time_key: Option<String>,
    /// strptime-style format of the time field.
    #[arg(long)]
    pub time_format: Option<String>,
    /// Replace invalid UTF-8 instead of reporting the line.
    #[arg(long)]
    pub lossy_utf8: bool,
    /// Unwrap the container runtime's envelope first: cri, docker or auto (records get `stream` and
    /// `time`; split lines are joined).
    #[arg(long)]
    pub container: Option<String>,
    /// Multi-line events: a line matching this regex starts a new event.
    #[arg(long, conflicts_with = "multiline_preset")]
    pub multiline_start: Option<String>,
    /// Multi-line events: java, python or go stack traces.
    #[arg(long)]
    pub multiline_preset: Option<String>,
    /// Files to read; standard input when none.
    pub files: Vec<PathBuf>,
}

/// The parser the flags describe, built through the core's [`ParserSpec`] (which checks them).
fn parser_for(args: &ParseArgs) -> Result<Parser, String> {
    let mut spec = ParserSpec::new(args.format.clone());
    spec.regex = args.regex.clone();
    for entry in &args.types {
        let (field, type_name) =
            entry.split_once('=').ok_or_else(|| format!("--type {entry:?}: expected FIELD=TYPE"))?;
        spec.types.insert(field.to_owned(), type_name.to_owned());
    }
    spec.time_key = args.time_key.clone();
    spec.time_format = args.time_format.clone();
    spec.lossy_utf8 = args.lossy_utf8;
    spec.container = args.container.clone();
    if args.multiline_start.is_some() || args.multiline_preset.is_some() {
        spec.multiline = Some(MultilineSpec {
            start: args.multiline_start.clone(),
            preset: args.multiline_preset.clone(),
            ..MultilineSpec::default()
        });
    }
    spec.build().map_err(|e| e.to_string())
}

/// Runs the subcommand.
pub fn run(args: &ParseArgs) -> ExitCode {
    let parser = match parser_for(args) {
        Ok(parser) => parser,
        Err(message) => {
            eprintln!("srekit-exporter parse: {message}");
            return ExitCode::from(2);
        }
    };
    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(256 * 1024, stdout.lock());
    let mut bad_lines = 0u64;
    let mut type_warnings = TypeWarnings::default();
    let mut inputs: Vec<(String, Box<dyn Read>)> = Vec::new();
    if args.files.is_empty() {
        inputs.push(("<stdin>".to_string(), Box::new(io::stdin())));
    }
    for path in &args.files {
        match std::fs::File::open(path) {
            Ok(file) => inputs.push((path.display().to_string(), Box::new(file))),
            Err(err) => {
                eprintln!("srekit-exporter parse: {}: {err}", path.display());
                return ExitCode::from(2);
            }
        }
    }
    for (name, reader) in inputs {
        match parse_stream(&parser, &name, reader, &mut out, &mut type_warnings) {
            Ok(bad) => bad_lines += bad,
            Err(err) if err.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("srekit-exporter parse: {name}: {err}");
                return ExitCode::from(2);
            }
        }
    }
    if let Err(err) = out.flush() {
        if err.kind() != io::ErrorKind::BrokenPipe {
            eprintln!("srekit-exporter parse: {err}");
            return ExitCode::from(2);
        }
    }
    if bad_lines > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The fields whose `--type` conversion already failed once (each is warned about once per run).
#[derive(Default)]
struct TypeWarnings {
    warned: BTreeSet<String>,
}

impl TypeWarnings {
    /// Warns about each typed field of `record` whose value did not convert, the first time only.
    fn check(&mut self, parser: &Parser, record: &Record<'_>, name: &str, line: u64) {
        for (field, field_type) in &parser.options().types {
            if self.warned.contains(field) {
                continue;
            }
            let failed = record.fields.iter().rev().find(|(key, _)| key == field).map(|(_, value)| value);
            if let Some(value) = failed.filter(|value| !has_type(*field_type, value)) {
                eprintln!(
                    "{name}: line {line}: warning: field {field:?} = {:?} is not {}; kept as it is \
                     (said once per field)",
                    value.to_label_string(),
                    article(*field_type),
                );
                self.warned.insert(field.clone());
            }
        }
    }
}

/// Whether `value` is what a conversion to `field_type` produces.
fn has_type(field_type: FieldType, value: &Value<'_>) -> bool {
    matches!(
        (field_type, value),
        (FieldType::Int, Value::Int(_) | Value::UInt(_))
            | (FieldType::Float, Value::Float(_))
            | (FieldType::Bool, Value::Bool(_))
            | (FieldType::String, _)
    )
}

/// The type's name with its article: "an int", "a float".
fn article(field_type: FieldType) -> String {
    match field_type {
        FieldType::Int => "an int".to_owned(),
        other => format!("a {}", other.name()),
    }
}

/// Parses one stream chunk by chunk; returns the number of bad lines.
fn parse_stream(
    parser: &Parser,
    name: &str,
    mut reader: impl Read,
    out: &mut impl Write,
    type_warnings: &mut TypeWarnings,
) -> io::Result<u64> {
    let mut feed = Feed::for_parser(parser);
    let mut chunk = vec![0u8; 256 * 1024];
    let mut bad = 0u64;
    let mut write_error: Option<io::Error> = None;
    let mut on_item = |item: FeedItem<'_>| {
        if write_error.is_some() {
            return;
        }
        match item.result {
            Ok(record) => {
                type_warnings.check(parser, record, name, item.line);
                let written = serde_json::to_writer(&mut *out, &record.to_json())
                    .map_err(io::Error::from)
                    .and_then(|()| out.write_all(b"\n"));
                if let Err(err) = written {
                    write_error = Some(err);
                }
            }
            Err(err) => {
                bad += 1;
                eprintln!("{name}: line {}: {err}", item.line);
            }
        }
    };
    loop {
        let read = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        feed.parse(parser, &chunk[..read], &mut on_item);
    }
    feed.finish_parse(parser, &mut on_item);
    match write_error {
        Some(err) => Err(err),
        None => Ok(bad),
    }
}
