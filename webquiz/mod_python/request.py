"""The request a ported mod_python handler receives: webquiz's, plus mod_python's names.

A handler module that imports ``webquiz.mod_python``'s ``apache`` or ``util`` (or, through
the alias, ``mod_python``'s) gets a ``ModPythonRequest`` (the dispatcher reads the
``__webquiz_request__`` those modules name). The core never sees these names: everything
mod_python-specific lives here, over the native request.
"""

from __future__ import annotations

import io
from functools import cached_property
from typing import Any
from urllib.parse import quote

from werkzeug.datastructures import Headers

from ..finalize import WSGIApp
from ..request import HandlerRequest, wsgi_text
from ..results import OK

#: mod_python's ``apache.DONE`` (the response is complete): sent as OK.
DONE = -2
#: ``req.get_remote_host(type)`` values (mod_python's ``apache.REMOTE_*``).
REMOTE_HOST, REMOTE_NAME, REMOTE_NOLOOKUP, REMOTE_DOUBLE_REV = 0, 1, 2, 3


class Unsupported(NotImplementedError):
    """A part of mod_python's API that webquiz does not provide; the message says what to do."""


class UnsupportedAttribute(Unsupported, AttributeError):
    """An unsupported mod_python request attribute.

    Also an AttributeError, so ``hasattr(req, "connection")`` is False, as code that
    probes for optional features expects; reading it raises this with the hint.
    """


#: mod_python request attributes webquiz does not provide, with what to use instead.
#: Reading one raises UnsupportedAttribute; any other unknown name is a plain AttributeError.
MOD_PYTHON_UNSUPPORTED: dict[str, str] = {
    "connection": "the client's address is req.remote_addr; the rest is in req.environ",
    "server": "log with req.log_error(message, level); the host name is req.hostname",
    "main": "webquiz makes no subrequests",
    "prev": "webquiz makes no internal redirects",
    "next": "webquiz makes no internal redirects",
    "get_config": "webquiz reads no Python* directives; configure the handler in Python",
    "get_options": "read settings from os.environ (there is no PythonOption)",
    "add_handler": "call the other handler function yourself",
    "add_input_filter": "webquiz runs no Apache filters",
    "add_output_filter": "webquiz runs no Apache filters",
    "register_input_filter": "webquiz runs no Apache filters",
    "register_output_filter": "webquiz runs no Apache filters",
    "register_cleanup": "use try/finally in the handler",
    "internal_redirect": "call the other handler, or util.redirect(req, url) for the client",
    "sendfile": "return werkzeug.utils.send_file(path, req.environ)",
    "add_common_vars": "the CGI variables are already in req.environ",
    "subprocess_env": "the CGI variables are in req.environ",
    "notes": "keep what you need as an attribute of req",
    "document_root": "webquiz serves handlers, not a document tree",
    "get_basic_auth_pw": "use req.request.authorization (werkzeug)",
    "user": "use req.environ.get('REMOTE_USER')",
    "ap_auth_type": "use req.environ.get('AUTH_TYPE')",
    "auth_name": "authentication is configured in Apache, not here",
    "auth_type": "authentication is configured in Apache, not here",
    "requires": "authentication is configured in Apache, not here",
    "construct_url": "use req.request.host_url",
    "is_https": "use req.request.is_secure",
    "ssl_var_lookup": "mod_ssl's SSL_* variables are in req.environ under Apache",
    "meets_conditions": "return a werkzeug Response and call make_conditional(req.request)",
    "set_etag": "return a werkzeug Response and call add_etag()",
    "set_last_modified": "set req.headers_out['Last-Modified']",
    "update_mtime": "set req.headers_out['Last-Modified']",
    "mtime": "use os.stat(req.filename).st_mtime",
    "finfo": "use os.stat(req.filename)",
    "set_content_length": "webquiz sets Content-Length from what was written",
    "parsed_uri": "use urllib.parse.urlsplit(req.unparsed_uri)",
    "interpreter": "webquiz runs one interpreter per process",
    "phase": "webquiz runs content handlers only",
    "request_time": "use time.time() when the handler starts",
}


