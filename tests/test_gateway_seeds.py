"""The pages that keep per-process state (stats, xmlrpc, logsink) under every gateway:
the dev server and Apache (CGI twice, mod_wsgi daemon mode, mod_wsgi-express), with the
clients they were written for: ``xmlrpc.client.ServerProxy`` and a real
``logging.handlers.HTTPHandler``.

What they count differs by gateway, and the tests say how: under CGI every request is
a new process (1 request, 0 seconds, no records kept); under mod_wsgi each daemon
process counts on its own; the dev server is one process.
"""

from __future__ import annotations

import http.client
import logging
import logging.handlers
import re
import time
import uuid
import xmlrpc.client
from urllib.parse import urlencode

import pytest
from gateway_fixtures import fetch
from gateway_servers import Server

pytestmark = pytest.mark.slow

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
BOOK_FAILURE = "<class 'RuntimeError'>:This function always raises an error."


def is_cgi(server: Server) -> bool:
    return server.name in ("Apache + mod_cgid", "Apache + .htaccess")


# -- stats -------------------------------------------------------------------------------

FACTS = re.compile(
    r"running for <strong>(?P<seconds>\d+)</strong> seconds.*"
    r"<dd>(?P<served>\d+)</dd>\n<dt>Process ID</dt><dd>(?P<pid>\d+)</dd>\n"
    r"<dt>Gateway</dt><dd>(?P<gateway>[^<]*)</dd>", re.S)


def test_stats_are_per_process(gateway):
    seen = []
    for _ in range(6):
        reply = fetch(gateway, "/stats")
        assert reply.status == 200, gateway.log_text()
        found = FACTS.search(reply.text)
        assert found, reply.text
        seen.append(found.groupdict())
    if is_cgi(gateway):
        # A new process for each request: it has served one, and only just started.
        assert {(f["served"], f["seconds"], f["gateway"]) for f in seen} == {("1", "0", "CGI")}
        assert len({f["pid"] for f in seen}) == len(seen)
        return
    counts: dict[str, list[int]] = {}
    for f in seen:
        counts.setdefault(f["pid"], []).append(int(f["served"]))
    for pid, served in counts.items():  # each process counts on, by one per request
        assert served == list(range(served[0], served[0] + len(served))), (pid, served)
    if gateway.name == "dev server":
        assert set(counts) == {str(gateway.proc.pid)}
        assert {f["gateway"] for f in seen} == {"dev server"}
    else:
        assert all(f["gateway"].startswith("mod_wsgi") for f in seen)
        assert str(gateway.proc.pid) not in counts  # daemon processes, not Apache's parent


# -- xmlrpc ------------------------------------------------------------------------------


def proxy(server: Server) -> xmlrpc.client.ServerProxy:
    """A ServerProxy for the page; use it in ``with`` so its connection is closed."""
    return xmlrpc.client.ServerProxy(server.url("/xmlrpc"))


def test_xmlrpc_through_serverproxy(gateway):
    with proxy(gateway) as server:
        book_methods(gateway, server)


def book_methods(gateway: Server, server: xmlrpc.client.ServerProxy) -> None:
    assert server.pow(2, 10) == 1024 and server.hex(255) == "ff"
    assert "pow" in server.system.listMethods()
    assert server.system.methodHelp("hex").startswith("Returns a string holding")
    with pytest.raises(xmlrpc.client.Fault) as raised:
        server.failure()
    assert raised.value.faultString == BOOK_FAILURE
    calls = xmlrpc.client.MultiCall(server)
    calls.pow(2, 2)
    calls.pow(3, 3)
    calls.hex(16)
    calls.getstats()
    calls.getruntime()
    four, twenty_seven, ten, stats, runtime = calls()
    assert (four, twenty_seven, ten) == (4, 27, "10")
    if is_cgi(gateway):
        # One process per request: it counts the calls of its own request only, and the
        # next request starts again from nothing (the book's point about CGI).
        assert stats == {"pow": 2, "hex": 1} and runtime < 1
        assert server.getstats() == {"pow": 0, "hex": 0}
    else:
        assert stats["pow"] >= 2 and stats["hex"] >= 1


BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY l0 "lol">\n'
        + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
        + "]>\n<methodCall><methodName>hex</methodName><params><param><value><string>&l9;"
          "</string></value></param></params></methodCall>")


def deep_multicall(depth: int) -> str:
    head = ("<value><array><data><value><struct><member><name>methodName</name><value>"
            "<string>system.multicall</string></value></member><member><name>params</name>"
            "<value><array><data>")
    tail = "</data></array></value></member></struct></value></data></array></value>"
    return (f"<methodCall><methodName>system.multicall</methodName><params><param>"
            f"{head * depth}{tail * depth}</param></params></methodCall>")


def int_call(method: str, *values: str) -> str:
    params = "".join(f"<param><value><int>{v}</int></value></param>" for v in values)
    return f"<methodCall><methodName>{method}</methodName><params>{params}</params></methodCall>"


@pytest.mark.parametrize(("body", "says"), [
    ("not xml at all", "ExpatError"),
    (BOMB, "document type"),
    (int_call("hex", "9" * 5000), "Exceeds the limit (4300 digits)"),
    (int_call("pow", "10", "1000000000"), "outside XML-RPC's 32-bit integers"),
], ids=["malformed", "billion laughs", "5000 digits", "pow(10, 10**9)"])
def test_xmlrpc_hostile_bodies_are_faults(gateway, body, says):
    started = time.monotonic()
    reply = fetch(gateway, "/xmlrpc", "POST", body.encode(), {"Content-Type": "text/xml"})
    assert time.monotonic() - started < 10
    assert reply.status == 200, (reply.status, reply.text[:500], gateway.log_text()[-2000:])
    assert reply.headers["Content-Type"] == "text/xml; charset=utf-8"
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(reply.body)
    assert says in raised.value.faultString
    with proxy(gateway) as server:
        assert server.pow(2, 3) == 8


