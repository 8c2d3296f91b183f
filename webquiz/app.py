"""The WSGI application: dispatch a request to a handler and turn its work into a response.

``make_app()`` builds one; every gateway (CGI, mod_wsgi, the dev server) serves the
object it returns, so all three run the same code below this line.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from markupsafe import Markup
from werkzeug.datastructures import Headers
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    default_exceptions,
)
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from .dispatch import ROUTE, HandlerTable, Route
from .html import ASSETS, SOURCE, STYLESHEET, docline, page, stylesheet
from .request import (
    DECLINED,
    DONE,
    MAX_UPLOAD,
    OK,
    UNSAFE_HEADER,
    HandlerRequest,
    check_header,
    wsgi_text,
)

StartResponse = Callable[..., Any]

#: Environment variable naming the handlers folder, for every gateway.
HANDLERS_ENV = "WEBQUIZ_HANDLERS"
#: Environment variable with the upload cap in bytes (default 1 GiB).
MAX_UPLOAD_ENV = "WEBQUIZ_MAX_UPLOAD"

#: What the index says it is, and how it works.
INDEX_SUMMARY = "The classic CGI and mod_python example pages, rebuilt on WSGI."
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
_INDEX = Markup(
    "<p>Each page is a small, complete example: try it, read how it works, copy it.</p>\n"
    '<ul class="pages">\n{}</ul>\n'
)
_INDEX_ROW = Markup('<li><a href="{}">{}</a>: {}</li>\n')
_SOURCE_PAGE = Markup(
    "<p>The module <code>{}</code> of the handlers folder, as the server has it:"
    " open the {} page to try it.</p>\n"
)
_SOURCE_IMPORTS = Markup("<p>It imports the private helper {} from the same folder.</p>\n")
_CODE_LINK = Markup('<a href="{}"><code>{}</code></a>')
_SOURCE_HELPER = Markup(
    "<p><code>{}</code> is a private helper (its name starts with <code>_</code>):"
    " the dispatcher never routes a URL to it. These pages import it: {}.</p>\n"
)

#: Sent with every response unless the handler set its own: no MIME sniffing, nothing
#: loaded, framed or posted across origins (the pages need no inline script or style),
#: and the Referer only within the site.
SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy",
     "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"),
    ("Referrer-Policy", "same-origin"),
)
#: [doctor hook] The deployment probe's path (webquiz/probe.py imports it from here).
PROBE = ASSETS + "/probe"
_SECURITY = tuple((key.lower(), key, value) for key, value in SECURITY_HEADERS)


def default_handlers_dir() -> Path:
    """The pack's own handlers: inside the installed package, else a checkout's handlers/."""
    here = Path(__file__).resolve().parent
    bundled = here / "handlers"
    return bundled if bundled.is_dir() else here.parent / "handlers"


def resolve_handlers_dir(handlers: str | os.PathLike[str] | None = None) -> Path:
    """Choose the handlers folder: the argument, else $WEBQUIZ_HANDLERS, else the pack's."""
    chosen = handlers or os.environ.get(HANDLERS_ENV) or default_handlers_dir()
    return Path(chosen).expanduser().resolve()


