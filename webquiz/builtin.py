"""The pages the machinery serves itself: the index at ``/``, and under ``/_webquiz/`` the
files shipped in ``webquiz/static/`` (the stylesheet), the source view of the handlers,
and the deployment probe that ``webquiz doctor`` asks (``webquiz/probe.py``).

``/_webquiz/`` can never be a handler's URL (names starting with ``_`` are never routed),
so nothing here collides with a page. Every name in such a URL only looks up a table
built at start-up (the static folder's listing, the handler table): none is ever used as
a path.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

from markupsafe import Markup
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.wrappers import Response

from .config import Settings
from .dispatch import HandlerTable
from .finalize import WSGIApp
from .html import ASSETS, SOURCE, STATIC, Frame, asset, docline, page
from .reply import Page
from .request import wsgi_text

#: The pack's own index: its title and what it is.
PACK_TITLE = "The example pages"
PACK_TAGLINE = "The classic CGI and mod_python example pages, rebuilt on WSGI."
INDEX_HOW = Markup(
    "Each page is one Python module in the handlers folder, listed here with the first line"
    " of its docstring. The name in a URL only looks up this list: it is never imported by"
    " name, so <code>/os</code> is a 404, and names starting with <code>_</code> are"
    " private helpers, never pages."
)
SOURCE_HOW = Markup(
    "Only the modules of the pack&#39;s pages and the private helpers they import are shown"
    " here: the name in the URL looks up that list and is never used as a path. A server"
    " of your own handlers folder shows their source only if you ask it to"
    " (<code>make_app(show_source=True)</code>)."
)
NO_DOCSTRING = "(no description yet: the first line of its docstring shows here)"
_INDEX = Markup(
    "<p>Each page is a small, complete example: try it, read how it works, copy it.</p>\n"
    '<ul class="pages">\n{}</ul>\n'
)
_INDEX_ROW = Markup('<li><a href="{}">{}</a>: {}</li>\n')
_SOURCE_PAGE = Markup(
    "<p>The module <code>{}</code> of the handlers folder, as the server has it:"
    " open the {} page to try it, or <a href=\"{}\" download>download it</a>.</p>\n"
)
_SOURCE_IMPORTS = Markup("<p>It imports the private helper {} from the same folder.</p>\n")
_CODE_LINK = Markup('<a href="{}"><code>{}</code></a>')
_SOURCE_HELPER = Markup(
    "<p><code>{}</code> is a private helper (its name starts with <code>_</code>):"
    " the dispatcher never routes a URL to it. These pages import it: {}."
    ' <a href="{}" download>Download it</a>.</p>\n'
)
#: Where the plain text of a handler file is served, for download.
RAW = ASSETS + "/raw/"
#: The deployment probe's path: what ``webquiz doctor`` asks (anything after it is its
#: PATH_INFO).
PROBE = ASSETS + "/probe"
#: Content types of the files the static folder may hold, by extension.
STATIC_TYPES = {
    "css": "text/css; charset=utf-8",
    "js": "text/javascript; charset=utf-8",
    "svg": "image/svg+xml",
    "ico": "image/x-icon",
    "png": "image/png",
}
ONE_YEAR = 365 * 24 * 60 * 60
_HTML = "text/html; charset=utf-8"


def folder_docstring(folder: Path) -> str:
    """The docstring of the folder's ``__init__.py``, read without running it ("" if none)."""
    try:
        tree = ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return ""
    return ast.get_docstring(tree) or ""


def site_words(settings: Settings) -> tuple[str, str]:
    """The index's title and tagline: as given, else from the folder's ``__init__.py``
    docstring (its first line, then its first paragraph), else the pack's or the folder's
    name."""
    title, tagline = settings.title, settings.tagline
    if title is None or tagline is None:
        doc = folder_docstring(settings.folder).strip()
        first, _, rest = doc.partition("\n")
        paragraph = " ".join(rest.strip().split("\n\n")[0].split())
        if settings.is_pack:
            first, paragraph = first or PACK_TITLE, paragraph or PACK_TAGLINE
        title = title if title is not None else first.strip() or f"Pages of {settings.folder.name}"
        tagline = tagline if tagline is not None else paragraph
    return title, tagline


def html_page(body: str, status: str = "200 OK") -> Page:
    """A page of HTML, as the handlers' written pages leave."""
    data = body.encode("utf-8")
    return Page(status, [("Content-Type", _HTML), ("Content-Length", str(len(data)))], [data])


