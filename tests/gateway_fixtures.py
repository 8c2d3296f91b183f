"""Session fixtures for tests that run under every gateway: ``gateway`` is a running
server of one kind (the dev server, Apache + CGI by the ScriptAlias snippet and by the
.htaccess variant, Apache + mod_wsgi daemon mode, mod_wsgi-express), each started once per
test session and stopped by its PID; ``fetch`` sends one request under its mount.

tests/conftest.py imports the fixtures, so any test module can take ``gateway``. The
servers themselves, and every other server a test starts, come from tests/gateway_servers.py.
"""

from __future__ import annotations

import http.client
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from gateway_servers import (
    Server,
    apache_venv,
    open_up,
    start_cgi,
    start_dev_server,
    start_express,
    start_htaccess,
    start_wsgi,
    wait_until_serving,
    world_readable_dir,
)
from support import HANDLERS, ROOT, ValidatingClient

from webquiz import make_app

GATEWAY_HANDLERS = ROOT / "tests" / "gateway_handlers"
STARTERS = {"cgi": start_cgi, "htaccess": start_htaccess, "wsgi": start_wsgi,
            "express": start_express}


@pytest.fixture(scope="session")
def served_handlers() -> Iterator[Path]:
    """The pack's pages and the fixture handlers, in one folder every server can read."""
    folder = world_readable_dir("webquiz-handlers-")
    for source in (HANDLERS, GATEWAY_HANDLERS):
        for path in source.glob("*.py"):
            shutil.copy(path, folder / path.name)
    open_up(folder)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def venv() -> Path:
    """The venv Apache runs, built on first use (about a minute) and reused after."""
    return apache_venv()[0]


@pytest.fixture(scope="session", params=["dev", *STARTERS])
def gateway(request: pytest.FixtureRequest, served_handlers: Path) -> Iterator[Server]:
    """A running server of one kind; one at a time, each started once per session."""
    kind = request.param
    venv = None if kind == "dev" else request.getfixturevalue("venv")
    root = world_readable_dir(f"webquiz-{kind}-")
    try:
        if venv is None:
            server = start_dev_server(root, "--handlers", str(served_handlers))
            wait_until_serving(server)
        else:
            server = STARTERS[kind](venv, served_handlers, root)
        yield server
        server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def reference(served_handlers: Path) -> ValidatingClient:
    """The same folder served in this process through werkzeug's test client."""
    return ValidatingClient(make_app(served_handlers))


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")


def fetch(server: Server, path: str, method: str = "GET", body: bytes | None = None,
          headers: dict[str, str] | None = None) -> Reply:
    """One request to *path* under the server's mount; the whole reply."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request(method, server.mount + path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.msg, response.read())
    finally:
        conn.close()
