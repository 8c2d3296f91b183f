"""mod_python's ``util`` module for webquiz: FieldStorage and redirect over werkzeug's parsing.

``util.FieldStorage(req)`` gives the fields of the query string and of a POST body as
mod_python did: values are ``StringField`` (a ``str`` with ``.value``), uploaded files are
``Field`` objects with ``.file``, ``.filename`` and ``.value``, and ``form[name]`` is a
list when a name was sent several times. werkzeug does the parsing, within the page's
body limit (``req.max_body``: a 413 beyond it).
"""

from __future__ import annotations

import builtins
import io
from collections.abc import Callable, Iterator
from typing import IO, Any, NoReturn
from urllib.parse import parse_qs as _parse_qs
from urllib.parse import parse_qsl as _parse_qsl

from werkzeug.datastructures import FileStorage, Headers
from werkzeug.utils import redirect as _redirect_response
from werkzeug.wrappers import Response

from ..headers import safe_location
from ..request import HandlerRequest
from .apache import (
    HTTP_MOVED_PERMANENTLY,
    HTTP_MOVED_TEMPORARILY,
    OK,
    SERVER_RETURN,
    unsupported_names,
)
from .request import Unsupported


class StringField(str):
    """A form value: a ``str`` that also has mod_python's ``.value``, ``.name`` and ``.file``."""

    name: str | None = None
    filename: str | None = None
    type = "text/plain"
    type_options: dict[str, str] = {}
    disposition: str | None = None
    disposition_options: dict[str, str] = {}
    headers: dict[str, str] = {}

    @property
    def value(self) -> str:
        """The value as a plain ``str``."""
        return str(self)

    @property
    def file(self) -> io.StringIO:
        """The value as a file, for code written for ``cgi.FieldStorage``."""
        return io.StringIO(str(self))

    def __repr__(self) -> str:
        return f"Field({self.name!r}, {str(self)!r})"


class Field:
    """An uploaded file: ``.name``, ``.filename`` (as the client sent it), ``.file``, ``.value``.

    ``.filename`` is the client's text: escape it where it lands, never use it as a path.
    """

    def __init__(self, name: str, upload: FileStorage) -> None:
        self.name = name
        self.file: IO[bytes] = upload.stream
        self.filename: str | None = upload.filename
        self.type = upload.mimetype or "text/plain"
        self.type_options: dict[str, str] = dict(upload.mimetype_params)
        self.disposition = "form-data"
        self.disposition_options = {"name": name, "filename": upload.filename or ""}
        self.headers: Headers = upload.headers

    @property
    def value(self) -> bytes:
        """The whole file, as bytes (read from the start each time, as in mod_python)."""
        self.file.seek(0)
        data = self.file.read()
        self.file.seek(0)
        return data

    def __repr__(self) -> str:
        return f"Field({self.name!r}, filename={self.filename!r})"


Item = StringField | Field


