"""Machinery-level safety: no header splitting, cookie limits, 413 pages that name the limit."""

from __future__ import annotations

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from conftest import ValidatingClient
from webquiz import make_app

HANDLERS = {
    "header": '''
        def handler(req):
            how = req.path_info.strip("/")
            value = req.form.getfirst("v", "")
            if how == "set":
                req.headers_out["X-Echo"] = value
            elif how == "add":
                req.headers_out.add("X-Echo", "ok", note=value)
            elif how == "name":
                req.headers_out[value] = "x"
            req.write("ok")
    ''',
    "response": '''
        from werkzeug.wrappers import Response

        def handler(req):
            response = Response("ok")
            response.headers["X-Echo"] = req.form.getfirst("v", "")
            return response
    ''',
    "cookie": '''
        def handler(req):
            req.set_cookie(req.form.getfirst("name", "c"), req.form.getfirst("value", ""))
            req.write("set")
    ''',
    "body": '''
        def handler(req):
            req.write(str(len(req.form.getfirst("a", ""))))
    ''',
}


@pytest.fixture
def client(make_handlers):
    return ValidatingClient(make_app(make_handlers(**HANDLERS)))


@pytest.mark.parametrize("how", ["set", "add"])
@pytest.mark.parametrize(
    "value", ["a\r\nSet-Cookie: evil=1", "a\nX-Injected: 1", "a\rb", "a\x00b", "%0d%0a",
              "a\x01b", "a\x1b[31m", "a\x7f", "\u20ac", "\u2028", "a\x85b", "a\x80", "a\x9f"]
)
def test_header_values_with_cr_lf_nul_are_400(client, how, value):
    response = client.get(f"/header/{how}", query_string={"v": value})
    if value == "%0d%0a":  # literal percent signs: harmless text, sent as is
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers and "X-Injected" not in response.headers
    assert "X-Echo" not in response.headers
    assert "line break or NUL" in response.get_data(as_text=True)


@pytest.mark.parametrize("name", ["X Bad", "X:Bad", "", "X\r\nY"])
def test_header_names_must_be_tokens(client, name):
    assert client.get("/header/name", query_string={"v": name}).status_code == 400


@pytest.mark.parametrize("value", ["a\x00b", "\x00"])
def test_a_response_built_by_the_handler_is_checked_too(client, value):
    # werkzeug's Headers refuse CR and LF themselves; NUL gets through them to our check.
    response = client.get("/response", query_string={"v": value})
    assert response.status_code == 400
    assert "X-Echo" not in response.headers


def test_a_fine_header_passes(client):
    assert client.get("/header/set?v=hello").headers["X-Echo"] == "hello"
    # Latin-1 is allowed (sent as one byte each); a tab is not (PEP 3333: no control
    # character at all).
    assert client.get("/header/set", query_string={"v": "caf\xe9"}).headers["X-Echo"] == "caf\xe9"
    assert client.get("/header/set", query_string={"v": "a\tb"}).status_code == 400


@pytest.mark.parametrize(
    ("name", "value"),
    [("bad name", "x"), ("semi;colon", "x"), ("", "x"), ("é", "x"), ("c", "v" * 4096)],
)
def test_bad_or_oversized_cookies_are_400_and_nothing_is_set(client, name, value):
    response = client.post("/cookie", data={"name": name, "value": value})
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers


def test_a_cookie_at_the_limit_is_set(client):
    response = client.post("/cookie", data={"name": "c", "value": "v" * 4095})
    assert response.status_code == 200
    assert response.headers["Set-Cookie"].startswith("c=" + "v" * 4095)


def test_413_names_the_limit(client):
    response = client.post("/body", data={"a": "x" * 70_000})
    assert response.status_code == 413
    assert "at most 64 KiB" in response.get_data(as_text=True)


@pytest.mark.parametrize(("size", "status"), [(65536, 200), (65537, 413), (200_000, 413)])
def test_a_body_of_unknown_length_keeps_the_limit(client, size, status):
    # A chunked body reaches the app without CONTENT_LENGTH, its end marked by the server
    # (wsgi.input_terminated): over 64 KiB it is a 413, not a form silently cut short.
    environ = EnvironBuilder("/body", method="POST", data=b"a=" + b"x" * (size - 2),
                             content_type="application/x-www-form-urlencoded").get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    response = client.open(Request(environ))
    assert response.status_code == status
    if status == 200:
        assert response.get_data(as_text=True) == str(size - 2)
