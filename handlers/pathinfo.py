"""The month and weekday quiz, answered through extra path segments (PATH_INFO).

Open /pathinfo: it asks the month with links to /pathinfo/1 ... /pathinfo/12; a right
answer asks the weekday with links to /pathinfo/M/0 ... /pathinfo/M/6 (Monday is 0),
and /pathinfo/M/D checks both. The links are built from SCRIPT_NAME (``req.url``), so
they work wherever the pack is mounted.

The quiz itself is in ``_quiz.py`` (shared with the get and post pages): copy it along
with this file. To make your own path-driven page, keep the reading of
``req.path_info`` and change what the segments mean.
"""

from markupsafe import Markup

from webquiz import OK, NotFound, page

from . import _quiz

TITLE = "Quiz by PATH_INFO"
HOW = Markup(
    "Each answer is a path segment after the page&#39;s name: <code>/pathinfo/3/1</code>"
    " answers March, then Tuesday (Monday is 0). The handler splits"
    " <code>req.path_info</code>; the links are built with <code>req.url(month, day)</code>,"
    " so they work wherever the pack is mounted. Nothing is kept on the server."
)
LINK = Markup('<li><a href="{}">{}</a></li>\n')


def ask_month(req):
    """Ask the month: one link per month, the answer as the next path segment."""
    links = Markup("").join(
        LINK.format(req.url(number), name) for number, name in enumerate(_quiz.MONTHS, 1)
    )
    return Markup('<p>What month is it?</p>\n<ul class="choices">\n{}</ul>\n').format(links)


def ask_day(req, month):
    """Ask the weekday: links that carry the month already answered."""
    links = Markup("").join(
        LINK.format(req.url(month, number), name) for number, name in enumerate(_quiz.WEEKDAYS)
    )
    return Markup('<p>What day is it?</p>\n<ul class="choices">\n{}</ul>\n').format(links)


def handler(req):
    """Read up to two answers from the path and write the next step of the quiz."""
    req.allow_methods("GET", "HEAD")
    # "/3/4" -> ["3", "4"]; "" and "/" -> no answer yet.
    answers = req.path_info.split("/")[1:] if req.path_info not in ("", "/") else []
    if len(answers) > 2:
        raise NotFound("This quiz takes at most two answers: /pathinfo/MONTH/WEEKDAY.")
    req.status, body = _quiz.play(
        answers[:1], answers[1:], lambda: ask_month(req), lambda month: ask_day(req, month)
    )
    req.write(page(req, TITLE, body, how=HOW))
    return OK
