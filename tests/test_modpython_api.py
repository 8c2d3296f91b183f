"""webquiz.mod_python piece by piece: FieldStorage, SERVER_RETURN, log_error, redirect,
the request's mod_python attributes, and the clear errors for what is not provided."""

from __future__ import annotations

import io
import socket

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.test import EnvironBuilder

from webquiz import HandlerExit, HandlerRequest, make_app
from webquiz.mod_python import apache, util
from webquiz.mod_python.request import MOD_PYTHON_UNSUPPORTED, ModPythonRequest


@pytest.fixture
def make_req():
    """``make_req(*EnvironBuilder arguments)``: a request as a handler receives it.

    Closed afterwards, as the dispatcher closes it, so spooled uploads are removed.
    """
    made: list[HandlerRequest] = []

    def make(*args, **kwargs) -> HandlerRequest:
        made.append(ModPythonRequest(EnvironBuilder(*args, **kwargs).get_environ()))
        return made[-1]

    yield make
    for req in made:
        req.request.close()


# -- util.FieldStorage ------------------------------------------------------------------


def test_fieldstorage_item_access_is_a_field_or_a_list_as_in_mod_python(make_req):
    form = util.FieldStorage(make_req("/get?month=3&tag=a&tag=b&tag=c"))
    month = form["month"]
    assert isinstance(month, str) and month == "3" and month.value == "3"
    assert month.name == "month" and month.filename is None
    assert int(month) == 3 and month.file.read() == "3"
    assert form["tag"] == ["a", "b", "c"] and [t.value for t in form["tag"]] == ["a", "b", "c"]
    with pytest.raises(KeyError):
        form["day"]


def test_fieldstorage_lookups(make_req):
    form = util.FieldStorage(make_req("/get?b=2&a=1&b=3"))
    assert form.getfirst("b") == "2" and form.getfirst("zz") is None
    assert form.getfirst("zz", "none") == "none"
    assert form.getlist("b") == ["2", "3"] and form.getlist("zz") == []
    assert form.get("a") == "1" and form.get("b") == ["2", "3"] and form.get("zz", 0) == 0
    assert form.keys() == ["b", "a"] and list(form) == ["b", "a"] and len(form) == 2
    assert form.has_key("a") and not form.has_key("zz")
    assert "a" in form and "zz" not in form
    # werkzeug's MultiDict groups the values of a name: names stay in first-sent order.
    assert [(name, str(value)) for name, value in form.items()] == [
        ("b", "2"), ("b", "3"), ("a", "1")]


def test_fieldstorage_drops_blank_values_unless_asked(make_req):
    req = make_req("/get?month=&day=2")
    assert util.FieldStorage(req).keys() == ["day"]
    assert util.FieldStorage(req, keep_blank_values=1).getfirst("month") == ""


def test_fieldstorage_reads_a_post_body_after_the_query_string(make_req):
    req = make_req("/post?month=1", method="POST", data={"month": "2", "day": "", "x": "y"})
    form = util.FieldStorage(req)
    assert form.getlist("month") == ["1", "2"] and "day" not in form and form["x"] == "y"


def test_fieldstorage_reads_no_body_for_other_methods(make_req):
    req = make_req("/post?a=1", method="PUT", data={"b": "2"})
    assert util.FieldStorage(req).keys() == ["a"]


def test_fieldstorage_uploaded_file_is_a_field_with_file_filename_value(make_req):
    req = make_req("/file", method="POST", data={
        "note": "",
        "file": (io.BytesIO(b"\x00binary\r\ndata"), "my <file>.bin", "application/x-demo"),
    })
    form = util.FieldStorage(req)
    assert form["note"] == ""  # multipart fields keep blanks, as mod_python's did
    upload = form["file"]
    assert isinstance(upload, util.Field) and not isinstance(upload, str)
    assert upload.name == "file" and upload.filename == "my <file>.bin"
    assert upload.type == "application/x-demo"
    assert upload.value == b"\x00binary\r\ndata" and upload.value == b"\x00binary\r\ndata"
    assert upload.file.read() == b"\x00binary\r\ndata"
    assert form.getfirst("file") is upload and form.getlist("file") == [upload]


