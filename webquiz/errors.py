"""HTTP errors as pages: the one place an HTTPException becomes what the client sees.

Errors are raised (werkzeug's ``HTTPException`` classes, from a handler, the request
parsing, the dispatcher, a built-in page) and turned into a short page in the pack's
frame here, keeping the headers a handler set for it (``Allow``, ``Set-Cookie``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from markupsafe import Markup
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from werkzeug.wrappers import Response

from .html import Frame, page

#: Headers of the handler's response that an error page does not take over.
_OWN = frozenset(("content-type", "content-length"))


def size_text(limit: int | None) -> str:
    """A byte count for people.

    >>> size_text(64 * 1024), size_text(2**30), size_text(1500), size_text(None)
    ('64 KiB', '1 GiB', '1500 bytes', 'no limit')
    """
    if limit is None:
        return "no limit"
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if limit >= factor and limit % factor == 0:
            return f"{limit // factor} {unit}"
    return f"{limit} bytes"


def too_large(limit: int | None) -> RequestEntityTooLarge:
    """The 413 of a page whose body limit is *limit*, saying what the limit is."""
    return RequestEntityTooLarge(
        f"This page accepts a request body of at most {size_text(limit)}; this one is larger.")


def error_page(exc: HTTPException, environ: dict[str, Any], frame: Frame,
               headers: Iterable[tuple[str, str]] = ()) -> Response:
    """*exc* as a response: a short page in the frame (werkzeug's description as its text),
    or the Response the exception carries; plus *headers* (but a type or length)."""
    response = exc.get_response(environ)
    if exc.response is None:  # werkzeug's own page, not a Response someone supplied
        # werkzeug's description is HTML it escaped itself: "<p>" + escape(text) + "</p>".
        description = Markup(exc.get_description(environ))
        response.set_data(page(frame, f"{exc.code} {exc.name}", description))
    for key, value in headers:
        if key.lower() not in _OWN:
            response.headers.add(key, value)
    return response
