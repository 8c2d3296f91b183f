"""The stats page: this process's uptime and count, its PID and gateway, thread-safe."""

from __future__ import annotations

import os
import re
import threading
import time

from support import HANDLERS, ValidatingClient, check_page

from webquiz import make_app

FACTS = re.compile(
    r"running for <strong>(?P<seconds>\d+)</strong> seconds.*"
    r"<dt>Requests for this page served by this process</dt><dd>(?P<served>\d+)</dd>\n"
    r"<dt>Process ID</dt><dd>(?P<pid>\d+)</dd>\n"
    r"<dt>Gateway</dt><dd>(?P<gateway>[^<]*)</dd>",
    re.S,
)


def facts(html: str) -> dict[str, str]:
    """The figures the page shows."""
    found = FACTS.search(html)
    assert found, html
    return found.groupdict()


def test_each_request_counts_and_the_page_says_whose_figures_they_are(make_client):
    client = make_client(make_app(HANDLERS, gateway="dev server"))
    seen = []
    for _ in range(3):
        response = client.get("/stats")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        check_page(html)
        seen.append(facts(html))
    assert [f["served"] for f in seen] == ["1", "2", "3"]
    assert {f["pid"] for f in seen} == {str(os.getpid())}
    assert {f["gateway"] for f in seen} == {"dev server"}
    assert seen[0]["seconds"] == "0"
    assert "Under CGI each request is a new process, so the count is always 1" in html


def test_the_uptime_runs_from_when_the_process_loaded_the_page(app, make_client, monkeypatch):
    handler = app.table.get("stats").handler
    monkeypatch.setitem(handler.__globals__, "LOADED_AT", time.monotonic() - 125.6)
    html = make_client(app).get("/stats").get_data(as_text=True)
    assert facts(html)["seconds"] == "125"
    assert re.search(r'loaded the page at <time datetime="\d{4}-\d\d-\d\dT[\d:]{8}[+-]', html)


def test_a_fresh_app_is_a_fresh_count_and_head_counts_too(make_client):
    client = make_client(make_app(HANDLERS))
    head = client.head("/stats")
    assert head.status_code == 200 and head.data == b""
    assert facts(client.get("/stats").get_data(as_text=True))["served"] == "2"


def test_concurrent_requests_are_all_counted(app):
    threads, each = 8, 25
    barrier = threading.Barrier(threads)

    def hammer() -> None:
        client = ValidatingClient(app)
        barrier.wait()
        for _ in range(each):
            assert client.get("/stats").status_code == 200

    workers = [threading.Thread(target=hammer) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    html = ValidatingClient(app).get("/stats").get_data(as_text=True)
    assert facts(html)["served"] == str(threads * each + 1)


def test_the_gateway_name_is_escaped(make_client):
    client = make_client(make_app(HANDLERS, gateway='<script>alert("x")</script>'))
    html = client.get("/stats").get_data(as_text=True)
    assert "<dd>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</dd>" in html
    check_page(html)


def test_only_get_and_head(client):
    response = client.post("/stats", data={"x": "1"})
    assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD"
    # A query string changes nothing: the page reads no input.
    assert client.get("/stats?served=99&x=%3Cb%3E").status_code == 200
