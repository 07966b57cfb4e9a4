//! Runs every shared log-parsing vector in tests/vectors/logs/*.json (the same files the Python and Node
//! tests run) against the Rust parsers. See tests/vectors/logs/README.md for the case format.
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use srekit::logs::{FieldType, LogFormat, Parser, ParserOptions};

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/logs")
}

fn decode_base64(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for b in text.bytes().filter(|b| *b != b'=') {
        let v = ALPHABET.iter().position(|a| *a == b).expect("base64 digit") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

fn build_parser(case: &Json) -> Parser {
    let format_name = case["format"].as_str().unwrap();
    let options_json = case.get("options").cloned().unwrap_or(Json::Null);
    let format = if format_name == "regex" {
        LogFormat::Regex(options_json["regex"].as_str().expect("regex cases need options.regex").to_owned())
    } else {
        LogFormat::from_name(format_name).unwrap_or_else(|| panic!("unknown format {format_name}"))
    };
    let mut options = ParserOptions::new(format);
    if let Some(types) = options_json.get("types").and_then(Json::as_object) {
        for (field, type_name) in types {
            let field_type = FieldType::parse(type_name.as_str().unwrap()).unwrap();
            options.types.push((field.clone(), field_type));
        }
    }
    options.time_key = options_json.get("time_key").and_then(Json::as_str).map(str::to_owned);
    options.time_format = options_json.get("time_format").and_then(Json::as_str).map(str::to_owned);
    options.lossy_utf8 = options_json.get("lossy_utf8").and_then(Json::as_bool).unwrap_or(false);
    if let Some(max) = options_json.get("max_line_length").and_then(Json::as_u64) {
        options.max_line_length = max as usize;
    }
    Parser::new(options).unwrap()
}

/// Runs one case; returns a description of the mismatch, if any.
fn run_case(case: &Json) -> Result<(), String> {
    let parser = build_parser(case);
    let input: Vec<u8> = match (case.get("input"), case.get("input_base64")) {
        (Some(Json::String(s)), _) => s.as_bytes().to_vec(),
        (_, Some(Json::String(b))) => decode_base64(b),
        _ => return Err("case has neither input nor input_base64".into()),
    };
    let result = parser.parse(&input);
    match (case.get("expect"), case.get("error"), result) {
        (Some(expect), None, Ok(record)) => {
            let got = record.to_json();
            if &got != expect {
                return Err(format!("expected {expect}\n   got {got}"));
            }
            if let Some(expected_ts) = case.get("timestamp") {
                match (expected_ts.as_f64(), record.timestamp) {
                    (None, None) => {}
                    (Some(e), Some(g)) if (e - g).abs() < 1e-6 => {}
                    (e, g) => return Err(format!("timestamp: expected {e:?}, got {g:?}")),
                }
            }
            if let Some(paths) = case.get("get").and_then(Json::as_object) {
                for (path, expected) in paths {
                    let got = record.get(path).map_or(Json::Null, |v| v.to_json());
                    if &got != expected {
                        return Err(format!("get({path:?}): expected {expected}, got {got}"));
                    }
                }
            }
            Ok(())
        }
        (None, Some(error), Err(err)) => {
            let contains = error["contains"].as_str().unwrap_or("");
            if !err.message.contains(contains) {
                return Err(format!("error {err:?} does not contain {contains:?}"));
            }
            if let Some(offset) = error.get("offset").and_then(Json::as_u64) {
                if err.offset as u64 != offset {
                    return Err(format!(
                        "error offset: expected {offset}, got {} ({})",
                        err.offset, err.message
                    ));
                }
            }
            Ok(())
        }
        (_, _, Ok(record)) => Err(format!("expected an error, got {}", record.to_json())),
        (_, _, Err(err)) => Err(format!("unexpected error: {err}")),
    }
}

#[test]
fn every_shared_vector_passes() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(vectors_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut total = 0;
    for file in &files {
        let cases: Vec<Json> = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        for case in &cases {
            total += 1;
            if let Err(why) = run_case(case) {
                let name = case["name"].as_str().unwrap_or("?");
                failures.push(format!("{} / {name}: {why}", file.file_name().unwrap().to_string_lossy()));
            }
        }
    }
    assert!(total > 100, "expected over 100 vectors, found {total}");
    assert!(failures.is_empty(), "{} of {total} vectors failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_format_name_in_the_vectors_is_known() {
    for name in [
        "logfmt",
        "ltsv",
        "json",
        "nginx",
        "nginx-common",
        "apache",
        "apache-common",
        "syslog-rfc3164",
        "syslog-rfc5424",
    ] {
        assert_eq!(LogFormat::from_name(name).map(|f| f.name()), Some(name));
    }
}
