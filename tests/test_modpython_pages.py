"""The book's chapter 19 mod_python handlers, ported by their import line only, served as they are.

tests/modpython_handlers holds test, pathinfo, get, post and escape written against
mod_python's API (``req.write``, ``util.FieldStorage(req)``, ``apache.OK``,
``raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)``, ``req.header_only``); the only
webquiz line in each is ``from webquiz.mod_python import ...``. Each scenario below
runs in-process (validating test client), through ``webquiz serve --handlers DIR``, and
under Apache + mod_wsgi and Apache + CGI.

The quiz answers depend on today's date: ``on_today`` asks with today's month and
weekday and asks again if the date changed while the request ran (midnight).
"""

from __future__ import annotations

import html
import http.client
import re
import shutil
import sys
import time
from collections.abc import Callable
from urllib.parse import urlencode

import pytest
from gateway_servers import open_up, start_cgi, start_wsgi, world_readable_dir
from support import MODPYTHON_HANDLERS, ROOT, ValidatingClient
from werkzeug.datastructures import Headers

from webquiz import make_app

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

#: ``fetch(method, path, form=None) -> (status, headers, body)``
Fetch = Callable[..., tuple[int, Headers, str]]


def on_today(ask: Callable[[int, int], tuple[int, Headers, str]]):
    """Return ``(month, weekday, response)`` for ``ask(month, weekday)`` asked with today's
    date, asking again when the date changed while the request ran."""
    for _ in range(3):
        before = time.localtime()
        response = ask(before.tm_mon, before.tm_wday)
        after = time.localtime()
        if (after.tm_mon, after.tm_wday) == (before.tm_mon, before.tm_wday):
            return before.tm_mon, before.tm_wday, response
    raise AssertionError("the date changed during every attempt")


def wrong_month(month: int) -> int:
    return month % 12 + 1


def wrong_day(day: int) -> int:
    return (day + 1) % 7


def month_links(body: str) -> list[tuple[str, str]]:
    return re.findall(r'<a href="([^"]*)">([A-Za-z]+)</a><br>', body)


# -- the scenarios: each takes fetch and the application's URL root ------------------------


def scenario_test_page(fetch: Fetch, root: str, filename: str, python: str | None) -> None:
    """test.prog: "mod_python is working" with the request's facts; HEAD has no body."""
    status, headers, body = fetch("GET", f"{root}/test.prog/extra/path")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "<h1>mod_python is working</h1>" in body
    assert "<dt>Client IP</dt><dd>127.0.0.1</dd>" in body
    assert f"<dt>URI</dt><dd>{root}/test.prog/extra/path</dd>" in body
    assert f"<dt>Filename</dt><dd>{filename}</dd>" in body
    assert f"<dt>Canonical filename</dt><dd>{filename}</dd>" in body
    assert "<dt>Path_info</dt><dd>/extra/path</dd>" in body
    version = re.search(r"<dt>Python version</dt><dd>(.*?)</dd>", body)
    assert version and (python is None or version[1] == html.escape(python))

    status, _, body = fetch("HEAD", f"{root}/test.prog")
    assert (status, body) == (200, "")


def scenario_pathinfo(fetch: Fetch, root: str) -> None:
    """pathinfo.prog: the month/day quiz by PATH_INFO; junk is a 400; /1/2/3 a 404."""
    page = f"{root}/pathinfo.prog"
    status, _, body = fetch("GET", page)
    assert status == 200 and "What month is it?" in body
    assert month_links(body) == [(f"{page}/{n}", name) for n, name in enumerate(MONTHS, 1)]

    month, day, (status, _, body) = on_today(lambda m, d: fetch("GET", f"{page}/{m}"))
    assert status == 200 and f"Yes, this is <b>{MONTHS[month - 1]}</b>." in body
    assert "What day is it?" in body
    assert f'<a href="{page}/{month}/{day}">{DAYS[day]}</a>' in body

    month, day, (status, _, body) = on_today(
        lambda m, d: fetch("GET", f"{page}/{wrong_month(m)}"))
    assert status == 200 and "Sorry, you're wrong. Try again:" in body
    assert "What month is it?" in body

    month, day, (status, _, body) = on_today(lambda m, d: fetch("GET", f"{page}/{m}/{d}"))
    assert status == 200 and f"Yes, this is <b>{DAYS[day]}</b>." in body
    assert "What day is it?" not in body

    month, day, (status, _, body) = on_today(
        lambda m, d: fetch("GET", f"{page}/{m}/{wrong_day(d)}"))
    assert status == 200 and "Sorry, you're wrong." in body and "What day is it?" in body

    status, _, body = fetch("GET", f"{page}/%3Cb%3Ex")
    assert status == 400 and "<b>&lt;b&gt;x</b> is not a month number (1 to 12)" in body
    assert "What month is it?" in body
    assert fetch("GET", f"{page}/13")[0] == 400

    # The handler raises apache.SERVER_RETURN(apache.HTTP_NOT_FOUND) for this.
    status, _, body = fetch("GET", f"{page}/1/2/3")
    assert status == 404 and "Not Found" in body


