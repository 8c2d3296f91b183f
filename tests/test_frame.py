"""What the machinery adds to every page: the frame, the stylesheet, the source view, and
the security headers on every response."""

from __future__ import annotations

import re

import pytest
from markupsafe import escape

from conftest import HANDLERS, ValidatingClient, check_page
from webquiz import make_app
from webquiz.html import stylesheet

CSS = HANDLERS.parent / "webquiz" / "static" / "webquiz.css"
CSP = "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'self'"
SECURITY = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin",
}
PAGES = ["simple", "environ", "test", "pathinfo", "get", "post", "escape", "list", "file",
         "cookie", "stats", "xmlrpc", "logsink"]


def stylesheet_href(html: str) -> str:
    (href,) = re.findall(r'<link rel="stylesheet" href="([^"]+)">', html)
    return href


# -- the frame -------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
def test_every_page_has_the_frame(app, client, name):
    html = client.get(f"/{name}").get_data(as_text=True)
    parsed = check_page(html)
    route = app.table.get(name)
    purpose = re.search(r'<p class="purpose">(.*?)</p>', html)
    assert purpose and purpose.group(1).startswith(escape(route.summary[:20]))
    assert stylesheet_href(html) == f"/_webquiz/webquiz.css?v={stylesheet()[1]}"
    assert "<h2>How this works</h2>" in html
    assert ("a", {"href": f"/_webquiz/source/{name}.py"}) in parsed.tags
    assert html.count('<a href="/">') == 2  # the brand at the top, the index at the bottom


def test_the_quiz_pages_link_to_their_helper_too(client):
    for name in ("pathinfo", "get", "post"):
        html = client.get(f"/{name}").get_data(as_text=True)
        assert (f'Read the code: <a href="/_webquiz/source/{name}.py"><code>{name}.py</code></a>,'
                ' <a href="/_webquiz/source/_quiz.py"><code>_quiz.py</code></a>') in html


def test_docstring_literals_show_as_code(client):
    html = client.get("/cookie").get_data(as_text=True)
    assert "set <code>testcookie</code> to a colour" in html
    index = client.get("/").get_data(as_text=True)
    assert "share the name <code>data</code>." in index


def test_the_frame_links_from_the_mount_point(client):
    html = client.get("/post", base_url="http://localhost/py/").get_data(as_text=True)
    check_page(html, home="/py/")
    assert stylesheet_href(html).startswith("/py/_webquiz/webquiz.css?v=")
    assert '<a href="/py/_webquiz/source/post.py">' in html


def test_the_frame_escapes_title_summary_and_how(make_handlers):
    folder = make_handlers(shout='''
        """Say <b>hi</b> & ``<i>``."""
        from webquiz import OK, page

        def handler(req):
            req.write(page(req, "<T&>", "<body>", how="<how>"))
            return OK
    ''')
    html = ValidatingClient(make_app(folder)).get("/shout").get_data(as_text=True)
    check_page(html)
    assert "<title>&lt;T&amp;&gt;</title>" in html and "<h1>&lt;T&amp;&gt;</h1>" in html
    assert '<p class="purpose">Say &lt;b&gt;hi&lt;/b&gt; &amp; <code>&lt;i&gt;</code>.</p>' in html
    assert "&lt;body&gt;" in html and "<p>&lt;how&gt;</p>" in html


def test_error_pages_are_framed(client):
    for path, status in [("/nothing", 404), ("/_quiz", 404), ("/simple", 405)]:
        response = client.post(path, base_url="http://localhost/py/")
        assert response.status_code == status
        html = response.get_data(as_text=True)
        check_page(html, home="/py/")
        assert stylesheet_href(html).startswith("/py/_webquiz/webquiz.css?v=")
    html = client.get("/pathinfo/1/2/3").get_data(as_text=True)
    assert "<h1>404 Not Found</h1>" in html
    assert "<p>This quiz takes at most two answers: /pathinfo/MONTH/WEEKDAY.</p>" in html


