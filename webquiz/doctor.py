"""``webquiz doctor URL``: prove a deployment serves the same pages, and name the fix when not.

Most of what goes wrong under Apache is the deployment, not the code, and the symptoms
are opaque (a 503, a header that never arrives, a 413 on a small upload). The doctor
asks the live server and the application in this process the same questions and
compares the answers:

1. **Pages.** Every page of the handlers folder (the index, the stylesheet, each
   ``/NAME``) is requested from the server at URL and from ``make_app(DIR)`` through
   werkzeug's test client, with the same method, path, query and headers; status,
   headers (less those a server adds or that tell the time: ``IGNORED_HEADERS``) and
   body must match. A page whose body the application itself changes (asked again by
   another process a second later, or with only the server's own facts changed: the
   client's address, the server software, the gateway's name) shows the clock, the
   process or the server, and is compared by its shape (``shape()``).
2. **Traps**, through the probe at ``/_webquiz/probe`` (webquiz/probe.py): the mount
   (SCRIPT_NAME), PATH_INFO with non-ASCII and encoded characters, the Authorization
   header, the largest body accepted, chunked bodies, stray output before a CGI
   response, the security headers, and who answers (gateway, Python, processes).
3. **The verdict**: one table (check, expected, got, verdict), each difference, and for
   each failure the directive that fixes it and the file it belongs in. The exit status
   is 1 when any check failed (warnings and notes do not count), 0 otherwise.
"""

from __future__ import annotations

import base64
import contextlib
import difflib
import html.parser
import http.client
import io
import json
import os
import re
import select
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import Client

from . import __version__
from .app import PROBE, SECURITY_HEADERS, WebQuiz, make_app
from .html import STYLESHEET

#: Verdicts. Only FAIL makes the exit status non-zero.
OK, FAIL, WARN, INFO, SKIP = "ok", "FAIL", "warn", "info", "skip"

#: Response headers not compared: set by the server or the connection, or telling the time.
IGNORED_HEADERS = frozenset({
    "date", "server", "connection", "keep-alive", "transfer-encoding", "te", "trailer",
    "upgrade", "proxy-connection", "proxy-authenticate", "content-length", "age", "via",
    "alt-svc",
})
#: What every request of the doctor carries, to the server and in process alike.
REQUEST_HEADERS = {
    "User-Agent": f"webquiz-doctor/{__version__}",
    "Accept": "*/*",
    # No compression: the bodies are compared byte for byte.
    "Accept-Encoding": "identity",
}
#: The probe's path tail and query: non-ASCII, an encoded space, a plus, an encoded %.
PROBE_TAIL = "/%C3%A9t%C3%A9/a%20b/a+b%25"
PROBE_TAIL_BYTES = "/été/a b/a+b%".encode()
PROBE_QUERY = "q=%C3%A9&r=a+b"
#: A credential that is no one's: the probe answers only whether a header arrived.
DUMMY_AUTHORIZATION = "Basic " + base64.b64encode(b"webquiz-doctor:not-a-secret").decode()
#: The largest body the doctor sends by default (16 MiB: above mod_wsgi-express's 10 MiB).
DEFAULT_MAX_BODY = 16 * 1024 * 1024
#: The body sizes tried, smallest first, up to the bound.
BODY_STEPS = (64 * 1024, 1024 * 1024, 4 * 1024 * 1024)
#: How many extra requests narrow down where a server's body limit lies.
BISECT_STEPS = 6
#: The chunked body sent: three chunks.
CHUNKS = (b"a" * 1000, b"b" * 30000, b"c" * 34536)
#: Probe requests sent at once to see how many processes and threads answer.
PARALLEL = 4
SAMPLES = 8
#: Pages whose differences the table prints in full (--json has them all).
PAGES_SHOWN = 3
_BLOCK = b"x" * (256 * 1024)
_SECURITY = {key.lower(): value for key, value in SECURITY_HEADERS}
#: An HTTP date (RFC 9110 IMF-fixdate), as in Set-Cookie's Expires.
_HTTP_DATE = re.compile(r"[A-Z][a-z]{2}, \d\d[ -][A-Z][a-z]{2}[ -]\d{4} \d\d:\d\d:\d\d GMT")
#: A line that reads as an HTTP header: what a stray print or a doubled header looks like.
_HEADER_LINE = re.compile(rb"[A-Za-z][A-Za-z0-9-]*:[ \t]?[^\r\n]*\r?\n")


class DoctorError(Exception):
    """A URL or folder the doctor cannot work with; the message says why."""


# -- where the deployment is ------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """The URL of a webquiz mount, taken apart."""

    url: str
    scheme: str
    host: str
    port: int
    netloc: str
    mount: str  # "" for the root of the site, else "/py" (as the client writes it)

    @classmethod
    def parse(cls, url: str) -> Target:
        """Check *url* (http or https, a host, a path, no query) and take it apart."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DoctorError(f"{url!r}: give an http:// or https:// URL with a host")
        if parts.query or parts.fragment:
            raise DoctorError(f"{url!r}: give the mount's URL, without a query or fragment")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise DoctorError(f"{url!r}: {exc}") from None
        return cls(url, parts.scheme, parts.hostname, port, parts.netloc,
                   parts.path.rstrip("/"))

    @property
    def base_url(self) -> str:
        """The URL werkzeug's test client mounts the app at: the same host, port, path."""
        return f"{self.scheme}://{self.netloc}{self.mount}/"

    def target(self, path: str) -> str:
        """The request target for *path* under the mount."""
        return self.mount + path