class BuiltinPages:
    """The index, the static files and the source view of one application."""

    def __init__(self, table: HandlerTable, settings: Settings) -> None:
        self.table = table
        self.show_source = settings.show_source
        self.probe = settings.probe
        self.title, self.tagline = site_words(settings)
        #: The static folder's files, by name: the only names ``/_webquiz/NAME`` serves.
        self.static = {
            path.name: STATIC_TYPES[path.suffix[1:]]
            for path in STATIC.iterdir()
            if path.is_file() and path.suffix[1:] in STATIC_TYPES
        }
        #: The index's HTML by mount point, made on first use (the folder does not change).
        self._index: dict[str, Page] = {}

    # -- the index ----------------------------------------------------------------

    def index(self, environ: dict[str, Any]) -> WSGIApp:
        """Every handler, linked, with the first line of its docstring."""
        _only_get(environ)
        root = wsgi_text(environ.get("SCRIPT_NAME", ""))
        cached = self._index.get(root)
        if cached is None:
            cached = html_page(self.index_html(root))
            if len(self._index) < 32:  # mount points are few; never grow without bound
                self._index[root] = cached
        return cached

    def index_html(self, root: str) -> str:
        """The index page's HTML under the mount point *root*."""
        rows = Markup("").join(
            _INDEX_ROW.format(
                _link(root, route.name), route.name,
                "this page failed to load (see the server log)" if route.error
                else docline(route.summary) if route.summary else NO_DOCSTRING,
            )
            for route in self.table.routes()
        )
        frame = Frame(root=root, summary=self.tagline)
        return page(frame, self.title, _INDEX.format(rows), how=INDEX_HOW)

    # -- under /_webquiz ----------------------------------------------------------

    def assets(self, environ: dict[str, Any], path: str) -> WSGIApp:
        """What ``/_webquiz/...`` names: a static file, a handler's source; else a 404."""
        rest = path[len(ASSETS) + 1:]
        if path == PROBE or path.startswith(PROBE + "/"):
            from .probe import probe  # imported by probe requests only (CGI start-up)

            return probe(environ, enabled=self.probe)
        if rest in self.static:
            _only_get(environ)
            return self.static_file(environ, rest)
        if self.show_source and (path.startswith(SOURCE) or path.startswith(RAW)):
            _only_get(environ)
            raw = path.startswith(RAW)
            found = self.source(environ, wsgi_text(path[len(RAW if raw else SOURCE):]), raw)
            if found is not None:
                return found
        raise NotFound("There is nothing of that name here.")

    def static_file(self, environ: dict[str, Any], name: str) -> Response:
        """A file of the static folder: cached for a year under its current ``?v=``,
        else revalidated by its ETag."""
        data, digest = asset(name)
        response = Response(data, content_type=self.static[name])
        response.set_etag(digest)
        if parse_qs(environ.get("QUERY_STRING", "")).get("v") == [digest]:
            # The URL names this exact content: it can never change under it.
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        else:
            response.cache_control.no_cache = True
        return response.make_conditional(environ)

    def source(self, environ: dict[str, Any], name: str, raw: bool = False) -> WSGIApp | None:
        """The source of a handler's module or of a private helper a handler imports, as a
        page (or as plain text to download, *raw*); None when *name* is neither.

        *name* only looks up the table of those files (``pathinfo.py``, ``_quiz.py``): it
        is never joined to a path.
        """
        routes = [route for route in self.table.routes() if route.handler is not None]
        pages = [route for route in routes if route.path.name == name]
        users = pages or [r for r in routes if any(h.name == name for h in r.helpers)]
        if not users:
            return None
        path = users[0].path if pages else next(h for h in users[0].helpers if h.name == name)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        if raw:
            response = Response(text, content_type="text/x-python; charset=utf-8")
            response.headers["Content-Disposition"] = f'inline; filename="{path.name}"'
            return response
        root = wsgi_text(environ.get("SCRIPT_NAME", ""))
        download = quote(root, safe="/") + RAW + quote(name, safe="")
        links = Markup(", ").join(
            Markup('<a href="{}">{}</a>').format(_link(root, route.name), route.name)
            for route in users
        )
        if pages:
            summary = pages[0].summary
            intro = _SOURCE_PAGE.format(name, links, download)
            if pages[0].helpers:
                intro += _SOURCE_IMPORTS.format(Markup(", ").join(
                    _CODE_LINK.format(quote(root, safe="/") + SOURCE + quote(h.name, safe=""),
                                      h.name)
                    for h in pages[0].helpers))
        else:
            summary = "A private helper of the pack's pages, never a page itself."
            intro = _SOURCE_HELPER.format(name, links, download)
        # tabindex: a box that scrolls sideways must be reachable by keyboard.
        body = intro + Markup('<pre tabindex="0"><code>{}</code></pre>').format(text)
        frame = Frame(root=root, summary=summary)
        return html_page(page(frame, f"Source of {name}", body, how=SOURCE_HOW))


def _only_get(environ: dict[str, Any]) -> None:
    """Raise a 405 unless the request is a GET or HEAD."""
    if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
        raise MethodNotAllowed(valid_methods=["GET", "HEAD"])


def _link(root: str, *segments: str) -> str:
    """A URL path under the mount point *root*, each segment quoted."""
    return quote(root, safe="/") + "".join("/" + quote(s, safe="") for s in segments)
