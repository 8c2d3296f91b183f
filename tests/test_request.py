"""The request object and the handler contract: what a handler reads, writes and returns."""

from __future__ import annotations

import hashlib
import io

import pytest
from support import ValidatingClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import Client, encode_multipart

from webquiz import make_app

HANDLERS = {
    "form": '''
        from webquiz import OK

        def handler(req):
            req.content_type = "text/plain"
            form = req.form
            req.write(repr((form.getfirst("a"), form.getfirst("zz", "dflt"), form.getlist("a"),
                            form.getlist("zz"), form.keys(), "a" in form, "zz" in form, len(form))))
            return OK
    ''',
    "item": '''
        def handler(req):
            req.write(req.form["a"])
    ''',
    "status": '''
        from webquiz import OK, DECLINED

        def handler(req):
            code = req.path_info.strip("/")
            if code == "declined":
                return DECLINED
            if code == "none":
                return None
            if code == "set":
                req.status = 202
                req.write("accepted")
                return OK
            if code == "bool":
                return True
            if code == "text":
                return "OK"
            if code == "405":
                req.headers_out["Allow"] = "GET, HEAD"
                return 405
            req.write("written")
            return int(code)
    ''',
    "raises": '''
        from webquiz import BadRequest

        def handler(req):
            raise BadRequest("month must be a number from 1 to 12")
    ''',
    "full": '''
        from werkzeug.wrappers import Response

        def handler(req):
            return Response("full control", status=418, mimetype="text/plain")
    ''',
    "cookies": '''
        from webquiz import OK

        def handler(req):
            req.set_cookie("one", "1", httponly=True, samesite="Lax")
            req.set_cookie("two", "2")
            req.delete_cookie("old")
            req.write(repr(sorted(req.cookies.items())))
            return OK
    ''',
    "ctype": '''
        def handler(req):
            kind = req.path_info.strip("/")
            if kind == "bytes":
                req.content_type = "application/octet-stream"
                req.write(b"\\x00\\xff")
            elif kind == "latin":
                req.content_type = "text/plain; charset=latin-1"
                req.write("x".encode("latin-1"))
            else:
                req.write("héllo")
    ''',
    "head": '''
        from webquiz import OK

        def handler(req):
            req.content_type = "text/plain"
            if req.path_info == "/skip" and req.header_only:
                return OK
            req.write("0123456789")
            return OK
    ''',
    "info": '''
        def handler(req):
            req.content_type = "text/plain"
            req.log_error("a line for the log")
            req.write("|".join([req.method, req.args, req.headers_in.get("X-Test", ""),
                                req.gateway, req.url(3, "a b/c", q="x&y"), req.app_url("get"),
                                req.app_url()]))
    ''',
    "upload": '''
        def handler(req):
            f = req.files["file"]
            req.write(f"{f.filename}:{len(f.read())}")
    ''',
    "bigform": '''
        def handler(req):
            if req.path_info == "/raised":
                req.max_body = req.max_upload
            req.write(str(len(req.form.getfirst("a", ""))))
    ''',
    "methods": '''
        def handler(req):
            req.allow_methods("GET", "HEAD", "POST")
            req.write(req.method)
    ''',
    "hashing": '''
        import hashlib

        class Sink:
            def __init__(self):
                self.md5 = hashlib.md5()
                self.size = 0

            def write(self, data):
                self.md5.update(data)
                self.size += len(data)

            def seek(self, *args):
                return 0

        def handler(req):
            req.max_body = req.max_upload
            req.stream_uploads(lambda *args: Sink())
            sink = req.files["file"].stream
            req.write(f"{sink.size} {sink.md5.hexdigest()} {type(sink).__name__}")
    ''',
}


@pytest.fixture
def client(make_handlers):
    return ValidatingClient(make_app(make_handlers(**HANDLERS)))


def test_form_reads_query_string_like_fieldstorage(client):
    text = client.get("/form?a=1&a=2&b=").get_data(as_text=True)
    assert text == repr(("1", "dflt", ["1", "2"], [], ["a", "b"], True, False, 2))


def test_form_reads_a_post_body_and_the_query(client):
    response = client.post("/form?b=q", data={"a": ["x", "y"]})
    assert response.get_data(as_text=True) == repr(
        ("x", "dflt", ["x", "y"], [], ["b", "a"], True, False, 2)
    )


def test_form_item_access(client):
    assert client.get("/item?a=v").get_data(as_text=True) == "v"


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        ("/none", 200, ""),
        ("/set", 202, "accepted"),
        ("/201", 201, "written"),
        ("/declined", 404, "Not Found"),
        ("/bool", 500, "Internal Server Error"),
        ("/text", 500, "Internal Server Error"),
    ],
)
def test_return_value_sets_the_status(client, path, status, body):
    response = client.get("/status" + path)
    assert response.status_code == status
    assert body in response.get_data(as_text=True)


def test_returning_an_error_status_without_a_body_gives_a_page_and_keeps_headers(client):
    response = client.get("/status/405")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD"
    assert "Method Not Allowed" in response.get_data(as_text=True)


def test_raised_http_error_is_the_response(client):
    response = client.get("/raises")
    assert response.status_code == 400
    assert "month must be a number from 1 to 12" in response.get_data(as_text=True)


def test_a_returned_response_is_used_as_is(client):
    response = client.get("/full")
    assert (response.status_code, response.get_data(as_text=True)) == (418, "full control")


