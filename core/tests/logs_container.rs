//! Runs the shared container-envelope and multi-line vectors (tests/vectors/container/cases.json, also
//! run by the Python and Node tests): every case fed through `Feed` in chunks of every size from one
//! byte to the whole input, and through `Parser::parse_many`; the records (with the line number of
//! their first line) and the errors must be the same every way. Also a generated CRI log with Java
//! traces at every chunk size up to 300 bytes, and a slow reader (timeouts are for live tails only).
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::path::Path;

use serde_json::Value as Json;
use srekit::logs::{Feed, FeedItem, ParserSpec};

fn cases() -> Vec<Json> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/container/cases.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The case's lines as the bytes of a file (each line ended by `\n`).
fn input(case: &Json) -> Vec<u8> {
    let mut data = Vec::new();
    for line in case["lines"].as_array().unwrap() {
        match line {
            Json::String(text) => data.extend_from_slice(text.as_bytes()),
            other => {
                let hex = other["hex"].as_str().unwrap();
                data.extend(
                    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()),
                );
            }
        }
        data.push(b'\n');
    }
    data
}

type Outcome = (Vec<(u64, Json)>, Vec<(u64, String)>);

fn expected(case: &Json) -> Outcome {
    let records = case["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["fields"].clone()))
        .collect();
    let errors = case["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["contains"].as_str().unwrap().to_owned()))
        .collect();
    (records, errors)
}

fn check(name: &str, how: &str, got: &Outcome, case: &Json) {
    let (records, errors) = expected(case);
    assert_eq!(got.0, records, "{name} ({how}): records");
    let lines: Vec<u64> = got.1.iter().map(|(line, _)| *line).collect();
    let wanted: Vec<u64> = errors.iter().map(|(line, _)| *line).collect();
    assert_eq!(lines, wanted, "{name} ({how}): error lines {:?}", got.1);
    for ((_, message), (_, text)) in got.1.iter().zip(&errors) {
        assert!(message.contains(text.as_str()), "{name} ({how}): {message:?} lacks {text:?}");
    }
}

#[test]
fn container_vectors_through_the_feed_at_every_chunk_size() {
    let cases = cases();
    assert!(cases.len() >= 10);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let parser = serde_json::from_value::<ParserSpec>(case["spec"].clone()).unwrap().build().unwrap();
        let data = input(case);
        // Every chunk size: a piece, an escape, a UTF-8 sequence and an event straddle some boundary.
        for size in 1..=data.len() {
            let mut got: Outcome = (Vec::new(), Vec::new());
            let mut on_item = |item: FeedItem<'_>| match item.result {
                Ok(record) => got.0.push((item.line, record.to_json())),
                Err(err) => got.1.push((item.line, err.to_string())),
            };
            let mut feed = Feed::for_parser(&parser);
            for chunk in data.chunks(size) {
                feed.parse(&parser, chunk, &mut on_item);
            }
            feed.finish_parse(&parser, &mut on_item);
            check(name, &format!("chunks of {size}"), &got, case);
        }
    }
}

#[test]
fn container_vectors_through_parse_many_and_parse_many_ref() {
    for case in &cases() {
        let name = case["name"].as_str().unwrap();
        let parser = serde_json::from_value::<ParserSpec>(case["spec"].clone()).unwrap().build().unwrap();
        let data = input(case);
        let mut got: Outcome = (Vec::new(), Vec::new());
        parser.parse_many(&data, |line, result| match result {
            Ok(record) => got.0.push((line as u64, record.to_json())),
            Err(err) => got.1.push((line as u64, err.to_string())),
        });
        check(name, "parse_many", &got, case);
        let mut got: Outcome = (Vec::new(), Vec::new());
        parser.parse_many_ref(&data, |line, result| match result {
            Ok(record) => got.0.push((line as u64, record.to_json())),
            Err(err) => got.1.push((line as u64, err.to_string())),
        });
        check(name, "parse_many_ref", &got, case);
    }
}

#[test]
fn unknown_container_and_bad_multiline_are_refused_with_their_reason() {
    let bad = |toml: &str| toml::from_str::<ParserSpec>(toml).unwrap().build().unwrap_err().to_string();
    assert!(bad("container = \"podman\"").contains("expected cri, docker, auto"));
    assert!(bad("[multiline]\nstart = \"(\"").contains("multiline: invalid `start` regex"));
    assert!(bad("[multiline]\npreset = \"java\"\ntimeout = \"0s\"").contains("more than zero"));
    assert!(bad("[multiline]\npreset = \"java\"\nmax_lines = 0").contains("max_lines"));
    assert!(toml::from_str::<ParserSpec>("[multiline]\npreset = \"java\"\nmax_line = 3").is_err());
}

