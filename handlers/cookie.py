"""Cookies: list those the browser sent, set ``testcookie`` to a colour, delete it.

Open /cookie, pick a colour and press "Set the cookie" (the URL becomes
/cookie?cookieval=Blue&action=setCookie), then come back: the cookie is listed.
/cookie?action=delCookie deletes it. The cookie lasts a year and is HttpOnly (scripts
in the page cannot read it), SameSite=Lax (not sent along with other sites' embedded
requests), Secure when the page is served over https, and its Path is the pack's
mount point, so every page of the pack receives it. A value that is not one of the
colours is refused with a 400 and nothing is set.

Copying it: change ``COOKIE`` and ``COLOURS``; keep the attributes. Never store
anything in a cookie you would not let the visitor edit: the browser sends back
whatever it holds.
"""

from markupsafe import Markup

from webquiz import OK, page

TITLE = "Cookies"
COOKIE = "testcookie"
COLOURS = ("Red", "Green", "Blue", "White", "Black")
ONE_YEAR = 365 * 24 * 60 * 60
RADIO = Markup(
    '<div><input type="radio" name="cookieval" id="colour-{0}" value="{0}" required>'
    ' <label for="colour-{0}">{0}</label></div>\n'
)
FORM = Markup(
    '<form method="get" action="{action}">\n<fieldset>\n'
    "<legend>Set {cookie} to:</legend>\n{radios}</fieldset>\n"
    '<p><button type="submit" name="action" value="setCookie">Set the cookie</button></p>\n'
    "</form>\n"
)
BACK = Markup('<p><a href="{}">Back to the cookie page</a></p>\n')
HOW = Markup(
    "Setting the cookie sends a <code>Set-Cookie</code> header; from then on your browser"
    " sends the cookie back with every request to the pack, and this page lists what it"
    " receives (<code>req.cookies</code>). Deleting sends the cookie again, already"
    " expired, so the browser drops it."
)


class Refused(Exception):
    """A request this page answers with a 400 and changes nothing for; the text says why."""


def one(req, name):
    """The value sent for *name*, None if none; refused if several values differ."""
    values = set(req.form.getlist(name))
    if len(values) > 1:
        raise Refused(f"The field “{name}” was sent more than once, with different values.")
    return values.pop() if values else None


def cookie_options(req):
    """The attributes of our cookie; Secure only over https (browsers drop it on http)."""
    return {"httponly": True, "samesite": "Lax", "secure": req.request.scheme == "https"}


def show_cookies(req):
    """List the cookies sent, a link to delete ours, and the form to set it."""
    sent = Markup("").join(
        Markup("<li><code>{}</code>: <code>{}</code></li>\n").format(name, value)
        for name, value in req.cookies.items(multi=True)
    )
    if sent:
        body = Markup("<p>Found the following cookies:</p>\n<ul>\n{}</ul>\n").format(sent)
    else:
        body = Markup("<p>Your browser sent no cookies.</p>\n")
    if COOKIE in req.cookies:
        body += Markup('<p><a href="{}">Delete {}</a></p>\n').format(
            req.url(action="delCookie"), COOKIE)
    radios = Markup("").join(RADIO.format(colour) for colour in COLOURS)
    return body + FORM.format(action=req.url(), cookie=COOKIE, radios=radios)


def act(req, action):
    """Set or delete the cookie; return what to say about it."""
    if action == "setCookie":
        value = one(req, "cookieval")
        if value not in COLOURS:
            raise Refused(f"Choose one of the colours: {', '.join(COLOURS)}.")
        req.set_cookie(COOKIE, value, max_age=ONE_YEAR, **cookie_options(req))
        return Markup("<p>The cookie {} has been set to {}.</p>\n").format(COOKIE, value)
    if action == "delCookie":
        req.delete_cookie(COOKIE, **cookie_options(req))
        return Markup("<p>The cookie {} has been deleted.</p>\n").format(COOKIE)
    raise Refused(f"Unknown action “{action}”: use setCookie or delCookie.")


def handler(req):
    """Do what ``action`` asks and link back, or show the cookies and the form."""
    req.allow_methods("GET", "HEAD")
    try:
        action = one(req, "action")
        if action is None:
            body = show_cookies(req)
        else:
            body = act(req, action) + BACK.format(req.url())
    except Refused as why:
        req.status = 400
        body = Markup("<p>{} Nothing was changed.</p>\n").format(why) + BACK.format(req.url())
    req.write(page(req, TITLE, body, how=HOW))
    return OK
