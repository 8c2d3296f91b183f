"""The WSGI application: route each request to a handler, and send its answer out.

``make_app()`` builds one; every gateway (CGI, mod_wsgi, the dev server) serves the
object it returns, so all three run the same code below this line. One request::

    WebQuiz.__call__     opens the exit (finalize.Exit), the only start_response used
      -> answer()        the index and /_webquiz/ (builtin.py), or a handler's route
         -> run()        handler(req); what it wrote and returned becomes a WSGI app
      -> an HTTPException anywhere becomes the error page, here and only here
      -> exit.send(app)  every header checked, security headers added, HEAD body dropped
"""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import (
    BadRequest,
    HTTPException,
    InternalServerError,
    NotFound,
    RequestEntityTooLarge,
)
from werkzeug.wrappers import Response

from .builtin import BuiltinPages
from .config import HANDLERS_ENV, MAX_UPLOAD_ENV, Settings, settings
from .dispatch import ROUTE, HandlerTable, Route
from .errors import error_page, size_text, too_large
from .finalize import Exit, StartResponse, WSGIApp
from .html import ASSETS, Frame
from .log import log
from .request import HandlerRequest, client_text, wsgi_text
from .results import HandlerExit

__all__ = ["HANDLERS_ENV", "MAX_UPLOAD_ENV", "WebQuiz", "make_app", "suspicious_path"]


def suspicious_path(environ: dict[str, Any]) -> bool:
    """True for paths no browser sends: dot segments, a NUL, or an encoded slash in the raw URI.

    Apache refuses ``%2F`` and ``%00`` in a path by default (AllowEncodedSlashes Off) and
    removes ``..``; refusing them here gives the same 404 under every gateway.

    >>> [suspicious_path({"PATH_INFO": p}) for p in ("/a/../b", "/.", "/a.py/x", "/a\\0")]
    [True, True, False, True]
    >>> suspicious_path({"PATH_INFO": "/a/b", "REQUEST_URI": "/a%2Fb?x=%2F"})
    True
    """
    path = environ.get("PATH_INFO", "")
    if "\x00" in path:
        return True
    if "/." in path:  # most paths hold no dot segment: skip the longer test
        tail = path + "/"
        if "/./" in tail or "/../" in tail:
            return True
    raw = environ.get("REQUEST_URI") or environ.get("RAW_URI") or ""
    return "%" in raw and "%2f" in raw.partition("?")[0].lower()


