"""The HTML frame shared by the pack's pages, and the stylesheet it links to.

``page(req, title, body, how=...)`` returns a whole page as Markup: the title and
heading, the page's purpose (the first line of the handler's docstring), the body, a
"How this works" note with links to the handler's source, and links to the index. The
frame needs three values, a ``Frame``: where the pack is mounted, the purpose, the source
files to link; a handler passes its ``req`` (whose ``frame`` they are), the machinery's
own pages pass a Frame. *title* and *how* are escaped unless they are Markup; *body*
should be Markup already (build it with ``Markup("...{}...").format(value)``, which
escapes each value), so client data cannot reach the page unescaped through the frame.

The stylesheet ships in the package (``webquiz/static/webquiz.css``); the app serves it
at ``STYLESHEET`` (``/_webquiz/webquiz.css``). Names starting with ``_`` are never
handlers, so no page can collide with it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from markupsafe import Markup, escape

#: The URL prefix, under the pack's mount point, of what the machinery serves itself.
ASSETS = "/_webquiz"
#: The stylesheet's URL path.
STYLESHEET = ASSETS + "/webquiz.css"
#: Where the source of a handler file is shown: ``ASSETS/source/pathinfo.py``.
SOURCE = ASSETS + "/source/"

# The frame in pieces, joined by page(): markupsafe's Markup.format is a pure-Python
# string.Formatter, measured at ~100 µs of a 140 µs request when it filled this frame.
_HEAD = (
    '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>'
)
#: A docstring's inline literal, ``like this``.
_LITERAL = re.compile(r"``(.+?)``")


@dataclass(frozen=True)
class Frame:
    """What the frame shows around a page: the pack's mount point (decoded, as in
    SCRIPT_NAME), the page's purpose, the source files it links to (none: no links)."""

    root: str = ""
    summary: str = ""
    sources: tuple[str, ...] = ()


class Framed(Protocol):
    """Anything that carries a Frame: a handler's ``req``."""

    @property
    def frame(self) -> Frame: ...


@lru_cache(maxsize=256)  # docstrings are few and fixed: every page shows its own
def docline(text: str) -> Markup:
    """Escape one line of a docstring for HTML, showing its ``literals`` as code.

    >>> docline("Set ``a<b`` & go")
    Markup('Set <code>a&lt;b</code> &amp; go')
    """
    return Markup(_LITERAL.sub(r"<code>\1</code>", str(escape(text))))


@lru_cache(maxsize=64)
def _source_links(root: str, sources: tuple[str, ...]) -> str:
    """Links to the source view of each file in *sources* (*root* is escaped already,
    and so is every value formatted in)."""
    return ", ".join(
        f'<a href="{root}{SOURCE}{escape(quote(name))}"><code>{escape(name)}</code></a>'
        for name in sources
    )


#: The files of webquiz/static/ that are served under ASSETS, by name.
STATIC = Path(__file__).parent / "static"


@cache
def asset(name: str) -> tuple[bytes, str]:
    """A file shipped in webquiz/static/ (by a name of that folder's listing, never a path
    from a URL): its bytes and a short digest of them (its ETag and URL version)."""
    data = (STATIC / name).read_bytes()
    return data, hashlib.sha256(data).hexdigest()[:16]


def stylesheet() -> tuple[bytes, str]:
    """The stylesheet's bytes and digest."""
    return asset("webquiz.css")


def page(
    req: Frame | Framed,
    title: str,
    body: Markup | str,
    *,
    how: Markup | str | None = None,
) -> Markup:
    """Wrap *body* in the pack's page: heading, purpose, a "how this works" note, links.

    *req* is the handler's request, or a Frame.
    """
    frame = req if isinstance(req, Frame) else req.frame
    root = escape(quote(frame.root, safe="/"))
    heading = escape(title)
    parts = [
        _HEAD, heading, '</title>\n<link rel="stylesheet" href="', root, STYLESHEET,
        "?v=", stylesheet()[1], '">\n</head>\n<body>\n<header>\n',
        '<p class="brand"><a href="', root, '/">webquiz</a></p>\n<h1>', heading, "</h1>\n",
    ]
    if frame.summary:
        parts += ['<p class="purpose">', docline(frame.summary), "</p>\n"]
    parts += ["</header>\n<main>\n", escape(body), "\n</main>\n"]
    if how or frame.sources:
        parts.append('<aside class="how">\n<h2>How this works</h2>\n')
        if how:
            parts += ["<p>", escape(how), "</p>\n"]
        if frame.sources:
            parts += ["<p>Read the code: ", _source_links(root, frame.sources), "</p>\n"]
        parts.append("</aside>\n")
    parts += ['<footer><p><a href="', root, '/">Back to the index</a></p></footer>\n'
              "</body>\n</html>\n"]
    return Markup("".join(parts))
