"""The get page: the month/weekday quiz answered through the query string."""

from __future__ import annotations

import urllib.request
from datetime import date
from urllib.parse import quote

import pytest
from markupsafe import escape

from conftest import NOT_A_MONTH, check_page, server_env

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SORRY = "Sorry, you're wrong. Try again"


@pytest.fixture(autouse=True)
def pinned(today):
    return today(date(2024, 3, 5))  # a Tuesday: weekday 1


def get(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_the_book_scenario_march_then_tuesday(client):
    html = get(client, "/get")
    check_page(html)
    assert "<title>Quiz by GET</title>" in html and "What month is it?" in html
    for number, name in enumerate(MONTHS, 1):
        assert f'<a href="/get?month={number}">{name}</a>' in html

    html = get(client, "/get?month=3")
    check_page(html)
    assert "Yes, this is <strong>March</strong>." in html
    for number, name in enumerate(DAYS):
        assert f'<a href="/get?month=3&amp;day={number}">{name}</a>' in html

    html = get(client, "/get?month=3&day=1")
    check_page(html)
    assert "Yes, this is <strong>March</strong>." in html
    assert "Yes, this is <strong>Tuesday</strong>." in html and "Sorry" not in html


def test_wrong_answers_ask_again(client):
    html = get(client, "/get?month=4&day=1")
    assert SORRY in html and "Yes" not in html and '<a href="/get?month=3">' in html
    html = get(client, "/get?month=3&day=6")
    assert "Yes, this is <strong>March</strong>." in html and SORRY in html
    assert '<a href="/get?month=3&amp;day=1">Tuesday</a>' in html


def test_a_day_without_a_month_asks_the_month(client):
    assert "What month is it?" in get(client, "/get?day=1")


@pytest.mark.parametrize("answer", NOT_A_MONTH)
def test_a_month_that_is_not_a_choice_is_a_400_that_asks_again(client, answer):
    html = get(client, f"/get?month={answer}&day=1", status=400)
    check_page(html)
    assert "The month must be a whole number from 1 to 12" in html
    assert '<a href="/get?month=3">March</a>' in html and "Yes" not in html


@pytest.mark.parametrize("answer", ["7", "-0", "1e0", "%D9%A1", "9" * 5000])
def test_a_weekday_that_is_not_a_choice_is_a_400_that_asks_again(client, answer):
    html = get(client, f"/get?month=3&day={answer}", status=400)
    check_page(html)
    assert "Yes, this is <strong>March</strong>." in html
    assert "The weekday must be a whole number from 0 to 6" in html
    assert '<a href="/get?month=3&amp;day=1">Tuesday</a>' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=", "The month is empty"),
        ("month=3&day=", "The weekday is empty"),
        ("month=3&month=4", "The month was sent more than once, with different values."),
        ("month=3&day=1&day=2", "The weekday was sent more than once, with different values."),
    ],
)
def test_empty_and_conflicting_answers_are_a_400(client, query, message):
    html = get(client, "/get?" + query, status=400)
    check_page(html)
    assert message in html


def test_control_characters_are_not_echoed(client):
    html = get(client, "/get?month=3%00%1B", status=400)
    assert "not “3\ufffd\ufffd”" in html and "\x00" not in html and "\x1b" not in html


def test_the_same_answer_twice_counts_once(client):
    html = get(client, "/get?month=3&month=3&day=1&day=1")
    assert "Yes, this is <strong>Tuesday</strong>." in html


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"onmouseover=alert(1)',
                                     "javascript:alert(1)"])
def test_hostile_answers_are_escaped(client, payload):
    html = get(client, "/get?month=3&day=" + quote(payload, safe=""), status=400)
    check_page(html)  # no script, no event attribute, no javascript: link
    assert f"not “{escape(payload[:20])}" in html


def test_links_follow_the_mount_point(client):
    html = get(client, "/get?month=3", base_url="http://localhost/py/")
    check_page(html, home="/py/")
    assert '<a href="/py/get?month=3&amp;day=1">Tuesday</a>' in html


def test_head_and_other_methods(client):
    full = client.get("/get?month=3")
    head = client.head("/get?month=3")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    post = client.post("/get", data={"month": "3"})
    assert post.status_code == 405 and post.headers["Allow"] == "GET, HEAD"


@pytest.mark.slow
def test_the_quiz_under_the_dev_server_with_a_pinned_date(serve):
    server = serve(env=server_env(WEBQUIZ_TODAY="2025-12-28"))  # a Sunday
    with urllib.request.urlopen(server.url + "/get?month=12&day=6", timeout=10) as response:
        assert "Yes, this is <strong>Sunday</strong>." in response.read().decode()
    with urllib.request.urlopen(server.url + "/get?month=12&day=5", timeout=10) as response:
        assert SORRY in response.read().decode()