@dataclass
class Answer:
    """A response: from the server (``error`` when there was none) or from the app."""

    status: int | None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    error: str | None = None

    def header(self, name: str) -> str | None:
        """The first value of header *name*, or None."""
        lower = name.lower()
        return next((value for key, value in self.headers if key.lower() == lower), None)

    @property
    def from_webquiz(self) -> bool:
        """True when webquiz wrote this response (its security headers or its frame)."""
        csp = _SECURITY["content-security-policy"]
        return self.header("Content-Security-Policy") == csp or app_root(self.body) is not None

    def json(self) -> dict[str, Any] | None:
        """The body as a JSON object (after any junk before it), or None."""
        start = self.body.find(b"{")
        if start < 0:
            return None
        try:
            value = json.loads(self.body[start:])
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def describe(self) -> str:
        """``200 OK``-like text, or the error."""
        if self.status is None:
            return self.error or "no answer"
        return f"{self.status} {http.client.responses.get(self.status, '')}".rstrip()


_STYLESHEET_LINK = re.compile(rb'<link rel="stylesheet" href="([^"]*)' + re.escape(
    STYLESHEET.encode()) + rb'\?')


def app_root(body: bytes) -> str | None:
    """Where a page of webquiz says it is mounted: the path before its stylesheet link."""
    found = _STYLESHEET_LINK.search(body)
    return found[1].decode("utf-8", "replace") if found else None


class Live:
    """Requests to the server under test, each on a new connection, bounded in time."""

    def __init__(self, target: Target, timeout: float) -> None:
        self.target = target
        self.timeout = timeout

    def _connection(self) -> http.client.HTTPConnection:
        if self.target.scheme == "https":
            return http.client.HTTPSConnection(self.target.host, self.target.port,
                                               timeout=self.timeout)
        return http.client.HTTPConnection(self.target.host, self.target.port,
                                          timeout=self.timeout)

    def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        """GET *path* under the mount."""
        conn = self._connection()
        try:
            conn.request("GET", self.target.target(path),
                         headers={**REQUEST_HEADERS, **(headers or {})})
            response = conn.getresponse()
            return Answer(response.status, response.getheaders(), response.read())
        except (OSError, http.client.HTTPException) as exc:
            return Answer(None, error=_network_error(exc))
        finally:
            conn.close()

    def post(self, path: str, size: int, *, chunked: bool = False) -> Answer:
        """POST a body of *size* bytes (or CHUNKS, chunked), sent as the server takes it.

        ``Expect: 100-continue`` lets a server refuse a body by its length before it is
        sent; one that answers while the body is still going out stops the sending.
        """
        try:
            sock = socket.create_connection((self.target.host, self.target.port),
                                            timeout=self.timeout)
        except OSError as exc:
            return Answer(None, error=_network_error(exc))
        try:
            if self.target.scheme == "https":
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.target.host)
            return self._post(sock, path, size, chunked)
        except (OSError, http.client.HTTPException) as exc:
            return Answer(None, error=_network_error(exc))
        finally:
            sock.close()

    def _post(self, sock: socket.socket, path: str, size: int, chunked: bool) -> Answer:
        plain = not isinstance(sock, ssl.SSLSocket)
        lines = [f"POST {self.target.target(path)} HTTP/1.1", f"Host: {self.target.netloc}",
                 *(f"{key}: {value}" for key, value in REQUEST_HEADERS.items()),
                 "Content-Type: application/octet-stream", "Connection: close"]
        lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
        if plain:
            lines.append("Expect: 100-continue")
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        answered = plain and _readable(sock, 1.0) and not _skip_continue(sock)
        if not answered:
            try:
                for piece in _body(size, chunked):
                    if _readable(sock, 0):
                        if not plain or not _skip_continue(sock):
                            break  # the server answered before taking the whole body
                    sock.sendall(piece)
            except OSError:
                pass  # it closed while the body went out: its answer may be there still
        response = http.client.HTTPResponse(sock, method="POST")
        response.begin()
        return Answer(response.status, response.getheaders(), response.read())


def _readable(sock: socket.socket, timeout: float) -> bool:
    """True when the server sent something (or closed) within *timeout* seconds."""
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    return bool(select.select([sock], [], [], timeout)[0])


def _skip_continue(sock: socket.socket) -> bool:
    """Read a ``100 Continue`` interim response if that is what came; False otherwise."""
    if isinstance(sock, ssl.SSLSocket):
        return False
    first = sock.recv(12, socket.MSG_PEEK)
    if not re.match(rb"HTTP/1\.[01] 100", first):
        return False
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        byte = sock.recv(1)
        if not byte:
            return False
        head += byte
    return True


def _body(size: int, chunked: bool) -> Iterable[bytes]:
    """The pieces of a request body: *size* bytes, or CHUNKS in chunked framing."""
    if chunked:
        for chunk in CHUNKS:
            yield f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
        yield b"0\r\n\r\n"
        return
    left = size
    while left > 0:
        piece = _BLOCK[:min(left, len(_BLOCK))]
        left -= len(piece)
        yield piece


