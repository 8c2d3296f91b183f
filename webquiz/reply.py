"""The reply a handler writes, and how what it returns becomes a WSGI response.

``Reply`` collects ``status``, ``content_type``, ``headers`` and the written body; when
the handler returns, ``respond(result)`` turns the return value into a WSGI application:
a ``Page`` (status line, header list, body: the fast lane of the common case, which needs
none of a werkzeug Response's machinery), the Response the handler built, or a raised
HTTP error. ``flush()`` sends the status, headers and body so far through the exit at
once, so a long page streams. Everything leaves through the one exit (``finalize.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import BadRequest, NotFound, default_exceptions
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.wrappers import Response

from .finalize import Exit, StartResponse, WSGIApp
from .headers import ResponseHeaders
from .results import DECLINED, OK

#: Statuses whose response has no body (RFC 9110).
NO_BODY = frozenset((204, 304))
#: Headers the reply sets itself from what was written.
_OWN = frozenset(("content-type", "content-length"))


def status_line(status: int) -> str:
    """``404 Not Found`` for 404."""
    return f"{status} {HTTP_STATUS_CODES.get(status, 'Unknown')}"


class Page:
    """A written page, ready for WSGI: status line, header list, body chunks."""

    __slots__ = ("status", "headers", "chunks")

    def __init__(self, status: str, headers: list[tuple[str, str]],
                 chunks: list[bytes]) -> None:
        self.status = status
        self.headers = headers
        self.chunks = chunks

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        start_response(self.status, self.headers)
        return self.chunks


class Rest:
    """The end of a page that was flushed: its status and headers are sent already."""

    __slots__ = ("chunks",)

    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks = chunks

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        return self.chunks


class Reply:
    """The response a handler is writing: status, content type, headers, body."""

    def __init__(self, exit: Exit | None = None) -> None:
        #: Status of the response; a handler may set it or return it.
        self.status = 200
        #: Content type; ``; charset=utf-8`` is added to text types.
        self.content_type = "text/html"
        #: Headers of the response (``Set-Cookie``, ``Location``, ...), checked as set.
        self.headers: ResponseHeaders = ResponseHeaders()
        self._chunks: list[bytes] = []
        self._exit = exit
        #: The server's write callable, once the reply was flushed.
        self._write: Callable[[bytes], Any] | None = None

    def write(self, data: str | bytes) -> None:
        """Append *data* to the body (str is encoded as UTF-8)."""
        self._chunks.append(data.encode("utf-8") if isinstance(data, str) else bytes(data))

    @property
    def body(self) -> bytes:
        """What has been written and not yet flushed."""
        return b"".join(self._chunks)

    @property
    def flushed(self) -> bool:
        """True once the status and headers went out: they can no longer change."""
        return self._write is not None

    def _header_list(self, status: int, length: int | None) -> list[tuple[str, str]]:
        """Content-Type, Content-Length when known, then the handler's own headers."""
        headers: list[tuple[str, str]] = []
        if status not in NO_BODY and status >= 200:
            ctype = self.content_type
            if ctype.startswith("text/") and "charset" not in ctype.lower():
                ctype += "; charset=utf-8"
            headers.append(("Content-Type", ctype))
            if length is not None:
                headers.append(("Content-Length", str(length)))
        headers += [(k, v) for k, v in self.headers.items() if k.lower() not in _OWN]
        return headers

    def flush(self) -> None:
        """Send the status and headers (once) and the body written so far, through the exit.

        Without an exit (a request made outside a server) this does nothing.
        """
        if self._exit is None:
            return
        if self._write is None:
            write = self._exit.start_response(status_line(self.status),
                                              self._header_list(self.status, None))
            refused = self._exit.refused
            if refused is not None:  # a header may not be sent: the 400 page answers
                self._exit.refused = None
                raise BadRequest(refused.description)
            self._write = write
        chunks, self._chunks = self._chunks, []
        for chunk in chunks:
            if chunk:
                self._write(chunk)

    def respond(self, result: Any, *, head: bool = False) -> WSGIApp:
        """The WSGI application answering with what was written and *result*, the
        handler's return value: OK (or None), an HTTP status, DECLINED (a 404), or a
        werkzeug Response (sent as it is). An error status with nothing written raises
        that HTTP error, so the client gets the error page. *head*: a HEAD request."""
        if isinstance(result, Response):
            if self.flushed:
                raise TypeError("a handler that flushed cannot return a Response")
            return result
        if isinstance(result, bool):
            raise TypeError(f"handler returned {result!r}: expected OK or a status")
        if result is None or result == OK:
            status = self.status
        elif result == DECLINED:
            raise NotFound()
        elif isinstance(result, int) and 100 <= result <= 599:
            status = result
        else:
            raise TypeError(f"handler returned {result!r}: expected OK or a status")
        if self._write is not None:
            return Rest(self._chunks)
        body = b"".join(self._chunks)
        if status >= 400 and not body and status in default_exceptions:
            raise default_exceptions[status]()
        if status in NO_BODY or status < 200:
            return Page(status_line(status), self._header_list(status, None), [])
        # A handler that skipped the body for HEAD (mod_python's header_only idiom) gets
        # no Content-Length: 0 would misstate the length of the GET.
        length = len(body) if body or not head else None
        return Page(status_line(status), self._header_list(status, length),
                    [body] if body else [])