class WebQuiz:
    """A WSGI application serving the handler modules of one folder."""

    def __init__(
        self,
        handlers: str | os.PathLike[str] | None = None,
        *,
        gateway: str | None = None,
        debug: bool = False,
        eager: bool = True,
        max_upload: int | None = None,
        show_source: bool | None = None,
        probe: bool = True,
    ) -> None:
        #: [doctor hook] Whether /_webquiz/probe answers (webquiz/probe.py).
        self.probe = probe
        self.table = HandlerTable(resolve_handlers_dir(handlers), eager=eager)
        #: Whether pages link to their handler's source and ``/_webquiz/source/`` shows it;
        #: by default only for the pack's own pages (a user's folder may hold secrets).
        self.show_source = (self.folder == default_handlers_dir().resolve()
                            if show_source is None else show_source)
        self.gateway = gateway
        #: In debug mode a handler's exception propagates (to werkzeug's debugger).
        self.debug = debug
        #: The cap on uploads offered to pages that accept them (``req.max_upload``).
        self.max_upload = max_upload or int(os.environ.get(MAX_UPLOAD_ENV, MAX_UPLOAD))
        if eager:
            for route in self.table.routes():
                if route.error:
                    _log(None, f"handler {route.name!r} failed to import; it will answer 500:\n"
                         f"{route.error}")

    @property
    def folder(self) -> Path:
        """The handlers folder served."""
        return self.table.folder

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.gateway:
            environ.setdefault("webquiz.gateway", self.gateway)
        environ["webquiz.max_upload"] = self.max_upload
        environ["webquiz.app_root"] = environ.get("SCRIPT_NAME", "")
        response = self.respond(environ)
        if isinstance(response, Reply):  # its headers were checked as they were set
            return response(environ, start_response)
        if _has_unsafe_header(response):
            _log(environ, "400: a response header carried a control character; refused")
            response = _error_response(BadRequest(UNSAFE_HEADER), environ)
        add_security_headers(response.headers)
        return response(environ, start_response)

    def respond(self, environ: dict[str, Any]) -> Response | Reply:
        """Return the response for one request (HTTP errors included)."""
        path = environ.get("PATH_INFO", "")
        if path in ("", "/"):
            return self.index(environ)
        if path == ASSETS or path.startswith(ASSETS + "/"):
            return self.asset(environ, path)
        match = None if suspicious_path(environ) else ROUTE.fullmatch(path)
        route = self.table.get(match["name"]) if match else None
        if match is None or route is None:
            _log(environ, f"404 {wsgi_text(path)!r}: no handler of that name in {self.folder}")
            return _error_response(NotFound("There is no page of that name here."), environ)
        if route.error:
            _log(environ, f"500 {route.name!r}: the handler failed to import:\n{route.error}")
            return _error_response(InternalServerError(), environ)
        assert route.handler is not None

        # Move the name from PATH_INFO to SCRIPT_NAME (werkzeug's DispatcherMiddleware
        # does the same), so the handler builds links that work under any mount point.
        app_root = environ.get("SCRIPT_NAME", "")
        inner = dict(environ)
        inner["SCRIPT_NAME"] = app_root + "/" + match["segment"]
        inner["PATH_INFO"] = match["rest"] or ""
        sources = (route.path.name, *(p.name for p in route.helpers)) if self.show_source else ()
        req = HandlerRequest(inner, app_root=wsgi_text(app_root), filename=str(route.path),
                             handler_name=route.name, summary=route.summary, sources=sources)
        try:
            return self.call_handler(route, req)
        except RequestEntityTooLarge:
            limit = _size(req.max_body)
            _log(environ, f"413 {route.name!r}: the request body is over {limit}")
            too_large = RequestEntityTooLarge(
                f"This page accepts a request body of at most {limit}; this one is larger."
            )
            return _error_response(too_large, inner)
        except HTTPException as exc:
            return _error_response(exc, inner, req.headers_out)
        except Exception:
            if self.debug:
                raise
            _log(environ, f"500 {route.name!r} raised:\n{traceback.format_exc()}")
            return _error_response(InternalServerError(), environ)
        finally:
            req.close()  # uploaded files spooled to disk are removed now

    def call_handler(self, route: Route, req: HandlerRequest) -> Response | Reply:
        """Run a handler and turn its return value and what it wrote into a response."""
        assert route.handler is not None
        try:
            result = route.handler(req)
        except HTTPException as exc:
            # An HTTP error carrying a handler result (mod_python's SERVER_RETURN with OK,
            # DONE or a 2xx/3xx status) ends the handler as if it had returned that value.
            result = getattr(exc, "handler_result", None)
            if result is None:
                raise
        if isinstance(result, Response):
            return result
        if isinstance(result, bool):
            raise TypeError(f"handler {route.name!r} returned {result!r}: expected OK or a status")
        if result is None or result == OK or result == DONE:
            status = req.status
        elif result == DECLINED:
            raise NotFound()
        elif isinstance(result, int) and 100 <= result <= 599:
            status = result
        else:
            raise TypeError(f"handler {route.name!r} returned {result!r}: expected OK or a status")
        body = req.body
        if status >= 400 and not body and status in default_exceptions:
            return _error_response(default_exceptions[status](), req.environ, req.headers_out)
        ctype = req.content_type
        if ctype.startswith("text/") and "charset" not in ctype.lower():
            ctype += "; charset=utf-8"
        headers = [("Content-Type", ctype)]
        if status in _NO_BODY or status < 200:
            body, headers = b"", []  # no content, so no Content-Type either
        elif body or not req.header_only:
            # A handler that skipped the body for HEAD (mod_python's header_only idiom)
            # gets no Content-Length: 0 would misstate the length of the GET.
            headers.append(("Content-Length", str(len(body))))
        headers += [(k, v) for k, v in req.headers_out.items()
                    if k.lower() not in ("content-type", "content-length")]
        return Reply(status, with_security_headers(headers), body)

    def index(self, environ: dict[str, Any]) -> Response:
        """The index page: every handler, linked, with the first line of its docstring."""
        req = HandlerRequest(environ, app_root=wsgi_text(environ.get("SCRIPT_NAME", "")),
                             summary=INDEX_SUMMARY)
        if req.method not in ("GET", "HEAD"):
            return _error_response(MethodNotAllowed(valid_methods=["GET", "HEAD"]), environ)
        rows = Markup("").join(
            _INDEX_ROW.format(
                req.app_url(route.name), route.name,
                "this page failed to load (see the server log)" if route.error
                else docline(route.summary),
            )
            for route in self.table.routes()
        )
        html = page(req, "The example pages", _INDEX.format(rows), how=INDEX_HOW)
        return Response(html, content_type="text/html; charset=utf-8")

    def asset(self, environ: dict[str, Any], path: str) -> Response:
        """What the machinery serves under ``/_webquiz``: the stylesheet, handlers' source."""
        if path == PROBE or path.startswith(PROBE + "/"):  # [doctor hook] webquiz/probe.py
            from .probe import probe  # imported by probe requests only (CGI start-up)

            try:
                return probe(environ, enabled=self.probe)
            except HTTPException as exc:
                return _error_response(exc, environ)
        if path == STYLESHEET or (path.startswith(SOURCE) and self.show_source):
            if environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
                return _error_response(MethodNotAllowed(valid_methods=["GET", "HEAD"]), environ)
            if path == STYLESHEET:
                return _stylesheet_response(environ)
            found = self.source(environ, wsgi_text(path[len(SOURCE):]))
            if found is not None:
                return found
        _log(environ, f"404 {wsgi_text(path)!r}: nothing of that name is served")
        return _error_response(NotFound("There is nothing of that name here."), environ)

    def source(self, environ: dict[str, Any], name: str) -> Response | None:
        """The source of a handler's module or of a private helper a handler imports.

        *name* only looks up the table of those files (``pathinfo.py``, ``_quiz.py``):
        it is never joined to a path. None when it names none of them.
        """
        routes = [route for route in self.table.routes() if route.handler is not None]
        pages = [route for route in routes if route.path.name == name]
        users = pages or [r for r in routes if any(h.name == name for h in r.helpers)]
        if not users:
            return None
        path = users[0].path if pages else next(
            h for h in users[0].helpers if h.name == name)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return None
        req = HandlerRequest(environ, app_root=wsgi_text(environ.get("SCRIPT_NAME", "")))
        links = Markup(", ").join(
            Markup('<a href="{}">{}</a>').format(req.app_url(route.name), route.name)
            for route in users
        )
        if pages:
            req.summary = pages[0].summary
            intro = _SOURCE_PAGE.format(name, links)
            if pages[0].helpers:
                intro += _SOURCE_IMPORTS.format(Markup(", ").join(
                    _CODE_LINK.format(req.app_url(ASSETS[1:], "source", h.name), h.name)
                    for h in pages[0].helpers))
        else:
            req.summary = "A private helper of the pack's pages, never a page itself."
            intro = _SOURCE_HELPER.format(name, links)
        body = intro + Markup("<pre><code>{}</code></pre>").format(text)
        html = page(req, f"Source of {name}", body, how=SOURCE_HOW)
        return Response(html, content_type="text/html; charset=utf-8")