def test_fieldstorage_file_callback_chooses_where_uploads_go(make_req):
    sinks = {}

    def callback(filename):
        sinks[filename] = io.BytesIO()
        return sinks[filename]

    req = make_req("/file", method="POST", data={"file": (io.BytesIO(b"abc"), "a.txt")})
    form = util.FieldStorage(req, file_callback=callback)
    assert list(sinks) == ["a.txt"] and sinks["a.txt"].getvalue() == b"abc"
    assert form["file"].file is sinks["a.txt"] and form["file"].value == b"abc"


def test_fieldstorage_field_callback_is_not_supported(make_req):
    with pytest.raises(NotImplementedError, match=r"field_callback"):
        util.FieldStorage(make_req("/"), field_callback=io.StringIO)


def test_fieldstorage_body_over_the_limit_is_a_413(make_handlers, make_client):
    folder = make_handlers(form="""
        from webquiz.mod_python import apache, util

        def handler(req):
            util.FieldStorage(req)
            return apache.OK
    """)
    response = make_client(make_app(folder)).post("/form", data={"a": "x" * 70_000})
    assert response.status_code == 413


def test_parse_qs_and_parse_qsl():
    assert util.parse_qs("a=1&a=2&b=") == {"a": ["1", "2"]}
    assert util.parse_qsl("a=1&b=", 1) == [("a", "1"), ("b", "")]


# -- apache: constants, SERVER_RETURN, log_error ---------------------------------------------

MOD_PYTHON_STATUSES = {
    "HTTP_CONTINUE": 100, "HTTP_SWITCHING_PROTOCOLS": 101, "HTTP_PROCESSING": 102,
    "HTTP_OK": 200, "HTTP_CREATED": 201, "HTTP_ACCEPTED": 202, "HTTP_NON_AUTHORITATIVE": 203,
    "HTTP_NO_CONTENT": 204, "HTTP_RESET_CONTENT": 205, "HTTP_PARTIAL_CONTENT": 206,
    "HTTP_MULTI_STATUS": 207, "HTTP_MULTIPLE_CHOICES": 300, "HTTP_MOVED_PERMANENTLY": 301,
    "HTTP_MOVED_TEMPORARILY": 302, "HTTP_SEE_OTHER": 303, "HTTP_NOT_MODIFIED": 304,
    "HTTP_USE_PROXY": 305, "HTTP_TEMPORARY_REDIRECT": 307, "HTTP_BAD_REQUEST": 400,
    "HTTP_UNAUTHORIZED": 401, "HTTP_PAYMENT_REQUIRED": 402, "HTTP_FORBIDDEN": 403,
    "HTTP_NOT_FOUND": 404, "HTTP_METHOD_NOT_ALLOWED": 405, "HTTP_NOT_ACCEPTABLE": 406,
    "HTTP_PROXY_AUTHENTICATION_REQUIRED": 407, "HTTP_REQUEST_TIME_OUT": 408,
    "HTTP_CONFLICT": 409, "HTTP_GONE": 410, "HTTP_LENGTH_REQUIRED": 411,
    "HTTP_PRECONDITION_FAILED": 412, "HTTP_REQUEST_ENTITY_TOO_LARGE": 413,
    "HTTP_REQUEST_URI_TOO_LARGE": 414, "HTTP_UNSUPPORTED_MEDIA_TYPE": 415,
    "HTTP_RANGE_NOT_SATISFIABLE": 416, "HTTP_EXPECTATION_FAILED": 417,
    "HTTP_IM_A_TEAPOT": 418, "HTTP_UNPROCESSABLE_ENTITY": 422, "HTTP_LOCKED": 423,
    "HTTP_FAILED_DEPENDENCY": 424, "HTTP_UPGRADE_REQUIRED": 426,
    "HTTP_INTERNAL_SERVER_ERROR": 500, "HTTP_NOT_IMPLEMENTED": 501, "HTTP_BAD_GATEWAY": 502,
    "HTTP_SERVICE_UNAVAILABLE": 503, "HTTP_GATEWAY_TIME_OUT": 504,
    "HTTP_VERSION_NOT_SUPPORTED": 505, "HTTP_VARIANT_ALSO_VARIES": 506,
    "HTTP_INSUFFICIENT_STORAGE": 507, "HTTP_NOT_EXTENDED": 510,
}


