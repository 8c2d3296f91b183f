"""The escape page: one value, escaped for HTML text, an attribute and a URL."""

from __future__ import annotations

from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest

from conftest import check_page

BOOK = '<&?+"> test'


def show(client, query, **kwargs):
    response = client.get("/escape" + query, **kwargs)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, check_page(html, **({"home": "/py/"} if "base_url" in kwargs else {}))


def round_trip(parsed):
    """What a browser gets back from the page: the link's data and the input's value."""
    links = [a["href"] for tag, a in parsed.tags if tag == "a" and "/escape?" in a["href"]]
    (value,) = [i["value"] for tag, i in parsed.tags if tag == "input" and i["name"] == "data"]
    data = [parse_qs(urlsplit(link).query, keep_blank_values=True)["data"] for link in links]
    return data, value


def test_the_book_example(client):
    html, parsed = show(client, "?data=%3C%26%3F%2B%22%3E+test")
    assert "<title>Escaping</title>" in html and "Submitted data:" in html
    assert ('<a href="/escape?data=%3C%26%3F%2B%22%3E+test">'
            "<code>&lt;&amp;?+&#34;&gt; test</code></a>") in html
    assert 'value="&lt;&amp;?+&#34;&gt; test"' in html
    assert round_trip(parsed) == ([[BOOK]], BOOK)
    # Following the link shows the same text again.
    again, _ = show(client, "?data=" + quote_plus(BOOK))
    assert again == html


def test_the_form(client):
    html, parsed = show(client, "")
    assert "No submitted data." in html and "Submitted data:" not in html
    assert '<form method="get" action="/escape">' in html
    assert '<label for="data">Supply some data:</label>' in html
    assert round_trip(parsed) == ([], "")


def test_an_empty_value_is_shown_as_empty(client):
    html, parsed = show(client, "?data=")
    assert '<a href="/escape?data="><code>(empty)</code></a>' in html
    assert round_trip(parsed) == ([[""]], "")


def test_the_first_of_repeated_values_is_shown(client):
    _, parsed = show(client, "?data=one&data=two")
    assert round_trip(parsed) == ([["one"]], "one")


@pytest.mark.parametrize(
    ("payload", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('"onmouseover=alert(1) x="', "&#34;onmouseover=alert(1) x=&#34;"),
        ("' onfocus='alert(1)", "&#39; onfocus=&#39;alert(1)"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("a&amp;b", "a&amp;amp;b"),
    ],
)
def test_hostile_values_are_inert_and_come_back_unchanged(client, payload, escaped):
    html, parsed = show(client, "?data=" + quote_plus(payload))
    assert f"<code>{escaped}</code>" in html and f'value="{escaped}"' in html
    assert round_trip(parsed) == ([[payload]], payload)
    assert f'href="/escape?data={quote_plus(payload)}"' in html  # never href="javascript:


def test_bytes_that_are_not_utf8_are_a_400_that_says_so(client):
    response = client.get("/escape?data=%FF%FEx")
    assert response.status_code == 400
    text = response.get_data(as_text=True)
    assert "The query string holds bytes that are not UTF-8 text." in text


def test_links_under_the_mount_point(client):
    html, _ = show(client, "?data=a+b", base_url="http://localhost/py/")
    assert '<a href="/py/escape?data=a+b">' in html
    assert '<form method="get" action="/py/escape">' in html


def test_head_and_other_methods(client):
    full = client.get("/escape?data=x")
    head = client.head("/escape?data=x")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    post = client.post("/escape", data={"data": "x"})
    assert post.status_code == 405 and post.headers["Allow"] == "GET, HEAD"
