"""Show the CGI/WSGI variables of this request (PATH_INFO, SCRIPT_NAME, HTTP_*, ...).

Open /environ, or /environ/foo?x=1 to see PATH_INFO and QUERY_STRING filled in. The
book printed the whole process environment; under CGI that holds the web server's own
variables (paths, and sometimes secrets passed with SetEnv), so this page shows only
the request's variables, named in ``SHOWN`` or starting with ``HTTP_``. The values of
the Cookie and Authorization headers are hidden: a script injected into any page of
the site could fetch this one and read the cookies that HttpOnly keeps from it.

Copying it: ``req.environ`` is this request's WSGI environ; read what you need from it,
and escape every value you show (``Markup.format`` does).
"""

from markupsafe import Markup

from webquiz import OK, page

TITLE = "The request's CGI variables"
#: The CGI meta-variables of RFC 3875 worth showing (not the file-system paths
#: PATH_TRANSLATED or SCRIPT_FILENAME), a few common extras, and the WSGI URL scheme.
SHOWN = frozenset({
    "AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE", "GATEWAY_INTERFACE", "PATH_INFO",
    "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "REMOTE_USER",
    "REQUEST_METHOD", "REQUEST_SCHEME", "REQUEST_URI", "SCRIPT_NAME", "SERVER_NAME",
    "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "HTTPS", "wsgi.url_scheme",
})
#: Headers whose values are credentials: shown as hidden.
MASKED = frozenset({"HTTP_COOKIE", "HTTP_AUTHORIZATION", "HTTP_PROXY_AUTHORIZATION"})
ROW = Markup("<dt>{}</dt>\n<dd><code>{}</code></dd>\n")
HOW = Markup(
    "<code>req.environ</code> is this request&#39;s WSGI environ: the CGI variables, and"
    " each request header as <code>HTTP_*</code>. Only the request&#39;s own variables are"
    " listed (never the server&#39;s process environment), and credentials are hidden."
    " Add a path or a query, as in <code>/environ/foo?x=1</code>, to see them arrive."
)


def request_variables(environ):
    """Yield (name, value) for this request's string variables, sorted, secrets masked."""
    for name in sorted(environ):
        value = environ[name]
        if not isinstance(value, str) or not (name in SHOWN or name.startswith("HTTP_")):
            continue
        if name in MASKED:
            yield name, f"(hidden: {len(value)} characters)"
        else:
            # WSGI carries the raw bytes as latin-1; show them as the UTF-8 they usually are.
            yield name, value.encode("latin-1", "replace").decode("utf-8", "replace")


def handler(req):
    """Write a definition list of the request's CGI variables."""
    req.allow_methods("GET", "HEAD")
    rows = Markup("").join(ROW.format(*variable) for variable in request_variables(req.environ))
    body = Markup("<p>The variables of this request:</p>\n<dl>\n{}</dl>\n").format(rows)
    req.write(page(req, TITLE, body, how=HOW))
    return OK