class FieldStorage:
    """The fields of the query string and, for POST, of the body, as mod_python's.

    ``getfirst(name)`` and ``getlist(name)``; ``form[name]`` is the field, or a list of
    fields when the name came several times (KeyError when absent); ``get``, ``keys``,
    ``has_key``, ``in``, ``len`` and ``items``. The query string's fields come first,
    then the body's fields, then its files; werkzeug groups the values of each name.
    As in mod_python, blank values of a query string or url-encoded body are dropped
    unless *keep_blank_values*, and only POST bodies are read. *file_callback(filename)*
    returns the file an upload is written to.
    """

    def __init__(
        self,
        req: HandlerRequest,
        keep_blank_values: int = 0,
        strict_parsing: int = 0,
        file_callback: Callable[[str], IO[bytes]] | None = None,
        field_callback: Callable[[], Any] | None = None,
    ) -> None:
        if field_callback is not None:
            raise Unsupported("util.FieldStorage(field_callback=...) is not supported by "
                              "webquiz: werkzeug keeps form fields in memory, within req.max_body")
        if file_callback is not None:
            callback = file_callback
            req.stream_uploads(lambda total, ctype, filename, length=None: callback(filename))
        self.list: builtins.list[Item] = []
        request = req.request
        for name, value in request.args.items(multi=True):
            if value or keep_blank_values:
                self.add_field(name, value)
        if req.method != "POST":
            return
        urlencoded = request.mimetype == "application/x-www-form-urlencoded"
        for name, value in request.form.items(multi=True):
            if value or keep_blank_values or not urlencoded:
                self.add_field(name, value)
        for name, upload in request.files.items(multi=True):
            self.list.append(Field(name, upload))

    def add_field(self, key: str, value: str) -> None:
        """Append a field, as a StringField."""
        item = StringField(value)
        item.name = key
        self.list.append(item)

    def _table(self) -> dict[str, builtins.list[Item]]:
        table: dict[str, builtins.list[Item]] = {}
        for item in self.list:
            table.setdefault(item.name or "", []).append(item)
        return table

    def __getitem__(self, key: str) -> Item | builtins.list[Item]:
        found = self._table()[key]
        return found[0] if len(found) == 1 else found

    def get(self, key: str, default: Any = None) -> Any:
        """``form[key]``, or *default* when the field was not sent."""
        try:
            return self[key]
        except KeyError:
            return default

    def getfirst(self, key: str, default: Any = None) -> Any:
        """The first field sent as *key*, or *default*."""
        found = self._table().get(key)
        return found[0] if found else default

    def getlist(self, key: str) -> builtins.list[Item]:
        """Every field sent as *key*, in order (empty when none)."""
        return self._table().get(key, [])

    def keys(self) -> builtins.list[str]:
        """The field names, each once, in the order first sent."""
        return builtins.list(self._table())

    def has_key(self, key: str) -> bool:
        """True when a field *key* was sent."""
        return key in self._table()

    def items(self) -> builtins.list[tuple[str | None, Item]]:
        """``(name, field)`` pairs: names in the order first sent, each with its values."""
        return [(item.name, item) for item in self.list]

    def __contains__(self, key: object) -> bool:
        return key in self._table()

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:
        return f"FieldStorage({self.list!r})"


def parse_qs(qs: str, keep_blank_values: int = 0, strict_parsing: int = 0) -> dict[str, Any]:
    """Parse a query string into ``{name: [values]}`` (urllib.parse.parse_qs)."""
    return _parse_qs(qs, bool(keep_blank_values), bool(strict_parsing))


def parse_qsl(qs: str, keep_blank_values: int = 0, strict_parsing: int = 0) -> list[Any]:
    """Parse a query string into ``[(name, value), ...]`` (urllib.parse.parse_qsl)."""
    return _parse_qsl(qs, bool(keep_blank_values), bool(strict_parsing))


def redirect(req: HandlerRequest, location: str, permanent: int = 0,
             text: str | None = None) -> NoReturn:
    """Send the client to *location* and end the handler, as mod_python's ``util.redirect``.

    A 302, or a 301 when *permanent*; the body is *text* (HTML) or a short page linking to
    the new place. *location* must be a path or an http(s) URL: another scheme
    (``javascript:``, ``data:``), a scheme-relative ``//host`` (an open redirect) or a
    control character is a 400. Spaces, quotes and non-ASCII are %-encoded. Headers
    already in ``req.headers_out`` (cookies) are kept.
    """
    target = safe_location(location, req.request.host, any_host=True)
    code = HTTP_MOVED_PERMANENTLY if permanent else HTTP_MOVED_TEMPORARILY
    if text is None:
        response = _redirect_response(target, code)
    else:
        response = Response(text, code, {"Location": target}, mimetype="text/html")
    stop = SERVER_RETURN(OK, code)
    stop.response = response  # sent as it is, with req.headers_out added by the dispatcher
    raise stop


#: Names of mod_python's ``util`` module webquiz does not provide, with what to use.
UNSUPPORTED = {
    "apply_fs_data": "call your function with the FieldStorage values yourself",
    "parse_header": "use werkzeug.http.parse_options_header",
}


__getattr__ = unsupported_names(__name__, "util.{} (mod_python)", UNSUPPORTED)
