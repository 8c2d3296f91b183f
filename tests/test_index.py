"""The index page and the pack's own foundation pages (simple, test)."""

from __future__ import annotations

import re

from support import ValidatingClient

from webquiz import make_app


def test_index_lists_every_handler_with_its_summary(client):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    html = response.get_data(as_text=True)
    assert html.startswith("<!doctype html>")
    assert '<a href="/simple">simple</a>: Show the current time' in html
    assert '<a href="/test">test</a>: Say the pack is working' in html


def test_index_escapes_summaries_and_links_under_the_mount(make_handlers):
    folder = make_handlers(
        shout='"""Say <b>hi</b> & "bye"."""\ndef handler(req):\n    return 0\n',
        _hidden="def handler(req):\n    return 0\n",
        helper="X = 1\n",
        broken="raise RuntimeError('x')\n",
    )
    client = ValidatingClient(make_app(folder))
    html = client.get("/", base_url="http://localhost/py/").get_data(as_text=True)
    assert '<a href="/py/shout">shout</a>: Say &lt;b&gt;hi&lt;/b&gt; &amp; &#34;bye&#34;.' in html
    assert 'href="/py/_hidden"' not in html and 'href="/py/helper"' not in html
    assert '<a href="/py/broken">broken</a>: this page failed to load' in html


def test_index_without_trailing_slash_under_a_mount(make_handlers):
    folder = make_handlers(one="def handler(req):\n    return 0\n")
    client = ValidatingClient(make_app(folder))
    html = client.get("", base_url="http://localhost/py").get_data(as_text=True)
    assert '<a href="/py/one">' in html


def test_index_head_and_post(client):
    get = client.get("/")
    head = client.head("/")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == get.headers["Content-Length"]
    post = client.post("/")
    assert post.status_code == 405 and post.headers["Allow"] == "GET, HEAD"


def test_simple_shows_a_time(client):
    html = client.get("/simple").get_data(as_text=True)
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d">', html)
    assert '<a href="/">Back to the index</a>' in html


def test_test_page_shows_the_request_and_server(client):
    html = client.get(
        "/test.prog/extra/%3Cb%3E", environ_overrides={"REMOTE_ADDR": "127.0.0.9"}
    ).get_data(as_text=True)
    assert "<title>webquiz is working</title>" in html
    assert "<dt>Client IP</dt><dd>127.0.0.9</dd>" in html
    assert "<dt>URI</dt><dd>/test.prog/extra/&lt;b&gt;</dd>" in html
    assert "<dt>Path info</dt><dd>/extra/&lt;b&gt;</dd>" in html
    assert "handlers/test.py</dd>" in html
    assert "<dt>Werkzeug version</dt>" in html and "<dt>Gateway</dt>" in html
