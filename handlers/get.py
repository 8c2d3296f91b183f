"""The month and weekday quiz, answered through the query string (GET).

Open /get: it asks the month with links to /get?month=1 ... /get?month=12; a right
answer asks the weekday with links to /get?month=M&day=0 ... &day=6 (Monday is 0).
The page reads the fields with ``req.form.getlist``, as the book's ``FieldStorage``
code did, and builds its links with ``req.url(month=..., day=...)``, which URL-encodes
the query string.

The quiz itself is in ``_quiz.py`` (shared with the pathinfo and post pages): copy it
along with this file. For your own page, keep the shape and change the fields.
"""

from markupsafe import Markup

from webquiz import OK, page

from . import _quiz

TITLE = "Quiz by GET"
HOW = Markup(
    "Each link carries the answers in its query string: <code>/get?month=3&amp;day=1</code>"
    " answers March, then Tuesday (Monday is 0). The handler reads them with"
    " <code>req.form.getlist</code> and builds the links with <code>req.url(month=...)</code>,"
    " which URL-encodes them. Nothing is kept on the server."
)
LINK = Markup('<li><a href="{}">{}</a></li>\n')


def ask_month(req):
    """Ask the month: one link per month, the answer in ``?month=``."""
    links = Markup("").join(
        LINK.format(req.url(month=number), name) for number, name in enumerate(_quiz.MONTHS, 1)
    )
    return Markup('<p>What month is it?</p>\n<ul class="choices">\n{}</ul>\n').format(links)


def ask_day(req, month):
    """Ask the weekday: links that carry the month already answered."""
    links = Markup("").join(
        LINK.format(req.url(month=month, day=number), name)
        for number, name in enumerate(_quiz.WEEKDAYS)
    )
    return Markup('<p>What day is it?</p>\n<ul class="choices">\n{}</ul>\n').format(links)


def handler(req):
    """Read the answers from the query string and write the next step of the quiz."""
    req.allow_methods("GET", "HEAD")
    req.status, body = _quiz.play(
        req.form.getlist("month"), req.form.getlist("day"),
        lambda: ask_month(req), lambda month: ask_day(req, month),
    )
    req.write(page(req, TITLE, body, how=HOW))
    return OK
