"""The hostile-request table of tests/test_hostile.py, and how one row travels each way.

A row (``Case``) is a raw HTTP request (method, the target bytes as sent on the wire,
header lines, body) with the status webquiz must answer and what must never be in the
answer. Three ways carry it:

- in process: the WSGI environ a server would build from those bytes, through
  werkzeug's test client with the app wrapped in ``wsgiref.validate.validator``;
- a CGI process: ``webquiz.gateways.cgi_main`` run as Apache runs it (the request in
  environment variables, decoded as Apache decodes them; the body on stdin), its stdout
  read as a CGI response; only the rows the CGI gateway's own code meets
  (``Case.cgi_bound``), since each process costs ~0.1 s of CPU;
- the wire: the exact bytes over a socket to a real server (the ``gateway`` fixture).

In process and under CGI webquiz alone decides the status. On the wire the server may
answer first (Apache refuses a NUL or an encoded slash in a path, removes dot segments,
caps header lines): a row names such a server's status in ``servers``, and says why.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import unquote_to_bytes

#: The real servers of the ``gateway`` fixture, and the group name for the four Apaches.
GATEWAYS = ("dev", "cgi", "htaccess", "wsgi", "express")
APACHE = ("cgi", "htaccess", "wsgi", "express")
#: The fixture's server names (Server.name) by gateway kind.
KINDS = {"dev server": "dev", "Apache + mod_cgid": "cgi", "Apache + .htaccess": "htaccess",
         "Apache + mod_wsgi": "wsgi", "mod_wsgi-express": "express"}
#: The ways a row travels.
WAYS = ("inprocess", "cgi", "wire")

#: Text that must never reach a client in an error page: tracebacks, where code lives
#: (tests add the paths of the checkout and of the served folder).
LEAKS = (b"Traceback (most recent call last)", b'File "/', b"site-packages", b"/usr/lib/python",
         b"/var/tmp/", b".py\", line ")
#: What a response header line is: a token, a colon, a value without control characters.
HEADER_LINE = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+:[ \t]*[^\x00-\x08\x0a-\x1f\x7f]*")

BOUNDARY = "hostile-boundary-7d3f"
MULTIPART = f'multipart/form-data; boundary="{BOUNDARY}"'.encode()
FORM = b"application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Case:
    """One hostile request and what webquiz (and, where it decides, the server) answers."""

    id: str
    method: str
    target: bytes  # relative to the mount: starts with "/"; "{M}" is this month's number
    status: int | frozenset[int]
    headers: tuple[bytes, ...] = ()  # raw header lines, without the CRLF
    body: bytes = b""
    #: Bytes that must not appear in the body: payloads echoed unescaped.
    markers: tuple[bytes, ...] = ()
    #: Bytes that must appear in the body (when the status is a 200 or 400 of webquiz).
    contains: tuple[bytes, ...] = ()
    #: How many Set-Cookie headers the answer carries (none, unless the row sets one).
    cookies: int = 0
    #: An upload whose body is incomplete: no digest may be reported.
    incomplete: bool = False
    #: The status a server decides itself, by gateway kind ("apache": the four Apaches;
    #: "process": what the CGI program answers to what Apache would pass it).
    servers: Mapping[str, int | frozenset[int]] = field(default_factory=dict)
    #: Why a server decides (required with ``servers``), or why a way is left out.
    why: str = ""
    #: The ways this row travels; the others are left out for the reason in ``why``.
    ways: tuple[str, ...] = WAYS
    #: Wire only: send these bytes as the request line instead of METHOD TARGET HTTP/1.1.
    request_line: bytes | None = None

    def __post_init__(self) -> None:
        assert not (self.servers or set(self.ways) != set(WAYS)) or self.why, self.id

    # -- what the row expects ------------------------------------------------------

    def expected(self, way: str, kind: str | None = None) -> frozenset[int]:
        """The statuses accepted for this row on *way* (and server *kind* on the wire)."""
        chosen = self.status
        if way == "cgi":
            chosen = self.servers.get("process", chosen)
        if way == "wire" and kind is not None:
            if kind in self.servers:
                chosen = self.servers[kind]
            elif kind in APACHE and "apache" in self.servers:
                chosen = self.servers["apache"]
        return frozenset({chosen}) if isinstance(chosen, int) else chosen

    def travels(self, way: str) -> bool:
        """True when this row can be carried by *way*."""
        if way not in self.ways:
            return False
        if way == "cgi":
            # An environment variable cannot hold a NUL byte (Apache answers these itself).
            path, _, _ = self.target.partition(b"?")
            return self.cgi_bound() and b"\0" not in unquote_to_bytes(path) and not any(
                b"\0" in line for line in self.headers)
        return True

    def cgi_bound(self) -> bool:
        """True when the CGI gateway's own code meets this row: a body (stdin, drained),
        a method other than GET, request headers (HTTP_* variables), path bytes the
        environment carries (non-ASCII, escapes), response headers or cookies made from
        input, or a request Apache refuses itself (what if a server passed it on?).

        The other rows are plain ASCII GETs whose answer is the application's alone, the
        same in process; they reach a real CGI program under the two Apache CGI gateways.
        A CGI process costs ~0.1 s of CPU, so they are not run a third time.
        """
        path = self.raw_target().partition(b"?")[0]
        return bool(self.body or self.headers or self.method != "GET" or self.servers
                    or self.cookies or re.search(rb"[^\x21-\x7e]|%", path)
                    or self.target.startswith((b"/reflect", b"/cookie")))

    # -- the request as bytes ----------------------------------------------------------

    def raw_target(self) -> bytes:
        """The target with this month's number filled in (the quiz asks about today)."""
        return self.target.replace(b"{M}", str(date.today().month).encode())

    def raw_body(self) -> bytes:
        """The body with this month's number filled in."""
        return self.body.replace(b"{M}", str(date.today().month).encode())

    def header_lines(self) -> list[bytes]:
        """The header lines sent: the row's, plus Content-Length for a body when it has
        no Content-Length or Transfer-Encoding of its own."""
        lines = list(self.headers)
        framed = any(line.lower().startswith((b"content-length:", b"transfer-encoding:"))
                     for line in lines)
        if self.body and not framed:
            lines.append(b"Content-Length: %d" % len(self.raw_body()))
        return lines

    def wire(self, mount: str) -> bytes:
        """The request exactly as sent to a server mounted at *mount*."""
        line = self.request_line or b"%s %s%s HTTP/1.1" % (
            self.method.encode(), mount.encode(), self.raw_target())
        lines = self.header_lines()
        if not any(h.lower().startswith(b"host:") for h in lines):
            lines.insert(0, b"Host: 127.0.0.1")
        lines.append(b"Connection: close")
        return b"\r\n".join([line, *lines]) + b"\r\n\r\n" + self.raw_body()

    def parsed(self) -> Request:
        """The request as a server hands it on: path decoded, headers unfolded."""
        path, _, query = self.raw_target().partition(b"?")
        headers: list[tuple[str, bytes]] = []
        for line in self.header_lines():
            name, _, value = line.partition(b":")
            # An obs-fold continuation (CRLF then space) is unfolded to one space.
            value = re.sub(rb"\r\n[ \t]+", b" ", value).strip(b" \t")
            headers.append((name.decode("latin-1"), value))
        body = self.raw_body()
        length: int | None = len(body)
        if any(n.lower() == "transfer-encoding" and b"chunked" in v.lower() for n, v in headers):
            body, length = dechunk(body), None
        return Request(self.method, unquote_to_bytes(path), query, headers, body, length,
                       self.raw_target())


