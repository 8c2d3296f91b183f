"""The benchmark cases that need Apache: mod_wsgi daemon mode, CGI, and uploads.

Servers come from ``tests/gateway_servers.py`` (the same Apache set-up the test suite
uses: a temporary ServerRoot, a loopback port, stopped by PID) with a venv of Debian's
python3 that also holds the peers (Flask), because Apache's user cannot read /root.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests"))

import gateway_servers as gs  # noqa: E402

#: mod_wsgi-express as the issue sets it up: 2 processes of 5 threads.
PROCESSES, THREADS = 2, 5
PEERS = ("flask",)
TODAY = "2026-11-21"


def bench_venv() -> Path:
    """Debian's python3 with webquiz[apache] and the peers, world-readable (built once)."""
    return gs.apache_venv(extras=PEERS)[0]


@contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    root = gs.world_readable_dir(prefix)
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def reference_entry(root: Path, name: str, body: bytes | None = None) -> Path:
    """A .wsgi file serving one of bench/apps.py's references (with *body*, those bytes)."""
    shutil.copy(HERE / "apps.py", root / "apps.py")
    entry = root / f"{name}{'-page' if body else ''}.wsgi"
    args = f"{body!r}, 'text/html; charset=utf-8'" if body else ""
    entry.write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(root)!r})
        import apps
        application = apps.APPS[{name!r}]({args})
    """))
    gs.open_up(root)
    return entry


@contextmanager
def express(venv: Path, entry: Path, root: Path, env: dict[str, str] | None = None
            ) -> Iterator[gs.Server]:
    """``mod_wsgi-express start-server ENTRY`` with 2 processes x 5 threads, stopped by PID."""
    port = gs.free_port()
    logs = root / "logs"
    logs.mkdir(mode=0o755, exist_ok=True)
    command = [str(venv / "bin" / "mod_wsgi-express"), "start-server", str(entry),
               "--host", "127.0.0.1", "--port", str(port), "--server-root",
               str(root / "express"), "--log-directory", str(logs), "--locale", "C.UTF-8",
               "--processes", str(PROCESSES), "--threads", str(THREADS),
               "--limit-request-body", str(2**31)]
    for key, value in (env or {}).items():
        command += ["--setenv", key, value]
    if gs.IS_ROOT:
        command += ["--user", "www-data", "--group", "www-data"]
    environment = dict(gs.APACHE_ENV, **(env or {}))
    with (root / "express.log").open("wb") as out:
        proc = subprocess.Popen(command, cwd=root, env=environment, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
    server = gs.Server("mod_wsgi-express", proc, port, "", logs / "error_log")
    try:
        gs.wait_until_serving(server)
        yield server
    finally:
        server.stop()


# -- CGI ------------------------------------------------------------------------------

CGI_SCRIPTS = {
    "echo.sh": "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\n\\r\\nHello, world!\\n'\n",
    "hello_stdlib.py": """\
        #!{python}
        import sys
        sys.stdout.write("Content-Type: text/plain\\r\\n\\r\\nHello, world!\\n")
    """,
    "hello_werkzeug.py": """\
        #!{python}
        from wsgiref.handlers import CGIHandler
        from werkzeug.wrappers import Request, Response

        @Request.application
        def app(request):
            return Response("Hello, world!\\n", content_type="text/plain; charset=utf-8")

        CGIHandler().run(app)
    """,
    "hello_flask.py": """\
        #!{python}
        from wsgiref.handlers import CGIHandler
        from flask import Flask

        app = Flask("hello")

        @app.route("/")
        def hello():
            return "Hello, world!\\n"

        CGIHandler().run(app)
    """,
    "hello_fieldstorage.py": """\
        #!{python}
        import warnings
        warnings.simplefilter("ignore", DeprecationWarning)
        import cgi
        form = cgi.FieldStorage()
        print("Content-Type: text/plain")
        print()
        print("Hello, " + form.getfirst("name", "world") + "!")
    """,
    # Runs webquiz-cgi as a child to report its peak memory (for the upload case).
    "measured.py": """\
        #!{python}
        import os, subprocess, sys
        child = subprocess.Popen([{cgi!r}])
        _, status, usage = os.wait4(child.pid, 0)
        with open(os.path.join({root!r}, "cgi-maxrss.txt"), "a") as f:
            f.write(f"{{usage.ru_maxrss}}\\n")
        sys.exit(os.waitstatus_to_exitcode(status))
    """,
}


@contextmanager
def cgi_server(venv: Path, root: Path) -> Iterator[gs.Server]:
    """Apache + mod_cgid: webquiz-cgi at /cgi-bin/webquiz.cgi and the reference scripts."""
    bin_dir = root / "cgi-bin"
    bin_dir.mkdir()
    python = str(venv / "bin" / "python")
    cgi = str(venv / "bin" / "webquiz-cgi")
    shutil.copy(cgi, bin_dir / "webquiz.cgi")
    (root / "cgi-maxrss.txt").touch()
    for name, text in CGI_SCRIPTS.items():
        (bin_dir / name).write_text(textwrap.dedent(text).format(python=python, cgi=cgi,
                                                                 root=str(root)))
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    gs.open_up(root)
    (root / "cgi-maxrss.txt").chmod(0o666)
    body = f"""\
