"""Serve one folder of static files under a URL prefix, for ``webquiz serve --static``.

Only regular files inside the folder, with an allowed extension, are served: never a
directory listing, never a path that leaves the folder (``..``, an encoded slash, a
symlink pointing out, a NUL byte), never a dot-file. werkzeug's ``send_file`` supplies
the content type, ETag, Last-Modified, conditional 304s and ranges.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.security import safe_join
from werkzeug.utils import send_file

from .app import add_security_headers, suspicious_path

#: Extensions served when none are named: styles, scripts, images, fonts, plain text.
DEFAULT_EXTENSIONS = ("css", "js", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp",
                      "woff2", "txt")

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class StaticFiles:
    """WSGI middleware: ``prefix/...`` from *folder*, everything else to *app*."""

    def __init__(
        self,
        app: WSGIApp,
        folder: str | os.PathLike[str],
        *,
        prefix: str = "/static",
        extensions: Iterable[str] = DEFAULT_EXTENSIONS,
        max_age: int = 3600,
    ) -> None:
        self.app = app
        self.folder = Path(folder).resolve(strict=True)
        if not self.folder.is_dir():
            raise NotADirectoryError(f"static folder not found: {self.folder}")
        self.prefix = "/" + prefix.strip("/")
        self.extensions = frozenset(ext.lower().lstrip(".") for ext in extensions)
        self.max_age = max_age

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.prefix + "/"):
            return self.app(environ, start_response)
        try:
            response = self.respond(environ, path[len(self.prefix) + 1:])
        except HTTPException as exc:
            response = exc.get_response(environ)
        add_security_headers(response.headers)
        result: Iterable[bytes] = response(environ, start_response)
        return result

    def respond(self, environ: dict[str, Any], name: str) -> Any:
        """The file for *name* (the path below the prefix), or an HTTP error."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            raise MethodNotAllowed(valid_methods=["GET", "HEAD"])
        found = self.find(name, environ)
        if found is None:
            raise NotFound()
        return send_file(found, environ, max_age=self.max_age, conditional=True, etag=True)

    def find(self, name: str, environ: dict[str, Any] | None = None) -> Path | None:
        """The file a request for *name* may have, or None.

        >>> import tempfile; folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "site.css").write_text("p {}")
        >>> static = StaticFiles(lambda e, s: [], folder)
        >>> static.find("site.css") == folder.resolve() / "site.css"
        True
        >>> [static.find(bad) for bad in ("../etc/passwd", "/etc/passwd", "site.css\\x00",
        ...                               "", ".", "x/../site.css", ".hidden.css")]
        [None, None, None, None, None, None, None]
        """
        if not name or "\x00" in name or (environ is not None and suspicious_path(environ)):
            return None
        parts = name.split("/")
        if any(part in ("", ".", "..") or part.startswith(".") for part in parts):
            return None
        if name.rpartition(".")[2].lower() not in self.extensions:
            return None
        joined = safe_join(str(self.folder), name)
        if joined is None:
            return None
        real = Path(os.path.realpath(joined))
        if self.folder not in real.parents or not real.is_file():
            return None  # a symlink out of the folder, a directory, a device, a FIFO
        return real
