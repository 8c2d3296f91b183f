"""webquiz.gateways without Apache: the CGI gateway run as Apache runs it (a process with
the request in its environment and its body on stdin, the response read from its
stdout), and the mod_wsgi application's per-request handlers folder."""

from __future__ import annotations

import doctest
import os
import subprocess
import sys

import pytest
from support import HANDLERS, ROOT, ValidatingClient

from webquiz import apacheconf, gateways

GATEWAY_HANDLERS = ROOT / "tests" / "gateway_handlers"


def cgi_env(path_info: str | None = "/", **extra: str) -> dict[str, str]:
    """The variables Apache gives a CGI program, for one GET under /cgi-bin/webquiz.cgi."""
    env = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(ROOT),
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_SOFTWARE": "Apache/2.4",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "/cgi-bin/webquiz.cgi",
        "QUERY_STRING": "",
        "REMOTE_ADDR": "127.0.0.1",
        "WEBQUIZ_HANDLERS": str(GATEWAY_HANDLERS),
    }
    if path_info is not None:
        env["PATH_INFO"] = path_info
    env.update(extra)
    return env


def run_cgi(env: dict[str, str], body: bytes = b"") -> tuple[bytes, bytes, str]:
    """Run ``python -m webquiz.gateways``: the response's head, its body, and stderr."""
    proc = subprocess.Popen([sys.executable, "-m", "webquiz.gateways"], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    # Written before reading the answer, as Apache does: a program that exits without
    # reading all of it makes this write fail with BrokenPipeError.
    assert proc.stdin is not None
    try:
        proc.stdin.write(body)
        proc.stdin.close()
    finally:
        proc.stdin = None  # closed: communicate() only reads
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    head, _, rest = out.partition(b"\r\n\r\n")
    return head, rest, err.decode(errors="replace")


def test_a_page_is_a_cgi_response():
    head, body, _ = run_cgi(cgi_env("/echo/x", QUERY_STRING="q=%C3%A9"))
    assert head.startswith(b"Status: 200 OK\r\n")
    assert b"Content-Type: application/json" in head
    assert b'"form": {"q": ["\xc3\xa9"]}' in body
    assert b'"script_name": "/cgi-bin/webquiz.cgi/echo"' in body
    assert b'"gateway": "CGI"' in body


def test_a_stray_print_goes_to_stderr():
    head, body, err = run_cgi(cgi_env("/stray", QUERY_STRING="token=t0k"))
    assert head.startswith(b"Status: 200 OK\r\n") and body == b"clean"
    assert "stray output t0k" in err


def test_an_unread_body_is_drained_before_the_413():
    body = b"q=" + b"x" * 200_000  # more than a pipe holds: unread, the write would fail
    env = cgi_env("/echo", REQUEST_METHOD="POST", CONTENT_LENGTH=str(len(body)),
                  CONTENT_TYPE="application/x-www-form-urlencoded")
    head, page, _ = run_cgi(env, body)
    assert head.startswith(b"Status: 413") and b"Traceback" not in page


def test_a_handler_exception_is_a_500_and_a_traceback_on_stderr():
    head, body, err = run_cgi(cgi_env("/boom", QUERY_STRING="token=s3cret"))
    assert head.startswith(b"Status: 500") and b"s3cret" not in body
    assert "ValueError: secret s3cret" in err and "Traceback" in err


def test_a_missing_handlers_folder_is_a_500_with_the_reason_logged(tmp_path):
    head, body, err = run_cgi(cgi_env("/echo", WEBQUIZ_HANDLERS=str(tmp_path / "nope")))
    assert head.startswith(b"Status: 500") and b"nope" not in body
    assert "handlers folder not found" in err


def test_a_rewritten_request_is_served_at_the_scripts_folder():
    # What the .htaccess variant's RewriteRule hands over for /site/echo/é: no PATH_INFO,
    # the original path in REDIRECT_URL (its bytes decoded once by Apache).
    env = cgi_env(None, SCRIPT_NAME="/site/webquiz.cgi", REDIRECT_STATUS="200",
                  REDIRECT_URL="/site/echo/\u00e9")
    _, body, _ = run_cgi(env)
    assert b'"script_name": "/site/echo"' in body
    assert f'"path_info_bytes": "{"/é".encode().hex()}"'.encode() in body
    _, index, _ = run_cgi(cgi_env(None, SCRIPT_NAME="/site/webquiz.cgi",
                                  REDIRECT_STATUS="200", REDIRECT_URL="/site/"))
    assert b'<a href="/site/echo">echo</a>' in index


@pytest.mark.parametrize("redirect", [
    {"REDIRECT_STATUS": "404", "REDIRECT_URL": "/site/echo"},  # an ErrorDocument
    {"REDIRECT_STATUS": "200", "REDIRECT_URL": "/elsewhere/echo"},  # not under the folder
])
def test_other_redirects_leave_the_mount_alone(redirect):
    _, index, _ = run_cgi(cgi_env(None, SCRIPT_NAME="/site/webquiz.cgi", **redirect))
    assert b'<a href="/site/webquiz.cgi/echo">echo</a>' in index


def test_importing_the_gateway_stays_cheap():
    code = ("import sys, webquiz.gateways; "
            "print(' '.join(m for m in ('argparse', 'subprocess', 'webquiz.cli', "
            "'webquiz.devserver', 'webquiz.apacheconf') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=True)
    assert result.stdout.strip() == ""


def test_the_wsgi_app_serves_the_folder_named_per_request(make_handlers, monkeypatch):
    monkeypatch.delenv("WEBQUIZ_HANDLERS", raising=False)
    mine = make_handlers(mine='def handler(req):\n    req.write("mine")\n')
    app = gateways.make_wsgi_app()
    client = ValidatingClient(app)
    as_set = {"WEBQUIZ_HANDLERS": str(mine)}  # what mod_wsgi makes of SetEnv
    assert client.get("/mine", environ_overrides=as_set).get_data() == b"mine"
    assert client.get("/simple", environ_overrides=as_set).status_code == 404
    assert client.get("/simple").status_code == 200  # no SetEnv: the pack
    assert client.get("/mine").status_code == 404
    assert app.app_for(str(mine)) is app.app_for(str(mine))  # built once
    assert app.app_for(None).folder == HANDLERS


@pytest.mark.parametrize("module", [gateways, apacheconf])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0
