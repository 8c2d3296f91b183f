"""The request object a handler receives: mod_python's names over werkzeug's parsing.

A handler reads ``req.path_info``, ``req.form.getfirst("month")`` or ``req.cookies``,
sets ``req.content_type`` and ``req.headers_out``, calls ``req.write(...)`` and returns
``OK``. Everything is parsed by werkzeug; this module only renames and collects.
"""

from __future__ import annotations

import io
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
#: mod_python's ``apache.DONE`` (the response is complete): webquiz treats it as OK.
DONE = -2

#: ``req.get_remote_host(type)`` values (mod_python's ``apache.REMOTE_*``).
REMOTE_HOST, REMOTE_NAME, REMOTE_NOLOOKUP, REMOTE_DOUBLE_REV = 0, 1, 2, 3
#: Apache's names for log levels 0 to 7 (mod_python's ``apache.APLOG_EMERG`` ... ``APLOG_DEBUG``).
LOG_LEVELS = ("emerg", "alert", "crit", "error", "warn", "notice", "info", "debug")


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

    def __init__(
        self,
        environ: dict[str, Any],
        *,
        app_root: str,
        filename: str = "",
        handler_name: str = "",
        summary: str = "",
        sources: tuple[str, ...] = (),
    ) -> None:
        self.environ = environ
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
        #: The handler's URL name (``pathinfo``); empty on the pack's own pages (the index).
        self.handler_name = handler_name
        #: The page's purpose: the first line of the handler module's docstring.
        self.summary = summary
        #: File names whose source the pack shows (the module, its helpers); empty: none.
        self.sources = sources
        self._body: list[bytes] = []

    # -- what came in ---------------------------------------------------------

    @cached_property
    def request(self) -> Request:
        """The werkzeug Request, made on first use: many pages never need it."""
        return Request(self.environ)

    def close(self) -> None:
        """Release what the request holds (uploaded files spooled to disk)."""
        if "request" in self.__dict__:
            self.request.close()

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return str(self.environ.get("REQUEST_METHOD", "GET")).upper()

    def allow_methods(self, *methods: Any) -> None:
        """Raise a 405 with an Allow header unless the request's method is one of *methods*.

        mod_python's form, ``req.allow_methods(["GET", "POST"][, reset])``, only adds the
        methods to the Allow header (sent with the 405 such a handler then returns).
        """
        if methods and not isinstance(methods[0], str):
            reset = len(methods) > 1 and methods[1]
            known = [] if reset else self.headers_out.get("Allow", "").split(", ")
            allowed = dict.fromkeys(m for m in [*known, *methods[0]] if m)
            self.headers_out["Allow"] = ", ".join(allowed)
            return
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

    def write(self, data: str | bytes, flush: int = 1) -> None:
        """Append *data* to the response body (str is encoded as UTF-8).

        *flush* is accepted for mod_python's ``req.write(data, 0)``; the body is sent
        when the handler returns.
        """
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

    def log_error(self, message: str, level: int | None = None) -> None:
        """Write one line to the server's error log (``wsgi.errors``).

        *level* is mod_python's ``apache.APLOG_*``; its name tags the line (``[warn]``).
        """
        stream: Any = self.environ.get("wsgi.errors") or sys.stderr
        write_log(stream, message, level)

    # -- more of mod_python's request (webquiz.mod_python ports handlers) ------------

    def flush(self) -> None:
        """Do nothing: the body is sent when the handler returns (mod_python's req.flush)."""

    @property
    def canonical_filename(self) -> str:
        """The handler's module file, as ``filename`` (already absolute and resolved)."""
        return self.filename

    @property
    def err_headers_out(self) -> Headers:
        """The ``headers_out`` table itself: webquiz sends it with error pages too."""
        return self.headers_out

    @property
    def unparsed_uri(self) -> str:
        """The request target as the client sent it: path and query, still %-encoded."""
        raw = self.environ.get("REQUEST_URI") or self.environ.get("RAW_URI")
        if not raw:
            path = self.environ.get("SCRIPT_NAME", "") + self.environ.get("PATH_INFO", "")
            raw = quote(path.encode("latin-1", "replace"), safe="/;:@&=+$,!~*'()")
            if self.environ.get("QUERY_STRING"):
                raw += "?" + self.environ["QUERY_STRING"]
        return wsgi_text(raw)

    @property
    def hostname(self) -> str:
        """The host the client asked for (Host header, else the server's name), no port.

        >>> from werkzeug.test import EnvironBuilder
        >>> env = EnvironBuilder(headers={"Host": "[::1]:8000"}).get_environ()
        >>> HandlerRequest(env, app_root="").hostname
        '::1'
        """
        host = self.request.host.lower()
        if host.startswith("["):  # an IPv6 literal, [::1]:8000
            return host[1:].partition("]")[0]
        return host.partition(":")[0]

    @property
    def protocol(self) -> str:
        """The protocol of the request line, ``HTTP/1.1`` (CGI's SERVER_PROTOCOL)."""
        return str(self.environ.get("SERVER_PROTOCOL") or "HTTP/1.0")

    @property
    def the_request(self) -> str:
        """The request line: ``GET /test.prog?x=1 HTTP/1.1``."""
        return f"{self.method} {self.unparsed_uri} {self.protocol}"

    def get_remote_host(
        self, type: int = REMOTE_NAME, str_is_ip: object = None
    ) -> str | tuple[str, bool] | None:
        """The client's host name or address, as mod_python's, never by a DNS lookup.

        webquiz answers as Apache with ``HostnameLookups Off``: a name only when the
        server already looked it up (REMOTE_HOST in the environment). REMOTE_NAME and
        REMOTE_NOLOOKUP give that name, else the address; REMOTE_HOST gives the name or
        None; REMOTE_DOUBLE_REV gives None (nothing here verifies a name). With
        *str_is_ip* not None the answer is ``(host, is_ip)``.
        """
        if type not in (REMOTE_HOST, REMOTE_NAME, REMOTE_NOLOOKUP, REMOTE_DOUBLE_REV):
            raise ValueError(f"get_remote_host: type must be one of apache.REMOTE_*, not {type!r}")
        name = str(self.environ.get("REMOTE_HOST") or "") or None
        if name == self.remote_addr:
            name = None  # some servers fill REMOTE_HOST with the address itself
        if type == REMOTE_DOUBLE_REV or (type == REMOTE_HOST and name is None):
            return None
        host, is_ip = (name, False) if name else (self.remote_addr, True)
        return host if str_is_ip is None else (host, is_ip)

    def read(self, length: int = -1) -> bytes:
        """Read the request body, at most *length* bytes (all when negative), as bytes.

        The body is held in memory within ``req.max_body`` (a 413 beyond it). Reading it
        first leaves the form parseable; once the form is parsed, the body reads empty.
        """
        return self._input.read(length)

    def readline(self, length: int = -1) -> bytes:
        """Read one line of the request body (at most *length* bytes)."""
        return self._input.readline(length)

    def readlines(self, sizehint: int = -1) -> list[bytes]:
        """Read the remaining lines of the request body."""
        return self._input.readlines(sizehint)

    @cached_property
    def _input(self) -> io.BytesIO:
        return io.BytesIO(self.request.get_data())


