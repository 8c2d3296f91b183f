"""The fixtures: the app and a validating test client, handler folders, live servers.

What is not a fixture (paths, the page list, the validating client, the page checker,
``require``) is in tests/support.py; the real servers of every gateway are started by
tests/gateway_servers.py, through the fixtures of tests/gateway_fixtures.py.
"""

from __future__ import annotations

import io
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from gateway_servers import Server, start_dev_server
from support import HANDLERS, ValidatingClient

from webquiz import make_app

# Handler folders are served, not collected: --doctest-modules would import test.py as
# a top-level module named ``test`` (the stdlib's test package).
collect_ignore = ["modpython_handlers"]


@pytest.fixture
def app():
    """The pack's own handlers, as long-running servers load them."""
    return make_app(HANDLERS)


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


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    """Start ``python -m webquiz serve`` with extra arguments (gateway_servers'
    start_dev_server); stop every one afterwards, by its PID."""
    started: list[Server] = []

    def start(*args: str, **kwargs) -> Server:
        server = start_dev_server(tmp_path, *args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def today(app, monkeypatch):
    """``today(date(...))`` pins the quiz pages' date (handlers/_quiz.py) in this process."""
    package = app.table.get("pathinfo").handler.__module__.rpartition(".")[0]
    quiz = sys.modules[f"{package}._quiz"]

    def pin(day: date) -> date:
        monkeypatch.setattr(quiz, "today", lambda: day)
        return day

    return pin


# The gateway fixtures (a real server of each kind, once per session) for every module.
from gateway_fixtures import gateway, reference, served_handlers, venv  # noqa: E402, F401
