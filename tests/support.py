"""What the tests share that is not a fixture: paths, the page list, a validating client,
the page checker, and ``require`` (skip on a developer's machine, fail in CI).

Plain functions and classes, so tests/gateway_servers.py and the benchmarks can use them
without pytest's fixture machinery; tests/conftest.py holds the fixtures.
"""

from __future__ import annotations

import ast
import os
import sys
from html.parser import HTMLParser
from pathlib import Path
from wsgiref.validate import validator

from werkzeug.test import Client

ROOT = Path(__file__).resolve().parents[1]
HANDLERS = ROOT / "handlers"
#: The book's chapter 19 handlers, written against mod_python's API (tests/modpython_handlers).
MODPYTHON_HANDLERS = ROOT / "tests" / "modpython_handlers"
#: The environment variable naming the handlers folder (not imported: see server_env).
HANDLERS_ENV = "WEBQUIZ_HANDLERS"
#: CI sets WEBQUIZ_REQUIRE_ALL=1: there a missing Apache, mod_wsgi, wrk or browser fails.
REQUIRE_ALL = os.environ.get("WEBQUIZ_REQUIRE_ALL") == "1"


def require(condition: object, what: str) -> None:
    """Go on when *condition* holds; else skip (a developer's machine) or fail (CI) under
    pytest, or raise RuntimeError elsewhere (the benchmarks)."""
    if condition:
        return
    if "pytest" in sys.modules:
        import pytest

        if REQUIRE_ALL:
            pytest.fail(f"required part missing (WEBQUIZ_REQUIRE_ALL=1): {what}")
        pytest.skip(f"missing: {what}")
    raise RuntimeError(f"missing: {what}")


def page_docstrings(folder: Path = HANDLERS) -> dict[str, str]:
    """The pages of *folder*, derived from its files: each routable module that defines
    ``handler``, with its docstring (read, not imported)."""
    pages = {}
    for path in sorted(folder.glob("[!_]*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(node, ast.FunctionDef) and node.name == "handler"
               for node in tree.body):
            pages[path.stem] = ast.get_docstring(tree) or ""
    return pages


#: The pack's pages, by name, with their docstrings: derived from handlers/, never typed.
PAGE_DOCS = page_docstrings()
PAGES = sorted(PAGE_DOCS)


def server_env(**extra: str) -> dict[str, str]:
    """The environment for a server subprocess: this checkout importable, output unbuffered."""
    env = dict(os.environ)
    env.pop(HANDLERS_ENV, None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


class ValidatingClient(Client):
    """werkzeug's test client, with the app wrapped in ``wsgiref.validate.validator``.

    Responses are buffered, so the app's iterable is closed as PEP 3333 requires.
    """

    def __init__(self, app, **kwargs):
        super().__init__(validator(app), **kwargs)

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


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
#: UTF-8 is refused before any page sees it: the raw-ff rows of tests/test_hostile.py.)
NOT_A_MONTH = ["abc", "-3", "0", "13", "9" * 5000, "%2012%20", "%2B5", "1_000",
               "%D9%A3", "%EF%BC%93", "3.0", "0x3", "3%00"]
