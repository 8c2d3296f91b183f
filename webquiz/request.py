"""The request object a handler receives: mod_python's names over werkzeug's parsing.

A handler reads ``req.path_info``, ``req.form.getfirst("month")`` or ``req.cookies``,
sets ``req.content_type`` and ``req.headers_out``, calls ``req.write(...)`` and returns
``OK``. Everything is parsed by werkzeug; this module only renames and collects.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from functools import cached_property
from typing import IO, Any, cast
from urllib.parse import quote, urlencode

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import BadRequest, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.http import dump_cookie
from werkzeug.wrappers import Request as _WerkzeugRequest
from werkzeug.wsgi import LimitedStream, get_input_stream

#: A handler returns OK when it wrote its page (mod_python's ``apache.OK``).
OK = 0
#: A handler returns DECLINED when the request is not for it: the client gets a 404.
DECLINED = -1


#: Default cap on a request body; a page that takes uploads raises it (``req.max_body``).
MAX_BODY = 64 * 1024
#: Default cap on an upload body, for pages that raise ``req.max_body`` to ``req.max_upload``.
MAX_UPLOAD = 1024**3

StreamFactory = Callable[..., IO[bytes]]


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


class Request(_WerkzeugRequest):
    """werkzeug's Request with the pack's limits on what a body may cost.

    Over a limit, reading ``form``, ``files`` or the body raises werkzeug's
    RequestEntityTooLarge: the client gets a 413.
    """

    #: The whole body; raised per request by pages that accept uploads.
    max_content_length: int | None = MAX_BODY
    #: Form fields (not files) held in memory, per field: 64 KiB, plus 1 KiB because
    #: werkzeug's multipart decoder applies this cap to its working buffer too, which
    #: holds one 64 KiB read plus an undecided tail of at most a boundary's length.
    max_form_memory_size = 65 * 1024
    #: Fields and files in one multipart body.
    max_form_parts = 100
    #: Where uploaded file parts are written; None: werkzeug's spooled temporary file.
    stream_factory: StreamFactory | None = None

    @cached_property
    def stream(self) -> IO[bytes]:
        """The body, limited to ``max_content_length`` whether its length is known or not."""
        limit = self.max_content_length
        if (self.environ.get("wsgi.input_terminated") and self.content_length is None
                and limit is not None):
            return cast(IO[bytes], CappedBody(self.environ["wsgi.input"], limit))
        return get_input_stream(self.environ, max_content_length=limit)

    def _get_file_stream(
        self,
        total_content_length: int | None,
        content_type: str | None,
        filename: str | None = None,
        content_length: int | None = None,
    ) -> IO[bytes]:
        factory = self.stream_factory or super()._get_file_stream
        stream = factory(total_content_length, content_type, filename, content_length)
        # Kept so close() can release it even when parsing stops half-way (a 413, a
        # truncated body), where werkzeug's files dict never receives it.
        self._file_streams.append(stream)
        return stream

    @cached_property
    def _file_streams(self) -> list[IO[bytes]]:
        return []

    def close(self) -> None:
        """Close uploaded files, including any left by a parse that stopped half-way."""
        super().close()
        for stream in self.__dict__.get("_file_streams", ()):
            close = getattr(stream, "close", None)
            if close is not None:
                close()


#: A header or cookie name: an RFC 9110 token.
TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
#: Characters that would split a header (response splitting) or end it early, and every
#: other control character: PEP 3333 allows none in a header value (not even a tab).
_UNSAFE_IN_HEADER = re.compile(r"[\x00-\x1f\x7f]")
#: Why a header value is refused (the same words under every gateway).
UNSAFE_HEADER = ("A response header would carry a line break or NUL, another control "
                 "character, or a character outside Latin-1; refused.")
#: Largest cookie a page may set, name and value together (RFC 6265's floor for browsers).
MAX_COOKIE = 4096


def check_header(key: str, value: object) -> None:
    """Raise BadRequest (400) for a header name that is no token, or a value with CR, LF,
    NUL or another control character (werkzeug's server and wsgiref's CGI handler send
    them as they are; Apache answers 500), or a character outside Latin-1 (no gateway
    can send it: the response breaks).

    >>> check_header("X-Ok", "fine")
    >>> check_header("Location", "/a\\r\\nSet-Cookie: x=1")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    werkzeug.exceptions.BadRequest: 400 Bad Request: A response header would carry ...
    """
    if not TOKEN.fullmatch(key):
        raise BadRequest("A response header name is not a valid token; refused.")
    text = str(value)
    if _UNSAFE_IN_HEADER.search(text) or not text.isascii() and max(text) > "\xff":
        raise BadRequest(UNSAFE_HEADER)


class ResponseHeaders(Headers):
    """``req.headers_out``: werkzeug's Headers that refuse CR, LF, NUL, any other control
    character and characters outside Latin-1 with a 400.

    werkzeug raises ValueError for a newline (a 500 here) and lets NUL through; a value
    built from client input that tries to split the response is the client's fault.
    """

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


def wsgi_text(value: str) -> str:
    """Decode a WSGI environ string (bytes as latin-1) as UTF-8, replacing bad bytes."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


