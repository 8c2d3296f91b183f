"""How ``webquiz doctor`` compares a page from the server with the same page in process.

Headers: all but those a server or the connection adds, or that tell the time
(``IGNORED_HEADERS``); dates inside values (a cookie's Expires) are masked. Body: byte
for byte, except on pages that show the clock, the process or the server, compared by
``shape()``. ``junk_before`` finds what a stray print() puts before a CGI response.
"""

from __future__ import annotations

import difflib
import html.parser
import re
from typing import Any

from .doctor_requests import Answer

#: Response headers not compared: set by the server or the connection, or telling the time.
IGNORED_HEADERS = frozenset({
    "date", "server", "connection", "keep-alive", "transfer-encoding", "te", "trailer",
    "upgrade", "proxy-connection", "proxy-authenticate", "content-length", "age", "via",
    "alt-svc",
})
#: An HTTP date (RFC 9110 IMF-fixdate), as in Set-Cookie's Expires.
_HTTP_DATE = re.compile(r"[A-Z][a-z]{2}, \d\d[ -][A-Z][a-z]{2}[ -]\d{4} \d\d:\d\d:\d\d GMT")
#: A line that reads as an HTTP header: what a stray print or a doubled header looks like.
_HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9-]*:[ \t]?[^\r\n]*\r?\n")


def comparable_headers(answer: Answer) -> list[tuple[str, str]]:
    """The headers that must match: lower-cased names, dates masked, server's own dropped."""
    return sorted((key.lower(), _HTTP_DATE.sub("<date>", value)) for key, value in answer.headers
                  if key.lower() not in IGNORED_HEADERS)


def header_differences(live: Answer, expected: Answer) -> tuple[list[str], list[str]]:
    """(headers missing or changed on the server, headers only the server added)."""
    got = comparable_headers(live)
    want = comparable_headers(expected)
    missing = [f"{k}: {v}" for k, v in want if (k, v) not in got]
    added = [f"{k}: {v}" for k, v in got if (k, v) not in want]
    return missing, added


class _Shape(html.parser.HTMLParser):
    """Build the element tree of a page: names, attribute names, link targets."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                      "meta", "source", "track", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list[Any] = ["#document", []]
        self.stack: list[list[Any]] = [self.root]
        self.title = ""
        self.main_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.main_depth:
            if tag not in self.VOID:
                self.main_depth += 1
            return
        names = []
        for name, value in sorted(attrs):
            if name in ("href", "src", "action"):
                names.append(f"{name}={re.sub(r'[0-9]+', '0', value or '')}")
            else:
                names.append(name)
        node: list[Any] = [f"{tag}[{' '.join(names)}]", []]
        self.stack[-1][1].append(node)
        if tag == "main":
            self.main_depth = 1
        elif tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if self.main_depth:
            self.main_depth -= 1
            if self.main_depth:
                return
            return
        if len(self.stack) > 1 and self.stack[-1][0].startswith(tag + "["):
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.main_depth and self.stack[-1][0].startswith("title["):
            self.title += data


def _collapse(node: list[Any]) -> tuple[Any, ...]:
    """A node with its children's repeats dropped (rows of a list or a table count once)."""
    children: list[tuple[Any, ...]] = []
    for child in node[1]:
        shape = _collapse(child)
        if shape not in children:
            children.append(shape)
    return (node[0], tuple(children))


def shape(answer: Answer) -> Any:
    """What must match on a page that shows the clock, the process or the server.

    HTML: the element tree (names, attribute names, and link targets with digits
    masked), each element's repeated children counted once, the title's text, and
    nothing inside ``<main>``, where such a page keeps what changes. JSON: the keys and
    the types of the values. Anything else: the media type only.
    """
    ctype = (answer.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype == "text/html":
        parser = _Shape()
        parser.feed(answer.body.decode("utf-8", "replace"))
        parser.close()
        return {"title": parser.title.strip(), "tree": _collapse(parser.root)}
    if ctype.endswith("json"):
        value = answer.json()
        return sorted((k, type(v).__name__) for k, v in value.items()) if value else None
    return ctype


def body_differences(live: bytes, expected: bytes, limit: int = 12) -> list[str]:
    """The first lines that differ between two bodies, as a unified diff."""
    diff = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(),
        live.decode("utf-8", "replace").splitlines(),
        "in process", "server", lineterm="", n=0)
    lines = [line for line in diff if not line.startswith("@@")]
    return lines[:limit] + (["..."] if len(lines) > limit else [])


def junk_before(body: bytes) -> bytes | None:
    """The header lines a body starts with, if it does: a CGI response printed twice.

    When something prints before webquiz (an old script's ``Content-Type:`` line and a
    blank line), the server takes that for the response's headers, and webquiz's own
    ``Status:`` and ``Content-Type:`` lines arrive as the start of the body.
    """
    position, lines = 0, []
    while match := _HEADER_LINE.match(body, position):
        lines.append(match[0].split(b":")[0].lower())
        position = match.end()
    blank = body[position:position + 2] == b"\r\n" or body[position:position + 1] == b"\n"
    if blank and (b"status" in lines or b"content-type" in lines):
        return body[:position]
    return None
