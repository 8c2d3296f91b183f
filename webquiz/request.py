"""What a handler receives: ``req``, the request as werkzeug parsed it and the reply it writes.

A handler reads ``req.path_info``, ``req.form.getfirst("month")`` or ``req.cookies``,
sets ``req.content_type`` and ``req.headers_out``, calls ``req.write(...)`` and returns
``OK``. Three classes, one job each:

- ``Request``: werkzeug's request with the pack's limits (body size, form parts) and its
  rule for bad client bytes (a 400, never a UnicodeDecodeError);
- ``Reply`` (``webquiz/reply.py``): the response being written;
- ``HandlerRequest``: what ``handler(req)`` gets, the two joined under mod_python's
  familiar names, plus links that work under any mount point.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cached_property
from typing import IO, Any, cast
from urllib.parse import parse_qsl, quote, urlencode

from werkzeug.datastructures import FileStorage, Headers, MultiDict
from werkzeug.exceptions import BadRequest, MethodNotAllowed, RequestEntityTooLarge
from werkzeug.formparser import FormDataParser
from werkzeug.http import dump_cookie, parse_cookie
from werkzeug.utils import redirect as _redirect_response
from werkzeug.wrappers import Request as _WerkzeugRequest
from werkzeug.wsgi import get_input_stream

from .body import CappedBody
from .config import MAX_UPLOAD
from .finalize import Exit, WSGIApp
from .headers import TOKEN, safe_location
from .html import Frame
from .log import log
from .reply import Reply
from .results import HandlerExit

#: Default cap on a request body; a page that takes uploads raises it (``req.max_body``).
MAX_BODY = 64 * 1024
#: Largest cookie a page may set, name and value together (RFC 6265's floor for browsers).
MAX_COOKIE = 4096
#: Why bytes a client sent are refused.
NOT_UTF8 = "The {} holds bytes that are not UTF-8 text."

StreamFactory = Callable[..., IO[bytes]]


def wsgi_text(value: str) -> str:
    """Decode a WSGI environ string (bytes as latin-1) as UTF-8, replacing bad bytes."""
    return value.encode("latin-1", "replace").decode("utf-8", "replace")


def client_text(value: str, what: str) -> str:
    """Decode a WSGI environ string (bytes as latin-1) as UTF-8; a 400 when it is not."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        raise BadRequest(NOT_UTF8.format(what)) from None


class FormParser(FormDataParser):
    """werkzeug's form parser, strict about a urlencoded body as ``Request.args`` is about
    the query string: bytes that are not UTF-8, sent raw or %-encoded, are a 400."""

    def parse(self, stream: IO[bytes], mimetype: str, content_length: int | None,
              options: dict[str, str] | None = None) -> Any:
        if mimetype != "application/x-www-form-urlencoded":
            return super().parse(stream, mimetype, content_length, options)
        return stream, self.cls(_strict_pairs(stream.read(), "form")), self.cls()


