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

from markupsafe import Markup
from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
    default_exceptions,
)
from werkzeug.wrappers import Response

from .dispatch import ROUTE, HandlerTable, Route
from .html import page
from .request import (
    DECLINED,
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
    ) -> None:
        self.table = HandlerTable(resolve_handlers_dir(handlers), eager=eager)
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
        response = self.respond(environ)
        if _has_unsafe_header(response):
            _log(environ, "400: a response header carried a control character; refused")
            response = _error_response(BadRequest(UNSAFE_HEADER), environ)
        return response(environ, start_response)

    def respond(self, environ: dict[str, Any]) -> Response:
        """Return the response for one request (HTTP errors included)."""
        path = environ.get("PATH_INFO", "")
        if path in ("", "/"):
            return self.index(environ)
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
        req = HandlerRequest(inner, app_root=wsgi_text(app_root), filename=str(route.path))
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
            req.request.close()  # uploaded files spooled to disk are removed now

    def call_handler(self, route: Route, req: HandlerRequest) -> Response:
        """Run a handler and turn its return value and what it wrote into a response."""
        assert route.handler is not None
        result = route.handler(req)
        if isinstance(result, Response):
            return result
        if isinstance(result, bool):
            raise TypeError(f"handler {route.name!r} returned {result!r}: expected OK or a status")
        if result is None or result == OK:
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
        response = Response(body, status=status, headers=req.headers_out)
        if req.header_only and not body:
            # The handler skipped the body for HEAD (mod_python's header_only idiom):
            # a Content-Length of 0 would misstate the GET length, so send none.
            response.automatically_set_content_length = False
            del response.headers["Content-Length"]
        ctype = req.content_type
        if ctype.startswith("text/") and "charset" not in ctype.lower():
            ctype += "; charset=utf-8"
        response.headers["Content-Type"] = ctype
        return response

    def index(self, environ: dict[str, Any]) -> Response:
        """The index page: every handler, linked, with the first line of its docstring."""
        req = HandlerRequest(environ, app_root=wsgi_text(environ.get("SCRIPT_NAME", "")))
        if req.method not in ("GET", "HEAD"):
            return _error_response(MethodNotAllowed(valid_methods=["GET", "HEAD"]), environ)
        rows = Markup("").join(
            Markup('<li><a href="{}">{}</a>: {}</li>\n').format(
                req.app_url(route.name), route.name,
                "this page failed to load (see the server log)" if route.error else route.summary,
            )
            for route in self.table.routes()
        )
        body = Markup("<p>The pages in this pack, one handler module each:</p>\n<ul>\n{}</ul>")
        return Response(page("webquiz", body.format(rows)), content_type="text/html; charset=utf-8")


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


def _error_response(
    exc: HTTPException, environ: dict[str, Any], headers: Iterable[tuple[str, str]] = ()
) -> Response:
    """An HTTP error as a short page, keeping headers such as Allow or Set-Cookie."""
    response = exc.get_response(environ)
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
) -> WebQuiz:
    """Return the WSGI application serving *handlers* (default: $WEBQUIZ_HANDLERS or the pack).

    ``eager=False`` imports a handler only when it is first asked for (for CGI).
    ``max_upload`` caps uploads in bytes (default $WEBQUIZ_MAX_UPLOAD, else 1 GiB).
    """
    return WebQuiz(handlers, gateway=gateway, debug=debug, eager=eager, max_upload=max_upload)