def write_log(stream: Any, message: str, level: int | None = None) -> None:
    """Write ``webquiz: [level] message`` and a newline to *stream*, then flush it.

    *level* is an ``apache.APLOG_*`` value; APLOG_NOERRNO (8) is ignored, as in Apache.
    """
    tag = f"[{LOG_LEVELS[level & 7]}] " if level is not None else ""
    stream.write(f"webquiz: {tag}{message}\n")
    stream.flush()


class Unsupported(NotImplementedError):
    """A part of mod_python's API that webquiz does not provide; the message says what to do."""


class UnsupportedAttribute(Unsupported, AttributeError):
    """An unsupported mod_python request attribute.

    Also an AttributeError, so ``hasattr(req, "connection")`` is False, as code that
    probes for optional features expects; reading it raises this with the hint.
    """


#: mod_python request attributes webquiz does not provide, with what to use instead.
#: Reading one raises UnsupportedAttribute; any other unknown name is a plain AttributeError.
MOD_PYTHON_UNSUPPORTED: dict[str, str] = {
    "connection": "the client's address is req.remote_addr; the rest is in req.environ",
    "server": "log with req.log_error(message, level); the host name is req.hostname",
    "main": "webquiz makes no subrequests",
    "prev": "webquiz makes no internal redirects",
    "next": "webquiz makes no internal redirects",
    "get_config": "webquiz reads no Python* directives; configure the handler in Python",
    "get_options": "read settings from os.environ (there is no PythonOption)",
    "add_handler": "call the other handler function yourself",
    "add_input_filter": "webquiz runs no Apache filters",
    "add_output_filter": "webquiz runs no Apache filters",
    "register_input_filter": "webquiz runs no Apache filters",
    "register_output_filter": "webquiz runs no Apache filters",
    "register_cleanup": "use try/finally in the handler",
    "internal_redirect": "call the other handler, or util.redirect(req, url) for the client",
    "sendfile": "return werkzeug.utils.send_file(path, req.environ)",
    "add_common_vars": "the CGI variables are already in req.environ",
    "subprocess_env": "the CGI variables are in req.environ",
    "notes": "keep what you need as an attribute of req",
    "document_root": "webquiz serves handlers, not a document tree",
    "get_basic_auth_pw": "use req.request.authorization (werkzeug)",
    "user": "use req.environ.get('REMOTE_USER')",
    "ap_auth_type": "use req.environ.get('AUTH_TYPE')",
    "auth_name": "authentication is configured in Apache, not here",
    "auth_type": "authentication is configured in Apache, not here",
    "requires": "authentication is configured in Apache, not here",
    "construct_url": "use req.request.host_url",
    "is_https": "use req.request.is_secure",
    "ssl_var_lookup": "mod_ssl's SSL_* variables are in req.environ under Apache",
    "meets_conditions": "return a werkzeug Response and call make_conditional(req.request)",
    "set_etag": "return a werkzeug Response and call add_etag()",
    "set_last_modified": "set req.headers_out['Last-Modified']",
    "update_mtime": "set req.headers_out['Last-Modified']",
    "mtime": "use os.stat(req.filename).st_mtime",
    "finfo": "use os.stat(req.filename)",
    "set_content_length": "webquiz sets Content-Length from what was written",
    "parsed_uri": "use urllib.parse.urlsplit(req.unparsed_uri)",
    "interpreter": "webquiz runs one interpreter per process",
    "phase": "webquiz runs content handlers only",
    "request_time": "use time.time() when the handler starts",
}


class _NotProvided:
    """A mod_python request attribute webquiz lacks: reading it raises UnsupportedAttribute."""

    def __init__(self, name: str, hint: str) -> None:
        self.name = name
        self.hint = hint

    def __get__(self, obj: object, owner: type | None = None) -> Any:
        if obj is None:
            return self
        raise UnsupportedAttribute(
            f"req.{self.name} (mod_python) is not supported by webquiz: {self.hint}"
        )


# Not data descriptors: a handler may still assign its own req.notes or req.user.
for _name, _hint in MOD_PYTHON_UNSUPPORTED.items():
    if hasattr(HandlerRequest, _name):  # a real attribute must never be shadowed
        raise RuntimeError(f"req.{_name} is provided: drop it from MOD_PYTHON_UNSUPPORTED")
    setattr(HandlerRequest, _name, _NotProvided(_name, _hint))
del _name, _hint


def _link(base: str, segments: tuple[object, ...], query: dict[str, Any]) -> str:
    path = quote(base, safe="/") + "".join("/" + quote(str(s), safe="") for s in segments)
    if query:
        path += "?" + urlencode(query, doseq=True)
    return path or "/"