def test_cookies_in_and_out(client):
    client.set_cookie("sent", "yes")
    response = client.get("/cookies")
    assert response.get_data(as_text=True) == repr([("sent", "yes")])
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 3
    assert cookies[0].startswith("one=1;") and "HttpOnly" in cookies[0]
    assert "SameSite=Lax" in cookies[0] and "Path=/" in cookies[0]
    assert cookies[1].startswith("two=2;")
    assert cookies[2].startswith("old=;") and "Max-Age=0" in cookies[2]
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in cookies[2]


def test_cookie_path_is_the_mount_point(client):
    response = client.get("/cookies", base_url="http://localhost/py/")
    assert all("Path=/py" in c for c in response.headers.getlist("Set-Cookie"))


@pytest.mark.parametrize(
    ("path", "ctype", "body"),
    [
        ("", "text/html; charset=utf-8", "héllo".encode()),
        ("/bytes", "application/octet-stream", b"\x00\xff"),
        ("/latin", "text/plain; charset=latin-1", b"x"),
    ],
)
def test_content_type_and_body(client, path, ctype, body):
    response = client.get("/ctype" + path)
    assert response.headers["Content-Type"] == ctype
    assert response.data == body


def test_head_gets_headers_only_with_the_get_length(client):
    get = client.get("/head")
    head = client.head("/head")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == "10"


def test_head_skipped_by_the_handler_sends_no_false_length(client):
    head = client.head("/head/skip")
    assert head.status_code == 200 and head.data == b""
    assert "Content-Length" not in head.headers


def test_request_facts_links_and_log(client, errors):
    response = client.get(
        "/info?x=1", headers={"X-Test": "t"}, errors_stream=errors, base_url="http://h/py/"
    )
    assert response.get_data(as_text=True) == (
        "GET|x=1|t|WSGI|/py/info/3/a%20b%2Fc?q=x%26y|/py/get|/py/"
    )
    assert "webquiz: a line for the log" in errors.getvalue()


def test_gateway_name_from_the_factory(make_handlers):
    client = Client(make_app(make_handlers(**HANDLERS), gateway="dev server"))
    assert client.get("/info").get_data(as_text=True).split("|")[3] == "dev server"


def test_gateway_name_under_mod_wsgi_and_cgi(client):
    mod_wsgi = client.get("/info", environ_overrides={"mod_wsgi.version": (5, 0, 0)})
    assert mod_wsgi.get_data(as_text=True).split("|")[3] == "mod_wsgi 5.0.0"
    cgi = client.get("/info", environ_overrides={"GATEWAY_INTERFACE": "CGI/1.1"})
    assert cgi.get_data(as_text=True).split("|")[3] == "CGI"


def test_uploaded_files(client):
    response = client.post("/upload", data={"file": (io.BytesIO(b"abc"), "a.txt")})
    assert response.get_data(as_text=True) == "a.txt:3"


def test_body_over_the_default_limit_is_413(client):
    ok = client.post("/bigform", data={"a": "x" * 60_000})
    assert (ok.status_code, ok.get_data(as_text=True)) == (200, "60000")
    big = client.post("/bigform", data={"a": "x" * 70_000})
    assert big.status_code == 413


def test_a_page_can_raise_its_body_limit_to_the_upload_cap(make_handlers):
    app = make_app(make_handlers(**HANDLERS), max_upload=200_000)
    client = ValidatingClient(app)
    response = client.post("/bigform/raised", data={"f": (io.BytesIO(b"y" * 150_000), "f")})
    assert response.status_code == 200
    assert client.post("/bigform/raised",
                       data={"f": (io.BytesIO(b"y" * 250_000), "f")}).status_code == 413


def test_uploads_can_stream_to_a_sink(client):
    data = bytes(range(256)) * 4096
    # Encoded here: werkzeug's builder would spool a body this big to a file it never closes.
    boundary, body = encode_multipart({"file": FileStorage(io.BytesIO(data), "big.bin")})
    response = client.post("/hashing", data=body,
                           content_type=f'multipart/form-data; boundary="{boundary}"')
    assert response.get_data(as_text=True) == f"{len(data)} {hashlib.md5(data).hexdigest()} Sink"


def test_allow_methods_answers_others_with_a_405_and_allow(client):
    assert client.post("/methods").get_data(as_text=True) == "POST"
    response = client.put("/methods")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, POST"


REPLIES = {
    "nobody": '''
        def handler(req):
            req.write("ignored")
            return int(req.path_info.strip("/"))
    ''',
    "own": '''
        def handler(req):
            req.headers_out["Content-Security-Policy"] = "default-src 'none'"
            req.headers_out["Content-Type"] = "text/plain"
            req.headers_out.add("X-Many", "1")
            req.headers_out.add("X-Many", "2")
            req.write("mine")
    ''',
}


@pytest.mark.parametrize("status", [204, 304])
def test_statuses_without_a_body_send_none(make_handlers, status):
    client = ValidatingClient(make_app(make_handlers(**REPLIES)))
    response = client.get(f"/nobody/{status}")
    assert response.status_code == status and response.data == b""
    assert "Content-Length" not in response.headers


def test_a_written_page_keeps_the_handlers_headers(make_handlers):
    client = ValidatingClient(make_app(make_handlers(**REPLIES)))
    response = client.get("/own")
    assert response.status == "200 OK"
    assert response.headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers.getlist("X-Many") == ["1", "2"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # req.content_type decides the type; a Content-Type in headers_out does not double it.
    assert response.headers.getlist("Content-Type") == ["text/html; charset=utf-8"]
    assert response.headers["Content-Length"] == "4"
