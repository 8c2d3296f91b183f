"""Show the current time: the smallest dynamic page.

The book's first CGI script. Open /simple (or /simple.cgi, /simple.prog): each
request computes the page anew, so reloading shows a new time.

Copying it: keep the shape (docstring, imports, ``handler(req)`` that sets the
content type, writes the page and returns OK) and change what is written.
"""

from datetime import datetime

from markupsafe import Markup

from webquiz import OK, page

TITLE = "The current time"
HOW = Markup(
    "The handler runs anew for every request: it reads the server&#39;s clock, puts the"
    " time into the page with <code>Markup.format</code> (which escapes what it inserts)"
    " and returns <code>OK</code>. Reload the page to see the time change."
)


def handler(req):
    """Write the server's local date and time."""
    req.allow_methods("GET", "HEAD")
    req.content_type = "text/html"
    now = datetime.now().astimezone()
    body = Markup('<p>The time on this server is <time datetime="{}">{}</time>.</p>').format(
        now.isoformat(timespec="seconds"), now.strftime("%A, %d %B %Y, %H:%M:%S %Z")
    )
    req.write(page(req, TITLE, body, how=HOW))
    return OK
