#!/usr/bin/env python3
"""Runs the README blocks that serve a fixed port (:9100, :9090) as pasted, each in its own network,
mount and PID namespaces (root only: `unshare`), so the port is free and nothing outlives the block.

The blocks carry one of these comments (tests/readme/README.md documents them):
  <!-- readme-test: isolated URL expect TEXT -->        the block serves URL; TEXT in the answer
  <!-- readme-test: isolated-lines URL expect TEXT -->  each line alone serves URL; TEXT in each answer
  <!-- readme-test: isolated-with-next expect TEXT --> the block, then the next one, in one shell; TEXT
                                                       in their standard output

usage: readme_isolated.py list            one block id (FILE:LINE) per line
       readme_isolated.py run FILE:LINE   runs it; exit 0 when every expectation held

Each /tmp/NAME a block names is a fresh tmpfs of its own. An `isolated` block runs in a scratch directory with links to the
repository's top-level entries (it names their paths; what it writes stays in the scratch directory);
`isolated-with-next` runs in the repository itself, and so does an `isolated-lines` line that starts
with `cargo`; any other line runs in a scratch directory holding the files of tests/readme/files it names
(and the files those name).
`srekit-exporter` is target/release's, which the caller builds first.
"""
import base64
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FILES = os.path.join(REPO, "tests", "readme", "files")
READMES = ["README.md", "python/README.md", "node/README.md"]
DIRECTIVE = re.compile(r"<!-- readme-test: (isolated(?:-lines|-with-next)?) (.*) -->$")
# How long a block may take to answer: a release build is done before, so this is the server's start.
ANSWER_WITHIN_SECONDS = 120
# How long a block that runs to its end (isolated-with-next) may take.
RUN_WITHIN_SECONDS = 300


def readmes():
    """The front doors, then examples/**/README.md: the order exporter/tests/readme_blocks.rs uses."""
    examples = []
    for root, _dirs, files in os.walk(os.path.join(REPO, "examples")):
        examples += [os.path.join(root, f) for f in files if f == "README.md"]
    return [os.path.join(REPO, p) for p in READMES] + sorted(examples)


def blocks():
    """Every fenced block with an isolated directive: dicts of id, kind, url, expect, text, next_text."""
    found = []
    for path in readmes():
        lines = open(path, encoding="utf-8").read().split("\n")
        fences = [i for i, line in enumerate(lines) if line.startswith("```")]
        spans = list(zip(fences[0::2], fences[1::2]))
        for index, (start, end) in enumerate(spans):
            match = DIRECTIVE.match(lines[start - 1]) if start > 0 else None
            if not match:
                continue
            kind, rest = match.groups()
            url, _, expect = rest.partition("expect ") if kind != "isolated-with-next" else ("", "", rest[len("expect "):])
            block = {
                "id": f"{os.path.relpath(path, REPO)}:{start + 1}",
                "kind": kind,
                "url": url.strip(),
                "expect": expect.strip(),
                "text": "\n".join(lines[start + 1:end]) + "\n",
            }
            if kind == "isolated-with-next":
                nxt = spans[index + 1]
                block["text"] += "\n".join(lines[nxt[0] + 1:nxt[1]]) + "\n"
            found.append(block)
    return found


def named_files(text):
    """The files of tests/readme/files that `text` names, and those they name in turn."""
    names, todo = set(), [text]
    while todo:
        current = todo.pop()
        for name in sorted(os.listdir(FILES)):
            if name not in names and name in current:
                names.add(name)
                todo.append(open(os.path.join(FILES, name), encoding="utf-8", errors="replace").read())
    return sorted(names)


