#!/usr/bin/env python3
"""Writes cases.json: container-envelope and multi-line vectors (run by Rust, Python and Node tests).

Run it after editing; the cases are built here so that pieces split at awkward places (inside a JSON
escape, inside a UTF-8 sequence) are exact. A line that is not valid UTF-8 is written as {"hex": ...}.
"""
import json
import pathlib

T1, T2, T3, T4 = (f"2024-05-01T10:00:0{i}.123456789Z" for i in range(1, 5))


def cri(time, stream, tag, message):
    data = message if isinstance(message, bytes) else message.encode()
    return f"{time} {stream} {tag} ".encode() + data


def docker(time, stream, log):
    return json.dumps({"log": log, "stream": stream, "time": time}).encode()


def line(data):
    if isinstance(data, str):
        return data
    try:
        return data.decode()
    except UnicodeDecodeError:
        return {"hex": data.hex()}


cases = []


def case(name, spec, lines, records, errors=()):
    cases.append({
        "name": name,
        "spec": spec,
        "lines": [line(l) for l in lines],
        "records": [{"line": n, "fields": f} for n, f in records],
        "errors": [{"line": n, "contains": c} for n, c in errors],
    })


payload = '{"msg":"say \\"hi\\"","level":"info"}'
cut = payload.index('\\"hi') + 1  # just after the backslash of an escape
case(
    "CRI: JSON payload split inside an escape, stderr interleaved between the pieces",
    {"format": "json", "container": "cri"},
    [cri(T1, "stdout", "P", payload[:cut]), cri(T2, "stderr", "F", '{"msg":"warn"}'),
     cri(T3, "stdout", "F", payload[cut:])],
    [(2, {"msg": "warn", "stream": "stderr", "time": T2}),
     (1, {"msg": 'say "hi"', "level": "info", "stream": "stdout", "time": T1})],
)

utf8 = '{"msg":"café ☕ ok"}'.encode()
cut = utf8.index("☕".encode()) + 1  # inside the 3-byte sequence
case(
    "CRI: pieces split inside a UTF-8 sequence, three pieces, both streams partial at once",
    {"format": "json", "container": "cri"},
    [cri(T1, "stdout", "P", utf8[:cut]), cri(T1, "stderr", "P", '{"e":'), cri(T2, "stdout", "P", utf8[cut:cut + 1]),
     cri(T2, "stderr", "F", "1}"), cri(T3, "stdout", "F", utf8[cut + 1:])],
    [(2, {"e": 1, "stream": "stderr", "time": T1}), (1, {"msg": "café ☕ ok", "stream": "stdout", "time": T1})],
)

case(
    "CRI: logfmt payload with types; empty message; a payload field named stream wins",
    {"format": "logfmt", "container": "cri", "types": {"status": "int"}},
    [cri(T1, "stdout", "F", "status=200 path=/"), cri(T2, "stdout", "F", ""), cri(T3, "stderr", "F", "stream=custom")],
    [(1, {"status": 200, "path": "/", "stream": "stdout", "time": T1}), (3, {"stream": "custom", "time": T3})],
)

case(
    "CRI: a bad envelope is an error naming its line; a joined message over max_line_length is skipped",
    {"format": "raw", "container": "cri", "max_line_length": 70},
    [b"not a cri line", cri(T1, "stdout", "P", "a" * 30), cri(T1, "stdout", "P", "b" * 30),
     cri(T1, "stdout", "F", "c" * 30), cri(T2, "stdout", "F", "fits"), cri(T3, "stdboth", "F", "x")],
    [(5, {"message": "fits", "stream": "stdout", "time": T2})],
    [(1, "CRI log line"), (2, "line too long (90 bytes, maximum 70)"), (6, "stream must be stdout or stderr")],
)

case(
    "CRI: a partial piece at the end of the stream is emitted as it is",
    {"format": "raw", "container": "cri"},
    [cri(T1, "stdout", "F", "whole"), cri(T2, "stdout", "P", "cut short")],
    [(1, {"message": "whole", "stream": "stdout", "time": T1}), (2, {"message": "cut short", "stream": "stdout", "time": T2})],
)

dpayload = '{"msg":"say \\"hi\\"","n":1}\n'
cut = dpayload.index('\\"hi') + 1
case(
    "docker: partial log (no trailing newline) split inside an escape, stderr interleaved",
    {"format": "json", "container": "docker"},
    [docker(T1, "stdout", dpayload[:cut]), docker(T2, "stderr", "plain stderr\n"), docker(T3, "stdout", dpayload[cut:])],
    [(1, {"msg": 'say "hi"', "n": 1, "stream": "stdout", "time": T1})],
    [(2, "byte 0")],
)

case(
    "docker: escapes in the envelope (\\u00e9, \\t), raw payload, bad envelope",
    {"format": "raw", "container": "docker"},
    [b'{"log":"caf\\u00e9\\tbar\\n","stream":"stdout","time":"' + T1.encode() + b'"}', b'{"stream":"stdout"}',
     docker(T2, "stderr", "second\n")],
    [(1, {"message": "café\tbar", "stream": "stdout", "time": T1}), (3, {"message": "second", "stream": "stderr", "time": T2})],
    [(2, "docker log line")],
)

case(
    "auto: a file whose first line is JSON is docker",
    {"format": "logfmt", "container": "auto"},
    [docker(T1, "stdout", "a=1\n"), docker(T2, "stdout", "a=")],
    [(1, {"a": "1", "stream": "stdout", "time": T1}), (2, {"a": "", "stream": "stdout", "time": T2})],
)

