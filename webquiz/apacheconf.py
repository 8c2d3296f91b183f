"""Fill in the Apache templates of ``apache/`` for this machine (``webquiz apache-config``).

The templates are plain config files with ``@NAME@`` placeholders; this module finds the
values (the venv, the entry scripts, the handlers folder) and substitutes them. The test
suite starts a real Apache with the same output, so a broken template fails a test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

#: The snippets ``webquiz apache-config`` prints, by name.
TEMPLATES = {"wsgi": "wsgi.conf", "cgi": "cgi.conf", "htaccess": "htaccess"}
#: The CGI program pip installs with the package.
CGI_COMMAND = "webquiz-cgi"
#: The default URL path: where the book's mod_python pages lived.
DEFAULT_MOUNT = "/py"

_PLACEHOLDER = re.compile(r"@([A-Z_]+)@")
#: A URL path Apache accepts unquoted, without surprises: ``/``, ``/py``, ``/a/b.cgi``.
_MOUNT = re.compile(r"/|(?:/[A-Za-z0-9._~-]+)+", re.ASCII)
_EXAMPLE_FOLDER = "/srv/webquiz/mypages"


class ConfigError(Exception):
    """A value that cannot go into an Apache config; the message says which and why."""


def templates_dir() -> Path:
    """The templates: inside the installed package, else a checkout's apache/."""
    here = Path(__file__).resolve().parent
    bundled = here / "apache"
    return bundled if bundled.is_dir() else here.parent / "apache"


def check_mount(mount: str) -> str:
    """Return *mount* without a trailing slash, or raise ConfigError.

    >>> check_mount("/py/"), check_mount("/")
    ('/py', '/')
    """
    mount = mount.rstrip("/") or "/"
    if not _MOUNT.fullmatch(mount) or "/." in mount:
        raise ConfigError(f"--mount {mount!r}: use a URL path such as /py (letters, digits, "
                          "and - _ . ~, no segment starting with a dot)")
    return mount


def _path(path: Path | str) -> str:
    """An absolute path (symlinks kept: a venv's python is one) for a quoted Apache argument."""
    text = os.path.abspath(path)
    if any(c in '"\\' or not c.isprintable() for c in text):
        raise ConfigError(f"{text!r}: a path Apache cannot take in quotes")
    return text


def setenv_handlers(handlers: str | os.PathLike[str] | None) -> str:
    """The SetEnv line naming a handlers folder: an active one, or a commented example."""
    if handlers is None:
        return f'# SetEnv WEBQUIZ_HANDLERS "{_EXAMPLE_FOLDER}"'
    folder = Path(handlers).expanduser().resolve()
    if not folder.is_dir():
        raise ConfigError(f"handlers folder not found: {folder}")
    return f'SetEnv WEBQUIZ_HANDLERS "{_path(folder)}"'


def load_module_line(scripts: Path) -> str:
    """mod_wsgi's LoadModule line, from ``mod_wsgi-express module-config``.

    Without mod_wsgi installed, a commented line saying how to get it.
    """
    express = scripts / "mod_wsgi-express"
    command = str(express) if express.exists() else shutil.which("mod_wsgi-express")
    if command:
        result = subprocess.run([command, "module-config"], capture_output=True, text=True,
                                timeout=60, check=False)
        for line in result.stdout.splitlines():
            if line.startswith("LoadModule "):
                return line.strip()
    return ("# LoadModule wsgi_module ...  (not found: pip install 'webquiz[apache]', then "
            "copy the line `mod_wsgi-express module-config` prints)")


def values(
    mount: str, handlers: str | os.PathLike[str] | None, *, wsgi: bool = False
) -> dict[str, str]:
    """The placeholder values for this Python environment."""
    mount = check_mount(mount)
    scripts = Path(sysconfig.get_path("scripts"))
    cgi = scripts / CGI_COMMAND
    entry = templates_dir() / "webquiz.wsgi"
    found = {
        "MOUNT": mount,
        "MOUNT_SLASH": mount.rstrip("/") + "/",
        "PYTHON_HOME": _path(sys.prefix),
        "PYTHON": _path(sys.executable),
        "ENTRY_SCRIPT": _path(entry),
        "ENTRY_DIR": _path(entry.parent),
        "CGI_NAME": cgi.name,
        "CGI_DIR": _path(cgi.parent),
        # ScriptAlias maps the mount's text onto the target's: "/" needs "script/" so
        # that /get becomes script/get (the program plus PATH_INFO /get).
        "CGI_TARGET": _path(cgi) + ("/" if mount == "/" else ""),
        "SETENV_HANDLERS": setenv_handlers(handlers),
    }
    if wsgi:
        found["LOAD_MODULE"] = load_module_line(scripts)
    return found


def render_text(template: str, found: dict[str, str]) -> str:
    """Substitute every ``@NAME@`` of *template*; an unknown name is a ConfigError."""

    def substitute(match: re.Match[str]) -> str:
        name = match[1]
        if name not in found:
            raise ConfigError(f"template placeholder @{name}@ has no value")
        return found[name]

    return _PLACEHOLDER.sub(substitute, template)


def render(name: str, *, mount: str = DEFAULT_MOUNT,
           handlers: str | os.PathLike[str] | None = None) -> str:
    """The snippet *name* (wsgi, cgi, htaccess) for this machine, ready to paste."""
    template = (templates_dir() / TEMPLATES[name]).read_text(encoding="utf-8")
    return render_text(template, values(mount, handlers, wsgi=name == "wsgi"))


def cgi_script() -> str:
    """``webquiz.cgi`` with its first line naming this Python."""
    template = (templates_dir() / "webquiz.cgi").read_text(encoding="utf-8")
    return render_text(template, values(DEFAULT_MOUNT, None))


def write_htaccess(folder: str | os.PathLike[str], *, mount: str,
                   handlers: str | os.PathLike[str] | None = None) -> list[Path]:
    """Write ``.htaccess`` and an executable ``webquiz.cgi`` into *folder*; return both."""
    target = Path(folder).expanduser()
    if not target.is_dir():
        raise ConfigError(f"folder not found: {target}")
    htaccess, script = target / ".htaccess", target / "webquiz.cgi"
    htaccess.write_text(render("htaccess", mount=mount, handlers=handlers), encoding="utf-8")
    script.write_text(cgi_script(), encoding="utf-8")
    script.chmod(0o755)
    return [htaccess, script]