@dataclass
class Request:
    """A request as a server passes it to an application."""

    method: str
    path: bytes  # percent-decoded, as PATH_INFO
    query: bytes  # raw, as QUERY_STRING
    headers: list[tuple[str, bytes]]
    body: bytes  # de-chunked
    length: int | None  # None: chunked, no Content-Length
    uri: bytes  # the raw target, as REQUEST_URI

    def variables(self, *, cgi: bool) -> dict[str, bytes]:
        """CONTENT_TYPE, CONTENT_LENGTH and HTTP_* from the headers (duplicates joined).

        Under CGI, Apache passes no Authorization header (unless CGIPassAuth is on) and
        drops header names with characters other than letters, digits and ``-`` (so a
        client cannot forge a variable with an ``_``).
        """
        out: dict[str, bytes] = {}
        for name, value in self.headers:
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                if key == "CONTENT_LENGTH" and self.length is None:
                    continue
                out[key] = value
                continue
            if key == "TRANSFER_ENCODING" and not cgi:
                continue
            if cgi and (key in ("AUTHORIZATION", "PROXY_AUTHORIZATION")
                        or not re.fullmatch(r"[A-Za-z0-9-]+", name)):
                continue
            key = "HTTP_" + key
            out[key] = out[key] + (b"; " if key == "HTTP_COOKIE" else b", ") + value \
                if key in out else value
        return out


