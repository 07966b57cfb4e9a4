//! `srekit-exporter parse`: log lines (files or stdin) to NDJSON on stdout, one object per good line;
//! each bad line is reported on stderr with its file and line number, and the good lines around it are
//! still printed. Exit status: 0 when every line parsed, 1 when some did not, 2 on usage or I/O errors.

use std::io::{self, BufWriter, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use srekit::logs::{LineSplitter, LogFormat, Parser, ParserOptions, SplitEvent};

/// Flags of the `parse` subcommand.
#[derive(Debug, Clone, Args)]
pub struct ParseArgs {
    /// logfmt, ltsv, json, regex, nginx, nginx-common, apache, apache-common, syslog-rfc3164, syslog-rfc5424.
    #[arg(long)]
    pub format: String,
    /// The pattern (with named groups) for `--format regex`.
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
    /// Files to read; standard input when none.
    pub files: Vec<PathBuf>,
}

fn parser_for(args: &ParseArgs) -> Result<Parser, String> {
    let format = if args.format == "regex" {
        let pattern = args.regex.clone().ok_or("--format regex needs --regex PATTERN")?;
        LogFormat::Regex(pattern)
    } else {
        LogFormat::from_name(&args.format).ok_or_else(|| format!("unknown --format {:?}", args.format))?
    };
    let mut options = ParserOptions::new(format);
    for spec in &args.types {
        let (field, type_name) =
            spec.split_once('=').ok_or_else(|| format!("--type {spec:?}: expected FIELD=TYPE"))?;
        options.set_type(field, type_name).map_err(|e| format!("--type {spec:?}: {e}"))?;
    }
    options.time_key = args.time_key.clone();
    options.time_format = args.time_format.clone();
    options.lossy_utf8 = args.lossy_utf8;
    Parser::new(options).map_err(|e| e.to_string())
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
        match parse_stream(&parser, &name, reader, &mut out) {
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

/// Parses one stream chunk by chunk; returns the number of bad lines.
fn parse_stream(parser: &Parser, name: &str, mut reader: impl Read, out: &mut impl Write) -> io::Result<u64> {
    let mut splitter = LineSplitter::new(parser.options().max_line_length);
    let mut chunk = vec![0u8; 256 * 1024];
    let mut bad = 0u64;
    let mut write_error: Option<io::Error> = None;
    let mut on_event = |event: SplitEvent<'_>| {
        if write_error.is_some() {
            return;
        }
        let outcome = match event {
            SplitEvent::Line { line: [], .. } => Ok(()),
            SplitEvent::Line { number, line } => match parser.parse(line) {
                Ok(record) => serde_json::to_writer(&mut *out, &record.to_json())
                    .map_err(io::Error::from)
                    .and_then(|()| out.write_all(b"\n")),
                Err(err) => {
                    bad += 1;
                    eprintln!("{name}: line {number}: {err}");
                    Ok(())
                }
            },
            SplitEvent::TooLong { number, length } => {
                bad += 1;
                eprintln!(
                    "{name}: line {number}: skipped, {length} bytes is longer than the maximum line length"
                );
                Ok(())
            }
        };
        if let Err(err) = outcome {
            write_error = Some(err);
        }
    };
    loop {
        let read = match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(read) => read,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        splitter.push(&chunk[..read], &mut on_event);
    }
    splitter.finish(&mut on_event);
    match write_error {
        Some(err) => Err(err),
        None => Ok(bad),
    }
}
