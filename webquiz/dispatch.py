"""Map a URL name to a handler module in one folder.

The URL only ever indexes a table built from the folder's file names: no text from
a request is passed to ``import``, ``getattr`` or ``eval``, so ``/os`` or
``/antigravity`` can never import a module from ``sys.path`` (the book's
``__import__(modname)`` dispatcher could).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import re
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FunctionType, ModuleType
from typing import Any

#: The first path segment of a request, matched with ``fullmatch``.
ROUTE = re.compile(
    r"""
    /
    (?P<segment>
        (?P<name> [A-Za-z0-9_-]+ )        # the URL name: ASCII letters, digits, _ and -
        (?: \. (?: prog | py | cgi ) )?   # an optional suffix from the book's era
    )
    (?P<rest> / .* )?                     # the rest becomes the handler's PATH_INFO
    """,
    re.VERBOSE | re.ASCII | re.DOTALL,
)

#: A module file name that can be routed: ``_private`` helpers never are.
ROUTABLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*", re.ASCII)

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    """One routable module: its handler, or the reason it cannot serve."""

    name: str
    path: Path
    handler: Handler | None = None
    summary: str = ""
    error: str | None = None
    #: Private helper modules of the folder that the handler imports (``from . import _quiz``).
    helpers: tuple[Path, ...] = ()
    #: The class of the ``req`` the handler takes; None: webquiz's HandlerRequest.
    request_class: Any = None


def first_line(doc: str | None) -> str:
    """Return the first non-empty line of a docstring, stripped.

    >>> first_line("\\n  Show the time.\\n\\n  More text.")
    'Show the time.'
    >>> first_line(None)
    ''
    """
    for line in (doc or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


#: The module attribute naming the request class a handler takes.
REQUEST_CLASS = "__webquiz_request__"


def request_class_of(module: ModuleType) -> Any:
    """The class of ``req`` that *module*'s handler takes, or None for the native one.

    A module names it in ``__webquiz_request__``; so may a module it imports, which is how
    a compatibility layer (such as ``webquiz.mod_python``) gives the handlers written for
    it the request they expect, with no edit to them: ``from mod_python import apache``
    brings the ``apache`` module, and ``from ...apache import SERVER_RETURN`` a class of it.
    """
    namespace = vars(module)
    if namespace.get(REQUEST_CLASS) is not None:
        return namespace[REQUEST_CLASS]
    for value in namespace.values():
        if isinstance(value, ModuleType):
            source: ModuleType | None = value
        elif isinstance(value, (type, FunctionType)):
            source = sys.modules.get(value.__module__)
        else:
            continue
        named = vars(source).get(REQUEST_CLASS) if source is not None else None
        if named is not None:
            return named
    return None


def _package_for(folder: Path) -> str:
    """Register a private package whose path is *folder*; return its name.

    Handlers are imported as its submodules, so a handler can import a private helper
    beside it (``from . import _quiz``) while the folder stays off ``sys.path``.
    """
    digest = hashlib.sha1(str(folder).encode("utf-8", "surrogateescape")).hexdigest()[:12]
    name = f"_webquiz_handlers_{digest}"
    if name not in sys.modules:
        spec = importlib.machinery.ModuleSpec(name, None, is_package=True)
        spec.submodule_search_locations = [str(folder)]
        package = importlib.util.module_from_spec(spec)
        package.__path__ = [str(folder)]
        sys.modules[name] = package
    return name


class HandlerTable:
    """The handler modules of one folder, by URL name.

    With ``eager=True`` (long-running servers) every module is imported now, once; with
    ``eager=False`` (CGI, where start-up time is the whole cost of a request) a module
    is imported when its name is first asked for.
    """

    def __init__(self, folder: str | os.PathLike[str], *, eager: bool = True) -> None:
        self.folder = Path(folder).resolve()
        if not self.folder.is_dir():
            raise NotADirectoryError(f"handlers folder not found: {self.folder}")
        self._package = _package_for(self.folder)
        self._files = self._scan()
        self._routes: dict[str, Route] = {}
        self._lock = threading.Lock()
        if eager:
            for name in self._files:
                self._load(name)

    def _scan(self) -> dict[str, Path]:
        """Find the module files that may be routed, sorted by name."""
        files = {}
        with os.scandir(self.folder) as entries:
            for entry in entries:
                stem, dot, ext = entry.name.rpartition(".")
                if dot and ext == "py" and ROUTABLE.fullmatch(stem) and entry.is_file():
                    files[stem] = self.folder / entry.name
        return dict(sorted(files.items()))

    def _load(self, name: str) -> Route:
        """Import one module file and record what it offers."""
        path = self._files[name]
        modname = f"{self._package}.{name}"
        spec = importlib.util.spec_from_file_location(modname, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[modname] = module
        try:
            spec.loader.exec_module(module)
        except Exception:
            sys.modules.pop(modname, None)
            route = Route(name, path, error=traceback.format_exc())
        else:
            handler = getattr(module, "handler", None)
            if not callable(handler):
                handler = None
            summary = first_line(module.__doc__) or first_line(getattr(handler, "__doc__", ""))
            route = Route(name, path, handler=handler, summary=summary,
                          helpers=self._helpers(module), request_class=request_class_of(module))
        self._routes[name] = route
        return route

    def _helpers(self, module: ModuleType) -> tuple[Path, ...]:
        """The files of the private modules beside it (``_name.py``) that *module* imported."""
        found = set()
        for value in vars(module).values():
            if isinstance(value, ModuleType) and value.__name__.startswith(self._package + "._"):
                path = Path(value.__file__ or "")
                if path.parent == self.folder and path.suffix == ".py":
                    found.add(path)
        return tuple(sorted(found))

    def get(self, name: str) -> Route | None:
        """Return the route for a URL name, or None when nothing may serve it."""
        if name not in self._files:
            return None
        route = self._routes.get(name)
        if route is None:
            with self._lock:
                route = self._routes.get(name) or self._load(name)
        return route if (route.handler is not None or route.error) else None

    def routes(self) -> list[Route]:
        """Every route that answers (handlers and broken modules), sorted by name."""
        found = (self.get(name) for name in self._files)
        return [route for route in found if route is not None]

    def skipped(self) -> list[Path]:
        """Module files that define no callable ``handler``."""
        return [path for name, path in self._files.items() if self.get(name) is None]


__all__ = ["ROUTE", "ROUTABLE", "HandlerTable", "Route", "first_line", "request_class_of"]
