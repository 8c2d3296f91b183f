"""Shared fixtures: the app and a validating test client, handler folders, live servers."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from wsgiref.validate import validator

import pytest
from werkzeug.test import Client

from webquiz import make_app

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ROOT / "handlers"
#: The book's chapter 19 handlers, written against mod_python's API (tests/modpython_handlers).
MODPYTHON_HANDLERS = ROOT / "tests" / "modpython_handlers"

# Handler folders are served, not collected: --doctest-modules would import test.py as
# a top-level module named ``test`` (the stdlib's test package).
collect_ignore = ["modpython_handlers"]


@pytest.fixture
def app():
    """The pack's own handlers, as long-running servers load them."""
    return make_app(HANDLERS)


class ValidatingClient(Client):
    """werkzeug's test client, with the app wrapped in ``wsgiref.validate.validator``.

    Responses are buffered, so the app's iterable is closed as PEP 3333 requires.
    """

    def __init__(self, app, **kwargs):
        super().__init__(validator(app), **kwargs)

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    """A test client whose every request is also checked for WSGI compliance."""
    return ValidatingClient(app)


@pytest.fixture
def make_client():
    """``make_client(app)``: a validating test client for another app."""
    return ValidatingClient


@pytest.fixture
def errors() -> io.StringIO:
    """A ``wsgi.errors`` stream to read what the app logged for a request."""
    return io.StringIO()


@pytest.fixture
def make_handlers(tmp_path: Path) -> Callable[..., Path]:
    """Write a folder of handler modules: ``make_handlers(name=source, ...)``."""

    def make(folder: str = "handlers", **modules: str) -> Path:
        path = tmp_path / folder
        path.mkdir(exist_ok=True)
        for name, source in modules.items():
            (path / f"{name}.py").write_text(textwrap.dedent(source))
        return path

    return make


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 20) -> None:
    """Wait until something accepts connections on 127.0.0.1:port, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing answered on 127.0.0.1:{port} within {timeout} s")


@dataclass
class LiveServer:
    """A ``webquiz serve`` subprocess on a loopback port, stopped by its PID."""

    proc: subprocess.Popen
    port: int
    log: Path
    stopped: bool = field(default=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGINT, timeout: float = 10) -> int:
        """Send *sig* (Ctrl-C by default) and wait; kill if it does not stop in time."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.stopped = True
        return int(self.proc.returncode)


def server_env(**extra: str) -> dict[str, str]:
    """The environment for a server subprocess: this checkout importable, output unbuffered."""
    env = dict(os.environ)
    env.pop(HANDLERS_ENV, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


HANDLERS_ENV = "WEBQUIZ_HANDLERS"


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start ``python -m webquiz serve`` with extra arguments; stop every one afterwards."""
    started: list[LiveServer] = []

    def start(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None,
              wait: bool = True) -> LiveServer:
        port = free_port()
        log = tmp_path / f"server-{port}.log"
        with log.open("wb") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(
                [sys.executable, "-m", "webquiz", "serve", "--port", str(port), *args],
                cwd=cwd or tmp_path, env=env or server_env(),
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            )
        server = LiveServer(proc, port, log)
        started.append(server)
        if wait:
            try:
                wait_for_port(port, proc)
            except Exception:
                server.stop()
                raise RuntimeError(f"server did not start:\n{server.stderr()}") from None
        return server

    yield start
    for server in started:
        server.stop()