def _network_error(exc: BaseException) -> str:
    """What went wrong on the wire, in a few words."""
    if isinstance(exc, http.client.BadStatusLine):
        return f"not an HTTP response: {exc.args[0][:60]!r}" if exc.args else "not HTTP"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "no answer in time"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, http.client.RemoteDisconnected | ConnectionResetError | BrokenPipeError):
        return "the server closed the connection without an answer"
    return f"{type(exc).__name__}: {exc}"


# -- the application in process -----------------------------------------------------------


#: What varies between two servers but not in a page's meaning: when the app answers
#: differently with these, the page shows the server, and is compared by shape.
OTHER_SERVER = {
    "REMOTE_ADDR": "192.0.2.1",
    "REMOTE_PORT": "1",
    "SERVER_SOFTWARE": "another-server/1.0",
    "GATEWAY_INTERFACE": "CGI/1.1",
    "webquiz.gateway": "another gateway",
}


def local(app: WebQuiz, target: Target, paths: Sequence[str],
          overrides: dict[str, str] | None = None) -> list[Answer]:
    """GET each of *paths* from *app* in this process, as the server would get them.

    A handler's ``print()`` and the app's log go nowhere: the doctor's own output stays clean.
    """
    client = Client(app, use_cookies=False)
    answers = []
    for path in paths:
        with contextlib.redirect_stdout(io.StringIO()):
            response = client.open(path, base_url=target.base_url, method="GET",
                                   headers=REQUEST_HEADERS, errors_stream=io.StringIO(),
                                   environ_overrides=overrides or {}, buffered=True)
        answers.append(Answer(response.status_code, list(response.headers.items()),
                              response.get_data()))
        response.close()
    return answers


def replay_main() -> None:
    """Answer the doctor's requests in a process of its own (see ``elsewhere``).

    Reads ``{"handlers", "gateway", "url", "paths"}`` as JSON on stdin; writes each
    answer's status and body, as JSON, to the stdout it started with.
    """
    out = sys.stdout
    sys.stdout = sys.stderr  # a handler's print() must not reach the answer
    job = json.load(sys.stdin)
    app = make_app(job["handlers"], gateway=job["gateway"])
    answers = local(app, Target.parse(job["url"]), job["paths"])
    json.dump([[a.status, base64.b64encode(a.body).decode()] for a in answers], out)
    out.flush()


def elsewhere(handlers: Path, gateway: str | None, target: Target, paths: Sequence[str],
              timeout: float) -> list[Answer] | None:
    """The same requests answered by another process, started now: its clock, its PID."""
    package_root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH")]))
    job = {"handlers": str(handlers), "gateway": gateway, "url": target.url,
           "paths": list(paths)}
    try:
        run = subprocess.run([sys.executable, "-c",
                              "from webquiz.doctor import replay_main; replay_main()"],
                             input=json.dumps(job), capture_output=True, text=True, env=env,
                             timeout=timeout + 60, check=False)
        return [Answer(status, body=base64.b64decode(body))
                for status, body in json.loads(run.stdout)]
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None


# -- comparing pages ----------------------------------------------------------------------


def comparable_headers(answer: Answer) -> list[tuple[str, str]]:
    """The headers that must match: lower-cased names, dates masked, server's own dropped."""
    return sorted((key.lower(), _HTTP_DATE.sub("<date>", value)) for key, value in answer.headers
                  if key.lower() not in IGNORED_HEADERS)


def header_differences(live: Answer, expected: Answer) -> tuple[list[str], list[str]]:
    """(headers missing or changed on the server, headers only the server added)."""
    got = comparable_headers(live)
    want = comparable_headers(expected)
    missing = [f"{k}: {v}" for k, v in want if (k, v) not in got]
    added = [f"{k}: {v}" for k, v in got if (k, v) not in want]
    return missing, added


class _Shape(html.parser.HTMLParser):
    """Build the element tree of a page: names, attribute names, link targets."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
                      "meta", "source", "track", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root: list[Any] = ["#document", []]
        self.stack: list[list[Any]] = [self.root]
        self.title = ""
        self.main_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.main_depth:
            if tag not in self.VOID:
                self.main_depth += 1
            return
        names = []
        for name, value in sorted(attrs):
            if name in ("href", "src", "action"):
                names.append(f"{name}={re.sub(r'[0-9]+', '0', value or '')}")
            else:
                names.append(name)
        node: list[Any] = [f"{tag}[{' '.join(names)}]", []]
        self.stack[-1][1].append(node)
        if tag == "main":
            self.main_depth = 1
        elif tag not in self.VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        if self.main_depth:
            self.main_depth -= 1
            if self.main_depth:
                return
            return
        if len(self.stack) > 1 and self.stack[-1][0].startswith(tag + "["):
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not self.main_depth and self.stack[-1][0].startswith("title["):
            self.title += data


def _collapse(node: list[Any]) -> tuple[Any, ...]:
    """A node with its children's repeats dropped (rows of a list or a table count once)."""
    children: list[tuple[Any, ...]] = []
    for child in node[1]:
        shape = _collapse(child)
        if shape not in children:
            children.append(shape)
    return (node[0], tuple(children))


