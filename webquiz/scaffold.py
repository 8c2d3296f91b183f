"""``webquiz new NAME``: write a new handler module and its test file from templates.

The templates ship inside the package (``webquiz/templates/*.tmpl``, ``string.Template``
placeholders). A name the dispatcher would not route is refused, and no file that
exists is ever overwritten (files are opened with mode ``"x"``).
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path
from string import Template

from .dispatch import ROUTABLE


class ScaffoldError(Exception):
    """A name or a file that ``webquiz new`` refuses; the message says why."""


class NameRefused(ScaffoldError):
    """A name the dispatcher would not route."""


def check_name(name: str) -> None:
    """Raise NameRefused unless *name* is a URL name the dispatcher routes.

    >>> check_name("hello-world")
    >>> check_name("_helper")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    webquiz.scaffold.NameRefused: '_helper' cannot be a page: ... never routed
    """
    if name.startswith("_"):
        raise NameRefused(f"{name!r} cannot be a page: names starting with _ are private "
                          "helpers, never routed")
    if not ROUTABLE.fullmatch(name):
        raise NameRefused(f"{name!r} cannot be a page: use ASCII letters, digits, _ and -, "
                          "starting with a letter or digit")


def title_of(name: str) -> str:
    """The page title a name suggests: ``my-page`` becomes ``My page``."""
    return name.replace("-", " ").replace("_", " ").strip().capitalize()


def render(template: str, **values: str) -> str:
    """Fill in one of the package's templates."""
    text = files("webquiz").joinpath("templates", template).read_text(encoding="utf-8")
    return Template(text).substitute(values)


def plan(name: str, handlers: str | os.PathLike[str], tests: str | os.PathLike[str]
         ) -> list[tuple[Path, str]]:
    """The files ``webquiz new`` writes for *name*, with their text."""
    check_name(name)
    handler = Path(handlers) / f"{name}.py"
    test = Path(tests) / f"test_{name.replace('-', '_')}.py"
    try:
        link = Path(os.path.relpath(Path(handlers).resolve(), Path(tests).resolve())).as_posix()
    except ValueError:  # another drive, on Windows
        link = Path(handlers).resolve().as_posix()
    return [
        (handler, render("handler.py.tmpl", name=name, title=title_of(name))),
        (test, render("test_handler.py.tmpl", name=name, handlers=repr(link),
                      test_file=test.as_posix())),
    ]


def create(name: str, handlers: str | os.PathLike[str], tests: str | os.PathLike[str]
           ) -> list[Path]:
    """Write the handler module and its test file; refuse if either exists."""
    files_to_write = plan(name, handlers, tests)
    existing = [str(path) for path, _ in files_to_write if path.exists()]
    if existing:
        raise ScaffoldError(f"not overwriting {' and '.join(existing)}; nothing written")
    written: list[Path] = []
    for path, text in files_to_write:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as out:  # "x": fail if it exists now
                out.write(text)
        except FileExistsError:
            done = f"wrote {written[0]} only" if written else "nothing written"
            raise ScaffoldError(f"not overwriting {path}; {done}") from None
        written.append(path)
    return written