/// Everything a feed reports for `data` cut into chunks of `size` bytes.
fn feed_in_chunks(parser: &srekit::logs::Parser, data: &[u8], size: usize) -> Outcome {
    let mut got: Outcome = (Vec::new(), Vec::new());
    let mut feed = Feed::for_parser(parser);
    for chunk in data.chunks(size).map(Some).chain([None]) {
        for (line, result) in feed.parse_owned(parser, chunk) {
            match result {
                Ok(record) => got.0.push((line, record.to_json())),
                Err(err) => got.1.push((line, err.to_string())),
            }
        }
    }
    got
}

#[test]
fn a_generated_cri_log_with_java_traces_parses_the_same_at_every_chunk_size() {
    // Both streams interleaved, partial pieces of varying length, Java traces split into pieces, bad
    // envelopes and over-long joined messages: every chunk size from 1 to 300 bytes gives the result
    // of one chunk, and memory never holds more than a line and the event being joined.
    let spec = srekit::logs::MultilineSpec { preset: Some("java".into()), ..Default::default() };
    let parser = ParserSpec {
        container: Some("cri".into()),
        multiline: Some(spec),
        max_line_length: 200,
        ..ParserSpec::new("raw")
    }
    .build()
    .unwrap();
    let mut data = Vec::new();
    for i in 0..120usize {
        let (stream, other) = if i % 3 == 0 { ("stderr", "stdout") } else { ("stdout", "stderr") };
        let time = format!("2024-05-01T10:00:{:02}.{:09}Z", i % 60, i);
        let text = format!("Exception in thread \"main\" java.lang.IllegalStateException: case {i} é");
        let cut = (i * 7) % text.len();
        let cut = (0..=cut).rev().find(|&c| text.is_char_boundary(c)).unwrap_or(0);
        data.extend(format!("{time} {stream} P {}\n", &text[..cut]).bytes());
        data.extend(format!("{time} {other} F info {i}\n").bytes());
        data.extend(format!("{time} {stream} F {}\n", &text[cut..]).bytes());
        data.extend(format!("{time} {stream} F \tat com.example.App.run(App.java:{i})\n").bytes());
        if i % 17 == 0 {
            data.extend(format!("{time} {stream} F \tat {}\n", "x".repeat(250)).bytes());
        }
        if i % 29 == 0 {
            data.extend(b"not an envelope\n");
        }
    }
    let whole = feed_in_chunks(&parser, &data, data.len());
    assert!(whole.0.len() > 200 && !whole.1.is_empty(), "{} records, {:?}", whole.0.len(), whole.1);
    assert!(whole.1.iter().any(|(_, e)| e.contains("line too long")));
    assert!(whole.1.iter().any(|(_, e)| e.contains("CRI log line")));
    let mut many: Outcome = (Vec::new(), Vec::new());
    parser.parse_many(&data, |line, result| match result {
        Ok(record) => many.0.push((line as u64, record.to_json())),
        Err(err) => many.1.push((line as u64, err.to_string())),
    });
    assert_eq!(many, whole, "parse_many");
    for size in 1..=300 {
        assert_eq!(feed_in_chunks(&parser, &data, size), whole, "chunks of {size}");
    }
}

#[test]
fn a_slow_reader_does_not_cut_events_by_timeout_only_a_live_tail_does() {
    // `timeout` is for live tails (`Feed::flush_idle`); parsing a stream chunk by chunk, however long
    // between chunks, gives the events of one chunk, and the end of the stream emits the open one.
    let spec =
        srekit::logs::MultilineSpec { start: Some("^S".into()), timeout: "1ms".into(), ..Default::default() };
    let parser = ParserSpec { multiline: Some(spec), ..ParserSpec::new("raw") }.build().unwrap();
    let data = b"S one\n more\nS two\n more\n and more\n";
    for size in [1, 4, 9] {
        let mut got = Vec::new();
        let mut feed = Feed::for_parser(&parser);
        for chunk in data.chunks(size).map(Some).chain([None]) {
            std::thread::sleep(std::time::Duration::from_millis(2));
            for (line, result) in feed.parse_owned(&parser, chunk) {
                got.push((line, result.unwrap().to_json()["message"].as_str().unwrap().to_owned()));
            }
        }
        assert_eq!(
            got,
            [(1, "S one\n more".to_owned()), (3, "S two\n more\n and more".to_owned())],
            "{size}"
        );
    }
}