class WebQuiz:
    """A WSGI application serving the handler modules of one folder."""

    def __init__(self, handlers: str | os.PathLike[str] | None = None, **options: Any) -> None:
        self.settings: Settings = settings(handlers, **options)
        for prepare in self.settings.setup:
            prepare()
        self.table = HandlerTable(self.settings.folder, eager=self.settings.eager)
        self.builtin = BuiltinPages(self.table, self.settings)
        self._frames: dict[tuple[str, str], Frame] = {}
        if self.settings.eager:
            for route in self.table.routes():
                if route.error:
                    log(None, f"handler {route.name!r} failed to import; it will answer 500:\n"
                        f"{route.error}")

    @property
    def folder(self) -> Any:
        """The handlers folder served."""
        return self.settings.folder

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.settings.gateway:
            environ.setdefault("webquiz.gateway", self.settings.gateway)
        environ["webquiz.max_upload"] = self.settings.max_upload
        environ["webquiz.debug"] = self.settings.debug
        out = Exit(environ, start_response, self.error_app)
        try:
            app = self.answer(environ, out)
        except HTTPException as exc:
            app = _ended if out.started else self.error_app(exc, environ, out.error_headers)
        except Exception:
            if self.settings.debug:
                raise
            log(environ, f"500 {wsgi_text(environ.get('PATH_INFO', ''))!r} raised:\n"
                f"{traceback.format_exc()}")
            app = _ended if out.started else self.error_app(InternalServerError(), environ)
        return out.send(app)

    def answer(self, environ: dict[str, Any], out: Exit) -> WSGIApp:
        """The WSGI application that answers this request; raises an HTTPException for an
        error (a 404 for a name no handler has)."""
        path = environ.get("PATH_INFO", "")
        if suspicious_path(environ):
            log(environ, f"404 {wsgi_text(path)!r}: a dot segment, NUL or encoded slash; "
                f"nothing in {self.folder} is served for it")
            raise NotFound("There is no page of that name here.")
        client_text(path, "URL path")
        if path in ("", "/"):
            return self.builtin.index(environ)
        if path == ASSETS or path.startswith(ASSETS + "/"):
            return self.builtin.assets(environ, path)
        match = ROUTE.fullmatch(path)
        route = self.table.get(match["name"]) if match else None
        if match is None or route is None:
            log(environ, f"404 {wsgi_text(path)!r}: no handler of that name in {self.folder}")
            raise NotFound("There is no page of that name here.")
        if route.error:
            log(environ, f"500 {route.name!r}: the handler failed to import:\n{route.error}")
            raise InternalServerError()
        req = self.request_for(route, environ, match["segment"], match["rest"] or "", out)
        return self.run(route, req)

    def request_for(self, route: Route, environ: dict[str, Any], segment: str, rest: str,
                    out: Exit) -> HandlerRequest:
        """The ``req`` for *route*: the name moved from PATH_INFO to SCRIPT_NAME (as
        werkzeug's DispatcherMiddleware does), so the handler's links work under any mount."""
        root = environ.get("SCRIPT_NAME", "")
        inner = dict(environ)
        inner["SCRIPT_NAME"] = root + "/" + segment
        inner["PATH_INFO"] = rest
        req = (route.request_class or HandlerRequest)(
            inner, frame=self.frame_for(route, root), exit=out, filename=str(route.path),
            handler_name=route.name)
        out.error_headers = req.reply.headers
        return req

    def frame_for(self, route: Route, root: str) -> Frame:
        """What the page frame shows around *route*'s page under the mount point *root*
        (made once per route and mount point: they are few)."""
        frame = self._frames.get((route.name, root))
        if frame is None:
            sources = ((route.path.name, *(p.name for p in route.helpers))
                       if self.settings.show_source else ())
            frame = Frame(root=wsgi_text(root), summary=route.summary, sources=sources)
            if len(self._frames) < 1024:
                self._frames[route.name, root] = frame
        return frame

    def run(self, route: Route, req: HandlerRequest) -> WSGIApp:
        """Call the handler; what it wrote and returned (or HandlerExit carried) becomes the
        answer. Its HTTP errors propagate, a 413 saying what this page's limit is."""
        assert route.handler is not None
        try:
            try:
                result = route.handler(req)
            except HandlerExit as stop:
                if isinstance(stop.response, HTTPException):
                    raise stop.response from None  # the error page, with req.headers_out
                if stop.response is not None:
                    return _with_headers(stop.response, req.headers_out.items())
                result = stop.result
            return req.respond(result)
        except RequestEntityTooLarge as exc:
            log(req.environ, f"413 {route.name!r}: the request body is over "
                f"{size_text(req.max_body)}")
            if exc.description == RequestEntityTooLarge.description:
                raise too_large(req.max_body) from None
            raise

    def error_app(self, exc: HTTPException, environ: dict[str, Any],
                  headers: Iterable[tuple[str, str]] = ()) -> WSGIApp:
        """*exc* as the pack's error page, with *headers* the handler set for it."""
        if isinstance(exc, BadRequest) and exc.code == 400:
            log(environ, f"400 {wsgi_text(environ.get('PATH_INFO', ''))!r}: "
                f"{exc.description}")
        frame = Frame(root=wsgi_text(environ.get("SCRIPT_NAME", "")))
        return error_page(exc, environ, frame, headers)


def _ended(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The end of a page that failed after it was flushed: its status is sent already,
    so it can only stop short (the log says why)."""
    return []


def _with_headers(response: WSGIApp, headers: Iterable[tuple[str, str]]) -> WSGIApp:
    """*response* (a werkzeug Response) with *headers* added, but a type or a length."""
    if isinstance(response, Response):
        for key, value in headers:
            if key.lower() not in ("content-type", "content-length"):
                response.headers.add(key, value)
    return response


def make_app(
    handlers: str | os.PathLike[str] | None = None,
    *,
    gateway: str | None = None,
    debug: bool = False,
    eager: bool = True,
    max_upload: int | None = None,
    show_source: bool | None = None,
    title: str | None = None,
    tagline: str | None = None,
    setup: tuple[Callable[[], Any], ...] = (),
    probe: bool = True,
) -> WebQuiz:
    """Return the WSGI application serving *handlers* (default: $WEBQUIZ_HANDLERS or the pack).

    ``eager=False`` imports a handler only when it is first asked for (for CGI).
    ``max_upload`` caps uploads in bytes (default $WEBQUIZ_MAX_UPLOAD, else 1 GiB).
    ``show_source`` lets pages link to their handler's source, shown at
    ``/_webquiz/source/NAME.py`` (default: only when serving the pack's own pages).
    ``title`` and ``tagline`` head the index (default: the folder's ``__init__.py``
    docstring, its first line and first paragraph). ``setup`` callables run once before
    the folder's first module is imported (a compatibility layer's import alias).
    ``probe=False`` turns off the deployment probe at ``/_webquiz/probe`` (webquiz doctor).
    """
    return WebQuiz(handlers, gateway=gateway, debug=debug, eager=eager, max_upload=max_upload,
                   show_source=show_source, title=title, tagline=tagline, setup=setup,
                   probe=probe)
