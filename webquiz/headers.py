"""What may leave in a response header: the rule, in one place.

Every response passes ``first_unsafe_header`` at the exit (``webquiz/finalize.py``);
``ResponseHeaders`` (``req.headers_out``) applies the same rule as a header is set, so a
handler learns of a bad value where it made it. ``safe_location`` is the rule for where a
redirect may send the client. ``SECURITY_HEADERS`` are added to every response.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers
from werkzeug.exceptions import BadRequest
from werkzeug.urls import iri_to_uri

#: A header or cookie name: an RFC 9110 token.
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: What no header value may hold: CR and LF (they would split the response), NUL, every
#: other C0 control, DEL, and the C1 controls U+0080 to U+009F (U+0085 is a line break to
#: some parsers). PEP 3333 allows none of them, not even a tab.
UNSAFE_IN_HEADER = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Why a header is refused (the same words under every gateway).
UNSAFE_HEADER = ("A response header would carry a line break or NUL, another control "
                 "character, or a character outside Latin-1; refused.")
#: Why a header name is refused.
UNSAFE_NAME = "A response header name is not a valid token; refused."

#: Sent with every response unless the handler set its own: no MIME sniffing, nothing
#: loaded, framed or posted across origins (the pages need no inline script or style),
#: and the Referer only within the site.
SECURITY_HEADERS: tuple[tuple[str, str], ...] = (
    ("X-Content-Type-Options", "nosniff"),
    ("Content-Security-Policy",
     "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"),
    ("Referrer-Policy", "same-origin"),
)


def header_problem(key: str, value: object) -> str | None:
    """Why the header *key*: *value* may not be sent, or None when it may.

    >>> header_problem("X-Ok", "fine") is None
    True
    >>> header_problem("Location", "/a\\r\\nSet-Cookie: x=1") == UNSAFE_HEADER
    True
    >>> header_problem("X", "next\\x85line") == UNSAFE_HEADER
    True
    """
    if not isinstance(key, str) or not TOKEN.fullmatch(key):
        return UNSAFE_NAME
    text = value if isinstance(value, str) else str(value)
    if UNSAFE_IN_HEADER.search(text) or (not text.isascii() and max(text) > "\xff"):
        return UNSAFE_HEADER
    return None


def check_header(key: str, value: object) -> None:
    """Raise BadRequest (400) unless the header *key*: *value* may be sent.

    werkzeug's server and wsgiref's CGI handler send a CR or LF as they are (response
    splitting) and Apache answers 500; a value built from client input that tries it is
    the client's fault, so the answer is a 400.
    """
    problem = header_problem(key, value)
    if problem:
        raise BadRequest(problem)


#: Header names seen to be tokens (every response checks the same few names).
_GOOD_NAMES: set[str] = set()


def first_unsafe_header(headers: Iterable[tuple[str, Any]]) -> str | None:
    """Why the first refused header of *headers* may not be sent, or None when all may.

    The same rule as ``header_problem``, written for the exit, which runs it on every
    header of every response: known-good names skip the token check.
    """
    for key, value in headers:
        if key not in _GOOD_NAMES:
            if not isinstance(key, str) or not TOKEN.fullmatch(key):
                return UNSAFE_NAME
            if len(_GOOD_NAMES) < 512:
                _GOOD_NAMES.add(key)
        text = value if type(value) is str else str(value)
        if UNSAFE_IN_HEADER.search(text) or (not text.isascii() and max(text) > "\xff"):
            return UNSAFE_HEADER
    return None


class ResponseHeaders(Headers):
    """``req.headers_out``: werkzeug's Headers that refuse a bad name or value with a 400
    as it is set (werkzeug raises ValueError for a newline, a 500, and lets NUL through)."""

    def add(self, key: str, value: Any, /, **kw: Any) -> None:
        check_header(key, value)
        for option in kw.values():
            check_header(key, option)
        super().add(key, value, **kw)

    def set(self, key: str, value: Any, /, **kw: Any) -> None:
        check_header(key, value)
        for option in kw.values():
            check_header(key, option)
        super().set(key, value, **kw)


#: Why a redirect target is refused.
UNSAFE_REDIRECT = ("A redirect may only go to a path of this site, or to an http(s) URL of "
                   "this host or of a host the page allows.")


def safe_location(target: str, host: str, allow_hosts: Iterable[str] = (), *,
                  any_host: bool = False) -> str:
    """Return *target* as a Location value, or raise BadRequest when it may not be one.

    Allowed: a path of this site (``/get``, ``next``, ``?a=1``), or an http(s) URL whose
    host is *host* (the request's) or one of *allow_hosts* (any host with *any_host*, as
    mod_python's ``util.redirect`` allows). Refused: another scheme
    (``javascript:``, ``data:``), a scheme-relative ``//host`` (an open redirect, also
    when written ``/\\host``, which browsers read the same way), control characters.
    Spaces and non-ASCII are %-encoded.

    >>> safe_location("/get?month=3", "example.org")
    '/get?month=3'
    >>> safe_location("https://example.org/x y", "example.org")
    'https://example.org/x%20y'
    >>> safe_location("//evil.example/", "example.org")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    werkzeug.exceptions.BadRequest: 400 Bad Request: A redirect may only go ...
    """
    text = target.strip(" ")
    if UNSAFE_IN_HEADER.search(text) or "\\" in text:
        raise BadRequest(UNSAFE_REDIRECT)
    try:
        parts = urlsplit(text)
        netloc_host = (parts.hostname or "").lower()
    except ValueError:  # a malformed IPv6 host: http://[x
        raise BadRequest(UNSAFE_REDIRECT) from None
    if parts.scheme or parts.netloc or text.startswith("//"):
        allowed = {h.lower() for h in (host.partition(":")[0] if not host.startswith("[")
                                       else host[1:].partition("]")[0], *allow_hosts)}
        if parts.scheme.lower() not in ("http", "https") or not netloc_host or (
                netloc_host not in allowed and not any_host):
            raise BadRequest(UNSAFE_REDIRECT)
    return iri_to_uri(text)


__all__ = ["SECURITY_HEADERS", "TOKEN", "ResponseHeaders", "check_header",
           "first_unsafe_header", "header_problem", "safe_location"]