class ModPythonRequest(HandlerRequest):
    """webquiz's request with the members of mod_python's request object that a page uses."""

    def allow_methods(self, *methods: Any) -> None:
        """mod_python's ``req.allow_methods(["GET", "POST"][, reset])`` adds the methods to
        the Allow header (sent with the 405 such a handler then returns); given strings,
        webquiz's own form: a 405 unless the method is one of them."""
        if methods and not isinstance(methods[0], str):
            reset = len(methods) > 1 and methods[1]
            known = [] if reset else self.headers_out.get("Allow", "").split(", ")
            allowed = dict.fromkeys(m for m in [*known, *methods[0]] if m)
            self.headers_out["Allow"] = ", ".join(allowed)
            return
        super().allow_methods(*methods)

    def write(self, data: str | bytes, flush: int = 1) -> None:
        """Append *data* to the body; *flush* is accepted for mod_python's
        ``req.write(data, 0)`` (the body is sent when the handler returns or flushes)."""
        super().write(data)

    @property
    def canonical_filename(self) -> str:
        """The handler's module file, as ``filename`` (already absolute and resolved)."""
        return self.filename

    @property
    def err_headers_out(self) -> Headers:
        """The ``headers_out`` table itself: webquiz sends it with error pages too."""
        return self.headers_out

    @property
    def unparsed_uri(self) -> str:
        """The request target as the client sent it: path and query, still %-encoded."""
        raw = self.environ.get("REQUEST_URI") or self.environ.get("RAW_URI")
        if not raw:
            path = self.environ.get("SCRIPT_NAME", "") + self.environ.get("PATH_INFO", "")
            raw = quote(path.encode("latin-1", "replace"), safe="/;:@&=+$,!~*'()")
            if self.environ.get("QUERY_STRING"):
                raw += "?" + self.environ["QUERY_STRING"]
        return wsgi_text(raw)

    @property
    def hostname(self) -> str:
        """The host the client asked for (Host header, else the server's name), no port.

        >>> from werkzeug.test import EnvironBuilder
        >>> env = EnvironBuilder(headers={"Host": "[::1]:8000"}).get_environ()
        >>> ModPythonRequest(env).hostname
        '::1'
        """
        host = self.request.host.lower()
        if host.startswith("["):  # an IPv6 literal, [::1]:8000
            return host[1:].partition("]")[0]
        return host.partition(":")[0]

    @property
    def protocol(self) -> str:
        """The protocol of the request line, ``HTTP/1.1`` (CGI's SERVER_PROTOCOL)."""
        return str(self.environ.get("SERVER_PROTOCOL") or "HTTP/1.0")

    @property
    def the_request(self) -> str:
        """The request line: ``GET /test.prog?x=1 HTTP/1.1``."""
        return f"{self.method} {self.unparsed_uri} {self.protocol}"

    def get_remote_host(
        self, type: int = REMOTE_NAME, str_is_ip: object = None
    ) -> str | tuple[str, bool] | None:
        """The client's host name or address, as mod_python's, never by a DNS lookup.

        webquiz answers as Apache with ``HostnameLookups Off``: a name only when the
        server already looked it up (REMOTE_HOST in the environment). REMOTE_NAME and
        REMOTE_NOLOOKUP give that name, else the address; REMOTE_HOST gives the name or
        None; REMOTE_DOUBLE_REV gives None (nothing here verifies a name). With
        *str_is_ip* not None the answer is ``(host, is_ip)``.
        """
        if type not in (REMOTE_HOST, REMOTE_NAME, REMOTE_NOLOOKUP, REMOTE_DOUBLE_REV):
            raise ValueError(f"get_remote_host: type must be one of apache.REMOTE_*, not {type!r}")
        name = str(self.environ.get("REMOTE_HOST") or "") or None
        if name == self.remote_addr:
            name = None  # some servers fill REMOTE_HOST with the address itself
        if type == REMOTE_DOUBLE_REV or (type == REMOTE_HOST and name is None):
            return None
        host, is_ip = (name, False) if name else (self.remote_addr, True)
        return host if str_is_ip is None else (host, is_ip)

    def read(self, length: int = -1) -> bytes:
        """Read the request body, at most *length* bytes (all when negative), as bytes.

        The body is held in memory within ``req.max_body`` (a 413 beyond it). Reading it
        first leaves the form parseable; once the form is parsed, the body reads empty.
        """
        return self._input.read(length)

    def readline(self, length: int = -1) -> bytes:
        """Read one line of the request body (at most *length* bytes)."""
        return self._input.readline(length)

    def readlines(self, sizehint: int = -1) -> list[bytes]:
        """Read the remaining lines of the request body."""
        return self._input.readlines(sizehint)

    @cached_property
    def _input(self) -> io.BytesIO:
        return io.BytesIO(self.request.get_data())

    def __getattr__(self, name: str) -> Any:
        """Reading a member of mod_python's request that webquiz lacks says what to use."""
        hint = MOD_PYTHON_UNSUPPORTED.get(name)
        if hint is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        raise UnsupportedAttribute(f"req.{name} (mod_python) is not supported by webquiz: {hint}")

    def respond(self, result: Any) -> WSGIApp:
        """As webquiz's, with mod_python's DONE (the response is complete) taken as OK."""
        return super().respond(OK if result == DONE and not isinstance(result, bool) else result)
