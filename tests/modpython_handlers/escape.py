"""mod_python escape example, after the book's chapter 19 (escape.py): HTML and URL escaping.

Ported to webquiz by changing the mod_python import line only; the book's
``cgi.escape`` (gone from Python) is ``html.escape``, ``urllib.quote_plus`` is
``urllib.parse.quote_plus``. Open /escape.prog and submit ``<&?+"> test``.
"""

from html import escape
from urllib.parse import quote, quote_plus

from webquiz.mod_python import apache, util


def handler(req):
    req.content_type = "text/html"
    if req.header_only:
        # Don't supply the body
        return apache.OK

    req.write("""<html>
<head>
<title>mod_python Escape Example</title></head><body>
""")

    myuri = escape(quote(req.uri))
    form = util.FieldStorage(req)

    if form.getfirst("data") is None:
        req.write("No submitted data.<p>\n")
    else:
        data = form.getfirst("data")
        req.write("Submitted data:<p>\n")
        # quote_plus for the URL (its output holds no HTML special character),
        # escape for the text of the page.
        req.write(f'<a href="{myuri}?data={quote_plus(data)}"><tt>{escape(data)}</tt></a><p>\n')

    req.write(f"""<form method="GET" action="{myuri}">
Supply some data:
<input type="text" name="data" width="40">
<input type="submit" name="submit" value="Submit">
</form>
</body></html>
""")

    return apache.OK