class Form:
    """Form fields from the query string and a POST body, as mod_python's FieldStorage.

    ``getfirst`` and ``getlist`` keep the book's handler code working; item access,
    ``in`` and ``keys`` behave as on a dict of first values.
    """

    def __init__(self, values: MultiDict[str, str]) -> None:
        self._values = values

    def getfirst(self, name: str, default: str | None = None) -> str | None:
        """Return the first value sent for *name*, or *default*."""
        values = self._values.getlist(name)
        return values[0] if values else default

    def getlist(self, name: str) -> list[str]:
        """Return every value sent for *name*, in order (empty when none)."""
        return self._values.getlist(name)

    def keys(self) -> list[str]:
        """Return the field names, each once, in the order first sent."""
        # CombinedMultiDict.keys() is a set (no order): walk the items instead.
        return list(dict.fromkeys(key for key, _ in self._values.items(multi=True)))

    def get(self, name: str, default: str | None = None) -> str | None:
        """Same as :meth:`getfirst`."""
        return self.getfirst(name, default)

    def __getitem__(self, name: str) -> str:
        values = self._values.getlist(name)
        if not values:
            raise KeyError(name)
        return values[0]

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self.keys())

    def __repr__(self) -> str:
        return f"Form({list(self._values.items(multi=True))!r})"


