"""Raise an exception: the client must get a plain 500, the log the traceback."""


def handler(req):
    """Fail with a message that must reach the error log and never the page."""
    raise ValueError(f"secret {req.form.getfirst('token', '')}")