def dechunk(body: bytes) -> bytes:
    """The payload of a chunked body."""
    out, rest = b"", body
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, rest = out + rest[:size], rest[size + 2:]
    return out


def chunked(*pieces: bytes) -> bytes:
    """A chunked body of *pieces*."""
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


# -- the environ a server builds --------------------------------------------------------


def wsgi_environ(case: Case, errors: io.StringIO) -> dict[str, object]:
    """The WSGI environ a server at the root of a site builds for *case*."""
    request = case.parsed()
    environ: dict[str, object] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": request.path.decode("latin-1"),
        "QUERY_STRING": request.query.decode("latin-1"),
        "REQUEST_URI": request.uri.decode("latin-1"),
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": errors,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if request.length is None:
        environ["wsgi.input_terminated"] = True  # as werkzeug's server does for chunked
    for key, value in request.variables(cgi=False).items():
        environ[key] = value.decode("latin-1")
    return environ


def cgi_environ(case: Case, mount: str, base: Mapping[str, str]) -> dict[bytes, bytes]:
    """The environment Apache gives the CGI program for *case* under *mount*."""
    request = case.parsed()
    env = {key.encode(): value.encode() for key, value in base.items()}
    env.update({
        b"GATEWAY_INTERFACE": b"CGI/1.1",
        b"SERVER_SOFTWARE": b"Apache/2.4",
        b"SERVER_NAME": b"127.0.0.1",
        b"SERVER_PORT": b"80",
        b"SERVER_PROTOCOL": b"HTTP/1.1",
        b"REMOTE_ADDR": b"127.0.0.1",
        b"REQUEST_METHOD": request.method.encode(),
        b"SCRIPT_NAME": mount.encode(),
        b"QUERY_STRING": request.query,
        b"REQUEST_URI": mount.encode() + request.uri,
    })
    if request.path:
        env[b"PATH_INFO"] = request.path
    for key, value in request.variables(cgi=True).items():
        env[key.encode()] = value
    return env


# -- the answer ----------------------------------------------------------------------------


