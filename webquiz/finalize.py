"""The one way out: every response of webquiz leaves through an ``Exit``.

Whatever made the response (a page a handler wrote, a werkzeug Response it returned, an
error page, a static file, a CGI program's output), it reaches the server only through
``Exit.start_response``, which calls ``finalize``: every header name and value is checked
(CR, LF, NUL, C0 and C1 controls, characters outside Latin-1) and the security headers are
added. A response with a header that may not be sent is replaced by a 400 page. For HEAD
the body is dropped, whatever the application wrote. Cleanups registered on the exit run
when the server closes the response.

So a rule about what leaves exists once, here, for every gateway::

    exit = Exit(environ, start_response)
    return exit.send(some_wsgi_app)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.exceptions import BadRequest, HTTPException
from werkzeug.wsgi import ClosingIterator

from .headers import SECURITY_HEADERS, first_unsafe_header
from .log import log

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_SECURITY = tuple((key.lower(), key, value) for key, value in SECURITY_HEADERS)


def finalize(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """*headers* with each security header they lack added; BadRequest when any of them
    may not be sent (a name that is no token, a value with a control character or a
    character outside Latin-1)."""
    problem = first_unsafe_header(headers)
    if problem:
        raise BadRequest(problem)
    present = {key.lower() for key, _ in headers}
    return headers + [(key, value) for lower, key, value in _SECURITY if lower not in present]


def _nowhere(data: bytes) -> None:
    """The write callable of a response that sends no body (HEAD, or one refused)."""


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


Refusal = Callable[[HTTPException, dict[str, Any]], WSGIApp]


def plain_refusal(exc: HTTPException, environ: dict[str, Any]) -> WSGIApp:
    """A refused response's replacement, for middleware with no page frame: werkzeug's."""
    return exc  # an HTTPException is a WSGI application


class Exit:
    """The only ``start_response`` a response of webquiz may use, and what hands the
    response back to the server.

    ``refusal(exc, environ)`` makes the WSGI application answering instead of a response
    that was refused (the 400 page): the application's own error page, so that it looks
    like the site.
    """

    __slots__ = ("environ", "_start_response", "refusal", "refused", "started", "head",
                 "cleanups", "error_headers")

    def __init__(self, environ: dict[str, Any], start_response: StartResponse,
                 refusal: Refusal = plain_refusal) -> None:
        self.environ = environ
        self._start_response = start_response
        self.refusal = refusal
        #: The BadRequest of a response refused here; None until one is.
        self.refused: BadRequest | None = None
        #: True once the status and headers went to the server.
        self.started = False
        self.head = environ.get("REQUEST_METHOD") == "HEAD"
        #: Called, in order, when the server closes the response (uploads removed, ...).
        self.cleanups: list[Callable[[], Any]] = []
        #: Headers that go with an error page of this request: those the handler set
        #: (``Allow``, ``Set-Cookie``), mod_python's ``err_headers_out``.
        self.error_headers: Iterable[tuple[str, str]] = ()

    def start_response(self, status: str, headers: list[tuple[str, str]],
                       exc_info: Any = None) -> Callable[[bytes], Any]:
        """Check and complete *headers* (``finalize``), then hand them to the server.

        A header that may not be sent refuses the whole response: nothing goes to the
        server, and ``send`` answers with the refusal page instead.
        """
        try:
            headers = finalize(headers)
        except BadRequest as exc:
            log(self.environ, f"400: {exc.description} (header of a {status} response)")
            self.refused = exc
            return _nowhere
        if exc_info is not None:
            write = self._start_response(status, headers, exc_info)
        else:
            write = self._start_response(status, headers)
        self.started = True
        return _nowhere if self.head else write

    def send(self, app: WSGIApp) -> Iterable[bytes]:
        """Run *app* for this request through the exit; return what the server iterates."""
        result = app(self.environ, self.start_response)
        if not self.started and self.refused is None:
            result = self._primed(result)
        if self.refused is not None:
            _close(result)
            refused, self.refused = self.refused, None
            result = self.refusal(refused, self.environ)(self.environ, self.start_response)
            if self.refused is not None:  # the refusal page itself was refused: nothing works
                raise RuntimeError("the refusal page carries a header that may not be sent")
        if self.head:
            _close(result)
            result = []
        if self.cleanups:
            return ClosingIterator(result, self.cleanups)
        return result

    def _primed(self, result: Iterable[bytes]) -> Iterable[bytes]:
        """*result* with its first chunk taken already, for an application that calls
        ``start_response`` only when it yields (PEP 3333 allows it)."""
        iterator = iter(result)
        try:
            first = next(iterator)
        except StopIteration:
            _close(result)
            return []
        if self.refused is not None:
            _close(result)
            return []

        def rest() -> Iterator[bytes]:
            try:
                yield first
                yield from iterator
            finally:
                _close(result)

        return rest()


def through_exit(app: WSGIApp, refusal: Refusal = plain_refusal) -> WSGIApp:
    """*app* with each of its responses sent through an ``Exit`` (for middleware of ours)."""

    def exited(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return Exit(environ, start_response, refusal).send(app)

    return exited
