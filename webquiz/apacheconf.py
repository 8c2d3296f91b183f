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
_LOAD_WSGI = re.compile(r'^\s*LoadModule\s+wsgi_module\s+"?([^"\s]+)"?', re.M)
#: The Python a module links against (``libpython3.11.so.1.0``), or names (``-py311``).
_LIBPYTHON = re.compile(rb"libpython(\d)\.(\d+)")
_PY_IN_NAME = re.compile(r"(?:py|cpython-)(\d)(\d{1,2})\b")


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


def module_python(module: Path) -> tuple[int, int] | None:
    """The Python version a mod_wsgi module was built for: the libpython it links, else
    the version in its file name (``mod_wsgi-py311...so``); None when neither says."""
    try:
        data = module.read_bytes()
    except OSError:
        return None
    linked = _LIBPYTHON.search(data)
    if linked:
        return int(linked[1]), int(linked[2])
    named = _PY_IN_NAME.search(module.name)
    return (int(named[1]), int(named[2])) if named else None


def apache_wsgi_modules() -> list[tuple[Path, Path]]:
    """The mod_wsgi modules the system's Apache loads itself: (config file, module).

    Debian's modules are enabled in $APACHE_CONFDIR/mods-enabled (the variable
    apache2ctl reads; /etc/apache2 by default), Red Hat's in /etc/httpd/conf.modules.d;
    a relative module path is under ServerRoot.
    """
    confdir = Path(os.environ.get("APACHE_CONFDIR", "/etc/apache2"))
    places = [(confdir / "mods-enabled", "*.load", Path("/usr/lib/apache2")),
              (Path("/etc/httpd/conf.modules.d"), "*.conf", Path("/etc/httpd"))]
    found = []
    for folder, pattern, server_root in places:
        for conf in sorted(folder.glob(pattern)) if folder.is_dir() else ():
            try:
                text = conf.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for match in _LOAD_WSGI.finditer(text):
                found.append((conf, server_root / match[1]))  # an absolute path stays
    return found


def python_mismatches(snippet: str) -> list[str]:
    """Warnings for each mod_wsgi that would run this venv but was built for another Python.

    mod_wsgi embeds one Python; its daemons load the venv named by python-home. When the
    two differ, the daemons die at start ("No module named 'encodings'") and every
    request gets a 503. Apache's own mod_wsgi wins over the snippet's LoadModule line
    (which sits in ``<IfModule !wsgi_module>``).
    """
    here = sys.version_info[:2]
    shown = f"{here[0]}.{here[1]}"
    problems = []
    for conf, module in apache_wsgi_modules():
        built = module_python(module)
        if built and built != here:
            problems.append(
                f"Apache already loads mod_wsgi from {module} ({conf}), built for Python "
                f"{built[0]}.{built[1]}; this venv ({sys.prefix}) is Python {shown}. The "
                "snippet's LoadModule line is skipped and the daemons would fail to start "
                "(\"No module named 'encodings'\" in the error log, 503 for every page). "
                "Disable that module (`a2dismod wsgi`) so the snippet loads this venv's own, "
                f"or build the venv with Python {built[0]}.{built[1]}.")
    for match in _LOAD_WSGI.finditer(snippet):
        module = Path(match[1])
        built = module_python(module)
        if built and built != here:
            problems.append(
                f"the LoadModule line names {module}, built for Python {built[0]}.{built[1]}; "
                f"this venv ({sys.prefix}) is Python {shown}: install mod_wsgi into this "
                "venv (pip install 'webquiz[apache]') and print the snippet again.")
    return problems


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