def shape(answer: Answer) -> Any:
    """What must match on a page that shows the clock, the process or the server.

    HTML: the element tree (names, attribute names, and link targets with digits
    masked), each element's repeated children counted once, the title's text, and
    nothing inside ``<main>``, where such a page keeps what changes. JSON: the keys and
    the types of the values. Anything else: the media type only.
    """
    ctype = (answer.header("Content-Type") or "").split(";")[0].strip().lower()
    if ctype == "text/html":
        parser = _Shape()
        parser.feed(answer.body.decode("utf-8", "replace"))
        parser.close()
        return {"title": parser.title.strip(), "tree": _collapse(parser.root)}
    if ctype.endswith("json"):
        value = answer.json()
        return sorted((k, type(v).__name__) for k, v in value.items()) if value else None
    return ctype


def body_differences(live: bytes, expected: bytes, limit: int = 12) -> list[str]:
    """The first lines that differ between two bodies, as a unified diff."""
    diff = difflib.unified_diff(
        expected.decode("utf-8", "replace").splitlines(),
        live.decode("utf-8", "replace").splitlines(),
        "in process", "server", lineterm="", n=0)
    lines = [line for line in diff if not line.startswith("@@")]
    return lines[:limit] + (["..."] if len(lines) > limit else [])


def junk_before(body: bytes) -> bytes | None:
    """The header lines a body starts with, if it does: a CGI response printed twice.

    When something prints before webquiz (an old script's ``Content-Type:`` line and a
    blank line), the server takes that for the response's headers, and webquiz's own
    ``Status:`` and ``Content-Type:`` lines arrive as the start of the body.
    """
    position, lines = 0, []
    while match := _HEADER_LINE.match(body, position):
        lines.append(match[0].split(b":")[0].lower())
        position = match.end()
    blank = body[position:position + 2] == b"\r\n" or body[position:position + 1] == b"\n"
    if blank and (b"status" in lines or b"content-type" in lines):
        return body[:position]
    return None


# -- the report ---------------------------------------------------------------------------


@dataclass
class Check:
    """One row of the table, with the differences behind it and the fix for a failure."""

    check: str
    expected: str
    got: str
    verdict: str
    fix: str = ""
    details: list[str] = field(default_factory=list)


@dataclass
class Deployment:
    """What the doctor learned about who answers at the URL."""

    kind: str = "unknown"  # mod_wsgi, mod_wsgi-express, CGI, htaccess, dev server, unknown
    gateway: str | None = None
    probe: dict[str, Any] | None = None


def where(kind: str, mount: str) -> str:
    """The block and file a directive for this mount belongs in."""
    block = f"<Location {mount or '/'}>"
    if kind == "mod_wsgi":
        return (f"inside {block} of your mod_wsgi config (what `webquiz apache-config wsgi` "
                "printed, e.g. /etc/apache2/conf-available/webquiz.conf), then reload Apache")
    if kind == "CGI":
        return (f"inside {block} of your CGI config (what `webquiz apache-config cgi` "
                "printed, e.g. /etc/apache2/conf-available/webquiz.conf), then reload Apache")
    if kind == "htaccess":
        return f"to the .htaccess file of the folder served at {mount or ''}/"
    return f"inside {block} of the Apache config that serves {mount or '/'}"


def _count(number: int, noun: str) -> str:
    """``1 process``, ``2 processes``."""
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{number} {noun if number == 1 else plural}"


