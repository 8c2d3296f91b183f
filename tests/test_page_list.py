"""The list page: checkboxes that share one name, read with getlist."""

from __future__ import annotations

import re
from urllib.parse import quote_plus

import pytest

from conftest import check_page

CHOICES = ["Red", "Green", "Blue", "Black", "White", "Purple", "Python", "Perl", "Java",
           "Ruby", "K&R", "C++", "OCaml", "Haskell", "Prolog"]


def show(client, query, **kwargs):
    response = client.get("/list" + query, **kwargs)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    parsed = check_page(html, **({"home": "/py/"} if "base_url" in kwargs else {}))
    boxes = [attrs for tag, attrs in parsed.tags
             if tag == "input" and attrs.get("type") == "checkbox"]
    return html, boxes


def ticked(boxes):
    return [box["value"] for box in boxes if "checked" in box]


def test_the_book_example(client):
    html, boxes = show(client, "?data=Blue&data=C%2B%2B&data=Haskell&submit=Submit")
    assert "<title>Several values for one field</title>" in html
    assert "<p>You selected: Blue, C++, Haskell</p>" in html
    assert [box["value"] for box in boxes] == CHOICES
    assert all(box["name"] == "data" for box in boxes)
    assert ticked(boxes) == ["Blue", "C++", "Haskell"]
    assert '<form method="get" action="/list">' in html


def test_k_and_r_is_escaped_everywhere(client):
    html, boxes = show(client, "?data=K%26R")
    assert "<p>You selected: K&amp;R</p>" in html
    assert 'value="K&amp;R" checked>' in html and ">K&amp;R</label>" in html
    assert ticked(boxes) == ["K&R"]


def test_every_box_has_its_label(client):
    html, boxes = show(client, "")
    for box in boxes:
        assert re.search(rf'<label for="{box["id"]}">{re.escape(box["value"])}</label>',
                         html.replace("&amp;", "&"))


def test_nothing_selected(client):
    for query in ("", "?data=", "?submit=Submit"):
        html, boxes = show(client, query)
        assert "You selected nothing yet." in html and ticked(boxes) == []


def test_repeats_and_values_not_offered_are_shown(client):
    html, boxes = show(client, "?data=Red&data=Red&data=Cobol")
    assert "<p>You selected: Red, Red, Cobol</p>" in html
    assert ticked(boxes) == ["Red"]


@pytest.mark.parametrize(
    ("payload", "escaped"),
    [
        ("<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
        ('"onmouseover=alert(1)', "&#34;onmouseover=alert(1)"),
        ("javascript:alert(1)", "javascript:alert(1)"),
    ],
)
def test_hostile_values_are_escaped(client, payload, escaped):
    html, boxes = show(client, "?data=Blue&data=" + quote_plus(payload))
    assert f"<p>You selected: Blue, {escaped}</p>" in html
    assert ticked(boxes) == ["Blue"]


def test_under_the_mount_point(client):
    html, _ = show(client, "?data=Red", base_url="http://localhost/py/")
    assert '<form method="get" action="/py/list">' in html


def test_head_and_other_methods(client):
    full = client.get("/list?data=Red")
    head = client.head("/list?data=Red")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    post = client.post("/list", data={"data": "Red"})
    assert post.status_code == 405 and post.headers["Allow"] == "GET, HEAD"