# -- the stylesheet --------------------------------------------------------------------


def test_the_stylesheet_is_served_with_its_type_and_etag(client):
    response = client.get("/_webquiz/webquiz.css")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    assert response.data == CSS.read_bytes()
    assert response.headers["ETag"] == f'"{stylesheet()[1]}"'
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get("/_webquiz/webquiz.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    head = client.head("/_webquiz/webquiz.css")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == str(len(response.data))


def test_the_versioned_stylesheet_is_cached_for_a_year(client):
    href = stylesheet_href(client.get("/").get_data(as_text=True))
    response = client.get(href)
    assert response.status_code == 200 and response.data == CSS.read_bytes()
    cache = {part.strip() for part in response.headers["Cache-Control"].split(",")}
    assert cache == {"public", "max-age=31536000", "immutable"}
    stale = client.get("/_webquiz/webquiz.css?v=0123456789abcdef")
    assert stale.headers["Cache-Control"] == "no-cache"


def test_the_stylesheet_needs_nothing_from_elsewhere():
    css = CSS.read_text()
    assert "url(" not in css and "@import" not in css and "@font-face" not in css


@pytest.mark.parametrize(
    "path",
    ["/_webquiz", "/_webquiz/", "/_webquiz/style.css", "/_webquiz/webquiz.css/x",
     "/_webquiz/../_webquiz/webquiz.css", "/_webquiz/static/webquiz.css",
     "/_webquiz/py.typed", "/_webquiz/__init__.py", "/_webquiz/source",
     "/_webquiz/source/", "/_webquiz.css"],
)
def test_nothing_else_is_served_under_the_prefix(client, path):
    assert client.get(path).status_code == 404


def test_the_stylesheet_refuses_other_methods(client):
    response = client.post("/_webquiz/webquiz.css")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"


def test_the_stylesheet_under_a_mount_point(client):
    response = client.get("/_webquiz/webquiz.css", base_url="http://localhost/py/")
    assert response.status_code == 200 and response.data == CSS.read_bytes()


# -- the source view --------------------------------------------------------------------


@pytest.mark.parametrize("name", [*PAGES, "_quiz"])
def test_the_source_of_each_handler_and_its_helper(client, name):
    response = client.get(f"/_webquiz/source/{name}.py")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    check_page(html)
    assert f"<h1>Source of {name}.py</h1>" in html
    source = (HANDLERS / f"{name}.py").read_text()
    shown = re.search(r"<pre tabindex=\"0\"><code>(.*)</code></pre>", html, re.S).group(1)
    assert shown == str(escape(source))
    assert "&lt;" in shown or "<" not in source  # escaped, not markup


def test_the_helper_names_the_pages_that_import_it(client):
    html = client.get("/_webquiz/source/_quiz.py").get_data(as_text=True)
    assert ('These pages import it: <a href="/get">get</a>, <a href="/pathinfo">pathinfo</a>,'
            ' <a href="/post">post</a>.') in html


@pytest.mark.parametrize(
    "name",
    ["../webquiz/app.py", "..%2Fwebquiz%2Fapp.py", "os", "os.py", "pathinfo", "_quiz",
     "PATHINFO.py", "pathinfo.py/x", "pathinfo.pyc", "__init__.py", "conftest.py",
     "%2e%2e/README.md", "/etc/passwd", "pathinfo.py%00"],
)
def test_the_source_view_shows_nothing_else(client, name):
    assert client.get(f"/_webquiz/source/{name}").status_code == 404


def test_a_private_module_no_page_imports_is_not_shown(make_handlers):
    folder = make_handlers(
        page='"""A page."""\nfrom . import _used\n\ndef handler(req):\n    return 0\n',
        _used="X = 1\n", _unused="SECRET = 1\n", nohandler="SECRET = 2\n",
    )
    client = ValidatingClient(make_app(folder, show_source=True))
    assert client.get("/_webquiz/source/page.py").status_code == 200
    assert client.get("/_webquiz/source/_used.py").status_code == 200
    for name in ("_unused.py", "nohandler.py"):
        assert client.get(f"/_webquiz/source/{name}").status_code == 404


def test_your_own_folder_shows_no_source_unless_asked(make_handlers):
    folder = make_handlers(page='"""A page."""\nfrom webquiz import page\n\n'
                                'def handler(req):\n    req.write(page(req, "P", ""))\n')
    client = ValidatingClient(make_app(folder))
    assert client.get("/_webquiz/source/page.py").status_code == 404
    html = client.get("/page").get_data(as_text=True)
    assert "/_webquiz/source/" not in html and "How this works" not in html
    client = ValidatingClient(make_app(folder, show_source=True))
    assert "/_webquiz/source/page.py" in client.get("/page").get_data(as_text=True)
    hidden = ValidatingClient(make_app(HANDLERS, show_source=False))
    assert hidden.get("/_webquiz/source/simple.py").status_code == 404


def test_the_source_view_refuses_other_methods(client):
    response = client.post("/_webquiz/source/simple.py")
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"


# -- security headers ----------------------------------------------------------------


@pytest.fixture
def broken_client(make_handlers):
    folder = make_handlers(
        broken="raise RuntimeError('at import')\n",
        raises="def handler(req):\n    raise ValueError('boom')\n",
        own=('def handler(req):\n'
             '    req.headers_out["Content-Security-Policy"] = "default-src \'none\'"\n'
             '    req.write("mine")\n'),
    )
    return ValidatingClient(make_app(folder))


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/", 200), ("HEAD", "/", 200), ("POST", "/", 405),
        ("GET", "/simple", 200), ("HEAD", "/post", 200), ("POST", "/post", 400),
        ("DELETE", "/simple", 405), ("GET", "/nothing", 404), ("GET", "/get?month=x", 400),
        ("GET", "/_webquiz/webquiz.css", 200), ("GET", "/_webquiz/nothing", 404),
        ("GET", "/_webquiz/source/post.py", 200), ("GET", "/cookie?action=setCookie", 400),
    ],
)
def test_security_headers_on_every_response(client, method, path, status):
    body = {"data": {"month": "x"}} if method == "POST" else {}
    response = client.open(path, method=method, **body)
    assert response.status_code == status
    for key, value in SECURITY.items():
        assert response.headers.get_all(key) == [value], key


