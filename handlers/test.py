"""Say the pack is working, and show who is serving this request.

mod_python's "is working" page from the book. Open /test (or /test.prog/extra/path
to see PATH_INFO filled in). It shows the client's address, the URI, this handler's
file, the path info, and the Python, werkzeug and gateway that serve it.
"""

import sys
from importlib.metadata import version

from markupsafe import Markup

from webquiz import OK, page

TITLE = "webquiz is working"
HOW = Markup(
    "The handler reads a few attributes of <code>req</code>, the mod_python-style request"
    " object (<code>remote_addr</code>, <code>uri</code>, <code>path_info</code>,"
    " <code>gateway</code>), and the versions of Python and werkzeug. Add a path after the"
    " page&#39;s name, as in <code>/test/extra/path</code>, to fill in the path info."
)
ROW = Markup("<dt>{}</dt><dd>{}</dd>\n")


def handler(req):
    """Write a definition list of facts about this request and this server."""
    req.allow_methods("GET", "HEAD")
    req.content_type = "text/html"
    if req.header_only:
        # A HEAD request gets the headers only: no need to build the page.
        return OK
    facts = [
        ("Client IP", req.remote_addr),
        ("URI", req.uri),
        ("Handler file", req.filename),
        ("Path info", req.path_info),
        ("Python version", sys.version),
        ("Werkzeug version", version("werkzeug")),
        ("Gateway", req.gateway),
    ]
    rows = Markup("").join(ROW.format(name, value) for name, value in facts)
    body = Markup(
        "<p>You have successfully set up webquiz. Here is some information about the "
        "environment and this request:</p>\n<dl>\n{}</dl>"
    ).format(rows)
    req.write(page(req, TITLE, body, how=HOW))
    return OK
