"""Set two cookies and delete a third in one response; echo the cookies sent, as JSON."""

import json

from webquiz import OK


def handler(req):
    """Send three Set-Cookie headers and write the cookies that came in."""
    req.content_type = "application/json"
    req.set_cookie("a", "1")
    req.set_cookie("b", "two words", max_age=60)
    req.delete_cookie("c")
    req.write(json.dumps(dict(req.cookies), sort_keys=True))
    return OK
