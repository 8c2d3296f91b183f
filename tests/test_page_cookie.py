"""The cookie page: list the cookies sent, set testcookie to a colour, delete it."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from markupsafe import escape

from conftest import check_page

COLOURS = ["Red", "Green", "Blue", "White", "Black"]
BACK = '<a href="/cookie">Back to the cookie page</a>'


def page(client, query="", status=200, **kwargs):
    response = client.get("/cookie" + query, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    html = response.get_data(as_text=True)
    check_page(html, **({"home": "/py/"} if "/py/" in kwargs.get("base_url", "") else {}))
    return response, html


def test_the_book_scenario_set_show_delete(client):
    _, html = page(client)
    assert "<title>Cookies</title>" in html and "Your browser sent no cookies." in html
    assert '<form method="get" action="/cookie">' in html
    for colour in COLOURS:
        assert (f'<input type="radio" name="cookieval" id="colour-{colour}" value="{colour}"'
                f' required> <label for="colour-{colour}">{colour}</label>') in html
    assert '<button type="submit" name="action" value="setCookie">' in html
    assert "delCookie" not in html

    response, html = page(client, "?cookieval=Blue&action=setCookie")
    assert "The cookie testcookie has been set to Blue." in html and BACK in html
    (set_cookie,) = response.headers.getlist("Set-Cookie")
    assert set_cookie.startswith("testcookie=Blue; Expires=")
    assert "; Max-Age=31536000; HttpOnly; Path=/; SameSite=Lax" in set_cookie
    assert "Secure" not in set_cookie
    assert client.get_cookie("testcookie").value == "Blue"

    _, html = page(client)
    assert "<li><code>testcookie</code>: <code>Blue</code></li>" in html
    assert '<a href="/cookie?action=delCookie">Delete testcookie</a>' in html

    response, html = page(client, "?action=delCookie")
    assert "The cookie testcookie has been deleted." in html and BACK in html
    (set_cookie,) = response.headers.getlist("Set-Cookie")
    assert set_cookie == ("testcookie=; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0;"
                          " HttpOnly; Path=/; SameSite=Lax")
    assert client.get_cookie("testcookie") is None
    assert "Your browser sent no cookies." in page(client)[1]


def test_over_https_the_cookie_is_secure(client):
    response, _ = page(client, "?cookieval=Red&action=setCookie", base_url="https://localhost/")
    assert "; Secure; HttpOnly;" in response.headers["Set-Cookie"]
    response, _ = page(client, "?action=delCookie", base_url="https://localhost/")
    assert "Max-Age=0; Secure; HttpOnly;" in response.headers["Set-Cookie"]


def test_the_path_is_the_mount_point(client):
    response, html = page(client, "?cookieval=Red&action=setCookie",
                          base_url="http://localhost/py/")
    assert "; Path=/py;" in response.headers["Set-Cookie"]
    assert '<a href="/py/cookie">Back to the cookie page</a>' in html
    response, _ = page(client, "?action=delCookie", base_url="http://localhost/py/")
    assert "; Path=/py;" in response.headers["Set-Cookie"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?cookieval=Purple&action=setCookie", "Choose one of the colours"),
        ("?cookieval=&action=setCookie", "Choose one of the colours"),
        ("?action=setCookie", "Choose one of the colours"),
        ("?cookieval=blue&action=setCookie", "Choose one of the colours"),
        ("?cookieval=Blue%00&action=setCookie", "Choose one of the colours"),
        ("?cookieval=Red&cookieval=Blue&action=setCookie", "“cookieval” was sent more than once"),
        ("?cookieval=Red&action=setCookie&action=delCookie", "“action” was sent more than once"),
        ("?action=", "Unknown action “”"),
        ("?action=dropTables", "Unknown action “dropTables”"),
    ],
)
def test_bad_requests_are_a_400_that_sets_nothing(client, query, message):
    response, html = page(client, query, status=400)
    assert message in html and "Nothing was changed." in html and BACK in html
    assert "Set-Cookie" not in response.headers


def test_the_same_value_twice_is_fine(client):
    response, _ = page(client, "?cookieval=Red&cookieval=Red&action=setCookie")
    assert response.headers["Set-Cookie"].startswith("testcookie=Red;")


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"onmouseover=alert(1)',
                                     "javascript:alert(1)"])
def test_hostile_cookies_and_values_are_escaped(client, payload):
    client.set_cookie("evil", payload)
    client.set_cookie("x<b>", "y")
    _, html = page(client)
    assert f"<li><code>evil</code>: <code>{escape(payload)}</code></li>" in html
    assert "<li><code>x&lt;b&gt;</code>: <code>y</code></li>" in html
    response, html = page(client, "?action=setCookie&cookieval=" + quote_plus(payload),
                          status=400)
    assert "Set-Cookie" not in response.headers and payload not in html
    _, html = page(client, "?action=" + quote_plus(payload), status=400)
    assert f"Unknown action “{escape(payload)}”" in html


def test_head_and_other_methods(client):
    full = client.get("/cookie")
    head = client.head("/cookie")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    post = client.post("/cookie", data={"action": "delCookie"})
    assert post.status_code == 405 and post.headers["Allow"] == "GET, HEAD"
    assert "Set-Cookie" not in post.headers
