"""The logsink page: records posted as logging.handlers.HTTPHandler posts them, shown
as a table (newest first) and as the blog post's text lines (oldest first), escaped."""

from __future__ import annotations

import logging
import re
from datetime import datetime
from urllib.parse import urlencode

import pytest
from support import check_page

FORM = "application/x-www-form-urlencoded"
WHEN = datetime(2024, 3, 5, 14, 30, 15).timestamp()


def record(msg: str, *args: object, name: str = "my.app", level: int = logging.WARNING,
           created: float = WHEN) -> dict[str, object]:
    """What HTTPHandler(method="POST") sends: every attribute of a real LogRecord."""
    made = logging.LogRecord(name, level, "/src/app.py", 42, msg, args or None, None)
    made.created = created
    return made.__dict__


def send(client, fields: dict[str, object]):
    """POST *fields* form-encoded, as HTTPHandler's ``urlencode(record.__dict__)``."""
    return client.post("/logsink", data=urlencode(fields), content_type=FORM)


def text(client) -> str:
    response = client.get("/logsink?format=text")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    return response.get_data(as_text=True)


def rows(html: str) -> list[list[str]]:
    """The table's cells, row by row, as HTML."""
    return [re.findall(r"<td>(.*?)</td>", row, re.S)
            for row in re.findall(r"<tr><td>.*?</tr>", html, re.S)]


def test_records_are_listed_newest_first_and_as_text_oldest_first(client):
    for fields in (record("Disk %s is full", "/var"), record("started", name="other",
                   level=logging.INFO, created=WHEN + 1)):
        response = send(client, fields)
        assert response.status_code == 200
        assert response.get_data(as_text=True).startswith("recorded by process ")
    html = client.get("/logsink").get_data(as_text=True)
    check_page(html)
    assert "holds the last 2 records (at most 200), newest first" in html
    assert [cells[1:] for cells in rows(html)] == [
        ["other", "INFO", "started"],
        ["my.app", "WARNING",
         "Disk %s is full <small>(args: <code>(&#39;/var&#39;,)</code>)</small>"],
    ]
    assert rows(html)[1][0].endswith(">2024-03-05 14:30:15</time>")
    assert text(client) == (
        f"2024-03-05 14:30:15 {'my.app':>40}   WARNING Disk %s is full (args: ('/var',))\n"
        f"2024-03-05 14:30:16 {'other':>40}      INFO started\n"
    )


def test_the_empty_page_says_how_to_send_records(client):
    html = client.get("/logsink", base_url="http://example.org:8080/py/").get_data(as_text=True)
    check_page(html, home="/py/")
    assert "has received no log records" in html
    assert ("HTTPHandler(&#39;example.org:8080&#39;, &#39;/py/logsink&#39;, "
            "method=&#34;POST&#34;)") in html
    assert text(client) == ""


def test_only_the_last_200_are_kept(client):
    for n in range(205):
        assert send(client, record(f"message {n}")).status_code == 200
    lines = text(client).splitlines()
    assert len(lines) == 200
    assert lines[0].endswith("message 5") and lines[-1].endswith("message 204")
    html = client.get("/logsink").get_data(as_text=True)
    assert [cells[3] for cells in rows(html)][:2] == ["message 204", "message 203"]


HOSTILE_FIELDS = {
    "msg": '<script>alert("msg")</script>',
    "name": '"><img src=x onerror=alert(1)>',
    "levelname": "<b>EVIL</b>",
    "args": "('<i>', '&amp;')",
}


def test_every_field_is_escaped_in_the_table(client):
    fields = {**record("x"), **HOSTILE_FIELDS}
    assert send(client, fields).status_code == 200
    html = client.get("/logsink").get_data(as_text=True)
    check_page(html)  # no script, no event attribute
    (cells,) = rows(html)
    assert cells[1:] == [
        "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
        "&lt;b&gt;EVIL&lt;/b&gt;",
        "&lt;script&gt;alert(&#34;msg&#34;)&lt;/script&gt; <small>(args: "
        "<code>(&#39;&lt;i&gt;&#39;, &#39;&amp;amp;&#39;)</code>)</small>",
    ]


def test_a_message_cannot_forge_a_text_line(client):
    forged = "real\n2024-01-01 00:00:00 root CRITICAL forged\r\x1b[2Jcleared\u2028end"
    assert send(client, record(forged)).status_code == 200
    (line,) = text(client).splitlines()
    assert line.endswith(r"real\n2024-01-01 00:00:00 root CRITICAL forged\r\x1b[2Jcleared"
                         r"\u2028end")


def test_long_fields_are_cut(client):
    assert send(client, record("x" * 10_000, name="n" * 5000)).status_code == 200
    (cells,) = rows(client.get("/logsink").get_data(as_text=True))
    assert cells[1] == "n" * 1999 + "\N{HORIZONTAL ELLIPSIS}"
    assert cells[3] == "x" * 1999 + "\N{HORIZONTAL ELLIPSIS}"
    (line,) = text(client).splitlines()
    assert " " + "n" * 40 + " " in line  # the blog post's format keeps 40 of a name


@pytest.mark.parametrize(("fields", "says"), [
    ({}, "no created, name, levelname, msg field"),
    ({"msg": "x", "name": "a", "levelname": "INFO"}, "no created field"),
    ({**record("x"), "created": "yesterday"}, "a time in seconds since 1970"),
    ({**record("x"), "created": "nan"}, "a time in seconds since 1970"),
    ({**record("x"), "created": "1e400"}, "a time in seconds since 1970"),
    ({**record("x"), "created": "-1e20"}, "a time in seconds since 1970"),
])
def test_what_is_not_a_record_is_a_400(client, fields, says):
    response = send(client, fields)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True)
    assert text(client) == ""


def test_a_json_body_is_not_a_record(client):
    response = client.post("/logsink", json={"msg": "x"})
    assert response.status_code == 400


def test_a_body_over_64_kib_is_a_413(client):
    response = send(client, record("x" * 70_000))
    assert response.status_code == 413 and text(client) == ""


def test_get_never_records_and_the_format_is_checked(client):
    response = client.get("/logsink?" + urlencode(record("by GET")))
    assert response.status_code == 200 and "by GET" not in response.get_data(as_text=True)
    assert text(client) == ""
    assert client.get("/logsink?format=xml").status_code == 400
    assert client.get("/logsink?format=html").status_code == 200
    put = client.put("/logsink", data=urlencode(record("x")), content_type=FORM)
    assert put.status_code == 405 and put.headers["Allow"] == "GET, HEAD, POST"
