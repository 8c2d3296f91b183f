"""The pathinfo page: the month/weekday quiz answered through PATH_INFO."""

from __future__ import annotations

import urllib.request
from datetime import date
from urllib.parse import quote

import pytest
from markupsafe import escape
from support import NOT_A_MONTH, check_page, server_env

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
TUESDAY_5_MARCH = date(2024, 3, 5)
SORRY = "Sorry, you're wrong. Try again"


@pytest.fixture(autouse=True)
def pinned(today):
    assert TUESDAY_5_MARCH.weekday() == 1
    return today(TUESDAY_5_MARCH)


def get(client, url, status=200, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_the_book_scenario_march_then_tuesday(client):
    html = get(client, "/pathinfo")
    check_page(html)
    assert "<title>Quiz by PATH_INFO</title>" in html and "What month is it?" in html
    for number, name in enumerate(MONTHS, 1):
        assert f'<a href="/pathinfo/{number}">{name}</a>' in html

    html = get(client, "/pathinfo/3")
    check_page(html)
    assert "Yes, this is <strong>March</strong>." in html and "What day is it?" in html
    for number, name in enumerate(DAYS):
        assert f'<a href="/pathinfo/3/{number}">{name}</a>' in html

    html = get(client, "/pathinfo/3/1")
    check_page(html)
    assert "Yes, this is <strong>March</strong>." in html
    assert "Yes, this is <strong>Tuesday</strong>." in html
    assert "<a href=\"/pathinfo/" not in html and "Sorry" not in html


def test_the_answer_follows_the_date(client, today):
    today(date(2025, 12, 28))  # a Sunday
    assert "Yes, this is <strong>Sunday</strong>." in get(client, "/pathinfo/12/6")
    assert SORRY in get(client, "/pathinfo/3/1")


def test_a_wrong_month_asks_the_month_again(client):
    html = get(client, "/pathinfo/4")
    check_page(html)
    assert SORRY in html and "Yes" not in html
    assert '<a href="/pathinfo/3">March</a>' in html and "What day" not in html
    # With a wrong month the weekday is not even looked at.
    assert SORRY in get(client, "/pathinfo/4/1")


def test_a_wrong_weekday_asks_the_weekday_again(client):
    html = get(client, "/pathinfo/3/2")
    check_page(html)
    assert "Yes, this is <strong>March</strong>." in html and SORRY in html
    assert '<a href="/pathinfo/3/1">Tuesday</a>' in html
    assert "<strong>Tuesday</strong>" not in html


@pytest.mark.parametrize("answer", [a for a in NOT_A_MONTH if "%00" not in a])
def test_a_month_that_is_not_a_choice_is_a_400_that_asks_again(client, answer):
    html = get(client, f"/pathinfo/{answer}", status=400)
    check_page(html)
    assert "The month must be a whole number from 1 to 12" in html
    assert '<a href="/pathinfo/3">March</a>' in html and "Yes" not in html


def test_a_nul_in_the_path_is_a_404_as_under_apache(client):
    # Apache answers %00 in a path itself (404); webquiz does the same under every gateway.
    get(client, "/pathinfo/3%00", status=404)


@pytest.mark.parametrize("answer", ["7", "-1", "x", "%D9%A1", "99999999999999999999", "%FF"])
def test_a_weekday_that_is_not_a_choice_is_a_400_that_asks_again(client, answer):
    html = get(client, f"/pathinfo/3/{answer}", status=400)
    check_page(html)
    assert "Yes, this is <strong>March</strong>." in html
    assert "The weekday must be a whole number from 0 to 6" in html
    assert '<a href="/pathinfo/3/1">Tuesday</a>' in html


def test_empty_answers_are_a_400(client):
    assert "The month is empty" in get(client, "/pathinfo//1", status=400)
    assert "The weekday is empty" in get(client, "/pathinfo/3/", status=400)
    # A bare trailing slash is no answer yet: the first question.
    assert "What month is it?" in get(client, "/pathinfo/")


def test_leading_zeros_are_still_numbers(client):
    assert "Yes, this is <strong>Tuesday</strong>." in get(client, "/pathinfo/03/01")


@pytest.mark.parametrize("url", ["/pathinfo/3/1/2", "/pathinfo/3/1/", "/pathinfo/a/b/c/d"])
def test_more_than_two_answers_is_a_404(client, url):
    assert "at most two answers" in get(client, url, status=404)


@pytest.mark.parametrize("payload", ["<script>alert(1)<", '"onmouseover=alert(1)',
                                     "javascript:alert(1)"])
def test_hostile_answers_are_escaped(client, payload):
    html = get(client, "/pathinfo/" + quote(payload, safe=""), status=400)
    check_page(html)  # no script, no event attribute, no javascript: link
    assert f"not “{escape(payload[:20])}" in html  # shown escaped (and cut to 20)


def test_links_follow_the_mount_point_and_the_suffix(client):
    html = get(client, "/pathinfo/3", base_url="http://localhost/py/")
    check_page(html, home="/py/")
    assert '<a href="/py/pathinfo/3/1">Tuesday</a>' in html
    html = get(client, "/pathinfo.prog/3")
    assert '<a href="/pathinfo.prog/3/1">Tuesday</a>' in html


@pytest.mark.slow
def test_the_quiz_under_the_dev_server_with_a_pinned_date(serve):
    server = serve(env=server_env(WEBQUIZ_TODAY="2024-03-05"))
    with urllib.request.urlopen(server.url("/pathinfo/3/1"), timeout=10) as response:
        html = response.read().decode()
    assert "Yes, this is <strong>Tuesday</strong>." in html
    with urllib.request.urlopen(server.url("/pathinfo/3/2"), timeout=10) as response:
        assert SORRY in response.read().decode()


def test_the_answer_given_and_the_verdict_are_said_in_words(client):
    html = get(client, "/pathinfo/4")
    assert "<p class=\"wrong\">You answered April: Sorry, you're wrong. Try again:</p>" in html
    html = get(client, "/pathinfo/3/6")
    assert ("<p class=\"right\">You answered March: that's right."
            " Yes, this is <strong>March</strong>.</p>") in html
    assert "<p class=\"wrong\">You answered Sunday: Sorry, you're wrong. Try again:</p>" in html
    html = get(client, "/pathinfo/3/1")
    assert ("<p class=\"right\">You answered Tuesday: that's right."
            " Yes, this is <strong>Tuesday</strong>.</p>") in html