def test_security_headers_on_304_413_and_500(client, broken_client, make_client):
    etag = client.get("/_webquiz/webquiz.css").headers["ETag"]
    responses = [
        client.get("/_webquiz/webquiz.css", headers={"If-None-Match": etag}),
        client.post("/post", data={"month": "3" * 70_000}),
        broken_client.get("/broken"),
        broken_client.get("/raises"),
    ]
    assert [r.status_code for r in responses] == [304, 413, 500, 500]
    for response in responses:
        for key, value in SECURITY.items():
            assert response.headers.get(key) == value, (response.status_code, key)


def test_a_handler_may_set_its_own_policy(broken_client):
    response = broken_client.get("/own")
    assert response.headers.get_all("Content-Security-Policy") == ["default-src 'none'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_pages_need_nothing_the_policy_forbids(client):
    """No inline script or style, no element or attribute that loads from elsewhere."""
    for path in ["/", *(f"/{name}" for name in PAGES), "/_webquiz/source/_quiz.py", "/nope"]:
        parsed = check_page(client.get(path).get_data(as_text=True))
        for tag, attributes in parsed.tags:
            assert tag not in ("style", "script") and "style" not in attributes, (path, tag)
            for name in ("src", "href", "action"):
                value = attributes.get(name)
                if value is not None:
                    assert value.startswith("/") and not value.startswith("//"), (tag, value)
