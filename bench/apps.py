"""Reference applications for the benchmarks: the limit (bare WSGI) and the peers.

Each returns the same bytes as the webquiz page it stands beside, so a ratio compares
the machinery, not the page. Run ``python apps.py NAME PORT`` to serve one with
werkzeug's threaded development server (the same server ``webquiz serve`` uses).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from typing import Any

HELLO = b"Hello, world!\n"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def bare_wsgi(body: bytes = HELLO, ctype: str = "text/plain; charset=utf-8") -> WSGIApp:
    """The limit: a WSGI callable that returns fixed bytes and nothing else."""
    headers = [("Content-Type", ctype), ("Content-Length", str(len(body)))]

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response("200 OK", headers)
        return [body]

    return app


def werkzeug_hello(body: bytes = HELLO, ctype: str = "text/plain; charset=utf-8") -> WSGIApp:
    """werkzeug's Request/Response around the same bytes: the floor of any werkzeug app."""
    from werkzeug.wrappers import Request, Response

    @Request.application  # type: ignore[arg-type]
    def app(request: Request) -> Response:
        return Response(body, content_type=ctype)

    return app  # type: ignore[return-value]


def flask_hello(body: bytes = HELLO, ctype: str = "text/plain; charset=utf-8") -> WSGIApp:
    """The same bytes from a Flask view."""
    from flask import Flask, Response

    app = Flask("hello")

    @app.route("/", defaults={"path": ""})
    @app.route("/<path:path>")
    def hello(path: str) -> Response:
        return Response(body, content_type=ctype)

    return app  # type: ignore[return-value]


def bottle_hello(body: bytes = HELLO, ctype: str = "text/plain; charset=utf-8") -> WSGIApp:
    """The same bytes from a Bottle route."""
    import bottle

    app = bottle.Bottle()

    @app.route("/")
    @app.route("/<path:path>")
    def hello(path: str = "") -> bytes:
        bottle.response.content_type = ctype
        return body

    return app  # type: ignore[no-any-return]


APPS: dict[str, Callable[..., WSGIApp]] = {
    "bare": bare_wsgi,
    "werkzeug": werkzeug_hello,
    "flask": flask_hello,
    "bottle": bottle_hello,
}

# mod_wsgi looks for ``application``; WEBQUIZ_BENCH_APP picks which (mod_wsgi-express).
if __name__ != "__main__":
    import os

    _name = os.environ.get("WEBQUIZ_BENCH_APP")
    if _name:
        application = APPS[_name]()


if __name__ == "__main__":
    from werkzeug.serving import run_simple

    # python apps.py NAME PORT [BODY_FILE]: BODY_FILE holds the bytes to answer with.
    name, port = sys.argv[1], int(sys.argv[2])
    args = (open(sys.argv[3], "rb").read(), "text/html; charset=utf-8") if sys.argv[3:] else ()
    run_simple("127.0.0.1", port, APPS[name](*args), threaded=True)
