"""The month/weekday quiz shared by the pathinfo, get and post pages (a private helper).

The book copied this logic into each of its three quiz scripts; here it lives once.
Its name starts with ``_``, so the dispatcher never routes a URL to it; a page imports
it with ``from . import _quiz``. When you copy a quiz page, copy this file beside it.

A page supplies the answers it received and two functions that render a question its
own way (links or a form); ``play`` checks the answers against today's date and returns
the status and the body of the next step. Answers are strict: ASCII digits only, at
most four of them, then a range check (``int()`` alone would take " 12 ", "+5", "1_000"
or "١٢"). Anything else is a 400 page that says what was wrong and asks again.

Today's date comes from the server's local clock, read once per request by ``today()``.
Set the environment variable ``WEBQUIZ_TODAY=YYYY-MM-DD`` to pin it (for demos and
tests); tests in the same process may also replace ``today``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import date

from markupsafe import Markup

#: Month names; month number N is ``MONTHS[N - 1]``.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
#: Weekday names by ``date.weekday()``: Monday is 0, Sunday is 6.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
#: The environment variable that pins today's date.
TODAY_ENV = "WEBQUIZ_TODAY"

#: An answer: one to four ASCII digits, nothing else (no sign, space, "_" or other script).
DIGITS = re.compile(r"[0-9]{1,4}")

#: What the page says to an answer, in words (the colour of the class only adds to them).
RIGHT = Markup("<p class=\"right\">You answered {0}: that's right."
               " Yes, this is <strong>{0}</strong>.</p>\n")
WRONG = Markup("<p class=\"wrong\">You answered {}: Sorry, you're wrong. Try again:</p>\n")
INVALID = Markup('<p class="error">{}</p>\n')


class InvalidAnswer(ValueError):
    """An answer that is not one of the choices offered; its text says why."""


def today() -> date:
    """Return today's local date, or the one pinned by $WEBQUIZ_TODAY (YYYY-MM-DD)."""
    pinned = os.environ.get(TODAY_ENV)
    if pinned:
        return date.fromisoformat(pinned)
    return date.today()


def number(answers: Sequence[str], what: str, low: int, high: int) -> int:
    """Return the one answer given for *what* as an int from *low* to *high*.

    The same value sent twice counts once; different values, an empty value, or
    anything but one to four ASCII digits in range raise InvalidAnswer.
    """
    values = set(answers)
    if len(values) > 1:
        raise InvalidAnswer(f"The {what} was sent more than once, with different values.")
    (text,) = values
    if text == "":
        raise InvalidAnswer(f"The {what} is empty: choose one.")
    if DIGITS.fullmatch(text) and low <= int(text) <= high:
        return int(text)
    # Shown back cut short, control characters (not allowed in HTML text) replaced.
    shown = "".join(c if c.isprintable() else "\ufffd" for c in text[:20])
    shown += "…" if len(text) > 20 else ""
    raise InvalidAnswer(f"The {what} must be a whole number from {low} to {high}, not “{shown}”.")


def play(
    months: Sequence[str],
    days: Sequence[str],
    ask_month: Callable[[], Markup],
    ask_day: Callable[[int], Markup],
) -> tuple[int, Markup]:
    """Check the answers given so far; return the status and body of the next step.

    *months* and *days* are every value received for each answer (empty: not answered
    yet). ``ask_month()`` renders the month question; ``ask_day(month)`` the weekday
    question, carrying the month already answered.
    """
    now = today()  # once, so the month and the weekday come from the same day
    if not months:
        return 200, ask_month()
    try:
        month = number(months, "month", 1, 12)
    except InvalidAnswer as error:
        return 400, INVALID.format(error) + ask_month()
    if month != now.month:
        return 200, WRONG.format(MONTHS[month - 1]) + ask_month()

    body = RIGHT.format(MONTHS[month - 1])
    if not days:
        return 200, body + ask_day(month)
    try:
        day = number(days, "weekday", 0, 6)
    except InvalidAnswer as error:
        return 400, body + INVALID.format(error) + ask_day(month)
    if day != now.weekday():
        return 200, body + WRONG.format(WEEKDAYS[day]) + ask_day(month)
    return 200, body + RIGHT.format(WEEKDAYS[day])
