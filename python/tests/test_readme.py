"""Every ```python block of the READMEs runs as pasted (issue 21 §1; rules in tests/readme/README.md).

Each block is written to an empty temporary directory holding only the files of tests/readme/files it
names, run with this interpreter (the venv's python, with the installed srekit), and must exit 0 with
its `<!-- readme-test: expect ... -->` text in its output; a `serve PATH` block gets a free port in
$PORT and must answer PATH with the text. A `skip` block is reported as skipped with its reason.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FILES = REPO / "tests" / "readme" / "files"
DIRECTIVE = re.compile(r"^<!-- readme-test: (.*) -->$")


def readmes():
    found = [REPO / "README.md", REPO / "python" / "README.md", REPO / "node" / "README.md"]
    return found + sorted((REPO / "examples").rglob("README.md"))


def blocks(lang):
    """(id, text, directives) for each ```lang block."""
    found = []
    for path in readmes():
        lines = path.read_text().splitlines()
        at = 0
        while at < len(lines):
            if not lines[at].startswith("```"):
                at += 1
                continue
            end = next(i for i in range(at + 1, len(lines)) if lines[i].startswith("```"))
            directives = []
            above = at - 1
            while above >= 0 and DIRECTIVE.match(lines[above]):
                directives.append(DIRECTIVE.match(lines[above]).group(1))
                above -= 1
            if lines[at][3:].strip() == lang:
                place = f"{path.relative_to(REPO)}:{at + 1}"
                found.append(pytest.param("\n".join(lines[at + 1 : end]) + "\n", directives, id=place))
            at = end + 1
    return found


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port, path):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
        return response.read().decode()


@pytest.mark.parametrize("text,directives", blocks("python"))
def test_python_block_runs_as_pasted(text, directives, tmp_path):
    skip = [d[len("skip ") :] for d in directives if d.startswith("skip ")]
    if skip:
        pytest.skip(skip[0])
    expect = [d[len("expect ") :] for d in directives if d.startswith("expect ")]
    serve = [d[len("serve ") :].split(" expect ", 1) for d in directives if d.startswith("serve ")]
    assert expect or serve, "a python block needs `<!-- readme-test: expect ... -->` or a skip reason"
    for fixture in FILES.iterdir():
        if fixture.name in text:
            shutil.copy(fixture, tmp_path / fixture.name)
    script = tmp_path / "block.py"
    script.write_text(text)
    if not serve:
        out = subprocess.run(
            [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )
        assert out.returncode == 0, out.stderr
        for wanted in expect:
            assert wanted in out.stdout, f"{wanted!r} not in:\n{out.stdout}"
        return
    (path, wanted) = serve[0]
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env={**os.environ, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        body = None
        while body is None:
            assert server.poll() is None, f"the server exited: {server.communicate()[1]}"
            try:
                body = get(port, path)
            except OSError:
                assert time.monotonic() < deadline, "the server did not answer within 30 s"
                time.sleep(0.1)
        assert wanted in body, f"{wanted!r} not in:\n{body}"
    finally:
        server.kill()
        server.communicate()
