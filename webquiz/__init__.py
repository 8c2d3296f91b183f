"""webquiz: the classic CGI and mod_python example pages, rebuilt on WSGI.

A handler module needs one import line::

    from webquiz import OK, BadRequest

    def handler(req):
        req.content_type = "text/plain"
        req.write("Hello")
        return OK

``make_app(handlers=DIR)`` returns the WSGI application for any server.
"""

from werkzeug.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    MethodNotAllowed,
    NotFound,
    RequestEntityTooLarge,
)

from .app import WebQuiz, make_app
from .html import Frame, page
from .request import Form, HandlerRequest
from .results import DECLINED, OK, HandlerExit

__version__ = "0.1.0"

__all__ = [
    "DECLINED",
    "OK",
    "BadRequest",
    "Forbidden",
    "Form",
    "Frame",
    "HTTPException",
    "HandlerExit",
    "HandlerRequest",
    "MethodNotAllowed",
    "NotFound",
    "RequestEntityTooLarge",
    "WebQuiz",
    "make_app",
    "page",
]