def test_constants_have_mod_pythons_names_and_numbers():
    ours = {name: getattr(apache, name) for name in dir(apache) if name.startswith("HTTP_")}
    assert ours == MOD_PYTHON_STATUSES
    assert (apache.OK, apache.DECLINED, apache.DONE) == (0, -1, -2)
    assert (apache.REMOTE_HOST, apache.REMOTE_NAME, apache.REMOTE_NOLOOKUP,
            apache.REMOTE_DOUBLE_REV) == (0, 1, 2, 3)
    assert [apache.APLOG_EMERG, apache.APLOG_ALERT, apache.APLOG_CRIT, apache.APLOG_ERR,
            apache.APLOG_WARNING, apache.APLOG_NOTICE, apache.APLOG_INFO, apache.APLOG_DEBUG,
            apache.APLOG_NOERRNO] == [0, 1, 2, 3, 4, 5, 6, 7, 8]


RETURNS = {
    "raise404": """
        from webquiz.mod_python import apache

        def handler(req):
            req.headers_out["WWW-Authenticate"] = 'Basic realm="quiz"'
            raise apache.SERVER_RETURN(apache.HTTP_UNAUTHORIZED)
    """,
    "declined": """
        from webquiz.mod_python import apache

        def handler(req):
            raise apache.SERVER_RETURN(apache.DECLINED)
    """,
    "okstatus": """
        from webquiz.mod_python import apache

        def handler(req):
            req.status = apache.HTTP_CREATED
            req.write("made")
            raise apache.SERVER_RETURN(apache.OK)
    """,
    "pair": """
        from webquiz.mod_python import apache

        def handler(req):
            req.write("accepted")
            raise apache.SERVER_RETURN(apache.OK, apache.HTTP_ACCEPTED)
    """,
    "moved": """
        from webquiz.mod_python import apache

        def handler(req):
            req.headers_out["Location"] = "/elsewhere"
            raise apache.SERVER_RETURN(apache.HTTP_MOVED_TEMPORARILY)
    """,
    "bare": """
        from webquiz.mod_python import apache

        def handler(req):
            raise apache.SERVER_RETURN
    """,
    "junk": """
        from webquiz.mod_python import apache

        def handler(req):
            raise apache.SERVER_RETURN("not found")
    """,
    "done": """
        from webquiz.mod_python import apache

        def handler(req):
            req.write("all done")
            return apache.DONE
    """,
    "caught": """
        from webquiz.mod_python import apache

        def handler(req):
            try:
                raise apache.SERVER_RETURN(apache.HTTP_FORBIDDEN)
            except apache.SERVER_RETURN as stop:
                req.write(repr(stop.args))
            return apache.OK
    """,
}


@pytest.fixture
def returns(make_handlers, make_client):
    return make_client(make_app(make_handlers(**RETURNS)))


@pytest.mark.parametrize(("path", "status", "text"), [
    ("/raise404", 401, "Unauthorized"),
    ("/declined", 404, "Not Found"),
    ("/okstatus", 201, "made"),
    ("/pair", 202, "accepted"),
    ("/moved", 302, ""),
    ("/bare", 500, "Internal Server Error"),
    ("/junk", 500, "Internal Server Error"),
    ("/done", 200, "all done"),
    ("/caught", 200, "(403,)"),
])
def test_server_return_and_done(returns, path, status, text):
    response = returns.get(path)
    assert response.status_code == status
    assert text in response.get_data(as_text=True)


def test_server_return_keeps_headers_out_on_the_error_page(returns):
    response = returns.get("/raise404")
    assert response.headers["WWW-Authenticate"] == 'Basic realm="quiz"'
    assert returns.get("/moved").headers["Location"] == "/elsewhere"


