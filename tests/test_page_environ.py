"""The environ page: this request's CGI variables, and nothing of the server's."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape
from support import check_page


def variables(client, url="/environ", **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    check_page(html, **({"home": "/py/"} if "base_url" in kwargs else {}))
    return html, dict(re.findall(r"<dt>([^<]*)</dt>\n<dd><code>([^<]*)</code></dd>", html))


def test_the_book_example(client):
    html, found = variables(client, "/environ/foo?x=1", headers={"User-Agent": "Mozilla/5.0"},
                            environ_overrides={"REMOTE_ADDR": "127.0.0.9"})
    assert "<title>The request&#39;s CGI variables</title>" in html
    assert found["PATH_INFO"] == "/foo" and found["SCRIPT_NAME"] == "/environ"
    assert found["QUERY_STRING"] == "x=1" and found["REQUEST_METHOD"] == "GET"
    assert found["REMOTE_ADDR"] == "127.0.0.9" and found["HTTP_USER_AGENT"] == "Mozilla/5.0"
    assert found["SERVER_NAME"] == "localhost" and found["SERVER_PORT"] == "80"
    assert found["SERVER_PROTOCOL"] == "HTTP/1.1" and found["wsgi.url_scheme"] == "http"
    assert list(found) == sorted(found)


def test_the_script_name_includes_the_mount_point(client):
    _, found = variables(client, "/environ.cgi/a", base_url="http://localhost/py/")
    assert found["SCRIPT_NAME"] == "/py/environ.cgi" and found["PATH_INFO"] == "/a"


def test_the_server_environment_is_not_shown(client, monkeypatch):
    monkeypatch.setenv("WEBQUIZ_TEST_SECRET", "s3cr3t-from-os-environ")
    # Under CGI the WSGI environ is a copy of the process environment: the server's
    # variables arrive beside the request's ones.
    html, found = variables(client, environ_overrides={
        "PATH": "/usr/bin", "DB_PASSWORD": "hunter2", "DOCUMENT_ROOT": "/srv/www",
        "SCRIPT_FILENAME": "/srv/www/cgi/webquiz.cgi", "WEBQUIZ_TEST_SECRET": "x",
    })
    for leaked in ("s3cr3t-from-os-environ", "hunter2", "/srv/www", "/usr/bin",
                   "webquiz.max_upload", "wsgi.input", "WEBQUIZ"):
        assert leaked not in html
    assert set(found) >= {"REQUEST_METHOD", "PATH_INFO", "SCRIPT_NAME"}


def test_credentials_in_headers_are_hidden(client):
    client.set_cookie("session", "cookie-secret-123", httponly=True)
    _, found = variables(client, headers={"Authorization": "Basic dXNlcjpwYXNzd29yZA==",
                                          "Proxy-Authorization": "Bearer proxy-secret"})
    assert found["HTTP_COOKIE"] == "(hidden: 25 characters)"
    assert found["HTTP_AUTHORIZATION"] == "(hidden: 26 characters)"
    assert found["HTTP_PROXY_AUTHORIZATION"].startswith("(hidden")


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"onmouseover=alert(1)',
                                     "javascript:alert(1)"])
def test_hostile_values_are_escaped(client, payload):
    html, found = variables(client, headers={"User-Agent": payload, "X-Test": payload},
                            environ_overrides={"QUERY_STRING": payload})
    assert found["HTTP_USER_AGENT"] == found["HTTP_X_TEST"] == found["QUERY_STRING"]
    assert found["QUERY_STRING"] == escape(payload)
    assert "<script>" not in html


def test_bytes_that_are_not_utf8_are_replaced(client):
    _, found = variables(client, "/environ/%FF%C3%A9")
    assert found["PATH_INFO"] == "/\ufffdé"
