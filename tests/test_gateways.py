"""One conformance suite, run under every gateway: the dev server, Apache + mod_cgid (by
the ScriptAlias snippet, and by the .htaccess variant), Apache + mod_wsgi daemon mode (by
the snippet), and mod_wsgi-express. Each serves the pack's pages plus the fixture
handlers of tests/gateway_handlers/, under a mount point or at the site's root.

The Apache snippets come from ``webquiz apache-config`` of the installed package: the
templates in apache/ are what is tested.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import socket
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from gateway_fixtures import Reply, fetch
from gateway_servers import Server

pytestmark = pytest.mark.slow

UPLOAD_SIZE = 64 * 1024 * 1024


def links(html: str) -> list[str]:
    """Every href and form action of a page, HTML entities for & undone."""
    return [m.replace("&amp;", "&") for m in re.findall(r'(?:href|action)="([^"]*)"', html)]


# -- mount points and links -----------------------------------------------------------


def test_index_links_and_footers_stay_in_the_mount(gateway):
    index = fetch(gateway, "/")
    assert index.status == 200, gateway.log_text()
    found = links(index.text)
    assert f"{gateway.mount}/echo" in found and f"{gateway.mount}/pathinfo" in found
    for link in found:
        assert link.startswith(gateway.mount + "/"), link
        name = link[len(gateway.mount) + 1:]
        if name == "boom":
            continue  # its 500 is tested below
        page = fetch(gateway, "/" + name)
        assert page.status < 500, (link, page.text)
        for inner in links(page.text):
            assert inner.startswith(gateway.mount + "/"), (link, inner)
        if page.status == 200 and "text/html" in page.headers["Content-Type"]:
            assert f'<a href="{gateway.mount}/">Back to the index</a>' in page.text, link


@pytest.mark.parametrize("gateway", ["cgi", "htaccess", "wsgi"], indirect=True)
def test_mount_point_without_a_slash(gateway):
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=60)
    conn.request("GET", gateway.mount)
    response = conn.getresponse()
    body = response.read().decode()
    conn.close()
    if gateway.name == "Apache + .htaccess":  # a folder: mod_dir adds the slash
        assert response.status == 301
        assert urlsplit(response.getheader("Location")).path == gateway.mount + "/"
    else:
        assert response.status == 200 and f'<a href="{gateway.mount}/echo">' in body


@pytest.mark.parametrize("path", [
    "/", "/escape?data=%3C%26%3F%2B%22%3E+test", "/get?month=13", "/pathinfo/x%20y",
    "/post", "/nope",
])
def test_a_page_is_the_same_bytes_as_in_process(gateway, reference, path):
    reply = fetch(gateway, path)
    expected = reference.get(path, base_url=f"http://127.0.0.1{gateway.mount}/")
    assert (reply.status, reply.body) == (expected.status_code, expected.data)
    assert reply.headers["Content-Type"] == expected.headers["Content-Type"]


# -- what reaches the handler -----------------------------------------------------------

ODD_PATH = "/echo/%C3%A9t%C3%A9/%E2%82%AC%20x/a+b"
ODD_QUERY = "q=%C3%A9&r=%E2%82%AC&s=a+b&t=%26%3D&q=2"


def test_path_info_and_query_bytes_arrive_intact(gateway, reference):
    reply = fetch(gateway, f"{ODD_PATH}?{ODD_QUERY}")
    assert reply.status == 200, gateway.log_text()
    echo = json.loads(reply.body)
    assert bytes.fromhex(echo["path_info_bytes"]) == "/\u00e9t\u00e9/\u20ac x/a+b".encode()
    assert bytes.fromhex(echo["query_bytes"]) == ODD_QUERY.encode()
    assert echo["path_info"] == "/\u00e9t\u00e9/\u20ac x/a+b"
    assert echo["form"] == {"q": ["\u00e9", "2"], "r": ["\u20ac"], "s": ["a b"], "t": ["&="]}
    assert echo["script_name"] == f"{gateway.mount}/echo"
    assert echo["link_self"] == f"{gateway.mount}/echo/a%20b/%C3%A9?q=%C3%BC%26x"
    assert echo["link_app"] == f"{gateway.mount}/echo/x"
    # The same as in process, but for the gateway's name and the raw bytes of the path
    # (werkzeug's test client hands over the path as text).
    expected = json.loads(reference.get(f"{ODD_PATH}?{ODD_QUERY}",
                                        base_url=f"http://127.0.0.1{gateway.mount}/").data)
    ignored = {"gateway": "", "path_info_bytes": ""}
    assert {**echo, **ignored} == {**expected, **ignored}


def test_each_gateway_names_itself(gateway):
    name = json.loads(fetch(gateway, "/echo").body)["gateway"]
    expected = {"dev server": "dev server", "Apache + mod_cgid": "CGI",
                "Apache + .htaccess": "CGI"}.get(gateway.name, "mod_wsgi")
    assert name.startswith(expected)


def test_a_posted_form_arrives(gateway):
    reply = fetch(gateway, "/echo.py", "POST", body=b"q=%C3%A9&q=2&empty=",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    echo = json.loads(reply.body)
    assert (echo["method"], echo["form"]) == ("POST", {"q": ["\u00e9", "2"], "empty": [""]})
    assert echo["script_name"] == f"{gateway.mount}/echo.py"


def test_an_oversized_form_is_a_413(gateway):
    reply = fetch(gateway, "/echo", "POST", body=b"q=" + b"x" * 100_000,
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 413 and b"Traceback" not in reply.body


# -- the book's pages --------------------------------------------------------------------

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def server_today(server: Server) -> date:
    """Today by the server's clock, as the simple page shows it."""
    stamp = re.search(r'<time datetime="([0-9-]{10})T', fetch(server, "/simple").text)
    assert stamp, "the simple page shows no date"
    return date.fromisoformat(stamp[1])


