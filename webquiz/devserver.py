"""The development server: werkzeug's, threaded, with a plain access log."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

from werkzeug.serving import WSGIRequestHandler, run_simple

from .app import WebQuiz

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler; the access log is colored only on a terminal.

    werkzeug colors 4xx/5xx lines even when stderr is a file, which leaves escape
    codes in log files and breaks ``grep``.
    """

    def make_environ(self) -> dict[str, Any]:
        """werkzeug's environ, with PATH_INFO holding the bytes the client sent.

        werkzeug decodes the path as UTF-8 and replaces what is not; Apache (CGI and
        mod_wsgi) passes the bytes on, as latin-1 WSGI strings. Do the same here.
        """
        environ: dict[str, Any] = super().make_environ()
        url = urlsplit(self.path)
        path = f"/{url.netloc}{url.path}" if not url.scheme and url.netloc else url.path
        environ["PATH_INFO"] = unquote_to_bytes(path.encode("latin-1")).decode("latin-1")
        return environ

    def log(self, type: str, message: str, *args: Any) -> None:
        if not sys.stderr.isatty():
            args = tuple(_ANSI.sub("", a) if isinstance(a, str) else a for a in args)
        super().log(type, message, *args)


def serve(
    app: WebQuiz,
    host: str,
    port: int,
    *,
    reload: bool = False,
    debug: bool = False,
    extra_files: Iterable[str] = (),
) -> None:
    """Serve *app* until Ctrl-C: one thread per connection, so an idle client blocks no one."""
    run_simple(
        host,
        port,
        app,
        threaded=True,
        request_handler=RequestHandler,
        use_reloader=reload,
        reloader_type="stat",
        extra_files=list(extra_files),
        use_debugger=debug,
    )
