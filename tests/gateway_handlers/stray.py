"""Print to stdout, as old CGI scripts do: under CGI that must not corrupt the response."""

from webquiz import OK


def handler(req):
    """Print a line (it belongs in the error log), then write the page."""
    print(f"stray output {req.form.getfirst('token', '')}")
    req.content_type = "text/plain"
    req.write("clean")
    return OK