def test_server_return_is_webquizs_handler_exit_with_mod_pythons_args():
    assert issubclass(apache.SERVER_RETURN, HandlerExit)
    stop = apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)
    assert stop.args == (404,) and isinstance(stop.response, NotFound)
    assert apache.SERVER_RETURN(apache.OK).result == apache.OK
    assert apache.SERVER_RETURN((apache.OK, 302)).result == 302
    with pytest.raises(TypeError, match="SERVER_RETURN"):
        apache.SERVER_RETURN("404")
    with pytest.raises(ValueError, match="1234"):
        apache.SERVER_RETURN(1234)


@pytest.mark.parametrize(("level", "tag"), [
    (apache.APLOG_EMERG, "[emerg]"), (apache.APLOG_ALERT, "[alert]"),
    (apache.APLOG_CRIT, "[crit]"), (apache.APLOG_ERR, "[error]"),
    (apache.APLOG_WARNING, "[warn]"), (apache.APLOG_NOTICE, "[notice]"),
    (apache.APLOG_INFO, "[info]"), (apache.APLOG_DEBUG, "[debug]"),
    (apache.APLOG_NOERRNO | apache.APLOG_WARNING, "[warn]"),
])
def test_log_error_levels_go_to_stderr(capsys, level, tag):
    apache.log_error("disk is full", level)
    assert capsys.readouterr().err == f"webquiz: {tag} disk is full\n"


def test_log_error_default_level_is_error_and_server_is_ignored(capsys):
    apache.log_error("oops", server=None)
    assert capsys.readouterr().err == "webquiz: [error] oops\n"


def test_req_log_error_with_a_level_goes_to_wsgi_errors(make_req, errors):
    req = make_req("/", errors_stream=errors)
    req.log_error("a note", apache.APLOG_INFO)
    req.log_error("plain")
    assert errors.getvalue() == "webquiz: [info] a note\nwebquiz: plain\n"


# -- util.redirect --------------------------------------------------------------------------


REDIRECTS = {
    "go": """
        from webquiz.mod_python import apache, util

        def handler(req):
            req.write("this is dropped")
            req.headers_out.add("Set-Cookie", "seen=1")
            util.redirect(req, req.form.getfirst("to", ""), permanent=req.args.endswith("p=1"))
            return apache.OK  # never reached
    """,
    "text": """
        from webquiz.mod_python import util

        def handler(req):
            util.redirect(req, "/get", text="<p>Off to the quiz</p>")
    """,
    "caught": """
        from webquiz.mod_python import apache, util

        def handler(req):
            try:
                util.redirect(req, "/get")
            except apache.SERVER_RETURN:
                req.write("stayed")
            return apache.OK
    """,
}


@pytest.fixture
def redirects(make_handlers, make_client):
    return make_client(make_app(make_handlers(**REDIRECTS)))


@pytest.mark.parametrize(("to", "location"), [
    ("/get?month=1", "/get?month=1"),
    ("get", "get"),
    ("http://example.org/a b", "http://example.org/a%20b"),
    ("https://example.org/caf\u00e9", "https://example.org/caf%C3%A9"),
    ('/x"><script>', "/x%22%3E%3Cscript%3E"),
])
def test_redirect_sends_a_302_with_an_escaped_location(redirects, to, location):
    response = redirects.get("/go", query_string={"to": to})
    assert response.status_code == 302 and response.headers["Location"] == location
    assert response.headers["Set-Cookie"] == "seen=1"
    body = response.get_data(as_text=True)
    assert "this is dropped" not in body and "<script>" not in body


def test_redirect_permanent_is_a_301_and_text_is_the_body(redirects):
    response = redirects.get("/go", query_string={"to": "/get", "p": "1"})
    assert response.status_code == 301 and response.headers["Location"] == "/get"
    response = redirects.get("/text")
    assert response.status_code == 302 and response.headers["Location"] == "/get"
    assert response.get_data(as_text=True) == "<p>Off to the quiz</p>"
    assert redirects.head("/text").get_data() == b""


def test_redirect_raises_server_return_as_in_mod_python(redirects):
    response = redirects.get("/caught")
    assert (response.status_code, response.get_data(as_text=True)) == (200, "stayed")


