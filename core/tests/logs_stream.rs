//! Streams of lines: `Parser::parse_many` (line numbers, bad lines reported and skipped, good lines
//! kept, CRLF, over-long lines) and `LineSplitter` (partial lines across chunks, bounded buffering).

use srekit::logs::{LineSplitter, LogFormat, Parser, ParserOptions, SplitEvent};

fn parser(format: LogFormat, max_line_length: usize) -> Parser {
    let mut options = ParserOptions::new(format);
    options.max_line_length = max_line_length;
    Parser::new(options).unwrap()
}

/// (line number, Ok(map view) | Err(offset, message)) for every reported line.
fn run(parser: &Parser, data: &[u8]) -> Vec<(usize, Result<serde_json::Value, (usize, String)>)> {
    let mut out = Vec::new();
    parser.parse_many(data, |line_no, result| {
        out.push((line_no, result.map(|r| r.to_json()).map_err(|e| (e.offset, e.message))));
    });
    out
}

#[test]
fn bad_lines_are_reported_with_their_numbers_and_good_lines_survive() {
    let data = b"a=1\nb=\"open\n\nc=3\r\n=bad\nd=4";
    let results = run(&parser(LogFormat::Logfmt, 1024), data);
    let numbers: Vec<usize> = results.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, [1, 2, 4, 5, 6], "empty line 3 is skipped, numbering counts it");
    assert_eq!(results[0].1, Ok(serde_json::json!({"a": "1"})));
    assert_eq!(results[1].1, Err((2, "unterminated quoted value".to_owned())));
    assert_eq!(results[2].1, Ok(serde_json::json!({"c": "3"})), "CRLF accepted");
    assert!(matches!(&results[3].1, Err((0, m)) if m.contains("empty key")));
    assert_eq!(results[4].1, Ok(serde_json::json!({"d": "4"})), "last line without newline included");
}

#[test]
fn over_long_lines_are_reported_and_skipped() {
    let long = "x".repeat(100);
    let data = format!("k:v\nlong:{long}\nk:w\n");
    let results = run(&parser(LogFormat::Ltsv, 50), data.as_bytes());
    assert_eq!(results.len(), 3);
    assert_eq!(results[0].1, Ok(serde_json::json!({"k": "v"})));
    match &results[1] {
        (2, Err((50, message))) => assert!(message.contains("too long") && message.contains("105")),
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(results[2], (3, Ok(serde_json::json!({"k": "w"}))));
}

#[test]
fn invalid_utf8_lines_are_errors_unless_lossy() {
    let data = b"a=1\nb=\xff\xfe\nc=3\n";
    let strict = run(&parser(LogFormat::Logfmt, 1024), data);
    assert_eq!(strict[1], (2, Err((2, "invalid UTF-8".to_owned()))));
    assert_eq!(strict.len(), 3);
    let mut options = ParserOptions::new(LogFormat::Logfmt);
    options.lossy_utf8 = true;
    let lossy = run(&Parser::new(options).unwrap(), data);
    assert_eq!(lossy[1], (2, Ok(serde_json::json!({"b": "\u{fffd}\u{fffd}"}))));
}

#[test]
fn json_stream_mixes_objects_and_garbage() {
    let data = b"{\"a\":1}\n[1]\nnot json\n{\"b\":{\"c\":true}}\n";
    let results = run(&parser(LogFormat::Json, 1024), data);
    assert_eq!(results.len(), 4);
    assert!(results[0].1.is_ok() && results[3].1.is_ok());
    assert!(matches!(&results[1].1, Err((0, m)) if m.contains("not a JSON object")));
    assert!(matches!(&results[2].1, Err((_, m)) if m.contains("invalid JSON")));
}

#[test]
fn records_borrow_from_the_input() {
    let data = b"k=value other=\"needs \\\"escape\\\"\"";
    let parser = parser(LogFormat::Logfmt, 1024);
    let record = parser.parse(data).unwrap();
    let range = data.as_ptr_range();
    match &record.fields[0].1 {
        srekit::logs::Value::Str(std::borrow::Cow::Borrowed(s)) => assert!(range.contains(&s.as_ptr())),
        other => panic!("expected a borrowed string, got {other:?}"),
    }
    assert!(
        matches!(&record.fields[1].1, srekit::logs::Value::Str(std::borrow::Cow::Owned(s)) if s == "needs \"escape\"")
    );
}

#[test]
fn json_strings_without_escapes_borrow_from_the_line() {
    let line = br#"{"msg":"plain","esc":"a\nb","n":1}"#;
    let parser = parser(LogFormat::Json, 1024);
    let record = parser.parse(line).unwrap();
    let range = line.as_ptr_range();
    assert!(matches!(&record.fields[0].0, std::borrow::Cow::Borrowed(k) if range.contains(&k.as_ptr())));
    assert!(
        matches!(&record.fields[0].1, srekit::logs::Value::Str(std::borrow::Cow::Borrowed(s)) if range.contains(&s.as_ptr()))
    );
    assert!(
        matches!(&record.fields[1].1, srekit::logs::Value::Str(std::borrow::Cow::Owned(s)) if s == "a\nb")
    );
}

#[test]
fn parser_is_send_and_sync_and_works_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Parser>();
    let parser = std::sync::Arc::new(parser(LogFormat::Json, 1024));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let parser = parser.clone();
            std::thread::spawn(move || {
                let line = format!("{{\"thread\":{i},\"msg\":\"m\\\"{i}\"}}");
                let record = parser.parse(line.as_bytes()).unwrap();
                record.get("thread").and_then(|v| v.as_f64())
            })
        })
        .collect();
    let got: Vec<Option<f64>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(got, [Some(0.0), Some(1.0), Some(2.0), Some(3.0)]);
}

