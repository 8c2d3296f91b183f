"""mod_python's ``apache`` module for webquiz: return codes, SERVER_RETURN, log_error.

A ported handler keeps ``return apache.OK``, ``raise apache.SERVER_RETURN(apache.HTTP_NOT_FOUND)``
and ``apache.log_error(message, apache.APLOG_ERR)`` as they were. Names of mod_python's
``apache`` that webquiz does not provide (``import_module``, ``config_tree``, ...) raise
NotImplementedError saying what to use instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from werkzeug.exceptions import InternalServerError, NotFound, default_exceptions

from ..log import log
from ..results import DECLINED as DECLINED
from ..results import OK as OK
from ..results import HandlerExit
from .request import DONE as DONE
from .request import REMOTE_DOUBLE_REV as REMOTE_DOUBLE_REV
from .request import REMOTE_HOST as REMOTE_HOST
from .request import REMOTE_NAME as REMOTE_NAME
from .request import REMOTE_NOLOOKUP as REMOTE_NOLOOKUP
from .request import ModPythonRequest, Unsupported

#: The request a handler importing this module receives (read by webquiz's dispatcher).
__webquiz_request__ = ModPythonRequest

#: mod_python's older names for OK and DECLINED.
REQ_PROCEED = OK
REQ_NOACTION = DECLINED

# The status codes, by mod_python's names (Apache's, which differ from http.HTTPStatus
# in places: HTTP_MOVED_TEMPORARILY, HTTP_REQUEST_TIME_OUT, HTTP_GATEWAY_TIME_OUT).
HTTP_CONTINUE = 100
HTTP_SWITCHING_PROTOCOLS = 101
HTTP_PROCESSING = 102
HTTP_OK = 200
HTTP_CREATED = 201
HTTP_ACCEPTED = 202
HTTP_NON_AUTHORITATIVE = 203
HTTP_NO_CONTENT = 204
HTTP_RESET_CONTENT = 205
HTTP_PARTIAL_CONTENT = 206
HTTP_MULTI_STATUS = 207
HTTP_MULTIPLE_CHOICES = 300
HTTP_MOVED_PERMANENTLY = 301
HTTP_MOVED_TEMPORARILY = 302
HTTP_SEE_OTHER = 303
HTTP_NOT_MODIFIED = 304
HTTP_USE_PROXY = 305
HTTP_TEMPORARY_REDIRECT = 307
HTTP_BAD_REQUEST = 400
HTTP_UNAUTHORIZED = 401
HTTP_PAYMENT_REQUIRED = 402
HTTP_FORBIDDEN = 403
HTTP_NOT_FOUND = 404
HTTP_METHOD_NOT_ALLOWED = 405
HTTP_NOT_ACCEPTABLE = 406
HTTP_PROXY_AUTHENTICATION_REQUIRED = 407
HTTP_REQUEST_TIME_OUT = 408
HTTP_CONFLICT = 409
HTTP_GONE = 410
HTTP_LENGTH_REQUIRED = 411
HTTP_PRECONDITION_FAILED = 412
HTTP_REQUEST_ENTITY_TOO_LARGE = 413
HTTP_REQUEST_URI_TOO_LARGE = 414
HTTP_UNSUPPORTED_MEDIA_TYPE = 415
HTTP_RANGE_NOT_SATISFIABLE = 416
HTTP_EXPECTATION_FAILED = 417
HTTP_IM_A_TEAPOT = 418
HTTP_UNPROCESSABLE_ENTITY = 422
HTTP_LOCKED = 423
HTTP_FAILED_DEPENDENCY = 424
HTTP_UPGRADE_REQUIRED = 426
HTTP_INTERNAL_SERVER_ERROR = 500
HTTP_NOT_IMPLEMENTED = 501
HTTP_BAD_GATEWAY = 502
HTTP_SERVICE_UNAVAILABLE = 503
HTTP_GATEWAY_TIME_OUT = 504
HTTP_VERSION_NOT_SUPPORTED = 505
HTTP_VARIANT_ALSO_VARIES = 506
HTTP_INSUFFICIENT_STORAGE = 507
HTTP_NOT_EXTENDED = 510

# Log levels (syslog's numbers, as Apache's); APLOG_NOERRNO may be or-ed in and is ignored.
APLOG_EMERG = 0
APLOG_ALERT = 1
APLOG_CRIT = 2
APLOG_ERR = 3
APLOG_WARNING = 4
APLOG_NOTICE = 5
APLOG_INFO = 6
APLOG_DEBUG = 7
APLOG_NOERRNO = 8


class SERVER_RETURN(HandlerExit):  # noqa: N801 (mod_python's name, upper case)
    """End the handler now, as mod_python's ``raise apache.SERVER_RETURN(value)``.

    ``SERVER_RETURN(apache.HTTP_NOT_FOUND)`` (any status from 400) or
    ``SERVER_RETURN(apache.DECLINED)`` sends that error page; ``SERVER_RETURN(apache.OK)``
    or ``DONE`` sends what the handler wrote, with ``req.status``; a 2xx or 3xx status
    sends what was written with that status. ``SERVER_RETURN(result, status)`` (mod_python's
    ``raise SERVER_RETURN, (result, status)``) uses *status* when *result* is OK or DONE.
    With no argument it is a 500, as in mod_python. webquiz carries it as its own
    HandlerExit: the handler ends as if it had returned that value.
    """

    def __init__(
        self, result: int | tuple[int, int | None] = HTTP_INTERNAL_SERVER_ERROR,
        status: int | None = None,
    ) -> None:
        if isinstance(result, tuple) and len(result) == 2 and status is None:
            result, status = result
        for value in (result, status):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                raise TypeError(f"SERVER_RETURN takes OK, DONE, DECLINED or a status: {value!r}")
        assert isinstance(result, int)
        if result not in (OK, DONE, DECLINED) and not 200 <= result <= 599:
            raise ValueError(f"SERVER_RETURN: {result} is not an HTTP status from 200 to 599")
        if status is not None and status != 0 and not 200 <= status <= 599:
            raise ValueError(f"SERVER_RETURN: {status} is not an HTTP status from 200 to 599")
        if result in (OK, DONE):
            super().__init__(status or OK)
        elif result == DECLINED:
            super().__init__(response=NotFound())
        elif result >= 400:  # the error page, whatever was written
            error = default_exceptions.get(result, InternalServerError)
            super().__init__(response=error())
            if error.code != result:
                self.response.code = result
        else:
            super().__init__(result)
        self.args = (result,) if status is None else (result, status)


def log_error(message: str, level: int = APLOG_ERR, server: object = None) -> None:
    """Write *message* to the server's error log, tagged with *level*'s name.

    The log is stderr: Apache's error log under mod_wsgi and CGI, the console under
    ``webquiz serve``. *server* is accepted and ignored (webquiz has one log); inside a
    handler ``req.log_error(message, level)`` writes to the request's own log stream.
    """
    log(None, message, level)


#: Names of mod_python's ``apache`` module webquiz does not provide, with what to use.
UNSUPPORTED = {
    "import_module": "import the module yourself; a handler imports a helper beside it "
                     "with 'from . import _helper'",
    "config_tree": "webquiz reads no Apache configuration",
    "server_root": "webquiz reads no Apache configuration",
    "exists_config_define": "webquiz reads no Apache configuration",
    "mpm_query": "webquiz does not know Apache's MPM",
    "stat": "use os.stat",
    "register_cleanup": "use atexit.register",
    "make_table": "use werkzeug.datastructures.Headers",
    "table": "use werkzeug.datastructures.Headers",
    "allow_methods": "use req.allow_methods(['GET', 'POST'])",
    "main_server": "webquiz has no server object",
    "interpreter": "webquiz runs one interpreter per process",
    "build_cgi_env": "the CGI variables are in req.environ",
    "setup_cgi": "the CGI variables are in req.environ",
    "restore_nocgi": "the CGI variables are in req.environ",
}


def unsupported_names(module: str, label: str, table: dict[str, str]
                      ) -> Callable[[str], NoReturn]:
    """A module ``__getattr__`` (PEP 562): a name of *table* raises Unsupported saying what
    to use instead; any other unknown name is the usual AttributeError. *label* names
    the missing part, ``{}`` standing for the name: ``"apache.{} (mod_python)"``."""

    def __getattr__(name: str) -> NoReturn:
        if name in table:
            raise Unsupported(f"{label.format(name)} is not supported by webquiz: {table[name]}")
        raise AttributeError(f"module {module!r} has no attribute {name!r}")

    return __getattr__


__getattr__ = unsupported_names(__name__, "apache.{} (mod_python)", UNSUPPORTED)

