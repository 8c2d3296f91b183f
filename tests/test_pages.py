"""What every page of the pack shares: the index entry, the frame, HEAD and 405.

The page list comes from handlers/ itself (tests/support.py), never typed again here.
"""

from __future__ import annotations

import pytest
from support import HANDLERS, PAGE_DOCS, PAGES, check_page

from webquiz.dispatch import first_line

#: A request each page answers with 200 (one with input, where the page takes some).
TRY = {"pathinfo": "/pathinfo/3", "get": "/get?month=3", "escape": "/escape?data=x",
       "list": "/list?data=Red"}
#: The pages that take a POST (the book's forms and the two servers); the rest, GET only.
POSTS = frozenset({"post", "file", "xmlrpc", "logsink"})
#: Pages whose text changes between two requests (the clock, a counter, the request's own
#: REQUEST_METHOD): the length of a GET and a HEAD may differ by a character or two.
CHANGING = frozenset({"simple", "stats", "environ"})
#: Pages that skip building their body for HEAD (mod_python's header_only idiom): they
#: send no Content-Length then, since 0 would misstate the GET's.
HEAD_SKIPS = frozenset({"test"})


def test_the_index_lists_every_page_with_its_docstring_and_no_helper(client):
    html = client.get("/").get_data(as_text=True)
    for name, doc in PAGE_DOCS.items():
        summary = first_line(doc).replace("``", "")
        assert f'<a href="/{name}">{name}</a>: ' in html
        assert summary.split("`")[0][:30].replace("'", "&#39;") in html
    assert "_quiz" not in html
    assert client.get("/_quiz").status_code == 404


def test_every_handler_module_is_a_documented_page():
    modules = sorted(path.stem for path in HANDLERS.glob("[!_]*.py"))
    assert modules == PAGES
    assert all(first_line(doc) for doc in PAGE_DOCS.values())


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_framed_and_head_is_its_get_without_a_body(client, name):
    path = TRY.get(name, f"/{name}")
    get = client.get(path)
    assert get.status_code == 200
    assert get.headers["Content-Type"] == "text/html; charset=utf-8"
    check_page(get.get_data(as_text=True))
    head = client.head(path)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    if name in HEAD_SKIPS:
        assert "Content-Length" not in head.headers
    elif name not in CHANGING:
        assert head.headers["Content-Length"] == get.headers["Content-Length"]


@pytest.mark.parametrize("name", PAGES)
def test_a_method_the_page_does_not_take_is_a_405_with_allow_and_changes_nothing(client, name):
    method = "PUT" if name in POSTS else "POST"
    response = client.open(f"/{name}", method=method, data={"action": "delCookie"})
    assert response.status_code == 405
    allowed = "GET, HEAD, POST" if name in POSTS else "GET, HEAD"
    assert response.headers["Allow"] == allowed
    assert "Set-Cookie" not in response.headers
    check_page(response.get_data(as_text=True))