def _size(count: int) -> str:
    """A byte count for people: ``64 KiB``, ``1.5 MiB``."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= factor:
            return f"{count / factor:.3g} {unit}"
    return f"{count} bytes"


# -- the checks ---------------------------------------------------------------------------


class Doctor:
    """Run every check against one URL, comparing with the app of one handlers folder."""

    def __init__(self, url: str, handlers: str | os.PathLike[str] | None = None, *,
                 max_body: int = DEFAULT_MAX_BODY, timeout: float = 30) -> None:
        self.target = Target.parse(url)
        try:
            self.app = make_app(handlers)
        except NotADirectoryError as exc:
            raise DoctorError(str(exc)) from None
        self.live = Live(self.target, timeout)
        self.max_body = max_body
        self.timeout = timeout
        self.checks: list[Check] = []
        self.deployment = Deployment()
        #: Every answer the server gave, for the checks that look at all of them.
        self.seen: list[tuple[str, Answer]] = []

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def run(self) -> list[Check]:
        """Run the checks, in order; the table's rows."""
        index = self.live.get("/")
        self.seen.append(("/", index))
        if not self.reachable(index):
            return self.checks
        probe = self.probe()
        self.mount(probe, index)
        if probe is not None:
            self.path_info(probe)
            self.authorization(probe)
            self.body_size(probe)
            self.chunked()
            self.who_answers(probe)
        self.pages(index)
        self.clean_output()
        self.security_headers()
        return self.checks

    # -- can webquiz be reached at all

    def reachable(self, index: Answer) -> bool:
        """The server answers at the URL, and webquiz (not the server) writes the answer."""
        expected = "webquiz answers"
        if index.status is None:
            self.add(Check("reachable", expected, index.describe(), FAIL,
                           f"nothing answers at {self.target.url}: start the server, or "
                           "check the URL's host, port and scheme"))
            return False
        if index.from_webquiz:
            self.add(Check("reachable", expected, f"{index.describe()} from webquiz", OK))
            return True
        server = index.header("Server") or "the server"
        got = f"{index.describe()} from {server}, not from webquiz"
        if index.status == 503:
            fix = (
                "mod_wsgi daemon mode: Apache's workers cannot reach the daemon processes "
                "(Apache's error log says \"Unable to connect to WSGI daemon process\"). Add "
                "`WSGISocketPrefix /var/run/wsgi` (a folder that exists and Apache's user "
                "can enter) at the top level of your mod_wsgi config (what `webquiz "
                "apache-config wsgi` printed), outside any <VirtualHost>, then restart "
                "Apache. If the log says \"No module named 'encodings'\" instead, "
                "python-home names a venv of another Python than mod_wsgi's: run `webquiz "
                "apache-config wsgi` in that venv, which checks."
            )
        elif index.status == 500:
            fix = (
                "the program failed before webquiz answered: read Apache's error log. "
                "\"End of script output before headers\": the #! line names a Python without "
                "webquiz, or Apache's user cannot read the venv; \"malformed header from "
                "script\": something printed before webquiz's headers (a print() in the "
                "entry script); \"Target WSGI script cannot be loaded\": the WSGIScriptAlias "
                "path or python-home is wrong."
            )
        else:
            fix = (
                f"the server does not hand {self.target.mount or '/'} to webquiz: check the "
                f"`ScriptAlias {self.target.mount or '/'}` (CGI) or `WSGIScriptAlias "
                f"{self.target.mount or '/'}` (mod_wsgi) line and the <Directory> block that "
                "lets Apache run it, as `webquiz apache-config` prints them."
            )
        self.add(Check("reachable", expected, got, FAIL, fix))
        return False

    # -- the probe

    def probe(self) -> dict[str, Any] | None:
        """Ask the probe what arrived; record the gateway. None when it did not answer."""
        answer = self.live.get(PROBE + PROBE_TAIL + "?" + PROBE_QUERY,
                               {"Authorization": DUMMY_AUTHORIZATION})
        self.seen.append((PROBE, answer))
        report = answer.json() if answer.status == 200 else None
        if report is None or "path_info_bytes" not in report:
            off = b"deployment probe is turned off" in answer.body
            self.add(Check(
                "probe", f"{PROBE} answers", "turned off" if off else answer.describe(),
                SKIP if off else FAIL,
                "" if off else "the checks below that need the probe could not run; "
                "the mount check says why"))
            return None
        self.add(Check("probe", f"{PROBE} answers", "answers", OK))
        self.deployment = Deployment(_kind(report), report.get("gateway"), report)
        return report

    def mount(self, probe: dict[str, Any] | None, index: Answer) -> None:
        """SCRIPT_NAME is the URL's path: links the pages write lead back to them."""
        expected = self.target.mount
        if probe is not None:
            got = probe.get("script_name", "")
            path_info = bytes.fromhex(probe.get("path_info_bytes", "")).decode(
                "utf-8", "replace")
        else:
            roots = [app_root(answer.body) for _, answer in self.seen]
            found = next((root for root in roots if root is not None), None)
            if found is None:
                self.add(Check("mount", f"SCRIPT_NAME {expected or '(empty)'}",
                               "unknown: no page of webquiz answered", FAIL,
                               self._mapping_fix(expected)))
                return
            got, path_info = found, ""
        shown = f"SCRIPT_NAME {expected or '(empty)'}"
        if got == expected:
            self.add(Check("mount", shown, got or "(empty)", OK))
            return
        if got.rstrip("/") == expected:
            why = (f"a slash after the URL path: the server passes {got!r}, so the links "
                   f"webquiz writes start with {got + '/'!r}")
        elif expected.startswith(got) or path_info.startswith(expected[len(got):] + "/"):
            why = (f"the server hands {expected[len(got):]!r} to webquiz again in PATH_INFO "
                   f"(SCRIPT_NAME {got or '(empty)'}): every page's name is read from the "
                   "wrong segment")
        else:
            why = f"the server mounts webquiz at {got or '(empty)'}"
        self.add(Check("mount", shown, got or "(empty)", FAIL, self._mapping_fix(expected),
                       [why]))

    def _mapping_fix(self, mount: str) -> str:
        """How the line that maps *mount* to webquiz must read, for this gateway."""
        shown = mount or "/"
        cgi = f'`ScriptAlias {shown} "/path/to/venv/bin/webquiz-cgi"`'
        wsgi = f'`WSGIScriptAlias {shown} "/path/to/webquiz.wsgi"`'
        rule = ("the URL path exactly as you open it (no slash after it), the target exactly "
                "the file (nothing after it), as `webquiz apache-config KIND --mount "
                f"{shown}` prints it")
        kind = self.deployment.kind
        if kind == "mod_wsgi":
            return f"write the line as {wsgi}: {rule}"
        if kind == "CGI":
            return f"write the line as {cgi}: {rule}"
        if kind == "htaccess":
            return ("put the .htaccess and webquiz.cgi in the folder served at "
                    f"{shown}: `webquiz apache-config htaccess --mount {shown} --write DIR`")
        return f"write the line that maps {shown} as {cgi} (CGI) or {wsgi} (mod_wsgi): {rule}"

    def path_info(self, probe: dict[str, Any]) -> None:
        """PATH_INFO and the query arrive as the client's bytes, decoded once."""
        want = PROBE.encode() + PROBE_TAIL_BYTES
        got = bytes.fromhex(probe.get("path_info_bytes", ""))
        query = bytes.fromhex(probe.get("query_string_bytes", ""))
        shown = want.decode()
        if got == want and query == PROBE_QUERY.encode():
            self.add(Check("path info", shown, "the same", OK))
            return
        details = []
        if got != want:
            details.append(f"PATH_INFO arrived as {got!r}, sent as {want!r}")
        if query != PROBE_QUERY.encode():
            details.append(f"the query arrived as {query!r}, sent as {PROBE_QUERY!r}")
        self.add(Check(
            "path info", shown, got.decode("utf-8", "replace"), FAIL,
            "a RewriteRule or proxy in front re-encodes the URL: pass it through unchanged "
            "(mod_rewrite: no [B] or [NE] flag on the rule; mod_proxy: `ProxyPass ... "
            "nocanon`)", details))

    def authorization(self, probe: dict[str, Any]) -> None:
        """The Authorization header reaches the application (ported pages read it)."""
        expected = "the header arrives"
        if probe.get("authorization"):
            self.add(Check("authorization", expected, "arrives", OK))
            return
        kind, mount = self.deployment.kind, self.target.mount
        if kind == "mod_wsgi":
            fix = f"add `WSGIPassAuthorization On` {where(kind, mount)}"
        elif kind == "CGI":
            fix = f"add `CGIPassAuth On` {where(kind, mount)} (Apache 2.4.13 or later)"
        elif kind == "htaccess":
            fix = ("add `RewriteCond %{HTTP:Authorization} .` and `RewriteRule ^ - "
                   "[E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]` after `RewriteEngine On` "
                   f"in the .htaccess of the folder served at {mount}/ (or `CGIPassAuth On`, "
                   "where the host allows AuthConfig in .htaccess files)")
        else:
            fix = ("a server or proxy in front of webquiz drops the Authorization header: "
                   "configure it to pass the header on")
        self.add(Check("authorization", expected, "dropped on the way", FAIL, fix,
                       ["pages that check credentials themselves "
                        "(req.request.authorization) see none"]))

    def body_size(self, probe: dict[str, Any]) -> None:
        """Bodies up to webquiz's upload cap reach it (up to the bound the doctor sends)."""
        cap = int(probe.get("max_upload") or 0)
        bound = min(self.max_body, cap) if cap else self.max_body
        expected = f"{_size(bound)} accepted" + (" (webquiz's cap)" if bound == cap else "")
        sizes = [size for size in BODY_STEPS if size < bound] + [bound]
        accepted, refused = 0, None
        for size in sizes:
            answer = self.live.post(PROBE, size)
            self.seen.append((PROBE, answer))
            if _received(answer) == size:
                accepted = size
                continue
            refused = (size, answer)
            break
        if refused is None:
            self.add(Check("body size", expected, f"{_size(accepted)} accepted", OK))
            return
        size, answer = refused
        # Narrow it down: the largest size that still gets through.
        low, high = accepted, size
        for _ in range(BISECT_STEPS):
            middle = (low + high) // 2
            if middle in (low, high):
                break
            trial = self.live.post(PROBE, middle)
            if _received(trial) == middle:
                low = middle
            else:
                high = middle
        got = f"{_size(low)} accepted, {_size(high)} refused: {answer.describe()}"
        ours = (answer.json() or {}).get("refused_by") == "webquiz"
        detail = [f"webquiz's own cap is {_size(cap)} (WEBQUIZ_MAX_UPLOAD); it answers a "
                  "larger body with its own 413"] if cap else []
        if ours:
            fix = "webquiz refused it: raise WEBQUIZ_MAX_UPLOAD (bytes) where the server runs"
        elif answer.status == 413:
            kind, mount = self.deployment.kind, self.target.mount
            if kind == "mod_wsgi-express":
                fix = (f"start mod_wsgi-express with `--limit-request-body {cap}` "
                       "(its default is 10 MiB)")
            elif kind in ("mod_wsgi", "CGI", "htaccess"):
                fix = (f"add `LimitRequestBody {cap}` {where(kind, mount)} (0 lifts Apache's "
                       "limit; webquiz still refuses what is over its own cap)")
            else:
                fix = ("raise the body limit of the server or proxy in front of webquiz "
                       f"to {cap} bytes (Apache: LimitRequestBody; nginx: "
                       "client_max_body_size)")
        else:
            fix = ("the server or a proxy in front cut the upload short: raise its body "
                   "limit and its timeouts (Apache: LimitRequestBody, RequestReadTimeout)")
        self.add(Check("body size", expected, got, FAIL, fix, detail))

    def chunked(self) -> None:
        """A chunked body (no Content-Length) arrives whole. Browsers never send one."""
        want = sum(len(chunk) for chunk in CHUNKS)
        answer = self.live.post(PROBE, 0, chunked=True)
        self.seen.append((PROBE, answer))
        expected = f"{_size(want)} arrive"
        if _received(answer) == want:
            self.add(Check("chunked body", expected, "arrive", OK))
            return
        kind, mount = self.deployment.kind, self.target.mount
        if kind == "mod_wsgi-express":
            fix = "start mod_wsgi-express with `--chunked-request`"
        elif kind == "mod_wsgi":
            fix = f"add `WSGIChunkedRequest On` {where(kind, mount)}"
        else:
            fix = "the server or a proxy in front refuses chunked request bodies"
        got = answer.describe() if _received(answer) is None else (
            f"{_size(_received(answer) or 0)} arrived")
        self.add(Check("chunked body", expected, got, WARN, fix,
                       ["only clients that stream a body without a length are affected "
                        "(some HTTP libraries); browsers always send one"]))

    def who_answers(self, probe: dict[str, Any]) -> None:
        """Which gateway, Python and how many processes and threads serve (for the record)."""
        python = probe.get("python") or {}
        gateway, kind = str(probe.get("gateway")), self.deployment.kind
        self.add(Check("gateway", "-", gateway if kind in gateway else f"{gateway} ({kind})",
                       INFO))
        self.add(Check("python", "-", f"{python.get('version')} at {python.get('prefix')}",
                       INFO))
        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(lambda _: self.live.get(PROBE), range(SAMPLES)))
        reports = [a.json() for a in answers if a.status == 200]
        seen = [r["process"] for r in reports if r and isinstance(r.get("process"), dict)]
        pids = {p.get("pid") for p in seen}
        threads = {(p.get("pid"), p.get("thread")) for p in seen}
        got = (f"{len(seen)} requests answered by {_count(len(pids), 'process')} and "
               f"{_count(len(threads), 'thread')}")
        pool_info = probe.get("mod_wsgi") or {}
        if pool_info.get("maximum_processes"):
            got += (f" (daemon group {pool_info.get('process_group')!r}: "
                    f"{pool_info['maximum_processes']} x {pool_info.get('threads_per_process')}"
                    " threads)")
        self.add(Check("processes", "-", got, INFO))

    # -- the pages

    def pages(self, index: Answer) -> None:
        """Every page, from the server and in process, compared (exactly, or by shape)."""
        paths = ["/", STYLESHEET, *(f"/{route.name}" for route in self.app.table.routes())]
        gateway = self.deployment.gateway
        if gateway:
            self.app.gateway = gateway  # pages that show it show the server's
        started = time.monotonic()
        here = local(self.app, self.target, paths)
        varied = local(self.app, self.target, paths, OTHER_SERVER)
        live = [index] + [self.live.get(path) for path in paths[1:]]
        self.seen += list(zip(paths, live, strict=True))
        time.sleep(max(0.0, 1.05 - (time.monotonic() - started)))  # another second
        other = elsewhere(self.app.folder, gateway, self.target, paths, self.timeout)
        if other is None:
            self.add(Check("replay", "another process answers the pages", "it failed", WARN,
                           "every page is compared by shape: check that `python -c 'import "
                           "webquiz'` works with this Python"))
        for i, path in enumerate(paths):
            volatile = varied[i].body != here[i].body or (
                other is None or other[i].body != here[i].body)
            self.add(self.compare_page(path, live[i], here[i], volatile))

    def compare_page(self, path: str, live: Answer, expected: Answer, volatile: bool) -> Check:
        """One page: status, headers, and body (by shape when *volatile*)."""
        how = "same shape" if volatile else "same bytes"
        want = f"{expected.status}, same headers, {how}"
        if live.status is None:
            return Check(f"page {path}", want, live.describe(), FAIL,
                         "the server gave no answer for this page: see its error log")
        details = []
        if live.status != expected.status:
            details.append(f"status {live.status}, in process {expected.status}")
        missing, added = header_differences(live, expected)
        details += [f"header missing or changed: {line}" for line in missing]
        if volatile:
            if shape(live) != shape(expected):
                details.append("the page's shape differs (its frame, title or structure):")
                details += body_differences(live.body, expected.body)
        elif live.body != expected.body:
            details.append("the body differs:")
            details += body_differences(live.body, expected.body)
        if not details:
            note = f"; the server added {', '.join(added)}" if added else ""
            return Check(f"page {path}", want, "same" + note, OK)
        return Check(f"page {path}", want, f"differs: {details[0]}", FAIL, details=details)

    # -- what every answer must be

    def clean_output(self) -> None:
        """No bytes before webquiz's response: a stray print() corrupts a CGI response."""
        expected = "responses as webquiz wrote them"
        for path, answer in self.seen:
            junk = junk_before(answer.body) if answer.status else None
            if answer.error and answer.error.startswith("not an HTTP response"):
                junk = answer.error.encode()
            if junk:
                text = junk[:70].decode("utf-8", "replace")
                self.add(Check(
                    "clean output", expected, f"{path}: {text!r}... before the body", FAIL,
                    "something printed to stdout before webquiz's response: remove the "
                    "print() (old CGI scripts print their own \"Content-Type:\" line and a "
                    "blank line) from the CGI entry script and from code it runs before "
                    "cgi_main(); webquiz writes the headers itself, and a handler's print() "
                    "goes to the error log",
                    ["the server took the printed lines for the response's headers, and "
                     "webquiz's own headers arrived as the start of the body"]))
                return
        self.add(Check("clean output", expected, "clean", OK))

    def security_headers(self) -> None:
        """webquiz's security headers reach the client on every answer webquiz wrote."""
        expected = ", ".join(key for key, _ in SECURITY_HEADERS)
        problems = []
        for path, answer in self.seen:
            if not _written_by_webquiz(path, answer):
                continue
            for key, value in SECURITY_HEADERS:
                got = answer.header(key)
                if got != value:
                    problems.append(f"{path}: {key}: {got!r}")
        if not problems:
            self.add(Check("security headers", expected, "on every page", OK))
            return
        self.add(Check(
            "security headers", expected, problems[0], FAIL,
            "a `Header unset` or `Header set` directive (mod_headers), a proxy, or output "
            "before webquiz's own headers (see clean output) removes or changes webquiz's "
            "security headers: remove it for this mount", problems[:10]))