def scenario_get(fetch: Fetch, root: str) -> None:
    """get.prog: the quiz by query string, read with util.FieldStorage(req)."""
    page = f"{root}/get.prog"
    status, _, body = fetch("GET", page)
    assert status == 200
    assert month_links(body) == [(f"{page}?month={n}", name) for n, name in enumerate(MONTHS, 1)]
    # mod_python's FieldStorage drops blank values: an empty answer is no answer.
    assert "What month is it?" in fetch("GET", f"{page}?month=&day=")[2]

    month, day, (status, _, body) = on_today(lambda m, d: fetch("GET", f"{page}?month={m}"))
    assert status == 200 and f"Yes, this is <b>{MONTHS[month - 1]}</b>." in body
    assert f'<a href="{page}?month={month}&amp;day={day}">{DAYS[day]}</a>' in body

    month, day, (status, _, body) = on_today(
        lambda m, d: fetch("GET", f"{page}?{urlencode({'month': m, 'day': d})}"))
    assert status == 200 and f"Yes, this is <b>{DAYS[day]}</b>." in body

    month, day, (status, _, body) = on_today(
        lambda m, d: fetch("GET", f"{page}?month={wrong_month(m)}&day={d}"))
    assert status == 200 and "Sorry, you're wrong." in body and "What month is it?" in body

    status, _, body = fetch("GET", f"{page}?month=%22%3E")
    assert status == 400 and "<b>&quot;&gt;</b> is not a month number" in body


def scenario_post(fetch: Fetch, root: str) -> None:
    """post.prog: the quiz by form POST, one form per question."""
    page = f"{root}/post.prog"
    status, _, body = fetch("GET", page)
    assert status == 200 and f'<form method="POST" action="{page}">' in body
    assert body.count('<input name="month" type="radio"') == 12

    month, day, (status, _, body) = on_today(lambda m, d: fetch("POST", page, {"month": m}))
    assert status == 200 and f"Yes, this is <b>{MONTHS[month - 1]}</b>." in body
    assert f'<input type="hidden" name="month" value="{month}">' in body
    assert body.count('<input name="day" type="radio"') == 7

    month, day, (status, _, body) = on_today(
        lambda m, d: fetch("POST", page, {"month": m, "day": d, "submit": "Next >>"}))
    assert status == 200 and f"Yes, this is <b>{DAYS[day]}</b>." in body

    month, day, (status, _, body) = on_today(
        lambda m, d: fetch("POST", page, {"month": m, "day": wrong_day(d)}))
    assert status == 200 and "Sorry, you're wrong." in body and "What day is it?" in body

    month, day, (status, _, body) = on_today(
        lambda m, d: fetch("POST", page, {"month": m, "day": "<script>"}))
    assert status == 400 and "<b>&lt;script&gt;</b> is not a day number (0 to 6)" in body


def scenario_escape(fetch: Fetch, root: str) -> None:
    """escape.prog: the book's example ``<&?+"> test``, quoted in the link, escaped in the text."""
    page = f"{root}/escape.prog"
    status, _, body = fetch("GET", page)
    assert status == 200 and "No submitted data." in body
    assert f'<form method="GET" action="{page}">' in body

    example = '<&?+"> test'
    status, _, body = fetch("GET", f"{page}?" + urlencode({"data": example}))
    assert status == 200 and "Submitted data:" in body
    assert (f'<a href="{page}?data=%3C%26%3F%2B%22%3E+test">'
            "<tt>&lt;&amp;?+&quot;&gt; test</tt></a>") in body
    assert '<&?+">' not in body
    assert "No submitted data." in fetch("GET", f"{page}?data=")[2]


def scenario_unknown(fetch: Fetch, root: str) -> None:
    """Names that are no handler are a 404, as under the book's dispatcher."""
    for path in ("/nonexistent.prog", "/dispatcher.prog", "/os.prog"):
        assert fetch("GET", f"{root}{path}")[0] == 404


