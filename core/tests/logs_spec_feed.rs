//! Runs the shared parser vectors in tests/vectors/parser/ (the same files the Python and Node tests
//! run): `spec.json` through `ParserSpec`, `feed.json` through `Feed` at every chunk size. See
//! tests/vectors/parser/README.md for the case format.
#![allow(clippy::unwrap_used)] // in tests a panic is the failure report

use std::path::{Path, PathBuf};

use serde_json::{json, Value as Json};
use srekit::logs::config::InputConfig;
use srekit::logs::{Feed, ParserSpec};

fn vectors(file: &str) -> Vec<Json> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/parser").join(file);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn spec_of(case: &Json) -> ParserSpec {
    let mut spec =
        case.get("spec").cloned().unwrap_or_else(|| case.get("options").cloned().unwrap_or(json!({})));
    if let Some(format) = case.get("format") {
        spec["format"] = format.clone();
    }
    serde_json::from_value(spec).unwrap()
}

#[test]
fn spec_vectors() {
    let cases = vectors("spec.json");
    assert!(cases.len() >= 10);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let built = spec_of(case).build();
        match (case.get("error"), built) {
            (Some(error), Err(err)) => {
                let expected = error.as_str().unwrap();
                assert!(err.to_string().contains(expected), "{name}: {err} lacks {expected}");
            }
            (None, Ok(parser)) => {
                let record = parser.parse(case["input"].as_str().unwrap().as_bytes()).unwrap();
                assert_eq!(record.to_json(), case["expect"], "{name}");
            }
            (Some(_), Ok(_)) => panic!("{name}: built, expected an error"),
            (None, Err(err)) => panic!("{name}: {err}"),
        }
    }
}

#[test]
fn feed_vectors_give_the_same_answer_at_every_chunk_size() {
    let cases = vectors("feed.json");
    assert!(cases.len() >= 5);
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let parser = spec_of(case).build().unwrap();
        let input = case["input"].as_str().unwrap().as_bytes();
        for size in case["chunk_sizes"].as_array().unwrap() {
            let size = size.as_u64().unwrap() as usize;
            let (mut records, mut lines, mut errors) = (Vec::new(), Vec::new(), Vec::new());
            let mut feed = Feed::for_parser(&parser);
            let mut on_item = |item: srekit::logs::FeedItem<'_>| match item.result {
                Ok(record) => {
                    records.push(record.to_json());
                    lines.push(json!(item.line));
                }
                Err(err) => errors.push((item.line, err.offset, err.message.clone())),
            };
            for chunk in input.chunks(size) {
                feed.parse(&parser, chunk, &mut on_item);
            }
            feed.finish_parse(&parser, &mut on_item);
            assert_eq!(Json::Array(records), case["records"], "{name}, chunks of {size}");
            assert_eq!(Json::Array(lines), case["record_lines"], "{name}, chunks of {size}");
            let expected = case["errors"].as_array().unwrap();
            assert_eq!(errors.len(), expected.len(), "{name}, chunks of {size}: {errors:?}");
            for ((line, offset, message), want) in errors.iter().zip(expected) {
                assert_eq!(json!(line), want["line"], "{name}, chunks of {size}");
                assert_eq!(json!(offset), want["offset"], "{name}, chunks of {size}");
                let contains = want["contains"].as_str().unwrap();
                assert!(message.contains(contains), "{name}, chunks of {size}: {message} lacks {contains}");
            }
        }
    }
}

#[test]
fn feed_offsets_point_at_the_start_of_each_line() {
    let data = b"a=1\r\nbb=2\n\nccc=3\nd=\"x\nlast=1";
    let parser = ParserSpec::new("logfmt").build().unwrap();
    for size in 1..=data.len() {
        let mut feed = Feed::for_parser(&parser);
        let mut starts = Vec::new();
        for chunk in data.chunks(size) {
            feed.parse(&parser, chunk, |item| starts.push((item.line, item.offset)));
        }
        feed.finish_parse(&parser, |item| starts.push((item.line, item.offset)));
        assert_eq!(starts, [(1, 0), (2, 5), (4, 11), (5, 17), (6, 22)], "chunks of {size}");
    }
}

#[test]
fn input_tables_take_the_parser_keys_at_their_top_level() {
    let input: InputConfig = toml::from_str(
        "name = \"a\"\npaths = []\nformat = \"regex\"\nregex = \"nginx\"\ntypes = { code = \"int\" }\nmax_line_length = 99\nlossy_utf8 = true",
    )
    .unwrap();
    assert_eq!(input.parser.format, "regex");
    assert_eq!(input.parser.max_line_length, 99);
    assert!(input.parser.lossy_utf8);
    assert_eq!(input.parser.build().unwrap().options().format.name(), "nginx");
    let typo = toml::from_str::<InputConfig>("name = \"a\"\npaths = []\nforamt = \"json\"").unwrap_err();
    assert!(typo.to_string().contains("foramt"), "{typo}");
}

/// What `LineSplitter::push` reports, line by line: `(number, Ok(line) | Err(length))`.
type LineEvents = Vec<(u64, Result<Vec<u8>, usize>)>;

#[test]
fn blocks_give_the_same_lines_as_the_line_by_line_splitter() {
    use srekit::logs::{LineSplitter, SplitBlock, SplitEvent};
    let mut data = Vec::new();
    for i in 0..60usize {
        data.extend(std::iter::repeat_n(b'a' + (i % 26) as u8, (i * 7) % 19));
        data.extend_from_slice(if i % 3 == 0 { b"\r\n" } else { b"\n" });
    }
    data.extend_from_slice(b"tail\r");
    let max = 8;
    for size in 1..=40 {
        let mut by_line: LineEvents = Vec::new();
        let mut splitter = LineSplitter::new(max);
        let mut on_line = |event: SplitEvent<'_>| match event {
            SplitEvent::Line { number, line } => by_line.push((number, Ok(line.to_vec()))),
            SplitEvent::TooLong { number, length } => by_line.push((number, Err(length))),
        };
        data.chunks(size).for_each(|chunk| splitter.push(chunk, &mut on_line));
        splitter.finish(&mut on_line);

        let mut by_block: LineEvents = Vec::new();
        let mut splitter = LineSplitter::new(max);
        let mut on_block = |block: SplitBlock<'_>| match block {
            SplitBlock::Lines { first_line, data } => {
                for (i, line) in srekit::logs::lines(data).enumerate() {
                    let number = first_line + i as u64;
                    by_block
                        .push((number, if line.len() > max { Err(line.len()) } else { Ok(line.to_vec()) }));
                }
            }
            SplitBlock::TooLong { number, length, .. } => by_block.push((number, Err(length))),
        };
        data.chunks(size).for_each(|chunk| splitter.push_blocks(chunk, &mut on_block));
        splitter.finish_blocks(&mut on_block);
        assert_eq!(by_block, by_line, "chunks of {size}");
    }
}
