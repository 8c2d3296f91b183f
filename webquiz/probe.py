"""The deployment probe at ``/_webquiz/probe``: what the gateway delivered, as JSON.

``webquiz doctor URL`` asks it, through the server under test, what reached the
application: SCRIPT_NAME and PATH_INFO as bytes (non-ASCII and encoded characters
included), whether an ``Authorization`` header arrived (yes or no, never its value), how
many body bytes arrived (fixed-length or chunked), the gateway, the Python version and
``sys.prefix``, and which process and thread answered. A client could learn each of these
anyway (the ``test`` and ``stats`` pages show most); nothing secret is read or echoed.

Its path is ``PROBE`` (``/_webquiz/probe``); anything after it is reported as PATH_INFO.
Turn it off with ``make_app(probe=False)``, or ``WEBQUIZ_PROBE=0`` in the process
environment or the request's (Apache's ``SetEnv WEBQUIZ_PROBE 0`` reaches both CGI and
mod_wsgi): it then answers 404 and says that it is off.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import threading
from typing import Any

from werkzeug.exceptions import MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Response
from werkzeug.wsgi import get_input_stream

from . import __version__
from .config import MAX_UPLOAD
from .request import HandlerRequest

#: Environment variable that turns the probe off: ``0``, ``off``, ``no`` or ``false``.
PROBE_ENV = "WEBQUIZ_PROBE"
#: What a 404 says when the probe is off: ``webquiz doctor`` looks for these words.
PROBE_OFF = "The deployment probe is turned off on this server."
_OFF_VALUES = frozenset({"0", "off", "no", "false"})
_READ_SIZE = 1 << 16


def probe_enabled(environ: dict[str, Any], enabled: bool = True) -> bool:
    """False when the app was built with ``probe=False`` or WEBQUIZ_PROBE turns it off.

    The request's environ is read first: under mod_wsgi, ``SetEnv`` reaches only it.
    """
    value = environ.get(PROBE_ENV, os.environ.get(PROBE_ENV, "1"))
    return enabled and str(value).strip().lower() not in _OFF_VALUES


def _wsgi_bytes(value: str) -> str:
    """A WSGI string (the request's bytes as latin-1) as hex, so the client sees the bytes."""
    return value.encode("latin-1", "replace").hex()


def _body_bytes(environ: dict[str, Any], cap: int) -> int:
    """Read the request body to its end, keeping nothing; its size. Over *cap*: a 413."""
    stream = get_input_stream(environ, max_content_length=cap)
    received = 0
    while chunk := stream.read(_READ_SIZE):
        received += len(chunk)
        if received > cap:
            raise RequestEntityTooLarge()
    return received


def _mod_wsgi_facts(environ: dict[str, Any]) -> dict[str, Any] | None:
    """The mod_wsgi process group and its size, when mod_wsgi runs this process."""
    if "mod_wsgi.version" not in environ:
        return None
    module = sys.modules.get("mod_wsgi")
    return {
        "version": ".".join(str(part) for part in environ["mod_wsgi.version"]),
        "process_group": environ.get("mod_wsgi.process_group", ""),
        "application_group": environ.get("mod_wsgi.application_group", ""),
        "maximum_processes": getattr(module, "maximum_processes", None),
        "threads_per_process": getattr(module, "threads_per_process", None),
    }


def report(environ: dict[str, Any], body_bytes: int | None) -> dict[str, Any]:
    """What this request looked like on arrival, and who answered it."""
    script_name = environ.get("SCRIPT_NAME", "")
    path_info = environ.get("PATH_INFO", "")
    return {
        "webquiz": __version__,
        "gateway": HandlerRequest(environ).gateway,
        "server_software": environ.get("SERVER_SOFTWARE", ""),
        "script_name": script_name.encode("latin-1", "replace").decode("utf-8", "replace"),
        "script_name_bytes": _wsgi_bytes(script_name),
        "path_info_bytes": _wsgi_bytes(path_info),
        "query_string_bytes": _wsgi_bytes(environ.get("QUERY_STRING", "")),
        # The .htaccess variant reaches the program through mod_rewrite.
        "rewritten": bool(environ.get("REDIRECT_URL")),
        "authorization": bool(environ.get("HTTP_AUTHORIZATION")),
        "method": environ.get("REQUEST_METHOD", ""),
        "content_length": environ.get("CONTENT_LENGTH") or None,
        "chunked": "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower(),
        "body_bytes": body_bytes,
        "max_upload": int(environ.get("webquiz.max_upload", MAX_UPLOAD)),
        "python": {"version": platform.python_version(), "prefix": sys.prefix},
        "process": {
            "pid": os.getpid(),
            "thread": threading.get_ident(),
            "threads": threading.active_count(),
            "multithread": bool(environ.get("wsgi.multithread")),
            "multiprocess": bool(environ.get("wsgi.multiprocess")),
        },
        "mod_wsgi": _mod_wsgi_facts(environ),
    }


def probe(environ: dict[str, Any], *, enabled: bool = True) -> Response:
    """Answer one request to the probe: its report as JSON; raise an HTTP error else.

    GET and HEAD report the request; POST also reads the whole body (up to the app's
    upload cap, else a 413 that says it is webquiz's) and reports its size.
    """
    if not probe_enabled(environ, enabled):
        raise NotFound(PROBE_OFF)
    method = environ.get("REQUEST_METHOD", "GET")
    if method not in ("GET", "HEAD", "POST"):
        raise MethodNotAllowed(valid_methods=["GET", "HEAD", "POST"])
    cap = int(environ.get("webquiz.max_upload", MAX_UPLOAD))
    body = None
    if method == "POST":
        try:
            body = _body_bytes(environ, cap)
        except RequestEntityTooLarge:
            refused = Response(
                f'{{"refused_by": "webquiz", "max_upload": {cap}}}', status=413,
                mimetype="application/json")
            refused.headers["Cache-Control"] = "no-store"
            return refused
    text = json.dumps(report(environ, body), indent=1, sort_keys=True) + "\n"
    response = Response(text, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response

