"""How ``webquiz doctor`` asks its questions: of the live server, and of the app in process.

Both answer as an ``Answer`` (status, headers, body), so the two can be compared.
``Live`` talks HTTP to the server, one connection per request, bounded in time; its
POST sends ``Expect: 100-continue`` so a server can refuse a body by its length before
it is sent. ``local`` asks ``make_app(DIR)`` through werkzeug's test client with the
same request, and ``elsewhere`` asks another process a second later (its own clock, its
own PID): a page whose answer changes then shows the clock or the process.
"""

from __future__ import annotations

import base64
import contextlib
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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import Client

from . import __version__
from .app import WebQuiz, make_app
from .headers import SECURITY_HEADERS
from .html import STYLESHEET

#: What every request of the doctor carries, to the server and in process alike.
REQUEST_HEADERS = {
    "User-Agent": f"webquiz-doctor/{__version__}",
    "Accept": "*/*",
    # No compression: the bodies are compared byte for byte.
    "Accept-Encoding": "identity",
}
#: The chunked body ``Live.post`` sends: three chunks.
CHUNKS = (b"a" * 1000, b"b" * 30000, b"c" * 34536)
_BLOCK = b"x" * (256 * 1024)
_CSP = dict((key.lower(), value) for key, value in SECURITY_HEADERS)["content-security-policy"]


class DoctorError(Exception):
    """A URL or folder the doctor cannot work with; the message says why."""


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
        return self.header("Content-Security-Policy") == _CSP or app_root(self.body) is not None

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
    app = make_app(job["handlers"])
    named = {"webquiz.gateway": job["gateway"]} if job["gateway"] else {}
    answers = local(app, Target.parse(job["url"]), job["paths"], named)
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
                              "from webquiz.doctor_requests import replay_main; replay_main()"],
                             input=json.dumps(job), capture_output=True, text=True, env=env,
                             timeout=timeout + 60, check=False)
        return [Answer(status, body=base64.b64decode(body))
                for status, body in json.loads(run.stdout)]
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return None