def follow(server: Server, html: str, text: str) -> Reply:
    """GET the link labelled *text* in *html*; it must stay under the mount."""
    match = re.search(rf'<a href="([^"]*)">{re.escape(text)}</a>', html)
    assert match, f"no link {text!r} in:\n{html}"
    href = match[1].replace("&amp;", "&")
    assert href.startswith(server.mount + "/"), href
    return fetch(server, href[len(server.mount):])


def both_right(html: str, today: date) -> bool:
    return (f"Yes, this is <strong>{MONTHS[today.month - 1]}</strong>." in html
            and f"Yes, this is <strong>{DAYS[today.weekday()]}</strong>." in html)


@pytest.mark.parametrize("page", ["pathinfo", "get"])
def test_the_quiz_walked_by_its_links(gateway, page):
    today = server_today(gateway)
    start = fetch(gateway, f"/{page}")
    assert start.status == 200 and "What month is it?" in start.text
    month = follow(gateway, start.text, MONTHS[today.month - 1])
    assert "What day is it?" in month.text
    day = follow(gateway, month.text, DAYS[today.weekday()])
    assert day.status == 200
    assert both_right(day.text, today) or server_today(gateway) != today


def test_the_quiz_by_post(gateway):
    today = server_today(gateway)
    start = fetch(gateway, "/post")
    assert f'<form method="post" action="{gateway.mount}/post">' in start.text
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    month = fetch(gateway, "/post", "POST", f"month={today.month}".encode(), form)
    assert month.status == 200 and "What day is it?" in month.text
    assert f'<input type="hidden" name="month" value="{today.month}">' in month.text
    answer = f"month={today.month}&day={today.weekday()}".encode()
    day = fetch(gateway, "/post", "POST", answer, form)
    assert both_right(day.text, today) or server_today(gateway) != today
    wrong = fetch(gateway, "/post", "POST", b"month=13", form)
    assert wrong.status == 400 and "from 1 to 12" in wrong.text


def test_the_escape_example(gateway):
    html = fetch(gateway, "/escape?data=%3C%26%3F%2B%22%3E+test").text
    link = f"{gateway.mount}/escape?data=%3C%26%3F%2B%22%3E+test"
    assert f'<a href="{link}"><code>&lt;&amp;?+&#34;&gt; test</code></a>' in html
    assert 'value="&lt;&amp;?+&#34;&gt; test"' in html