def test_xmlrpc_deep_multicall_answers(gateway):
    # A result, or a RecursionError's Fault: either way an answer, and the server lives.
    reply = fetch(gateway, "/xmlrpc", "POST", deep_multicall(240).encode(),
                  {"Content-Type": "text/xml"})
    assert reply.status == 200, gateway.log_text()[-2000:]
    try:
        xmlrpc.client.loads(reply.body)
    except xmlrpc.client.Fault as raised:
        assert "RecursionError" in raised.faultString
    with proxy(gateway) as server:
        assert server.pow(2, 3) == 8


def test_xmlrpc_body_over_the_limit_is_a_413(gateway):
    # (Over raw HTTP: ServerProxy leaves the socket of an error reply without a
    # Content-Length to the garbage collector, which pytest reports.)
    body = xmlrpc.client.dumps(("x" * 70_000,), "hex").encode()
    reply = fetch(gateway, "/xmlrpc", "POST", body, {"Content-Type": "text/xml"})
    assert reply.status == 413 and b"Traceback" not in reply.body


def test_xmlrpc_documentation_page(gateway):
    reply = fetch(gateway, "/xmlrpc")
    assert reply.status == 200
    assert f"ServerProxy(&#39;{gateway.url('/xmlrpc')}&#39;)" in reply.text
    assert '<dt id="pow"><code>pow(x, y)</code></dt>' in reply.text


# -- logsink -----------------------------------------------------------------------------


class StrictHTTPHandler(logging.handlers.HTTPHandler):
    """HTTPHandler that raises what it failed on instead of printing it, and closes its
    connection after each record (Python 3.11's leaves it to the garbage collector)."""

    def getConnection(self, host: str, secure: bool) -> http.client.HTTPConnection:
        self.connection: http.client.HTTPConnection = super().getConnection(host, secure)
        return self.connection

    def emit(self, record: logging.LogRecord) -> None:
        try:
            super().emit(record)
        finally:
            self.connection.close()

    def handleError(self, record: logging.LogRecord) -> None:
        raise  # re-raises the exception emit() is handling


def test_logsink_receives_httphandler_records(gateway):
    token = uuid.uuid4().hex
    logger = logging.getLogger(f"webquiz.test.{token}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    sender = StrictHTTPHandler(f"127.0.0.1:{gateway.port}", f"{gateway.mount}/logsink",
                               method="POST")
    logger.addHandler(sender)
    try:
        logger.warning("<script>alert(%r)</script>", token)
        logger.info("two\nlines")
        logger.error("third")
    finally:
        logger.removeHandler(sender)
        sender.close()
    text = fetch(gateway, "/logsink?format=text")
    assert text.status == 200 and text.headers["Content-Type"] == "text/plain; charset=utf-8"
    ours = [line.split(f"webquiz.test.{token}"[:40], 1)[1].lstrip()
            for line in text.text.splitlines() if f"webquiz.test.{token}"[:40] in line]
    expected = [f"WARNING <script>alert(%r)</script> (args: ('{token}',))",
                r"INFO two\nlines", "ERROR third"]
    if is_cgi(gateway):
        assert ours == []  # each record died with the process that received it
        assert "has received no log records" in fetch(gateway, "/logsink").text
    elif gateway.name == "Apache + mod_wsgi":
        # Two daemon processes: this one holds the records that reached it, in order.
        assert ours == [line for line in expected if line in ours]
    else:
        assert ours == expected
        html = fetch(gateway, "/logsink").text
        assert "<td>&lt;script&gt;alert(%r)&lt;/script&gt; <small>" in html
        assert "<script>" not in html


def test_logsink_records_live_in_the_process_that_received_them(gateway):
    token = uuid.uuid4().hex
    posted: dict[str, list[str]] = {}
    for n in range(6):
        fields = {"created": time.time(), "name": "t", "levelname": "INFO",
                  "msg": f"{token} {n}", "args": "()"}
        reply = fetch(gateway, "/logsink", "POST", urlencode(fields).encode(), FORM)
        assert reply.status == 200, gateway.log_text()
        pid = re.fullmatch(r"recorded by process (\d+), which keeps the last 200\n",
                           reply.text)
        assert pid, reply.text
        posted.setdefault(pid[1], []).append(f"{token} {n}")
    if is_cgi(gateway):
        assert len(posted) == 6
    for _ in range(4):
        html = fetch(gateway, "/logsink").text
        pid = re.search(r"This process \(PID (\d+)\)", html)
        assert pid, html
        shown = re.findall(rf"<td>({token} \d)</td>", html)
        expected = [] if is_cgi(gateway) else posted.get(pid[1], [])[::-1]
        assert shown == expected


def test_logsink_bad_records(gateway):
    missing = fetch(gateway, "/logsink", "POST", b"msg=x", FORM)
    assert missing.status == 400 and "no created, name, levelname field" in missing.text
    big = fetch(gateway, "/logsink", "POST", b"msg=" + b"x" * 70_000, FORM)
    assert big.status == 413 and b"Traceback" not in big.body
