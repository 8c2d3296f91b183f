"""The request body as the gateways hand it over: counted, capped, guarded, drained.

``CountingInput`` counts what the application read, so that a gateway can ``drain`` the
rest (the CGI gateway before it answers, as Apache needs; the dev server after). A body of
unknown length is ``CappedBody``. (A body that stops arriving, a read that times out or a
reset connection, is werkzeug's ClientDisconnected: a 400.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import IO, Any

from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import LimitedStream


class CountingInput:
    """A body stream that counts the bytes read from it, so the rest can be drained."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self.stream.read(size)
        self.consumed += len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        data = self.stream.readline(size)
        self.consumed += len(data)
        return data

    def readlines(self, hint: int = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


class CappedBody(LimitedStream):
    """A body of unknown length (chunked) that may hold at most *cap* bytes: a 413 past it.

    werkzeug's own cap for such a body raises only when a read starts at the limit, so
    ``read()`` of the whole body (how a urlencoded form is read) stops there and returns
    the body cut short; here the byte after the cap is the 413.
    """

    def __init__(self, stream: IO[bytes], cap: int) -> None:
        super().__init__(stream, cap + 1, is_max=True)
        self.cap = cap

    def readinto(self, b: bytearray) -> int | None:  # type: ignore[override]
        size = super().readinto(b)
        if self.tell() > self.cap:
            raise RequestEntityTooLarge()
        return size


def unread(environ: Mapping[str, Any], body: CountingInput) -> int | None:
    """How many bytes of the body the application left unread: None when its length is
    unknown (a chunked body, read to its end), 0 when there is none left."""
    if environ.get("wsgi.input_terminated"):
        return None
    try:
        return max(int(environ.get("CONTENT_LENGTH") or 0) - body.consumed, 0)
    except ValueError:
        return 0


def drain(body: CountingInput, left: int | None) -> None:
    """Read and drop what is left of a body: *left* bytes, or to its end when None.

    Apache writes the whole body to a CGI program before it reads the answer and cuts
    the answer short when the program exits without reading it all; werkzeug's server
    reads the rest itself, but blocks on a short body. Errors end the draining quietly:
    the answer is what matters, and the client stopped sending.
    """
    try:
        while left is None or left > 0:
            chunk = body.stream.read(1 << 16 if left is None else min(left, 1 << 16))
            if not chunk:
                return
            if left is not None:
                left -= len(chunk)
    except (OSError, ValueError):  # a pause, a reset, a bad chunk
        return
