"""The Apache gateways: a CGI program (mod_cgi, mod_cgid) and the mod_wsgi application.

CGI: Apache runs ``webquiz-cgi`` (or a copy of ``apache/webquiz.cgi``) once per request,
with the request in environment variables and the body on stdin; the response goes to
stdout. Start-up is the whole cost of a CGI request, so only the requested handler is
imported (``make_app(eager=False)``) and this module imports nothing a request does not
need (``python -X importtime -m webquiz.gateways`` shows the bill).

mod_wsgi: ``apache/webquiz.wsgi`` builds ``make_wsgi_app()``, which reads the handlers
folder from each request's WSGI environ, where Apache's ``SetEnv`` puts it.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterable
from typing import IO, Any
from wsgiref.handlers import BaseCGIHandler, CGIHandler, read_environ

from .app import WebQuiz, make_app
from .body import CountingInput, drain, unread
from .config import HANDLERS_ENV
from .finalize import StartResponse

# -- CGI --------------------------------------------------------------------------

#: Variables Apache sets from the request that wsgiref's read_environ leaves decoded.
_RAW_URLS = ("REQUEST_URI", "REDIRECT_URL")


class CGIGateway(CGIHandler):
    """wsgiref's CGIHandler, writing the response to *stdout* rather than ``sys.stdout``."""

    def __init__(self, stdout: IO[bytes], environ: dict[str, str]) -> None:
        self.body = CountingInput(sys.stdin.buffer)
        BaseCGIHandler.__init__(
            self, self.body, stdout, sys.stderr, environ, multithread=False, multiprocess=True,
        )

    def send_headers(self) -> None:
        """Read what is left of the request body, then send the headers.

        Apache writes the whole body to the program before it reads the response, and
        cuts the response short when the program exits without reading it all (a 413
        answered before the body was read, say).
        """
        drain(self.body, unread(self.base_env, self.body))
        super().send_headers()


def unrewrite(environ: dict[str, str]) -> None:
    """Mount the pack at the script's folder when mod_rewrite sent the request here.

    The ``.htaccess`` variant rewrites ``/py/get/3`` to ``/py/webquiz.cgi`` and Apache
    keeps the path the client asked for in REDIRECT_URL. Serving the pack at ``/py``
    (SCRIPT_NAME) with PATH_INFO ``/get/3`` keeps the pretty URLs in every link.

    >>> env = {"SCRIPT_NAME": "/py/webquiz.cgi", "PATH_INFO": "",
    ...        "REDIRECT_URL": "/py/get/3", "REDIRECT_STATUS": "200"}
    >>> unrewrite(env); env["SCRIPT_NAME"], env["PATH_INFO"]
    ('/py', '/get/3')
    """
    original = environ.get("REDIRECT_URL")
    # REDIRECT_STATUS 200: a rewrite, not an ErrorDocument; PATH_INFO set: not rewritten.
    if not original or environ.get("REDIRECT_STATUS") != "200" or environ.get("PATH_INFO"):
        return
    mount = environ.get("SCRIPT_NAME", "").rpartition("/")[0]
    if original == mount or original.startswith(mount + "/"):
        environ["SCRIPT_NAME"] = mount
        environ["PATH_INFO"] = original[len(mount):]


def cgi_application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """Build the app for this one request and run it (a bad setup is wsgiref's 500 page)."""
    app = make_app(eager=False, gateway="CGI")
    return app(environ, start_response)


def cgi_main() -> int:
    """Serve the one request of this CGI process (the ``webquiz-cgi`` command)."""
    # A stray print() in a handler must not corrupt the response: the response goes to a
    # private copy of stdout, and file descriptor 1 (print, C code, child processes) now
    # leads to stderr, which Apache copies to its error log.
    sys.stdout.flush()
    response = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    environ = read_environ()
    encoding = sys.getfilesystemencoding()
    for key in _RAW_URLS:
        if key in environ:  # back to the bytes Apache sent, as WSGI strings (latin-1)
            environ[key] = environ[key].encode(encoding, "surrogateescape").decode("latin-1")
    unrewrite(environ)
    if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower() and not environ.get(
            "CONTENT_LENGTH"):
        # Apache's mod_cgid passes a chunked body de-chunked but without CONTENT_LENGTH
        # (RFC 3875 asks for one): the body is what stdin holds, to its end.
        environ["wsgi.input_terminated"] = True  # type: ignore[assignment]
    CGIGateway(response, environ).run(cgi_application)
    response.close()
    return 0


# -- mod_wsgi ------------------------------------------------------------------------


class PerRequestFolder:
    """A WSGI application serving the folder named by the request's ``WEBQUIZ_HANDLERS``.

    Under mod_wsgi, Apache's ``SetEnv`` reaches the per-request WSGI environ, never
    ``os.environ``, which is read once when a process starts. So the folder is looked
    up per request, and the app for each folder is built once, on first use (every
    handler of it imported then), and kept. Without the variable the pack is served
    (or ``$WEBQUIZ_HANDLERS`` of the process, as ``make_app`` reads it).
    """

    def __init__(self, **options: Any) -> None:
        self.options = options
        self._apps: dict[str | None, WebQuiz] = {}
        self._lock = threading.Lock()

    def app_for(self, folder: str | None) -> WebQuiz:
        """The application serving *folder* (None: the default), built on first use."""
        app = self._apps.get(folder)
        if app is None:
            with self._lock:
                app = self._apps.get(folder)
                if app is None:
                    app = self._apps[folder] = make_app(folder, **self.options)
        return app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        folder = environ.get(HANDLERS_ENV) or None
        return self.app_for(folder)(environ, start_response)


def make_wsgi_app(**options: Any) -> PerRequestFolder:
    """The application for mod_wsgi: *options* as ``make_app``, the folder per request."""
    return PerRequestFolder(**options)


if __name__ == "__main__":
    raise SystemExit(cgi_main())
