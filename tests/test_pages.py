"""What every page of the pack shares: the index entry, the frame, HEAD and 405."""

from __future__ import annotations

import pytest

from conftest import HANDLERS, check_page

PAGES = {
    "simple": "Show the current time",
    "environ": "Show the CGI/WSGI variables of this request",
    "test": "Say the pack is working",
    "pathinfo": "The month and weekday quiz, answered through extra path segments",
    "get": "The month and weekday quiz, answered through the query string",
    "post": "The month and weekday quiz, answered with a form sent by POST",
    "escape": "Escaping: the same text made safe for HTML",
    "list": "Several values for one field",
    "file": "File upload: each file's size, MD5 and SHA-256",
    "cookie": "Cookies: list those the browser sent",
    "stats": "Server statistics: how long this process has been serving",
    "xmlrpc": "XML-RPC: the book's Math and Stats server, called over POST",
    "logsink": "A log receiver: Python's logging.handlers.HTTPHandler posts records",
}


def test_the_index_lists_every_page_and_no_helper(client):
    html = client.get("/").get_data(as_text=True)
    for name, summary in PAGES.items():
        assert f'<a href="/{name}">{name}</a>: {summary}'.replace("'", "&#39;") in html
    assert "_quiz" not in html
    assert client.get("/_quiz").status_code == 404


def test_every_handler_module_is_a_documented_page():
    modules = sorted(path.stem for path in HANDLERS.glob("[!_]*.py"))
    assert modules == sorted(PAGES)


@pytest.mark.parametrize("name", PAGES)
def test_every_page_is_framed_and_answers_head(client, name):
    get = client.get(f"/{name}")
    assert get.status_code == 200
    assert get.headers["Content-Type"] == "text/html; charset=utf-8"
    check_page(get.get_data(as_text=True))
    head = client.head(f"/{name}")
    assert head.status_code == 200 and head.data == b""


@pytest.mark.parametrize("name", PAGES)
def test_an_unsupported_method_is_a_405_with_allow(client, name):
    response = client.delete(f"/{name}")
    assert response.status_code == 405
    assert response.headers["Allow"] in ("GET, HEAD", "GET, HEAD, POST")