@pytest.mark.parametrize("to", [
    "javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,hi",
    "java\tscript:alert(1)", "/a\r\nSet-Cookie: evil=1", "ftp://example.org/", "http://[x",
    "//evil.example/", "/\\evil.example", "///evil.example", "http:evil.example",
])
def test_redirect_refuses_other_schemes_and_control_characters(redirects, to):
    response = redirects.get("/go", query_string={"to": to})
    assert response.status_code == 400 and "Location" not in response.headers
    assert "A redirect may only go to a path of this site" in response.get_data(as_text=True)


# -- the request's mod_python attributes ------------------------------------------------------


def test_request_attributes_the_book_uses(make_req):
    req = make_req("/test.prog/a%20b?x=1&y=%3C", method="POST", data=b"line 1\nline 2\n",
                   content_type="text/plain", headers={"Host": "Quiz.Example:8080"},
                   environ_overrides={"SERVER_PROTOCOL": "HTTP/1.1"})
    assert req.unparsed_uri == "/test.prog/a%20b?x=1&y=%3C"
    assert req.the_request == "POST /test.prog/a%20b?x=1&y=%3C HTTP/1.1"
    assert (req.hostname, req.protocol, req.args) == ("quiz.example", "HTTP/1.1", "x=1&y=%3C")
    assert req.err_headers_out is req.headers_out
    assert req.readline() == b"line 1\n" and req.read(2) == b"li"
    assert req.readlines() == [b"ne 2\n"] and req.read() == b""


def test_unparsed_uri_without_request_uri_is_rebuilt_quoted():
    env = EnvironBuilder("/caf\u00e9/x y", query_string="a=%20").get_environ()
    env.pop("REQUEST_URI"), env.pop("RAW_URI")
    assert ModPythonRequest(env).unparsed_uri == "/caf%C3%A9/x%20y?a=%20"


def test_read_then_form_both_work(make_req):
    req = make_req("/", method="POST", data={"a": "1"})
    assert req.read() == b"a=1"
    assert util.FieldStorage(req).getfirst("a") == "1"


def test_write_accepts_mod_pythons_flush_argument_and_flush_is_a_no_op(make_req):
    req = make_req("/")
    req.write("a", 0)
    req.flush()
    req.write(b"b", flush=1)
    assert req.body == b"ab"


def test_allow_methods_in_mod_pythons_form_lists_the_allow_header(make_handlers, make_client):
    folder = make_handlers(only="""
        from webquiz.mod_python import apache

        def handler(req):
            req.allow_methods(["GET"])
            req.allow_methods(["HEAD", "GET"])
            if req.method not in ("GET", "HEAD"):
                return apache.HTTP_METHOD_NOT_ALLOWED
            req.write("ok")
            return apache.OK
    """, reset="""
        from webquiz.mod_python import apache

        def handler(req):
            req.allow_methods(["PUT"])
            req.allow_methods(("GET",), 1)
            req.write("ok")
    """)
    client = make_client(make_app(folder))
    assert client.get("/only").get_data(as_text=True) == "ok"
    response = client.post("/only")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
    assert client.get("/reset").headers["Allow"] == "GET"


def test_filename_and_canonical_filename(make_handlers, make_client):
    folder = make_handlers(where="""
        from webquiz.mod_python import apache

        def handler(req):
            req.write(req.filename + "|" + req.canonical_filename)
    """)
    text = make_client(make_app(folder)).get("/where.prog").get_data(as_text=True)
    expected = str((folder / "where.py").resolve())
    assert text == f"{expected}|{expected}"


