"""The one way out: whatever made a response, it leaves through webquiz/finalize.py's Exit,
which checks every header and adds the security headers; errors are raised and become
pages in one place; a page can stream with req.flush(); redirects go only where allowed.

These run in process (werkzeug's client, wsgiref's validator); tests/test_hostile.py
carries the same defects over every gateway.
"""

from __future__ import annotations

import pytest

from conftest import check_page
from webquiz import make_app
from webquiz.finalize import Exit, finalize, through_exit
from webquiz.headers import SECURITY_HEADERS

SECURITY = [name for name, _ in SECURITY_HEADERS]

PAGES = {
    "written": """
        from webquiz import OK

        def handler(req):
            req.content_type = req.form.getfirst("t", "text/plain")
            req.write("written")
            return OK
    """,
    "returned": """
        from werkzeug.wrappers import Response

        def handler(req):
            response = Response("returned", content_type="text/plain")
            response.headers["X-Echo"] = req.form.getfirst("v", "fine")
            return response
    """,
    "raised": """
        from webquiz import Forbidden

        def handler(req):
            req.headers_out["X-Kept"] = "yes"
            raise Forbidden("Not for you.")
    """,
    "status": """
        def handler(req):
            req.headers_out["WWW-Authenticate"] = 'Basic realm="x"'
            return 401
    """,
    "crash": """
        def handler(req):
            req.headers_out["X-Not-Kept"] = "no"
            raise RuntimeError("a bug in the page")
    """,
    "stream": """
        from webquiz import OK

        def handler(req):
            req.content_type = "text/plain"
            req.headers_out["X-Streamed"] = "yes"
            for n in range(3):
                req.write(f"part {n}\\n")
                req.flush()
            req.write("end\\n")
            return OK
    """,
    "streamcrash": """
        def handler(req):
            req.content_type = "text/plain"
            req.write("sent already\\n")
            req.flush()
            raise RuntimeError("after the flush")
    """,
    "streamstatus": """
        def handler(req):
            req.status = 202
            req.write("accepted\\n")
            req.flush()
            req.status = 500  # too late: the status went out with the flush
            return 0
    """,
    "go": """
        def handler(req):
            req.set_cookie("seen", "1")
            req.redirect(req.form.getfirst("to", "/"), int(req.form.getfirst("code", "302")),
                         allow_hosts=("partner.example",))
    """,
}


@pytest.fixture
def web(make_handlers, make_client):
    return make_client(make_app(make_handlers(**PAGES)))


@pytest.mark.parametrize(("path", "status"), [
    ("/written", 200), ("/returned", 200), ("/raised", 403), ("/status", 401), ("/crash", 500),
    ("/stream", 200), ("/nothing", 404), ("/", 200), ("/_webquiz/webquiz.css", 200),
    ("/go?to=/written", 302),
])
def test_every_kind_of_response_leaves_with_the_security_headers(web, path, status):
    response = web.get(path)
    assert response.status_code == status
    for name in SECURITY:
        assert response.headers.get(name), (path, name)
    assert all(response.headers.getlist(name) == [response.headers[name]] for name in SECURITY)


@pytest.mark.parametrize("value", [
    "text/html\r\nSet-Cookie: evil=1\r\n\r\n<script>alert(1)</script>",
    "text/html\nX-Injected: 1", "text/html\rX", "text/plain\x00", "text/plain\x85X-Injected: 1",
    "text/plain\x9f", "text/plain\x7f", "text/\u20ac",
])
def test_a_content_type_from_the_client_cannot_split_the_response(web, value, errors):
    response = web.get("/written", query_string={"t": value}, errors_stream=errors)
    assert response.status_code == 400
    assert "Set-Cookie" not in response.headers and "X-Injected" not in response.headers
    assert "<script>" not in response.get_data(as_text=True)
    check_page(response.get_data(as_text=True))
    assert "400: A response header would carry" in errors.getvalue()


@pytest.mark.parametrize("value", ["a\x00b", "a\x85b", "a\u2028b"])
def test_a_response_the_handler_built_is_checked_at_the_exit(web, value):
    response = web.get("/returned", query_string={"v": value})
    assert response.status_code == 400 and "X-Echo" not in response.headers


def test_an_error_page_keeps_the_headers_the_handler_set_for_it(web):
    raised = web.get("/raised")
    assert raised.headers["X-Kept"] == "yes" and "Not for you." in raised.get_data(as_text=True)
    assert web.get("/status").headers["WWW-Authenticate"] == 'Basic realm="x"'
    crashed = web.get("/crash")
    assert "X-Not-Kept" not in crashed.headers
    assert "a bug in the page" not in crashed.get_data(as_text=True)