def _strict_pairs(data: bytes, what: str) -> list[tuple[str, str]]:
    """The name/value pairs of urlencoded *data*, blank values kept; a 400 for bytes that
    are not UTF-8, raw or %-encoded (werkzeug would keep those as ``%FF`` text)."""
    try:
        return parse_qsl(data.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeError:
        raise BadRequest(NOT_UTF8.format(what)) from None


class Request(_WerkzeugRequest):
    """werkzeug's Request with the pack's limits on what a body may cost, and a 400 for
    client bytes that are not UTF-8 (query string, urlencoded form, cookies).

    Over a limit, reading ``form``, ``files`` or the body raises werkzeug's
    RequestEntityTooLarge: the client gets a 413. A body that stops arriving is a 400.
    """

    form_data_parser_class = FormParser
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
    def args(self) -> MultiDict[str, str]:
        """The query string's fields (a 400 when it holds bytes that are not UTF-8)."""
        return self.parameter_storage_class(_strict_pairs(self.query_string, "query string"))

    @cached_property
    def cookies(self) -> MultiDict[str, str]:  # type: ignore[override]
        """The cookies sent, decoded as UTF-8 (a 400 when they are not)."""
        header = ";".join(self.headers.getlist("Cookie"))
        try:  # werkzeug.http's parse_cookie decodes the WSGI string's bytes as UTF-8
            return parse_cookie(header, cls=self.dict_storage_class)
        except UnicodeDecodeError:
            raise BadRequest(NOT_UTF8.format("Cookie header")) from None

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
    """What ``handler(req)`` receives: the request (``req.request``, werkzeug's, parsed on
    first use) and the reply being written (``req.reply``), under mod_python's names.

    *frame* is what the page frame shows (``page(req, ...)``); *exit* is where a flushed
    reply goes (None: nowhere until the handler returns).
    """

    def __init__(
        self,
        environ: dict[str, Any],
        *,
        frame: Frame | None = None,
        exit: Exit | None = None,
        filename: str = "",
        handler_name: str = "",
    ) -> None:
        self.environ = environ
        self._exit = exit
        #: What the page frame shows around this page: mount point, purpose, sources.
        self.frame = frame or Frame(root=wsgi_text(environ.get("SCRIPT_NAME", "")))
        #: The response being written.
        self.reply = Reply(exit)
        #: The handler's module file.
        self.filename = filename
        #: The handler's URL name (``pathinfo``).
        self.handler_name = handler_name

    # -- what came in ---------------------------------------------------------

    @cached_property
    def request(self) -> Request:
        """The werkzeug Request, made on first use: many pages never need it."""
        request = Request(self.environ)
        # Uploads spooled to disk are removed once the answer is sent.
        self.on_close(request.close)
        return request

    def on_close(self, callback: Callable[[], Any]) -> None:
        """Call *callback* once the response has been sent (or the request failed): to
        release what a page holds. Without a server (a request made by hand), never."""
        if self._exit is not None:
            self._exit.cleanups.append(callback)

    def close(self) -> None:
        """Release what the request holds (uploaded files spooled to disk) now."""
        if "request" in self.__dict__:
            self.request.close()

    @property
    def method(self) -> str:
        """The HTTP method, upper case."""
        return str(self.environ.get("REQUEST_METHOD", "GET")).upper()

    def allow_methods(self, *methods: str) -> None:
        """Raise a 405 with an Allow header unless the request's method is one of *methods*."""
        if self.method not in methods:
            raise MethodNotAllowed(valid_methods=list(methods))

    @property
    def header_only(self) -> bool:
        """True for HEAD: the body is dropped whatever is written."""
        return self.method == "HEAD"

    @property
    def app_root(self) -> str:
        """The mount point of the whole pack (SCRIPT_NAME before the handler's name)."""
        return self.frame.root

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

    @cached_property
    def form(self) -> Form:
        """Fields of the query string and of a form POST, with getfirst/getlist (a page
        may replace it: mod_python's Publisher sets ``req.form`` to its FieldStorage)."""
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

    # -- what goes out: the reply -------------------------------------------------

    @property
    def status(self) -> int:
        """Status of the response; a handler may set it or return it."""
        return self.reply.status

    @status.setter
    def status(self, value: int) -> None:
        self.reply.status = value

    @property
    def content_type(self) -> str:
        """Content type of the response; ``; charset=utf-8`` is added to text types."""
        return self.reply.content_type

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.reply.content_type = value

    @property
    def headers_out(self) -> Headers:
        """Headers of the response (``Set-Cookie`` lines, ``Location``, ...)."""
        return self.reply.headers

    def write(self, data: str | bytes) -> None:
        """Append *data* to the response body (str is encoded as UTF-8)."""
        self.reply.write(data)

    def flush(self) -> None:
        """Send the status, the headers and what was written so far, now: a long page
        streams, and what was sent is not held in memory."""
        self.reply.flush()

    @property
    def body(self) -> bytes:
        """What has been written and not yet flushed."""
        return self.reply.body

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

    def redirect(self, location: str, code: int = 302, *, allow_hosts: tuple[str, ...] = ()
                 ) -> None:
        """Send the client to *location* and end the handler (use 303 after a POST).

        *location* is a path of this site, or an http(s) URL of this host or of one of
        *allow_hosts*: anything else (``javascript:``, ``//elsewhere``, a control
        character) is a 400, so a page that redirects to a URL from its form cannot be
        made an open redirect. The headers set so far (cookies) go along.
        """
        if code not in (301, 302, 303, 307, 308):
            raise ValueError(f"redirect: {code} is not a redirect status")
        target = safe_location(location, self.request.host, allow_hosts)
        raise HandlerExit(response=_redirect_response(target, code))

    def log_error(self, message: str, level: int | None = None) -> None:
        """Write one line to the server's error log (``wsgi.errors``); *level* is a syslog
        number (``3`` error, ``4`` warning), shown as its name."""
        log(self.environ, message, level)

    # -- the reply, once the handler returned ---------------------------------------

    def respond(self, result: Any) -> WSGIApp:
        """The WSGI application answering with what the handler wrote and returned."""
        return self.reply.respond(result, head=self.header_only)


def _link(base: str, segments: tuple[object, ...], query: dict[str, Any]) -> str:
    path = quote(base, safe="/") + "".join("/" + quote(str(s), safe="") for s in segments)
    if query:
        path += "?" + urlencode(query, doseq=True)
    return path or "/"


__all__ = ["MAX_BODY", "MAX_UPLOAD", "Form", "HandlerRequest", "Request",
           "RequestEntityTooLarge", "client_text", "wsgi_text"]