@pytest.mark.parametrize(("kind", "str_is_ip", "environ", "expected"), [
    (apache.REMOTE_NOLOOKUP, None, {}, "10.1.2.3"),
    (apache.REMOTE_NAME, None, {}, "10.1.2.3"),
    (apache.REMOTE_HOST, None, {}, None),
    (apache.REMOTE_DOUBLE_REV, None, {}, None),
    (apache.REMOTE_NOLOOKUP, 1, {}, ("10.1.2.3", True)),
    (apache.REMOTE_NAME, None, {"REMOTE_HOST": "client.example"}, "client.example"),
    (apache.REMOTE_HOST, 1, {"REMOTE_HOST": "client.example"}, ("client.example", False)),
    (apache.REMOTE_HOST, None, {"REMOTE_HOST": "10.1.2.3"}, None),
    (apache.REMOTE_DOUBLE_REV, None, {"REMOTE_HOST": "client.example"}, None),
])
def test_get_remote_host_never_looks_up_dns(
        make_req, monkeypatch, kind, str_is_ip, environ, expected):
    def no_dns(*args):
        raise AssertionError("get_remote_host must not look anything up")

    for name in ("gethostbyaddr", "gethostbyname", "gethostbyname_ex", "getaddrinfo",
                 "getnameinfo"):
        monkeypatch.setattr(socket, name, no_dns)
    req = make_req("/", environ_overrides={"REMOTE_ADDR": "10.1.2.3", **environ})
    assert req.get_remote_host(kind, str_is_ip) == expected


def test_get_remote_host_default_and_bad_type(make_req):
    req = make_req("/", environ_overrides={"REMOTE_ADDR": "10.1.2.3"})
    assert req.get_remote_host() == "10.1.2.3"
    with pytest.raises(ValueError, match="REMOTE_"):
        req.get_remote_host(7)


# -- what webquiz does not provide: NotImplementedError naming it ---------------------------


@pytest.mark.parametrize("name", sorted(MOD_PYTHON_UNSUPPORTED))
def test_unsupported_request_attribute_raises_not_implemented_naming_it(make_req, name):
    req = make_req("/")
    with pytest.raises(NotImplementedError, match=rf"^req\.{name} \(mod_python\) is not "
                                                  r"supported by webquiz: \S"):
        getattr(req, name)
    assert not hasattr(req, name)  # also an AttributeError, so probing code keeps working


def test_unsupported_request_attribute_can_still_be_assigned(make_req):
    req = make_req("/")
    req.notes = {"seen": True}
    assert req.notes == {"seen": True}


def test_unknown_request_attribute_is_a_plain_attribute_error(make_req):
    req = make_req("/")
    with pytest.raises(AttributeError) as info:
        req.no_such_thing  # noqa: B018
    assert not isinstance(info.value, NotImplementedError)
    assert hasattr(req, "headers_out") and hasattr(req, "get_remote_host")


def test_unsupported_in_a_handler_is_a_500_with_the_reason_in_the_log(
        make_handlers, make_client, errors):
    folder = make_handlers(conn="""
        from webquiz.mod_python import apache

        def handler(req):
            return req.connection.remote_ip
    """)
    response = make_client(make_app(folder)).get("/conn", errors_stream=errors)
    assert response.status_code == 500 and "req.connection" not in response.get_data(as_text=True)
    assert "UnsupportedAttribute" in errors.getvalue()
    assert "req.connection (mod_python) is not supported by webquiz" in errors.getvalue()


@pytest.mark.parametrize(("module", "name"), [
    (apache, "import_module"), (apache, "config_tree"), (apache, "make_table"),
    (apache, "register_cleanup"), (util, "apply_fs_data"),
])
def test_unsupported_module_names_raise_not_implemented(module, name):
    short = module.__name__.rpartition(".")[2]
    with pytest.raises(NotImplementedError, match=rf"^{short}\.{name} \(mod_python\) is not "):
        getattr(module, name)


def test_unsupported_mod_python_modules_say_what_to_use():
    with pytest.raises(NotImplementedError, match=r"mod_python\.Cookie .*req\.cookies"):
        from webquiz.mod_python import Cookie  # noqa: F401
    with pytest.raises(NotImplementedError, match=r"mod_python\.publisher"):
        from webquiz.mod_python import publisher  # noqa: F401


def test_unknown_module_names_are_plain_attribute_errors():
    for module in (apache, util):
        with pytest.raises(AttributeError) as info:
            module.no_such_thing  # noqa: B018
        assert not isinstance(info.value, NotImplementedError)