@dataclass
class Answer:
    """A response as the client got it."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]


def parse_head(head: bytes) -> list[tuple[str, str]]:
    """Header lines, each checked to be one well-formed line."""
    headers = []
    for line in head.split(b"\r\n"):
        assert HEADER_LINE.fullmatch(line), f"not a header line: {line!r}"
        name, _, value = line.partition(b":")
        headers.append((name.decode("latin-1"), value.strip(b" \t").decode("latin-1")))
    return headers


def parse_http(data: bytes, method: str) -> Answer:
    """One HTTP/1.x response read to EOF: one status line, one header block, one body.

    The body's framing (Content-Length or chunked) must account for every byte that
    followed the head: anything more would be a second, injected response.
    """
    status_line, sep, rest = data.partition(b"\r\n")
    match = re.fullmatch(rb"HTTP/1\.[01] ([1-5][0-9][0-9])(?: [^\r\n]*)?", status_line)
    assert sep and match, f"no status line: {data[:200]!r}"
    head, sep, rest = rest.partition(b"\r\n\r\n")
    if not sep and head.endswith(b"\r\n"):  # no header at all
        head, rest = head[:-2], b""
    headers = parse_head(head) if head else []
    answer = Answer(int(match[1]), headers, b"")
    if method == "HEAD" or answer.status in (204, 304):
        assert rest == b"", f"a body after a {method} {answer.status}: {rest[:200]!r}"
        return answer
    lengths = answer.header("Content-Length")
    if any("chunked" in value.lower() for value in answer.header("Transfer-Encoding")):
        body, tail = b"", rest
        while True:
            size_line, sep, tail = tail.partition(b"\r\n")
            assert sep, f"a chunk cut short: {tail[:200]!r}"
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body, tail = body + tail[:size], tail[size:]
            assert tail.startswith(b"\r\n"), "a chunk without its CRLF"
            tail = tail[2:]
        assert tail in (b"", b"\r\n"), f"bytes after the last chunk: {tail[:200]!r}"
        answer.body = body
    elif lengths:
        assert len(lengths) == 1, f"several Content-Length: {lengths}"
        length = int(lengths[0])
        assert len(rest) == length, f"Content-Length {length}, got {len(rest)} bytes"
        answer.body = rest
    else:
        answer.body = rest  # closed by the server: the end of the body
    return answer


def parse_cgi(data: bytes, method: str) -> Answer:
    """A CGI response: one header block led by Status, then the body (none for HEAD)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    assert sep, f"no end of the header block: {data[:300]!r}"
    headers = parse_head(head)
    assert headers and headers[0][0] == "Status", f"no Status line first: {head[:200]!r}"
    assert [key.lower() for key, _ in headers].count("status") == 1
    lengths = [value for key, value in headers if key.lower() == "content-length"]
    if method == "HEAD":
        assert body == b"", f"a body after HEAD: {body[:200]!r}"
    elif lengths:
        assert lengths == [str(len(body))], (lengths, len(body))
    return Answer(int(headers[0][1].split()[0]), headers[1:], body)


# -- the properties --------------------------------------------------------------------


def check(case: Case, answer: Answer, expected: Iterable[int], *,
          secrets: Iterable[bytes] = ()) -> None:
    """Assert what every row must hold: the expected status and never a 5xx, nothing
    echoed raw, no injected or stray header, no leak, no digest of a partial upload."""
    expected = frozenset(expected)
    assert answer.status in expected, (
        f"{case.id}: status {answer.status}, expected {sorted(expected)}\n{answer.body[:600]!r}")
    assert answer.status < 500, f"{case.id}: no row may expect a 5xx"
    for marker in case.markers:
        assert marker not in answer.body, f"{case.id}: {marker!r} echoed raw"
    names = [key.lower() for key, _ in answer.headers]
    assert "x-injected" not in names, f"{case.id}: injected header {answer.headers}"
    assert names.count("set-cookie") == case.cookies, f"{case.id}: {answer.headers}"
    assert not any("evil" in value for key, value in answer.headers if key.lower() != "location")
    if answer.status >= 400:
        for leak in (*LEAKS, *secrets):
            assert leak not in answer.body, f"{case.id}: the error page leaks {leak!r}"
    if case.incomplete or answer.status != 200:
        assert b"MD5sum" not in answer.body and b"SHA-256 is" not in answer.body, case.id
    if case.method == "HEAD":
        assert answer.body == b"", case.id
    if is_page(answer.body) and case.method != "HEAD" and answer.status in case.expected(
            "inprocess"):
        for wanted in case.contains:
            assert wanted in answer.body, f"{case.id}: {wanted!r} not in the page"


def is_page(body: bytes) -> bool:
    """True for a page of the pack (werkzeug's error pages do not quote ``lang``)."""
    return body.startswith(b'<!doctype html>\n<html lang="en">')


def md5_line(data: bytes) -> bytes:
    """The file page's line for *data*."""
    return b"Received file of %d bytes. MD5sum is %s<br>" % (
        len(data), hashlib.md5(data).hexdigest().encode())
