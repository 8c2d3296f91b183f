"""Write a fixed greeting: the benchmarks' measure of the machinery alone."""

from webquiz import OK

BODY = b"Hello, world!\n"


def handler(req):
    """Write the same bytes as the reference hellos, so only the machinery differs."""
    req.content_type = "text/plain"
    req.write(BODY)
    return OK