def _size(limit: int | None) -> str:
    """A byte count for people: ``64 KiB``, ``1 GiB``, ``1500 bytes``."""
    if limit is None:
        return "no limit"
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if limit >= factor and limit % factor == 0:
            return f"{limit // factor} {unit}"
    return f"{limit} bytes"


def _has_unsafe_header(response: Response) -> bool:
    """True when any header name is no token or any value holds a control character (CR,
    LF, NUL, ...) or a character outside Latin-1.

    ``req.headers_out`` refuses these as they are set; this catches a Response a
    handler built itself, before anything reaches ``start_response``.
    """
    for key, value in response.headers.items():
        try:
            check_header(key, value)
        except BadRequest:
            return True
    return False


def suspicious_path(environ: dict[str, Any]) -> bool:
    """True for paths no browser sends: dot segments, a NUL, or an encoded slash in the raw URI.

    Apache refuses ``%2F`` and ``%00`` in a path by default (AllowEncodedSlashes Off) and
    removes ``..``; refusing them here gives the same 404 under every gateway.
    """
    path = environ.get("PATH_INFO", "")
    if "/./" in path + "/" or "/../" in path + "/" or "\x00" in path:
        return True
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or ""
    return "%2f" in raw.partition("?")[0].lower()


#: Statuses whose response has no body (RFC 9110).
_NO_BODY = frozenset((204, 304))