def scenarios(filename: str, python: str | None) -> dict[str, Callable[[Fetch, str], None]]:
    """The scenarios by name, the test page's expectations bound."""
    return {
        "test": lambda fetch, root: scenario_test_page(fetch, root, filename, python),
        "pathinfo": scenario_pathinfo,
        "get": scenario_get,
        "post": scenario_post,
        "escape": scenario_escape,
        "unknown": scenario_unknown,
    }


IN_PROCESS = scenarios(str(MODPYTHON_HANDLERS / "test.py"), sys.version)


def client_fetch(client: ValidatingClient) -> Fetch:
    """fetch() through the validating test client, as from 127.0.0.1."""

    def fetch(method: str, path: str, form: dict | None = None):
        response = client.open(path, method=method, data=form,
                               environ_base={"REMOTE_ADDR": "127.0.0.1"})
        return response.status_code, response.headers, response.get_data(as_text=True)

    return fetch


def http_fetch(port: int) -> Fetch:
    """fetch() over HTTP to 127.0.0.1:port."""

    def fetch(method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        try:
            body, headers = None, {}
            if form is not None:
                body = urlencode(form)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            return (response.status, Headers(response.getheaders()),
                    response.read().decode("utf-8"))
        finally:
            conn.close()

    return fetch


@pytest.mark.parametrize("name", IN_PROCESS)
def test_book_page_in_process(name, make_client):
    client = make_client(make_app(MODPYTHON_HANDLERS))
    IN_PROCESS[name](client_fetch(client), "")


def test_server_return_404_is_logged_with_apache_log_error(make_client, capsys):
    client = make_client(make_app(MODPYTHON_HANDLERS))
    assert client.get("/pathinfo/1/2/3").status_code == 404
    assert "webquiz: [error] pathinfo: no page at '/pathinfo/1/2/3'" in capsys.readouterr().err


@pytest.mark.slow
def test_book_pages_through_the_dev_server(serve):
    server = serve("--handlers", str(MODPYTHON_HANDLERS))
    fetch = http_fetch(server.port)
    for scenario in IN_PROCESS.values():
        scenario(fetch, "")
    log = server.log_text()
    assert "webquiz: [error] pathinfo: no page at '/pathinfo.prog/1/2/3'" in log
    assert "Traceback" not in log


def test_readme_mod_python_example(tmp_path, make_client):
    readme = (ROOT / "README.md").read_text()
    assert "from webquiz.mod_python import apache, util  # after" in readme
    source = re.search(r"save this as `oldpages/hello.py`.*?```python\n(.*?)```", readme, re.S)
    assert source, "the README's mod_python example is missing"
    assert "webquiz" not in source[1].replace("from webquiz.mod_python import", "")
    folder = tmp_path / "oldpages"
    folder.mkdir()
    (folder / "hello.py").write_text(source[1])
    client = make_client(make_app(folder))
    response = client.get("/hello.prog?name=%3Cscript%3E")
    assert response.get_data(as_text=True) == "<p>Hello, &lt;script&gt;!</p>\n"
    assert client.get("/hello.prog").status_code == 400
    assert client.head("/hello.prog?name=x").get_data() == b""


@pytest.fixture
def local_time_as_apache(monkeypatch):
    """Compute today's date as Apache's Python does: it runs without TZ (/etc/localtime)."""
    monkeypatch.delenv("TZ", raising=False)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["wsgi", "cgi"])
def test_book_pages_under_apache(kind, venv, local_time_as_apache):
    """The same scenarios under Apache + mod_wsgi (daemon mode) and Apache + mod_cgid, each
    configured by ``webquiz apache-config``; the folder is this test's own, since the
    session's gateways serve the pack, whose pages have the same names."""
    folder = world_readable_dir("webquiz-modpython-")
    root = world_readable_dir(f"webquiz-modpython-{kind}-")
    try:
        for path in MODPYTHON_HANDLERS.glob("*.py"):
            shutil.copy(path, folder / path.name)
        open_up(folder)
        server = (start_wsgi if kind == "wsgi" else start_cgi)(venv, folder, root)
        try:
            fetch = http_fetch(server.port)
            # Apache runs Debian's python3, not necessarily this one: any version shows.
            for scenario in scenarios(str(folder.resolve() / "test.py"), None).values():
                scenario(fetch, server.mount)
            log = server.wait_for_log("pathinfo: no page at")
            assert f"webquiz: [error] pathinfo: no page at '{server.mount}/pathinfo.prog/1/2/3'" \
                in log
            assert "Traceback" not in log
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
        shutil.rmtree(folder, ignore_errors=True)
