"""The post page: the month/weekday quiz answered with a form sent by POST."""

from __future__ import annotations

import http.client
import re
from datetime import date
from urllib.parse import urlencode

import pytest
from markupsafe import escape

from conftest import NOT_A_MONTH, check_page, server_env

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
SORRY = "Sorry, you're wrong. Try again"
FORM = '<form method="post" action="/post">'
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture(autouse=True)
def pinned(today):
    return today(date(2024, 3, 5))  # a Tuesday: weekday 1


def post(client, body, status=200, **kwargs):
    """POST *body* (a dict, or a raw urlencoded string) and return the page."""
    if isinstance(body, str):
        response = client.post("/post", data=body, content_type=URLENCODED, **kwargs)
    else:
        response = client.post("/post", data=body, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def radios(html, name):
    """(value, label) of each radio button named *name*, through its label."""
    found = re.findall(
        rf'<input type="radio" name="{name}" id="([^"]+)" value="([^"]*)" required>'
        r' <label for="([^"]+)">([^<]*)</label>', html)
    assert all(box_id == label_for for box_id, _, label_for, _ in found)
    return [(value, label) for _, value, _, label in found]


def test_the_book_scenario_march_then_tuesday(client):
    html = client.get("/post").get_data(as_text=True)
    check_page(html)
    assert "<title>Quiz by POST</title>" in html and FORM in html
    assert "<legend>What month is it?</legend>" in html
    assert radios(html, "month") == [(str(n), name) for n, name in enumerate(MONTHS, 1)]
    assert '<button type="submit">Next &gt;&gt;</button>' in html

    html = post(client, {"month": "3"})
    check_page(html)
    assert "Yes, this is <strong>March</strong>." in html and FORM in html
    assert '<input type="hidden" name="month" value="3">' in html
    assert radios(html, "day") == [(str(n), name) for n, name in enumerate(DAYS)]

    html = post(client, {"month": "3", "day": "1"})
    check_page(html)
    assert "Yes, this is <strong>Tuesday</strong>." in html and "<form" not in html


def test_a_get_always_shows_the_first_form(client):
    html = client.get("/post?month=3&day=1").get_data(as_text=True)
    assert "What month is it?" in html and "Yes" not in html


def test_wrong_answers_ask_again(client):
    html = post(client, {"month": "4"})
    assert SORRY in html and "Yes" not in html and radios(html, "month")
    assert "You answered April: Sorry" in html
    html = post(client, {"month": "3", "day": "0"})
    assert "Yes, this is <strong>March</strong>." in html and SORRY in html
    assert "You answered March: that's right." in html and "You answered Monday: Sorry" in html
    assert radios(html, "day") and '<input type="hidden" name="month" value="3">' in html


def test_a_multipart_form_works_too(client):
    html = post(client, {"month": "3", "day": "1"}, content_type="multipart/form-data")
    assert "Yes, this is <strong>Tuesday</strong>." in html


@pytest.mark.parametrize("answer", NOT_A_MONTH)
def test_a_month_that_is_not_a_choice_is_a_400_that_asks_again(client, answer):
    html = post(client, f"month={answer}&day=1", status=400)
    check_page(html)
    assert "The month must be a whole number from 1 to 12" in html
    assert radios(html, "month") and "Yes" not in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("month=3&day=7", "The weekday must be a whole number from 0 to 6"),
        ("month=3&day=%2B1", "The weekday must be a whole number from 0 to 6"),
        ("month=3&day=" + "1" * 5000, "The weekday must be a whole number from 0 to 6"),
        ("month=3&day=", "The weekday is empty"),
        ("month=", "The month is empty"),
        ("month=3&month=4&day=1", "The month was sent more than once"),
        ("month=3&day=1&day=2", "The weekday was sent more than once"),
    ],
)
def test_bad_answers_are_a_400_that_says_why(client, body, message):
    html = post(client, body, status=400)
    check_page(html)
    assert message in html and FORM in html


def test_a_month_in_the_query_string_that_disagrees_is_refused(client):
    response = client.post("/post?month=4", data={"month": "3", "day": "1"})
    assert response.status_code == 400


@pytest.mark.parametrize("payload", ["<script>alert(1)</script>", '"onmouseover=alert(1)',
                                     "javascript:alert(1)"])
def test_hostile_answers_are_escaped(client, payload):
    html = post(client, {"month": payload}, status=400)
    check_page(html)
    assert f"not “{escape(payload[:20])}" in html


def test_a_body_over_64_kib_is_a_413(client):
    assert client.post("/post", data={"month": "3" * 70_000}).status_code == 413


def test_the_form_posts_back_under_the_mount_point(client):
    html = client.get("/post", base_url="http://localhost/py/").get_data(as_text=True)
    check_page(html, home="/py/")
    assert '<form method="post" action="/py/post">' in html


def test_head_and_other_methods(client):
    full = client.get("/post")
    head = client.head("/post")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == full.headers["Content-Length"]
    put = client.put("/post", data={"month": "3"})
    assert put.status_code == 405 and put.headers["Allow"] == "GET, HEAD, POST"


@pytest.mark.slow
def test_the_quiz_under_the_dev_server_with_a_pinned_date(serve):
    server = serve(env=server_env(WEBQUIZ_TODAY="2024-03-05"))
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for body, expected in [({"month": "3"}, 'name="month" value="3"'),
                               ({"month": "3", "day": "1"}, "<strong>Tuesday</strong>")]:
            connection.request("POST", "/post", body=urlencode(body),
                               headers={"Content-Type": URLENCODED})
            response = connection.getresponse()
            assert response.status == 200 and expected in response.read().decode()
    finally:
        connection.close()
