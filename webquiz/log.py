"""One way to write to the server's error log, for the machinery and for handlers."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

#: Apache's names for log levels 0 to 7 (syslog's numbers).
LOG_LEVELS = ("emerg", "alert", "crit", "error", "warn", "notice", "info", "debug")


def log(environ: Mapping[str, Any] | None, message: str, level: int | None = None) -> None:
    """Write ``webquiz: [level] message`` as one line to the request's error stream.

    The stream is ``wsgi.errors`` of *environ* (Apache's error log under mod_wsgi and CGI,
    the console under the dev server), or stderr outside a request. *level* is a syslog
    number (Apache's ``APLOG_*``); a flag above 7 (``APLOG_NOERRNO``) is ignored.
    """
    stream: Any = (environ or {}).get("wsgi.errors") or sys.stderr
    tag = f"[{LOG_LEVELS[level & 7]}] " if level is not None else ""
    stream.write(f"webquiz: {tag}{message.rstrip()}\n")
    stream.flush()