def test_the_cookie_page_sets_and_deletes_its_cookie(gateway):
    path = gateway.mount or "/"
    set_reply = fetch(gateway, "/cookie?cookieval=Blue&action=setCookie")
    (cookie,) = set_reply.headers.get_all("Set-Cookie")
    assert cookie.startswith("testcookie=Blue; Expires=")
    assert f"; Max-Age=31536000; HttpOnly; Path={path}; SameSite=Lax" in cookie
    shown = fetch(gateway, "/cookie", headers={"Cookie": "testcookie=Blue"}).text
    assert "<li><code>testcookie</code>: <code>Blue</code></li>" in shown
    deleted = follow(gateway, shown, "Delete testcookie")
    assert deleted.headers.get_all("Set-Cookie") == [
        f"testcookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; HttpOnly; Path={path};"
        " SameSite=Lax"]
    assert fetch(gateway, "/cookie?cookieval=Mauve&action=setCookie").status == 400


# -- what goes back --------------------------------------------------------------------


def raw_head(server: Server, path: str) -> tuple[bytes, bytes]:
    """HEAD over a bare socket: the head and whatever follows it until the server closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(f"HEAD {server.mount}{path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


@pytest.mark.parametrize("path", ["/", "/simple", "/echo/x"])
def test_head_has_no_body(gateway, path):
    head, rest = raw_head(gateway, path)
    assert head.startswith(b"HTTP/1.1 200"), head
    assert rest == b""


def test_several_set_cookie_headers_survive(gateway):
    reply = fetch(gateway, "/setcookies", headers={"Cookie": "c=old; d=x"})
    assert reply.status == 200
    assert json.loads(reply.body) == {"c": "old", "d": "x"}
    cookies = reply.headers.get_all("Set-Cookie")
    path = gateway.mount or "/"
    assert len(cookies) == 3, cookies
    assert cookies[0] == f"a=1; Path={path}"
    assert cookies[1].startswith('b="two words"; ') and "Max-Age=60" in cookies[1]
    assert cookies[2].startswith("c=; Expires=Thu, 01 Jan 1970") and "Max-Age=0" in cookies[2]


@pytest.fixture(scope="session")
def big_file(tmp_path_factory) -> tuple[Path, str]:
    """64 MiB of random bytes, and their MD5."""
    path = tmp_path_factory.mktemp("upload") / "big.bin"
    md5 = hashlib.md5()
    with path.open("wb") as out:
        for _ in range(UPLOAD_SIZE // 2**20):
            block = uuid.uuid4().bytes * 65536  # 1 MiB, different each time
            md5.update(block)
            out.write(block)
    return path, md5.hexdigest()


def test_an_upload_of_64_mib_through_the_file_page_has_the_right_md5(gateway, big_file):
    path, md5 = big_file
    boundary = uuid.uuid4().hex
    head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    conn = http.client.HTTPConnection("127.0.0.1", gateway.port, timeout=120)
    try:
        conn.putrequest("POST", f"{gateway.mount}/file")
        conn.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
        conn.putheader("Content-Length", str(len(head) + UPLOAD_SIZE + len(tail)))
        conn.endheaders()
        conn.send(head)
        with path.open("rb") as data:
            while block := data.read(2**20):
                conn.send(block)
        conn.send(tail)
        response = conn.getresponse()
        body = response.read().decode()
    finally:
        conn.close()
    assert response.status == 200, gateway.log_text()
    assert "<p>Got file: big.bin</p>" in body
    assert f"Received file of {UPLOAD_SIZE} bytes. MD5sum is {md5}<br>" in body


# -- errors ------------------------------------------------------------------------------


def test_an_exception_is_a_500_page_and_a_log_entry(gateway):
    token = uuid.uuid4().hex
    reply = fetch(gateway, f"/boom?token={token}")
    assert reply.status == 500
    assert b"Traceback" not in reply.body and token.encode() not in reply.body
    assert b"Internal Server Error" in reply.body
    log = gateway.wait_for_log(f"ValueError: secret {token}")
    assert f"ValueError: secret {token}" in log


def test_a_stray_print_goes_to_the_log_not_the_page(gateway):
    token = uuid.uuid4().hex
    reply = fetch(gateway, f"/stray?token={token}")
    assert (reply.status, reply.body) == (200, b"clean")
    assert f"stray output {token}" in gateway.wait_for_log(f"stray output {token}")


@pytest.mark.parametrize("path", ["/nope", "/os", "/_private", "/echo.php"])
def test_the_dispatchers_404_is_the_404_the_client_gets(gateway, path):
    reply = fetch(gateway, path)
    assert reply.status == 404
    assert b"There is no page of that name here." in reply.body


def test_an_encoded_slash_is_a_404(gateway):
    assert fetch(gateway, "/echo/a%2Fb").status == 404