class HandlerRequest:
    """What ``handler(req)`` receives: the request, and the response being written.

    The request side wraps a werkzeug :class:`Request` (``req.request``); the response
    side collects ``write`` calls, ``status``, ``content_type`` and ``headers_out``.
    """

    def __init__(self, environ: dict[str, Any], *, app_root: str, filename: str = "") -> None:
        self.environ = environ
        self.request = Request(environ)
        #: Status of the response; a handler may set it or return it.
        self.status = 200
        #: Content type of the response; ``; charset=utf-8`` is added to text types.
        self.content_type = "text/html"
        #: Headers of the response (``Set-Cookie`` lines, ``Location``, ...).
        self.headers_out: Headers = ResponseHeaders()
        #: The mount point of the whole pack (SCRIPT_NAME before the handler name).
        self.app_root = app_root
        #: The handler's module file.
        self.filename = filename
        self._body: list[bytes] = []

    # -- what came in ---------------------------------------------------------

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return self.request.method

    def allow_methods(self, *methods: str) -> None:
        """Raise a 405 with an Allow header unless the request's method is one of *methods*."""
        if self.method not in methods:
            raise MethodNotAllowed(valid_methods=list(methods))

    @property
    def header_only(self) -> bool:
        """True for HEAD: the body is dropped whatever is written."""
        return self.method == "HEAD"

    @property
    def script_name(self) -> str:
        """The URL path up to and including the handler's name (decoded)."""
        return wsgi_text(self.environ.get("SCRIPT_NAME", ""))

    @property
    def path_info(self) -> str:
        """The URL path after the handler's name (decoded): ``/3/4`` for ``/pathinfo/3/4``."""
        return wsgi_text(self.environ.get("PATH_INFO", ""))

    @property
    def uri(self) -> str:
        """The whole URL path of the request, without the query string (decoded)."""
        return self.script_name + self.path_info

    @property
    def args(self) -> str:
        """The raw query string, as mod_python's ``req.args``."""
        return wsgi_text(self.environ.get("QUERY_STRING", ""))

    @property
    def headers_in(self) -> Any:
        """The request headers (case-insensitive)."""
        return self.request.headers

    @property
    def form(self) -> Form:
        """Fields of the query string and of a form POST, with getfirst/getlist."""
        return Form(self.request.values)

    @property
    def files(self) -> MultiDict[str, FileStorage]:
        """Uploaded files by field name (werkzeug FileStorage objects)."""
        return self.request.files

    @property
    def cookies(self) -> MultiDict[str, str]:
        """The cookies the client sent."""
        return self.request.cookies

    @property
    def remote_addr(self) -> str:
        """The client's address."""
        return self.request.remote_addr or ""

    @property
    def gateway(self) -> str:
        """Which gateway serves this request: dev server, CGI, mod_wsgi or another."""
        named = self.environ.get("webquiz.gateway")
        if named:
            return str(named)
        if "mod_wsgi.version" in self.environ:
            version = ".".join(str(part) for part in self.environ["mod_wsgi.version"])
            return f"mod_wsgi {version}"
        if self.environ.get("GATEWAY_INTERFACE", "").startswith("CGI"):
            return "CGI"
        return str(self.environ.get("SERVER_SOFTWARE", "WSGI"))

    # -- limits and uploads ---------------------------------------------------------

    @property
    def max_body(self) -> int | None:
        """The largest request body this page accepts (64 KiB unless raised)."""
        return self.request.max_content_length

    @max_body.setter
    def max_body(self, size: int | None) -> None:
        self.request.max_content_length = size

    @property
    def max_upload(self) -> int:
        """The deployment's cap on uploads (``make_app(max_upload=...)``, default 1 GiB)."""
        return int(self.environ.get("webquiz.max_upload", MAX_UPLOAD))

    def stream_uploads(self, factory: StreamFactory) -> None:
        """Write uploaded file parts to ``factory(total_length, content_type, filename,
        length)`` instead of a temporary file; call before reading ``form`` or ``files``.

        The object returned needs ``write`` and ``seek``; a hashing sink lets a page
        digest a file as it arrives, in constant memory.
        """
        self.request.stream_factory = factory

    # -- links ------------------------------------------------------------------

    def url(self, *segments: object, **query: Any) -> str:
        """A URL path to this handler plus *segments*, with a query string from *query*.

        Segments and values are URL-quoted, so the result is safe in an ``href`` once
        HTML-escaped (markupsafe does that when it is formatted into a template).
        """
        return _link(self.script_name, segments, query)

    def app_url(self, *segments: object, **query: Any) -> str:
        """A URL path under the pack's mount point: ``req.app_url("get")`` links to /get."""
        return _link(self.app_root, segments or ("",), query)

    # -- what goes out ------------------------------------------------------------

    def write(self, data: str | bytes) -> None:
        """Append *data* to the response body (str is encoded as UTF-8)."""
        self._body.append(data.encode("utf-8") if isinstance(data, str) else bytes(data))

    @property
    def body(self) -> bytes:
        """What has been written so far."""
        return b"".join(self._body)

    def set_cookie(self, key: str, value: str = "", **options: Any) -> None:
        """Add a Set-Cookie header; options as werkzeug's ``dump_cookie`` (max_age, ...).

        The path defaults to the pack's mount point, so the cookie reaches every page. A
        name that is no token, or more than 4 KiB in all, is a 400: nothing is set.
        """
        if not TOKEN.fullmatch(key):
            raise BadRequest("A cookie name must be a token (letters, digits, !#$%&'*+.^_`|~-).")
        if len(key.encode()) + len(value.encode()) > MAX_COOKIE:
            raise BadRequest(f"A cookie may hold at most {MAX_COOKIE} bytes (name and value).")
        options.setdefault("path", self.app_root or "/")
        # The size is checked above as browsers count it (name + value); werkzeug's own
        # warning also counts the attributes, so it would fire below the 4 KiB cap.
        options.setdefault("max_size", 0)
        self.headers_out.add("Set-Cookie", dump_cookie(key, value, **options))

    def delete_cookie(self, key: str, **options: Any) -> None:
        """Tell the client to drop a cookie: Max-Age=0 and an Expires in the past."""
        self.set_cookie(key, "", max_age=0, expires=0, **options)

    def log_error(self, message: str) -> None:
        """Write one line to the server's error log (``wsgi.errors``)."""
        stream: Any = self.environ.get("wsgi.errors") or sys.stderr
        stream.write(f"webquiz: {message}\n")
        stream.flush()


def _link(base: str, segments: tuple[object, ...], query: dict[str, Any]) -> str:
    path = quote(base, safe="/") + "".join("/" + quote(str(s), safe="") for s in segments)
    if query:
        path += "?" + urlencode(query, doseq=True)
    return path or "/"
