"""Escaping: the same text made safe for HTML, for an attribute, and for a URL.

Open /escape and type ``<&?+"> test``: the page shows it as HTML text
(``&lt;&amp;?+&#34;&gt; test`` in the source), inside a link whose query string is
URL-encoded (``?data=%3C%26%3F%2B%22%3E+test``), and back in the input's ``value``.
Skipping either escape lets a visitor inject markup or script into the page (XSS).

Copying it: build HTML with ``Markup("...{}...").format(value)``, which escapes each
value for HTML text and quoted attributes, and URLs with ``req.url(name=value)``, which
URL-encodes them. Never wrap client data in ``Markup`` or format it with ``%`` or an
f-string.
"""

from markupsafe import Markup

from webquiz import OK, page

TITLE = "Escaping"
SHOWN = Markup(
    '<p>Submitted data:</p>\n<p><a href="{link}"><code>{text}</code></a></p>\n'
)
FORM = Markup(
    '<form method="get" action="{action}">\n'
    '<p><label for="data">Supply some data:</label>\n'
    '<input type="text" id="data" name="data" size="40" value="{value}">\n'
    '<button type="submit">Show it escaped</button></p>\n</form>\n'
)
HOW = Markup(
    "What you type comes back three times: as HTML text and in the input&#39;s"
    " <code>value</code> attribute, both escaped by <code>Markup.format</code>, and in the"
    " link&#39;s query string, URL-encoded by <code>req.url(data=...)</code>. Try"
    " <code>&lt;script&gt;alert(1)&lt;/script&gt;</code>: it shows as text and never runs."
)


def handler(req):
    """Show the submitted ``data`` escaped for HTML and for a URL, and the form again."""
    req.allow_methods("GET", "HEAD")
    data = req.form.getfirst("data")
    if data is None:
        shown = Markup("<p>No submitted data.</p>\n")
    else:
        # The same value, escaped twice over for two places: URL-encoded by req.url for
        # the query string, then HTML-escaped (with the rest) by Markup.format.
        shown = SHOWN.format(link=req.url(data=data), text=data or "(empty)")
    body = shown + FORM.format(action=req.url(), value=data or "")
    req.write(page(req, TITLE, body, how=HOW))
    return OK
