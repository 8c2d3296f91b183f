"""The month and weekday quiz, answered with a form sent by POST.

Open /post: a form of radio buttons named ``month`` and a "Next >>" button; a right
answer shows a form of radio buttons named ``day`` (Monday is 0), the month travelling
along in a hidden field. A GET always shows the first form; a POST's answers are read
with ``req.form.getlist`` (like the book's FieldStorage, it also sees the query string),
and the form's action is ``req.url()``, so it posts back to this page wherever the pack
is mounted.

The quiz itself is in ``_quiz.py`` (shared with the pathinfo and get pages): copy it
along with this file. For your own form, keep the labels on the inputs (a click on the
word ticks the button, and screen readers name it) and change the fields.
"""

from markupsafe import Markup

from webquiz import OK, page

from . import _quiz

TITLE = "Quiz by POST"
HOW = Markup(
    "The answers travel in the body of a POST: radio buttons named <code>month</code>, then"
    " <code>day</code> (Monday is 0), with the month carried along in a hidden field. The"
    " handler reads them with <code>req.form.getlist</code>; nothing is kept on the server,"
    " and reloading a posted page asks the browser to send the form again."
)
FORM = Markup(
    '<form method="post" action="{action}">\n<fieldset>\n<legend>{question}</legend>\n'
    "{hidden}{choices}</fieldset>\n"
    '<p><button type="submit">Next &gt;&gt;</button></p>\n</form>\n'
)
CHOICE = Markup(
    '<div><input type="radio" name="{name}" id="{name}-{value}" value="{value}" required>'
    ' <label for="{name}-{value}">{label}</label></div>\n'
)


def choices(name, labels, first):
    """Radio buttons named *name*, valued from *first*, each with its label."""
    return Markup("").join(
        CHOICE.format(name=name, value=value, label=label)
        for value, label in enumerate(labels, first)
    )


def ask_month(req):
    """Ask the month: a form of twelve radio buttons."""
    return FORM.format(action=req.url(), question="What month is it?", hidden="",
                       choices=choices("month", _quiz.MONTHS, 1))


def ask_day(req, month):
    """Ask the weekday: seven radio buttons, and the month answered in a hidden field."""
    hidden = Markup('<input type="hidden" name="month" value="{}">\n').format(month)
    return FORM.format(action=req.url(), question="What day is it?", hidden=hidden,
                       choices=choices("day", _quiz.WEEKDAYS, 0))


def handler(req):
    """Show the month form on GET; check a POSTed form and write the next step."""
    req.allow_methods("GET", "HEAD", "POST")
    if req.method == "POST":
        months, days = req.form.getlist("month"), req.form.getlist("day")
    else:
        months, days = [], []
    req.status, body = _quiz.play(
        months, days, lambda: ask_month(req), lambda month: ask_day(req, month)
    )
    req.write(page(req, TITLE, body, how=HOW))
    return OK
