"""The development server: werkzeug's, threaded, with a plain access log.

Beyond ``run_simple`` it takes a socket from systemd (socket activation), writes a PID
file that ``webquiz stop`` reads, stops cleanly on SIGTERM as on Ctrl-C, serves TLS
for local testing, and mounts one folder of static files.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server, run_simple

from .body import CountingInput, drain, unread
from .finalize import StartResponse

_ANSI = re.compile(r"\x1b\[[0-9;]*m")

#: The first descriptor systemd passes (sd_listen_fds(3): SD_LISTEN_FDS_START).
LISTEN_FDS_START = 3


class RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler; the access log is colored only on a terminal.

    werkzeug colors 4xx/5xx lines even when stderr is a file, which leaves escape
    codes in log files and breaks ``grep``.
    """

    def make_environ(self) -> dict[str, Any]:
        """werkzeug's environ, with PATH_INFO and QUERY_STRING holding the bytes the
        client sent.

        werkzeug decodes the path as UTF-8 and replaces what is not, and re-encodes the
        query; Apache (CGI and mod_wsgi) passes the bytes on, as latin-1 WSGI strings.
        Do the same here, so that every gateway gives a handler the same request.
        """
        environ: dict[str, Any] = super().make_environ()
        url = urlsplit(self.path)
        path = f"/{url.netloc}{url.path}" if not url.scheme and url.netloc else url.path
        environ["PATH_INFO"] = unquote_to_bytes(path.encode("latin-1")).decode("latin-1")
        # werkzeug re-encodes the query as UTF-8 text; Apache passes its bytes on.
        environ["QUERY_STRING"] = url.query
        # werkzeug joins repeated headers with ","; several Cookie headers mean "; ".
        cookies = self.headers.get_all("Cookie")
        if cookies and len(cookies) > 1:
            environ["HTTP_COOKIE"] = "; ".join(cookies)
        return environ

    def log(self, type: str, message: str, *args: Any) -> None:
        if not sys.stderr.isatty():
            args = tuple(_ANSI.sub("", a) if isinstance(a, str) else a for a in args)
        super().log(type, message, *args)


class DrainBody:
    """WSGI middleware: once the response is written, read what is left of the request
    body (its Content-Length less what the application read), then let the server close.

    werkzeug's server discards unread input itself, but with a blocking read of 10 MB:
    when the client sent less (a 70 KB form answered 413, say) that read waits until the
    client gives up, so a client reading the answer to the end of the connection hangs.
    Reading exactly the declared rest leaves werkzeug's read nothing to wait for; a
    client that stops sending for DRAIN_PAUSE seconds is not waited for any longer.
    """

    #: Seconds without a byte after which the rest of a body is no longer waited for.
    DRAIN_PAUSE = 2.0

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if not (environ.get("wsgi.input_terminated")
                or str(environ.get("CONTENT_LENGTH") or "").isdigit()):
            return self.app(environ, start_response)  # type: ignore[no-any-return]
        body = CountingInput(environ["wsgi.input"])
        environ["wsgi.input"] = body
        return self._respond(self.app(environ, start_response), body, environ)

    def _respond(self, result: Iterable[bytes], body: CountingInput, environ: dict[str, Any]
                 ) -> Iterator[bytes]:
        try:
            yield from result
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        left = unread(environ, body)
        if left == 0:
            return
        sock: socket.socket | None = environ.get("werkzeug.socket")
        if sock is not None:
            sock.settimeout(self.DRAIN_PAUSE)
        drain(body, left)


def inherited_socket() -> int | None:
    """The listening socket systemd passed us (fd 3), or None when not socket-activated.

    The variables are removed once read, as sd_listen_fds(3) does, so that no child
    process believes the socket is meant for it.
    """
    pid, fds = os.environ.get("LISTEN_PID", ""), os.environ.get("LISTEN_FDS", "")
    if not (pid.isdigit() and int(pid) == os.getpid() and fds.isdigit() and int(fds) >= 1):
        return None
    for name in ("LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"):
        os.environ.pop(name, None)
    return LISTEN_FDS_START


def _stop_on_sigterm() -> None:
    """Make SIGTERM (``webquiz stop``, systemd, ``kill``) stop the server like Ctrl-C."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)


def serve(
    app: Any,
    host: str,
    port: int,
    *,
    reload: bool = False,
    debug: bool = False,
    extra_files: Iterable[str] = (),
    ssl_context: tuple[str, str] | None = None,
    pid_file: str | os.PathLike[str] | None = None,
) -> None:
    """Serve *app* until Ctrl-C or SIGTERM: one thread per connection, so an idle client
    blocks no one. With systemd socket activation the inherited socket is used."""
    app = DrainBody(app)
    fd = inherited_socket()
    if reload or debug:
        if fd is not None:
            raise SystemExit("webquiz: --reload and --debug do not work with socket activation")
        run_simple(
            host, port, app, threaded=True, request_handler=RequestHandler,
            use_reloader=reload, reloader_type="stat", extra_files=list(extra_files),
            use_debugger=debug, ssl_context=ssl_context,
        )
        return
    server = make_server(host, port, app, threaded=True, request_handler=RequestHandler,
                         ssl_context=ssl_context, fd=fd)
    if fd is not None:
        bound = server.socket.getsockname()
        server.host, server.port = str(bound[0]), int(bound[1])
        print(f"webquiz: serving on the socket systemd passed (fd {fd})", file=sys.stderr)
    pid_path = Path(pid_file) if pid_file else None
    if pid_path:
        pid_path.write_text(f"{os.getpid()}\n")
    _stop_on_sigterm()
    try:
        server.log_startup()
        server.serve_forever()  # returns on KeyboardInterrupt, closing the socket
    finally:
        if pid_path and pid_path.read_text().strip() == str(os.getpid()):
            pid_path.unlink()