def _written_by_webquiz(path: str, answer: Answer) -> bool:
    """True for answers webquiz wrote: its pages, its stylesheet, the probe's reports."""
    if answer.status is None:
        return False
    if path == STYLESHEET:
        return answer.status in (200, 304)
    report = answer.json() if path == PROBE else None
    return app_root(answer.body) is not None or bool(
        report and ("webquiz" in report or "refused_by" in report))


def _received(answer: Answer) -> int | None:
    """How many body bytes the probe says arrived; None when the probe did not answer."""
    if answer.status != 200:
        return None
    report = answer.json()
    value = report.get("body_bytes") if report else None
    return value if isinstance(value, int) else None


def _kind(report: dict[str, Any]) -> str:
    """Which kind of deployment answered: it decides which directive fixes what."""
    gateway = str(report.get("gateway") or "")
    if gateway.startswith("mod_wsgi"):
        group = str((report.get("mod_wsgi") or {}).get("process_group") or "")
        # mod_wsgi-express names its daemon group after the host and port it serves.
        return "mod_wsgi-express" if re.fullmatch(r"[^:]+:\d+", group) else "mod_wsgi"
    if gateway == "CGI":
        return "htaccess" if report.get("rewritten") else "CGI"
    if gateway == "dev server":
        return "dev server"
    return "unknown"


