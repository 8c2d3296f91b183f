"""What a handler may return, and ``HandlerExit`` to return it from deeper down.

``handler(req)`` returns ``OK`` (or None) when it wrote its page, an HTTP status (an int
from 100 to 599), ``DECLINED`` when the request is not for it (a 404), or a werkzeug
Response it built itself; or it raises an HTTP error (``raise BadRequest("why")``).
``raise HandlerExit(result)`` ends it anywhere as if it had returned *result*.
"""

from __future__ import annotations

from typing import Any

#: A handler returns OK when it wrote its page (mod_python's ``apache.OK``).
OK = 0
#: A handler returns DECLINED when the request is not for it: the client gets a 404.
DECLINED = -1


class HandlerExit(Exception):  # noqa: N818 (it is not an error: a way to return)
    """End the handler now, as if it had returned *result*.

    With *response*, that is sent instead of what the handler wrote, with the headers the
    handler set (``req.headers_out``): a werkzeug Response, or an HTTPException (the error
    page, as if the handler had raised it).
    """

    def __init__(self, result: Any = OK, response: Any = None) -> None:
        super().__init__(result)
        self.result = result
        self.response = response