class Reply:
    """A page a handler wrote, ready for WSGI: status, header list, body bytes.

    The fast lane of the common case. werkzeug's Response (streaming, conditional
    requests, a header object) costs more than the whole dispatch, and a written page
    needs none of it; handlers that return a Response, and error pages, still use it.
    The headers were checked as they were set (``req.headers_out``).
    """

    __slots__ = ("status", "headers", "body")

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status = status
        self.headers = headers
        self.body = body

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> list[bytes]:
        phrase = HTTP_STATUS_CODES.get(self.status, "Unknown")
        start_response(f"{self.status} {phrase}", self.headers)
        if environ.get("REQUEST_METHOD") == "HEAD" or not self.body:
            return []
        return [self.body]


def with_security_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """*headers* plus each of SECURITY_HEADERS they do not set already."""
    present = {key.lower() for key, _ in headers}
    return headers + [(key, value) for lower, key, value in _SECURITY if lower not in present]


def add_security_headers(headers: Headers) -> None:
    """Add each of SECURITY_HEADERS that *headers* does not set already."""
    present = {key.lower() for key, _ in headers.items()}
    for lower, key, value in _SECURITY:
        if lower not in present:
            # Constants: skip req.headers_out's checks (this runs on every response).
            Headers.add(headers, key, value)


def _stylesheet_response(environ: dict[str, Any]) -> Response:
    """The stylesheet: cached for a year under its current ``?v=``, else revalidated."""
    data, digest = stylesheet()
    response = Response(data, content_type="text/css; charset=utf-8")
    response.set_etag(digest)
    if parse_qs(environ.get("QUERY_STRING", "")).get("v") == [digest]:
        # The URL names this exact content: it can never change under it.
        response.cache_control.public = True
        response.cache_control.max_age = 365 * 24 * 60 * 60
        response.cache_control.immutable = True
    else:
        response.cache_control.no_cache = True
    return response.make_conditional(environ)


def _error_response(
    exc: HTTPException, environ: dict[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> Response:
    """An HTTP error as a short page in the pack's frame, keeping headers such as Allow."""
    response = exc.get_response(environ)
    if exc.response is None:  # werkzeug's own page, not a Response a handler supplied
        root = environ.get("webquiz.app_root", environ.get("SCRIPT_NAME", ""))
        frame = HandlerRequest(environ, app_root=wsgi_text(root))
        # werkzeug's description is HTML it escaped itself: "<p>" + escape(text) + "</p>".
        description = Markup(exc.get_description(environ))
        response.set_data(page(frame, f"{exc.code} {exc.name}", description))
    for key, value in headers:
        if key.lower() not in ("content-type", "content-length"):
            response.headers.add(key, value)
    return response


def _log(environ: dict[str, Any] | None, message: str) -> None:
    """Write to the gateway's error log (``wsgi.errors``), or stderr outside a request."""
    stream: Any = (environ or {}).get("wsgi.errors") or sys.stderr
    stream.write(f"webquiz: {message.rstrip()}\n")
    stream.flush()


def make_app(
    handlers: str | os.PathLike[str] | None = None,
    *,
    gateway: str | None = None,
    debug: bool = False,
    eager: bool = True,
    max_upload: int | None = None,
    show_source: bool | None = None,
    probe: bool = True,
) -> WebQuiz:
    """Return the WSGI application serving *handlers* (default: $WEBQUIZ_HANDLERS or the pack).

    ``eager=False`` imports a handler only when it is first asked for (for CGI).
    ``max_upload`` caps uploads in bytes (default $WEBQUIZ_MAX_UPLOAD, else 1 GiB).
    ``show_source`` lets pages link to their handler's source, shown at
    ``/_webquiz/source/NAME.py`` (default: only when serving the pack's own pages).
    ``probe=False`` turns off the deployment probe at ``/_webquiz/probe`` (webquiz doctor).
    """
    return WebQuiz(handlers, gateway=gateway, debug=debug, eager=eager, max_upload=max_upload,
                   show_source=show_source, probe=probe)
