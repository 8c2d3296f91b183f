"""mod_python POST example, after the book's chapter 19 (post.py): the date quiz by form POST.

Ported to webquiz by changing the mod_python import line only. Open /post.prog and
answer with the radio buttons.
"""

import time
from html import escape
from urllib.parse import quote

from webquiz.mod_python import apache, util

monthmap = {1: "January", 2: "February", 3: "March", 4: "April", 5: "May",
            6: "June", 7: "July", 8: "August", 9: "September", 10: "October",
            11: "November", 12: "December"}

daymap = {0: "Monday", 1: "Tuesday", 2: "Wednesday", 3: "Thursday",
          4: "Friday", 5: "Saturday", 6: "Sunday"}


def myuri(req):
    """This script's URL, quoted for a URL and escaped for HTML."""
    return escape(quote(req.uri))


def getanswer(req, text, choices, what):
    """The answer as a key of choices, or None after a 400 status and a word on why."""
    try:
        answer = int(text)
    except ValueError:
        answer = None
    if answer not in choices:
        req.status = apache.HTTP_BAD_REQUEST
        req.write(f"<b>{escape(text)}</b> is not a {what} number "
                  f"({min(choices)} to {max(choices)}). Try again:<p>\n")
    return answer if answer in choices else None


def month_quiz(req):
    req.write("What month is it?<p>\n")
    req.write(f'<form method="POST" action="{myuri(req)}">\n')
    for code, name in monthmap.items():
        req.write(f'<input name="month" type="radio" value="{code}"> {name}<br>\n')
    req.write('<input type="submit" name="submit" value="Next &gt;&gt;">\n')
    req.write("</form>\n")


def day_quiz(req):
    month = time.localtime()[1]
    req.write("What day is it?<p>\n")
    req.write(f'<form method="POST" action="{myuri(req)}">\n')
    req.write(f'<input type="hidden" name="month" value="{month}">\n')
    for code, name in daymap.items():
        req.write(f'<input name="day" type="radio" value="{code}"> {name}<br>\n')
    req.write('<input type="submit" name="submit" value="Next &gt;&gt;">\n')
    req.write("</form>\n")


def check_month_answer(req, text):
    month = time.localtime()[1]
    answer = getanswer(req, text, monthmap, "month")
    if answer == month:
        req.write(f"Yes, this is <b>{monthmap[month]}</b>.<p>\n")
        return 1
    if answer is not None:
        req.write("Sorry, you're wrong. Try again:<p>\n")
    month_quiz(req)
    return 0


def check_day_answer(req, text):
    day = time.localtime()[6]
    answer = getanswer(req, text, daymap, "day")
    if answer == day:
        req.write(f"Yes, this is <b>{daymap[day]}</b>.\n")
        return 1
    if answer is not None:
        req.write("Sorry, you're wrong. Try again:<p>\n")
    day_quiz(req)
    return 0


def handler(req):
    req.content_type = "text/html"
    if req.header_only:
        return apache.OK

    req.write("""<html>
<head>
<title>mod_python POST Example</title></head><body>
""")

    form = util.FieldStorage(req)

    if form.getfirst("month") is None:
        month_quiz(req)
    elif form.getfirst("day") is None:
        ismonthright = check_month_answer(req, form.getfirst("month"))
        if ismonthright:
            day_quiz(req)
    else:
        ismonthright = check_month_answer(req, form.getfirst("month"))
        if ismonthright:
            check_day_answer(req, form.getfirst("day"))

    req.write("</body></html>\n")
    return apache.OK