#[test]
fn reentrant_json_parsing_from_the_callback_works() {
    let parser = parser(LogFormat::Json, 1024);
    let mut inner = Vec::new();
    parser.parse_many(b"{\"a\":1}\n{\"a\":2}\n", |_, outer| {
        let outer = outer.unwrap();
        let again = parser.parse(br#"{"b":"x\ty"}"#).unwrap();
        inner.push((outer.to_json(), again.to_json()));
    });
    assert_eq!(inner.len(), 2);
    assert_eq!(inner[1].0, serde_json::json!({"a": 2}));
    assert_eq!(inner[1].1, serde_json::json!({"b": "x\ty"}));
}

fn split_all(max: usize, chunks: &[&[u8]]) -> Vec<String> {
    let mut splitter = LineSplitter::new(max);
    let mut out = Vec::new();
    let mut on_line = |event: SplitEvent<'_>| {
        out.push(match event {
            SplitEvent::Line { number, line } => format!("{number}:{}", String::from_utf8_lossy(line)),
            SplitEvent::TooLong { number, length } => format!("{number}:TOO LONG {length}"),
        })
    };
    for chunk in chunks {
        splitter.push(chunk, &mut on_line);
    }
    splitter.finish(&mut on_line);
    out
}

#[test]
fn splitter_joins_partial_lines_across_chunks() {
    assert_eq!(split_all(100, &[b"ab", b"c\nde", b"f\r", b"\ng"]), ["1:abc", "2:def", "3:g"]);
    assert_eq!(split_all(100, &[b"\n\n", b"x\n"]), ["1:", "2:", "3:x"]);
    assert_eq!(split_all(100, &[b"", b"a\n", b""]), ["1:a"]);
}

#[test]
fn splitter_skips_long_lines_once_and_keeps_memory_bounded() {
    let mut splitter = LineSplitter::new(10);
    let mut events = Vec::new();
    for _ in 0..1000 {
        splitter.push(&[b'x'; 1000], |e| events.push(format!("{e:?}")));
        assert!(splitter.buffered() <= 11, "buffer grew to {}", splitter.buffered());
    }
    splitter.push(b"\r\nok\n", |e| events.push(format!("{e:?}")));
    assert_eq!(events, ["TooLong { number: 1, length: 1000000 }", "Line { number: 2, line: [111, 107] }"]);
}

#[test]
fn splitter_boundaries_of_the_maximum() {
    // Exactly the maximum fits, also when its CR arrives in a later chunk than the text.
    assert_eq!(split_all(3, &[b"abc", b"\r", b"\n"]), ["1:abc"]);
    assert_eq!(split_all(3, &[b"abcd\n"]), ["1:TOO LONG 4"]);
    assert_eq!(split_all(3, &[b"ab", b"cd", b"\r\n"]), ["1:TOO LONG 4"]);
    assert_eq!(split_all(3, &[b"ab", b"cdefgh", b"ij\r\nk"]), ["1:TOO LONG 10", "2:k"]);
    assert_eq!(split_all(3, &[b"abcdef"]), ["1:TOO LONG 6"]);
}