ScriptSock cgid.sock
ScriptAlias /cgi-bin/ "{bin_dir}/"
SetEnv WEBQUIZ_TODAY {TODAY}
# A 1 GiB file is a body of 1 GiB and a few hundred bytes: above the default cap.
SetEnv WEBQUIZ_MAX_UPLOAD {2 << 30}
LimitRequestBody 0
<Directory "{bin_dir}">
    Require all granted
</Directory>
"""
    server = gs.start_apache("Apache + mod_cgid", root, "/cgi-bin/webquiz.cgi",
                             ["alias", "env", "cgid"], body)
    try:
        yield server
    finally:
        server.stop()


# -- measuring --------------------------------------------------------------------------

_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_SCALE = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk_latency(url: str, connections: int, seconds: float) -> tuple[float, float]:
    """p50 and p99 latency in milliseconds, from ``wrk --latency``."""
    out = subprocess.run(
        ["wrk", f"-t{connections}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
         "--timeout", "10s", "--latency", url],
        capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    found = {p: float(v) * _SCALE[u] for p, v, u in _LATENCY.findall(out)}
    done = re.search(r"(\d+) requests in", out)
    if "Non-2xx" in out or set(found) != {"50", "99"} or not done or int(done.group(1)) < 2:
        raise RuntimeError(f"wrk against {url}:\n{out}")
    return found["50"], found["99"]


def descendants(pid: int) -> list[int]:
    """Every process below *pid* (by parent PID, from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rpartition(")")[2].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def peak_rss_mib(pids: Iterable[int]) -> float:
    """The largest VmHWM (peak resident memory) among *pids*, in MiB."""
    peak = 0
    for pid in pids:
        try:
            peak = max(peak, gs.vm_kib(pid, "VmHWM"))
        except (OSError, ValueError):  # gone, or a kernel thread without the field
            continue
    return peak / 1024


def make_file(path: Path, size: int) -> str:
    """Write *size* random bytes to *path*; return their MD5."""
    md5 = hashlib.md5()
    with path.open("wb") as out:
        left = size
        while left:
            chunk = os.urandom(min(left, 1 << 20))
            md5.update(chunk)
            out.write(chunk)
            left -= len(chunk)
    return md5.hexdigest()


def md5sum_rate(path: Path, size: int) -> float:
    """MiB/s of ``md5sum`` on the same file (the limit), best of the file in page cache."""
    started = time.perf_counter()
    subprocess.run(["md5sum", str(path)], check=True, capture_output=True, timeout=600)
    return size / (1 << 20) / (time.perf_counter() - started)


def upload_rate(url: str, path: Path, size: int, md5: str) -> float:
    """MiB/s of one multipart upload with curl; checks the page reports the right MD5."""
    started = time.perf_counter()
    out = subprocess.run(["curl", "-sS", "--fail", "-F", f"file=@{path}", url],
                         capture_output=True, text=True, timeout=900, check=True).stdout
    elapsed = time.perf_counter() - started
    if md5 not in out:
        raise RuntimeError(f"upload to {url}: the page did not report MD5 {md5}:\n{out[:500]}")
    return size / (1 << 20) / elapsed