def fetch(url, deadline):
    """GETs url (user:password@ in it as basic auth) until it answers (any HTTP status) or the deadline passes; returns (status, body)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    parts = urllib.parse.urlsplit(url)
    request = urllib.request.Request(parts._replace(netloc=parts.hostname + f":{parts.port}").geturl())
    if parts.username is not None:
        credentials = f"{parts.username}:{parts.password or ''}".encode()
        request.add_header("Authorization", "Basic " + base64.b64encode(credentials).decode())
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(request, timeout=5, context=context) as answer:
                return answer.status, answer.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as err:
            last = str(err)
            time.sleep(0.25)
    return None, last


def bind_host_paths(text):
    """`--path.procfs=/host/proc` and the like: the host's /proc, /sys and / mounted there, as a container
    would see them. Returns the directories this made, to remove afterwards."""
    made = []
    for where, source in (("/host/proc", "/proc"), ("/host/sys", "/sys"), ("/host/root", "/")):
        if where not in text:
            continue
        for path in ("/host", where):
            if not os.path.isdir(path):
                os.mkdir(path)
                made.append(path)
        subprocess.run(["mount", "--bind", source, where], check=True)
    return made


EXIT_WITHIN_SECONDS = 20


def stop_group(pgid):
    """SIGTERMs the block's process group and waits until every process of it has exited (reaping
    them: this process is PID 1 of the namespace, so the block's orphans are its children); SIGKILLs
    what is left after EXIT_WITHIN_SECONDS. Before, the tmpfs under /tmp/NAME was unmounted while an
    exporter was still writing its checkpoint there ("target is busy"). Returns True when the group
    exited on SIGTERM."""
    try:
        os.killpg(pgid, signal.SIGTERM)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + EXIT_WITHIN_SECONDS
    killed = False
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:
                pass
        except ChildProcessError:
            pass
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return not killed
        if time.monotonic() > deadline:
            if killed:
                print(f"  process group {pgid} still there 10 s after SIGKILL")
                return False
            print(f"  process group {pgid} still running {EXIT_WITHIN_SECONDS} s after SIGTERM: SIGKILL")
            try:
                os.killpg(pgid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            killed = True
            deadline = time.monotonic() + 10
        time.sleep(0.05)


def serve_and_check(text, cwd, url, expect, env):
    """Starts `text` with sh, checks that url answers with expect in the body, stops it."""
    made = bind_host_paths(text)
    process = subprocess.Popen(["sh", "-c", text], cwd=cwd, env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + ANSWER_WITHIN_SECONDS
        status, body = fetch(url, deadline)
        # A server may answer before it is ready (Prometheus' /-/ready says 503 while its TSDB
        # opens): ask again, while it runs, until the expected text or the deadline.
        while status is not None and expect not in body and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.25)
            status, body = fetch(url, deadline)
    finally:
        exited = stop_group(process.pid)
        output = process.communicate(timeout=30)[0]
        for path in ("/host/proc", "/host/sys", "/host/root"):
            if path in made or os.path.ismount(path):
                subprocess.run(["umount", path], check=False)
        for path in reversed(made):
            os.rmdir(path)
    if not exited:
        print(f"  {text.strip()!r}: did not exit within {EXIT_WITHIN_SECONDS} s of SIGTERM")
        return False
    if status is None or expect not in body:
        print(f"  {text.strip()!r}: {url} answered {status}; {expect!r} not in:\n{body[:2000]}\n"
              f"  its output:\n{output[-2000:]}")
        return False
    print(f"  {text.strip()!r}: {url} answered {status} with {expect!r}")
    return True


def inner(spec):
    """Inside the namespaces: loopback up, then the block."""
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    made = private_tmp_dirs(spec["text"])
    try:
        return run_block(spec)
    finally:
        for path in made:
            subprocess.run(["umount", path], check=False)
            os.rmdir(path)


def private_tmp_dirs(text):
    """Each `/tmp/NAME` the block names gets a fresh tmpfs (the mount namespace's own), so what an
    earlier run left there (e.g. /tmp/walk) is not seen and nothing stays behind. Only those: the rest
    of /tmp, which may hold the repository itself, stays as it is. Returns the directories this made."""
    made = []
    for name in sorted(set(re.findall(r"/tmp/([A-Za-z0-9._-]+)", text))):
        path = os.path.join("/tmp", name)
        if os.path.commonpath([path, REPO]) == path:
            continue
        if not os.path.isdir(path):
            os.mkdir(path)
            made.append(path)
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", path], check=True)
    return made


def run_block(spec):
    env = dict(os.environ)
    env["PATH"] = os.path.join(REPO, "target", "release") + os.pathsep + env.get("PATH", "")
    if spec["kind"] == "isolated":
        # The repository's paths, but what the block writes (Prometheus' data/) lands in a scratch dir.
        with tempfile.TemporaryDirectory() as scratch:
            for name in os.listdir(REPO):
                os.symlink(os.path.join(REPO, name), os.path.join(scratch, name))
            return serve_and_check(spec["text"], scratch, spec["url"], spec["expect"], env)
    if spec["kind"] == "isolated-with-next":
        # What the blocks leave running in the background (the exporter started with `&`) is stopped
        # with the shell's process group once the shell is done; output goes to a file, which a
        # background process holding a pipe open cannot stall.
        with tempfile.TemporaryFile(mode="w+") as output:
            process = subprocess.Popen(["sh", "-c", spec["text"]], cwd=REPO, env=env, start_new_session=True,
                                       stdout=output, stderr=subprocess.STDOUT, text=True)
            try:
                code = process.wait(timeout=RUN_WITHIN_SECONDS)
            except subprocess.TimeoutExpired:
                code = None
            exited = stop_group(process.pid)
            output.seek(0)
            text = output.read()
        ok = code == 0 and spec["expect"] in text and exited
        found = "in" if spec["expect"] in text else "NOT in"
        print(f"  exit {code}; stopped on SIGTERM: {exited}; {spec['expect']!r} {found} the output:\n{text[-3000:]}")
        return ok
    ok = True
    for line in [l for l in spec["text"].split("\n") if l.strip()]:
        if line.startswith("cargo "):
            ok &= serve_and_check(line, REPO, spec["url"], spec["expect"], env)
            continue
        with tempfile.TemporaryDirectory() as scratch:
            for name in named_files(line):
                shutil.copy(os.path.join(FILES, name), scratch)
            ok &= serve_and_check(line, scratch, spec["url"], spec["expect"], env)
    return ok


def main():
    if sys.argv[1:] == ["list"]:
        for block in blocks():
            print(block["id"])
        return 0
    if len(sys.argv) == 3 and sys.argv[1] == "run":
        spec = next((b for b in blocks() if b["id"] == sys.argv[2]), None)
        if spec is None:
            print(f"no isolated block {sys.argv[2]}")
            return 1
        return subprocess.run(["unshare", "--net", "--mount", "--pid", "--fork", "--mount-proc",
                               "--propagation", "private", sys.executable, __file__, "inner",
                               json.dumps(spec)]).returncode
    if len(sys.argv) == 3 and sys.argv[1] == "inner":
        return 0 if inner(json.loads(sys.argv[2])) else 1
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
