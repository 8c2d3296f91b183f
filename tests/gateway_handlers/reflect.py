"""Put client data into response headers, as a careless page would: the machinery must
refuse CR, LF and NUL (and names that are no token) with a 400 under every gateway.

/reflect/header?v=V sets ``X-Echo: V``; /reflect/name?v=N sets a header named N;
/reflect/cookie?name=N&value=V sets a cookie; /reflect/response?v=V returns a werkzeug
Response of its own carrying ``X-Echo: V``; /reflect/ctype?v=V sets ``req.content_type``
to V; /reflect/flush?v=V does the same (but "fine": text/plain), then
writes and flushes part of the page before the rest;
/reflect/redirect?v=URL redirects there with ``req.redirect``.
"""

from werkzeug.wrappers import Response

from webquiz import OK, NotFound


def handler(req):
    """Copy the query's values into a header or a cookie, unchecked; write ``ok``."""
    how = req.path_info.strip("/")
    value = req.form.getfirst("v", "")
    if how == "header":
        req.headers_out["X-Echo"] = value
    elif how == "name":
        req.headers_out[value] = "x"
    elif how == "cookie":
        req.set_cookie(req.form.getfirst("name", ""), req.form.getfirst("value", ""))
    elif how == "ctype":
        req.content_type = value
        req.write("ok")
        return OK
    elif how == "flush":
        req.content_type = "text/plain" if value == "fine" else value
        req.write("o")
        req.flush()
        req.write("k")
        return OK
    elif how == "redirect":
        req.redirect(value)
    elif how == "response":
        response = Response("ok", content_type="text/plain")
        response.headers["X-Echo"] = value
        return response
    else:
        raise NotFound("Use /reflect/header, /reflect/name, /reflect/cookie or /reflect/response.")
    req.content_type = "text/plain"
    req.write("ok")
    return OK