case(
    "auto: a file whose first line is not JSON is CRI",
    {"format": "logfmt", "container": "auto"},
    [cri(T1, "stdout", "F", "a=1")],
    [(1, {"a": "1", "stream": "stdout", "time": T1})],
)

java = [
    "2024-05-01 10:00:01 ERROR [main] c.e.App - request failed",
    "java.lang.IllegalStateException: boom",
    "\tat com.example.App.handle(App.java:42)",
    "\tat com.example.App.main(App.java:10)",
    "Caused by: java.io.IOException: disk full",
    "\tat com.example.Store.write(Store.java:7)",
    "\t... 2 more",
]
case(
    "multiline java preset inside CRI, stdout info lines interleaved with the stderr trace",
    {"format": "raw", "container": "cri", "multiline": {"preset": "java"}},
    [cri(T1, "stderr", "F", java[0]), cri(T1, "stdout", "F", "INFO one"), *[cri(T2, "stderr", "F", l) for l in java[1:4]],
     cri(T2, "stdout", "F", "INFO two"), *[cri(T3, "stderr", "F", l) for l in java[4:]],
     cri(T4, "stderr", "F", "2024-05-01 10:00:04 INFO [main] c.e.App - recovered")],
    [(2, {"message": "INFO one", "stream": "stdout", "time": T1}),
     (1, {"message": "\n".join(java), "stream": "stderr", "time": T1}),
     (6, {"message": "INFO two", "stream": "stdout", "time": T2}),
     (10, {"message": "2024-05-01 10:00:04 INFO [main] c.e.App - recovered", "stream": "stderr", "time": T4})],
)

python = [
    "ERROR:app:failed to handle",
    "Traceback (most recent call last):",
    '  File "/app/main.py", line 10, in handle',
    "    process(item)",
    "KeyError: 'id'",
    "",
    "During handling of the above exception, another exception occurred:",
    "",
    "Traceback (most recent call last):",
    '  File "/app/main.py", line 12, in handle',
    "    raise RuntimeError('bad item')",
    "RuntimeError: bad item",
]
case(
    "multiline python preset, no envelope",
    {"format": "raw", "multiline": {"preset": "python"}},
    ["INFO:app:start", *python, "INFO:app:next"],
    [(1, {"message": "INFO:app:start"}), (2, {"message": "\n".join(python)}), (14, {"message": "INFO:app:next"})],
)

go = [
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x47b1a4]",
    "",
    "goroutine 1 [running]:",
    "main.(*Server).handle(0x0, {0x4c3f20?, 0xc000012345?})",
    "\t/app/server.go:42 +0x24",
    "main.main()",
    "\t/app/main.go:8 +0x1d",
    "exit status 2",
]
case(
    "multiline go preset, no envelope, logfmt lines around the panic",
    {"format": "raw", "multiline": {"preset": "go"}},
    ["level=info msg=start", *go, "level=info msg=restarted"],
    [(1, {"message": "level=info msg=start"}), (2, {"message": "\n".join(go)}), (11, {"message": "level=info msg=restarted"})],
)

case(
    "multiline start regex with a regex payload ((?s) spans the lines), max_lines cuts an event",
    {"format": "regex", "regex": "(?s)^(?<date>\\d{4}-\\d\\d-\\d\\d) (?<level>\\w+) (?<msg>.*)$",
     "multiline": {"start": "^\\d{4}-", "max_lines": 3}},
    ["2024-05-01 ERROR first", "  detail a", "2024-05-01 INFO second", "  one", "  two", "  three"],
    [(1, {"date": "2024-05-01", "level": "ERROR", "msg": "first\n  detail a"}),
     (3, {"date": "2024-05-01", "level": "INFO", "msg": "second\n  one\n  two"})],
    [(6, "does not match")],
)

case(
    "multiline event over max_line_length is skipped and the next one kept",
    {"format": "raw", "multiline": {"start": "^S"}, "max_line_length": 10},
    ["S 12345", " 6789", "S ok"],
    [(3, {"message": "S ok"})],
    [(1, "line too long (13 bytes, maximum 10)")],
)

case(
    "CRI: the envelope does not count against max_line_length: lines longer than it whose message fits are kept",
    {"format": "raw", "container": "cri", "max_line_length": 12},
    [cri(T1, "stdout", "F", "x" * 12), cri(T2, "stdout", "P", "abcdef"), cri(T2, "stderr", "F", "e" * 13),
     cri(T3, "stdout", "F", "ghijkl")],
    [(1, {"message": "x" * 12, "stream": "stdout", "time": T1}),
     (2, {"message": "abcdefghijkl", "stream": "stdout", "time": T2})],
    [(3, "line too long (13 bytes, maximum 12)")],
)

case(
    "multiline: a line over max_line_length inside an event skips the event; the next event is kept",
    {"format": "raw", "multiline": {"start": "^S"}, "max_line_length": 10},
    ["S a", " " + "b" * 20, " c", "S next", " d"],
    [(4, {"message": "S next\n d"})],
    [(1, "line too long (28 bytes, maximum 10)")],
)

case(
    "a raw line longer than the framed limit (6 x max_line_length + 4096) is skipped on its own",
    {"format": "raw", "multiline": {"start": "^S"}, "max_line_length": 6},
    ["S a", "S " + "z" * 4200, "S b", " c"],
    [(1, {"message": "S a"}), (3, {"message": "S b\n c"})],
    [(2, "line too long (4202 bytes, maximum 6)")],
)

out = pathlib.Path(__file__).with_name("cases.json")
out.write_text(json.dumps(cases, indent=1, ensure_ascii=False) + "\n")
print(f"{len(cases)} cases -> {out}")
