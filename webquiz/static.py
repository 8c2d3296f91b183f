"""Serve one folder of static files under a URL prefix, for ``webquiz serve --static``.

werkzeug's ``SharedDataMiddleware`` serves the files (content type, ETag, Last-Modified,
conditional 304s, Cache-Control); this module decides which files it may serve: only
regular files inside the folder, with an allowed extension, never a directory listing,
never a path that leaves the folder (``..``, an encoded slash, a symlink pointing out, a
NUL byte), never a dot-file. Its answers leave through the one exit like every other.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.middleware.shared_data import SharedDataMiddleware
from werkzeug.security import safe_join

from .app import suspicious_path
from .finalize import Exit, StartResponse, WSGIApp

#: Extensions served when none are named: styles, scripts, images, fonts, plain text.
DEFAULT_EXTENSIONS = ("css", "js", "png", "jpg", "jpeg", "gif", "svg", "ico", "webp",
                      "woff2", "txt")

Loader = Callable[[str | None], tuple[str | None, Any]]


class _Files(SharedDataMiddleware):
    """werkzeug's static-file server, over one folder, finding files with ``find``."""

    def __init__(self, static: StaticFiles) -> None:
        super().__init__(_not_found, {static.prefix: str(static.folder)},
                         cache_timeout=static.max_age)
        self.static = static

    def get_directory_loader(self, directory: str) -> Loader:
        def loader(name: str | None) -> tuple[str | None, Any]:
            found = self.static.find(name or "")
            if found is None:
                return None, None
            return found.name, self._opener(str(found))

        return loader


def _not_found(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """What answers a name under the prefix that no file may serve."""
    return NotFound()(environ, start_response)


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
        self.files = _Files(self)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if not path.startswith(self.prefix + "/"):
            return self.app(environ, start_response)
        return Exit(environ, start_response).send(self.respond)

    def respond(self, environ: dict[str, Any], start_response: StartResponse
                ) -> Iterable[bytes]:
        """A file under the prefix, or an HTTP error page (werkzeug's)."""
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return MethodNotAllowed(valid_methods=["GET", "HEAD"])(environ, start_response)
        if suspicious_path(environ):
            return NotFound()(environ, start_response)
        return self.files(environ, start_response)

    def find(self, name: str) -> Path | None:
        """The file a request for *name* (the path below the prefix) may have, or None.

        >>> import tempfile; folder = Path(tempfile.mkdtemp())
        >>> _ = (folder / "site.css").write_text("p {}")
        >>> static = StaticFiles(lambda e, s: [], folder)
        >>> static.find("site.css") == folder.resolve() / "site.css"
        True
        >>> [static.find(bad) for bad in ("../etc/passwd", "/etc/passwd", "site.css\\x00",
        ...                               "", ".", "x/../site.css", ".hidden.css")]
        [None, None, None, None, None, None, None]
        """
        if not name or "\x00" in name:
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
