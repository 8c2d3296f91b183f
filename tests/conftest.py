"""Shared fixtures: the app and a validating test client, handler folders, live servers."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from wsgiref.validate import validator

import pytest
from gateway_servers import free_port, wait_for_port  # noqa: F401 (re-exported)
from werkzeug.test import Client

from webquiz import make_app

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ROOT / "handlers"
#: The book's chapter 19 handlers, written against mod_python's API (tests/modpython_handlers).
MODPYTHON_HANDLERS = ROOT / "tests" / "modpython_handlers"

# Handler folders are served, not collected: --doctest-modules would import test.py as
# a top-level module named ``test`` (the stdlib's test package).
collect_ignore = ["modpython_handlers"]


#: CI sets WEBQUIZ_REQUIRE_ALL=1: there a missing Apache, mod_wsgi, wrk or browser fails.
REQUIRE_ALL = os.environ.get("WEBQUIZ_REQUIRE_ALL") == "1"


def require(condition: object, what: str) -> None:
    """Go on when *condition* holds; else skip (a developer's machine) or fail (CI)."""
    if condition:
        return
    if REQUIRE_ALL:
        pytest.fail(f"required part missing (WEBQUIZ_REQUIRE_ALL=1): {what}")
    pytest.skip(f"missing: {what}")


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


def start_server(folder: Path, *args: str, env: dict[str, str] | None = None,
                 cwd: Path | None = None, wait: bool = True) -> LiveServer:
    """Start ``python -m webquiz serve`` on a free port, its log in *folder*; the caller
    stops it (``server.stop()``)."""
    port = free_port()
    log = folder / f"server-{port}.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "webquiz", "serve", "--port", str(port), *args],
            cwd=cwd or folder, env=env or server_env(),
            stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
        )
    server = LiveServer(proc, port, log)
    if wait:
        try:
            wait_for_port(port, proc)
        except Exception:
            server.stop()
            raise RuntimeError(f"server did not start:\n{server.stderr()}") from None
    return server


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., LiveServer]]:
    """Start ``python -m webquiz serve`` with extra arguments; stop every one afterwards."""
    started: list[LiveServer] = []

    def start(*args: str, **kwargs) -> LiveServer:
        server = start_server(tmp_path, *args, **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


# -- the book's pages --------------------------------------------------------------------


class _PageChecker(HTMLParser):
    """Collect what check_page needs: open elements, ids, labels, form controls."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                      "meta", "source", "track", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.label_for: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: dict[str, str] = {}
        self.buttons: list[str] = []
        self.legends = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(str(attributes["id"]))
        if tag == "label" and attributes.get("for"):
            self.label_for.add(str(attributes["for"]))
        if tag == "input" and attributes.get("type") not in ("hidden", "submit"):
            self.controls.append(attributes)
        if attributes.get("type") in ("radio", "checkbox") and "fieldset" not in self.stack:
            self.problems.append(f"a {attributes['type']} outside a fieldset")
        if tag == "legend":
            self.legends += 1
        if tag == "button":
            self.buttons.append("")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in ("title", "h1"):
            self.text[self.stack[-1]] = self.text.get(self.stack[-1], "") + data
        if self.stack and self.stack[-1] == "button":
            self.buttons[-1] += data


def check_page(html: str, home: str = "/") -> _PageChecker:
    """Assert *html* is one of the pack's pages: an HTML5 document whose elements all
    close in order, with a title, one heading, unique ids, a label for every input,
    radio buttons and checkboxes grouped in fieldsets with legends, buttons that say
    what they do, the pack's stylesheet, a link back to the index at *home*, and no
    script, event attribute or ``javascript:`` URL. Returns the parsed page."""
    assert html.startswith("<!doctype html>\n<html lang=\"en\">"), html[:80]
    parsed = _PageChecker()
    parsed.feed(html)
    parsed.close()
    assert not parsed.problems and not parsed.stack, (parsed.problems, parsed.stack)
    assert parsed.text.get("title") and parsed.text.get("title") == parsed.text.get("h1")
    assert [tag for tag, _ in parsed.tags].count("h1") == 1
    assert len(parsed.ids) == len(set(parsed.ids)), parsed.ids
    assert parsed.label_for <= set(parsed.ids)
    assert all(control.get("id") in parsed.label_for for control in parsed.controls)
    assert ("a", {"href": home}) in parsed.tags
    assert parsed.legends == [tag for tag, _ in parsed.tags].count("fieldset")
    assert all(text.strip() not in ("", "Submit", "OK") for text in parsed.buttons)
    assert [tag for tag, a in parsed.tags if tag == "link" and a.get("rel") == "stylesheet"
            and (a.get("href") or "").startswith(home + "_webquiz/webquiz.css?v=")] == ["link"]
    # Nothing a client sent turned into markup that runs.
    for tag, attributes in parsed.tags:
        assert tag not in ("script", "iframe", "object", "embed"), tag
        for name, value in attributes.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction"):
                assert not (value or "").strip().lower().startswith("javascript:"), (tag, value)
    return parsed


#: Answers the quiz pages must refuse with a 400 (URL-encoded for a path or a query):
#: letters, sign, zero and out of range, a huge number, spaces, "+5", "1_000", digits
#: of other scripts (Arabic-Indic, full-width), a decimal, hex, a NUL. (A byte that is not
#: UTF-8 is refused before any page sees it: tests/test_request.py.)
NOT_A_MONTH = ["abc", "-3", "0", "13", "9" * 5000, "%2012%20", "%2B5", "1_000",
               "%D9%A3", "%EF%BC%93", "3.0", "0x3", "3%00"]


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
