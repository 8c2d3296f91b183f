"""Where the settings of an application come from: arguments, else the environment, else
the defaults. ``Settings`` is what ``make_app`` was asked for, resolved once."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Environment variable naming the handlers folder, for every gateway.
HANDLERS_ENV = "WEBQUIZ_HANDLERS"
#: Environment variable with the upload cap in bytes (default 1 GiB).
MAX_UPLOAD_ENV = "WEBQUIZ_MAX_UPLOAD"
#: Default cap on an upload body, for pages that raise ``req.max_body`` to ``req.max_upload``.
MAX_UPLOAD = 1024**3


def default_handlers_dir() -> Path:
    """The pack's own handlers: inside the installed package, else a checkout's handlers/."""
    here = Path(__file__).resolve().parent
    bundled = here / "handlers"
    return bundled if bundled.is_dir() else here.parent / "handlers"


def resolve_handlers_dir(handlers: str | os.PathLike[str] | None = None) -> Path:
    """Choose the handlers folder: the argument, else $WEBQUIZ_HANDLERS, else the pack's."""
    chosen = handlers or os.environ.get(HANDLERS_ENV) or default_handlers_dir()
    return Path(chosen).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    """An application's settings, resolved."""

    #: The handlers folder served.
    folder: Path
    #: The gateway's name, shown by pages (``req.gateway``); None: guessed per request.
    gateway: str | None = None
    #: Let a handler's exception propagate (to werkzeug's debugger) instead of a 500 page.
    debug: bool = False
    #: Import every handler now (long-running servers), or each when first asked (CGI).
    eager: bool = True
    #: The cap on uploads offered to pages that accept them (``req.max_upload``).
    max_upload: int = MAX_UPLOAD
    #: Whether pages link to their handler's source and ``/_webquiz/source/`` shows it.
    show_source: bool = False
    #: The index's title and tagline; None: from the folder (see ``webquiz.builtin``).
    title: str | None = None
    tagline: str | None = None
    #: Called once, in order, before the folder's first module is imported: what a
    #: compatibility layer needs in place for the handlers written for it (an import alias).
    setup: tuple[Callable[[], Any], ...] = ()
    #: [doctor hook] Whether /_webquiz/probe answers (webquiz/probe.py).
    probe: bool = True

    @property
    def is_pack(self) -> bool:
        """True when the folder is the pack's own pages."""
        return self.folder == default_handlers_dir().resolve()


def settings(
    handlers: str | os.PathLike[str] | None = None,
    *,
    gateway: str | None = None,
    debug: bool = False,
    eager: bool = True,
    max_upload: int | None = None,
    show_source: bool | None = None,
    title: str | None = None,
    tagline: str | None = None,
    setup: tuple[Callable[[], Any], ...] = (),
    probe: bool = True,
) -> Settings:
    """Resolve ``make_app``'s arguments: the folder and upload cap from the environment when
    not given; the source view on by default for the pack's own pages only (a user's
    folder may hold secrets)."""
    folder = resolve_handlers_dir(handlers)
    cap = max_upload or int(os.environ.get(MAX_UPLOAD_ENV, MAX_UPLOAD))
    shown = folder == default_handlers_dir().resolve() if show_source is None else show_source
    return Settings(folder, gateway, debug, eager, cap, shown, title, tagline, tuple(setup),
                    probe)