# -- output -------------------------------------------------------------------------------


def failures(checks: Iterable[Check]) -> int:
    """How many checks failed."""
    return sum(check.verdict == FAIL for check in checks)


def as_json(doctor: Doctor) -> str:
    """The result for scripts: the URL, the folder, the count of failures, every check."""
    return json.dumps({
        "url": doctor.target.url,
        "handlers": str(doctor.app.folder),
        "deployment": doctor.deployment.kind,
        "failures": failures(doctor.checks),
        "checks": [asdict(check) for check in doctor.checks],
    }, indent=1) + "\n"


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "\N{HORIZONTAL ELLIPSIS}"


def as_table(doctor: Doctor) -> str:
    """The result for people: the table, then the differences, then each fix."""
    checks = doctor.checks
    widths = (18, 34, 44)
    rows = [("CHECK", "EXPECTED", "GOT", "VERDICT")] + [
        (c.check, c.expected, c.got, c.verdict) for c in checks]
    lines = [f"webquiz doctor {doctor.target.url}  (handlers: {doctor.app.folder})", ""]
    for row in rows:
        cells = [_cell(text, width).ljust(width)
                 for text, width in zip(row[:3], widths, strict=True)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    detailed = [c for c in checks if c.details and c.verdict in (FAIL, WARN)]
    pages = [c for c in detailed if c.check.startswith("page ")]
    shown = [c for c in detailed if c not in pages[PAGES_SHOWN:]]
    if shown:
        lines += ["", "Differences:"]
        for check in shown:
            lines.append(f"  {check.check}:")
            lines += [f"    {line}" for line in check.details]
        if len(pages) > PAGES_SHOWN:
            lines.append(f"  ... and {len(pages) - PAGES_SHOWN} more pages differ "
                         "(--json lists every difference)")
    fixes = [c for c in checks if c.fix and c.verdict in (FAIL, WARN)]
    if fixes:
        lines += ["", "Fixes:"]
        lines += [f"  {check.check} ({check.verdict}): {check.fix}" for check in fixes]
    count = failures(checks)
    warnings = sum(c.verdict == WARN for c in checks)
    lines += ["", f"{count} failed, {warnings} warned, {len(checks)} checks."]
    return "\n".join(lines) + "\n"


def main(url: str, handlers: str | None, *, as_json_output: bool = False,
         max_body: int = DEFAULT_MAX_BODY, timeout: float = 30) -> int:
    """Run the doctor and print its result; the exit status (1: a check failed)."""
    try:
        doctor = Doctor(url, handlers, max_body=max_body, timeout=timeout)
    except DoctorError as exc:
        print(f"webquiz: {exc}", file=sys.stderr)
        return 2
    doctor.run()
    print(as_json(doctor) if as_json_output else as_table(doctor), end="")
    return 1 if failures(doctor.checks) else 0