# werkzeug's client drops what went through write() when it buffers: these read unbuffered.


def test_flush_streams_the_page_through_the_write_callable(web):
    response = web.get("/stream", buffered=False)
    assert response.get_data(as_text=True) == "part 0\npart 1\npart 2\nend\n"
    response.close()
    assert "Content-Length" not in response.headers  # the length was not known at the flush
    assert response.headers["X-Streamed"] == "yes"
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_a_failure_after_a_flush_ends_the_page_short_and_logs_why(web, errors):
    response = web.get("/streamcrash", errors_stream=errors, buffered=False)
    assert response.status_code == 200  # sent with the flush, before the failure
    assert response.get_data(as_text=True) == "sent already\n"
    response.close()
    assert "RuntimeError: after the flush" in errors.getvalue()


def test_the_status_goes_out_with_the_first_flush(web):
    response = web.get("/streamstatus", buffered=False)
    assert response.status_code == 202 and response.get_data(as_text=True) == "accepted\n"
    response.close()


def test_head_of_a_streamed_page_has_no_body(web):
    response = web.head("/stream")
    assert response.status_code == 200 and response.get_data() == b""


@pytest.mark.parametrize(("to", "location"), [
    ("/written", "/written"),
    ("written?a=1", "written?a=1"),
    ("?page=2", "?page=2"),
    ("http://localhost/written", "http://localhost/written"),
    ("https://localhost/x y", "https://localhost/x%20y"),
    ("https://partner.example/in", "https://partner.example/in"),
    ("/caf\u00e9", "/caf%C3%A9"),
])
def test_redirect_goes_to_this_site_or_an_allowed_host(web, to, location):
    response = web.get("/go", query_string={"to": to})
    assert response.status_code == 302 and response.headers["Location"] == location
    assert response.headers["Set-Cookie"].startswith("seen=1")


@pytest.mark.parametrize("to", [
    "javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x",
    "//evil.example/", "///evil.example/", "/\\evil.example/", "\\\\evil.example",
    "https://evil.example/", "http://localhost.evil.example/", "http:evil.example",
    "/a\r\nSet-Cookie: evil=1", "/a\x85b", "ftp://localhost/", "http://[x",
])
def test_redirect_refuses_anywhere_else(web, to):
    response = web.get("/go", query_string={"to": to})
    assert response.status_code == 400 and "Location" not in response.headers
    assert "A redirect may only go to a path of this site" in response.get_data(as_text=True)


@pytest.mark.parametrize("code", ["303", "307", "301"])
def test_redirect_codes(web, code):
    assert web.get("/go", query_string={"to": "/x", "code": code}).status_code == int(code)


def test_redirect_with_a_status_that_is_no_redirect_is_a_bug_of_the_page(web):
    assert web.get("/go", query_string={"to": "/x", "code": "200"}).status_code == 500


# -- the exit on its own, as middleware uses it --------------------------------------------


def collect(app, environ):
    """Run a WSGI app through an Exit; return the status, headers and body the server got."""
    got = {}

    def start_response(status, headers, exc_info=None):
        got["status"], got["headers"] = status, headers
        return got.setdefault("written", []).append

    body = b"".join(Exit(environ, start_response).send(app))
    return got["status"], dict(got["headers"]), b"".join(got.get("written", [])) + body


def test_finalize_adds_only_the_security_headers_that_are_missing():
    headers = finalize([("Content-Type", "text/plain"), ("Referrer-Policy", "no-referrer")])
    assert dict(headers)["Referrer-Policy"] == "no-referrer"
    assert [name for name, _ in headers].count("Referrer-Policy") == 1
    assert set(SECURITY) <= {name for name, _ in headers}


def test_a_generator_that_starts_late_is_still_checked():
    def late(environ, start_response):
        start_response("200 OK", [("X-Bad", "a\nb")])
        yield b"never sent"

    status, headers, body = collect(late, {"REQUEST_METHOD": "GET"})
    assert status.startswith("400") and b"never sent" not in body and "X-Bad" not in headers


def test_head_drops_whatever_a_middleware_wrote():
    def app(environ, start_response):
        write = start_response("200 OK", [("Content-Length", "5")])
        write(b"hello")
        return [b"world"]

    status, headers, body = collect(app, {"REQUEST_METHOD": "HEAD"})
    assert status == "200 OK" and headers["Content-Length"] == "5" and body == b""


def test_through_exit_wraps_any_wsgi_app():
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    status, headers, body = collect(through_exit(app), {"REQUEST_METHOD": "GET"})
    assert body == b"ok" and headers["X-Content-Type-Options"] == "nosniff"
