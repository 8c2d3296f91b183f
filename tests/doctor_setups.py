"""Deliberately broken Apache set-ups for ``webquiz doctor``'s tests: each one the snippet
``webquiz apache-config`` prints, with one mistake people make.

Two Apaches in all (each start costs seconds): ``start_faulty`` serves one fault per
mount, ``start_without_socket_folder`` has a daemon socket folder that does not exist
(``WSGISocketPrefix`` is server-wide, so it cannot share an Apache with the others).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from gateway_servers import (
    APACHE,
    APACHE_ENV,
    Server,
    apache_config,
    free_port,
    httpd_conf,
    open_up,
    start_apache,
    wait_for_port,
)

#: The Apache modules the faulty set-ups use (mod_wsgi is loaded by the snippet itself).
MODULES = ["alias", "env", "reqtimeout", "cgid"]


@dataclass(frozen=True)
class Fault:
    """One broken mount: what is wrong, the check the doctor must fail, the fix it must name."""

    mount: str
    what: str
    check: str
    fix: str


#: The mounts of ``start_faulty``, each with the one thing wrong with it.
FAULTS = (
    Fault("/noauth", "mod_wsgi without WSGIPassAuthorization",
          "authorization", "WSGIPassAuthorization On"),
    Fault("/cgi-noauth", "CGI without CGIPassAuth", "authorization", "CGIPassAuth On"),
    Fault("/smallbody", "LimitRequestBody 1 MiB, below the 1 GiB upload limit",
          "body size", "LimitRequestBody"),
    Fault("/stray", "a .cgi entry script that prints a header before webquiz starts",
          "clean output", "print"),
    Fault("/stray-text", "a .cgi entry script that prints a line of text before webquiz",
          "reachable", "malformed header from script"),
    Fault("/slash", "WSGIScriptAlias /slash/ (a trailing slash the script path lacks)",
          "mount", 'WSGIScriptAlias /slash "/path/to/webquiz.wsgi"'),
    Fault("/dbl", "a ScriptAlias whose target repeats the mount: /dbl becomes /dbl/dbl",
          "mount", '`ScriptAlias /dbl "/path/to/venv/bin/webquiz-cgi"`'),
)
#: The LimitRequestBody of the /smallbody mount.
SMALL_BODY = 1024 * 1024

#: CGI entry scripts written by hand that print before webquiz starts: an old CGI habit
#: (the header and a blank line: everything webquiz writes then arrives as the body), and
#: a progress message (Apache cannot read it as a header: a 500 for every page).
STRAY_CGI = {
    "stray": 'print("Content-Type: text/html")\nprint()\n',
    "stray-text": 'print("Starting webquiz...")\n',
}
_ENTRY = """\
#!{python}
{prints}from webquiz.gateways import cgi_main

raise SystemExit(cgi_main())
"""


def edit(text: str, old: str, new: str) -> str:
    """*text* with *old* replaced by *new*; *old* must be there (the snippet changed?)."""
    if old not in text:
        raise AssertionError(f"the snippet no longer holds {old!r}:\n{text}")
    return text.replace(old, new)


def wsgi_mount(venv: Path, mount: str, group: str) -> str:
    """The mod_wsgi snippet for *mount*, with a daemon group of its own (one process)."""
    text = apache_config(venv, "wsgi", "--mount", mount)
    text = edit(text, "WSGIDaemonProcess webquiz ", f"WSGIDaemonProcess {group} ")
    text = edit(text, "processes=2 threads=15", "processes=1 threads=4")
    text = edit(text, "process-group=webquiz", f"process-group={group}")
    return edit(text, "WSGIProcessGroup webquiz", f"WSGIProcessGroup {group}")


def cgi_mount(venv: Path, mount: str) -> str:
    """The CGI snippet for *mount*."""
    return apache_config(venv, "cgi", "--mount", mount)


def faulty_config(venv: Path, root: Path) -> str:
    """httpd.conf's body for ``start_faulty``: the snippets, each with its mistake."""
    noauth = edit(wsgi_mount(venv, "/noauth", "noauth"), "    WSGIPassAuthorization On\n", "")
    small = edit(wsgi_mount(venv, "/smallbody", "smallbody"), "<Location /smallbody>\n",
                 f"<Location /smallbody>\n    LimitRequestBody {SMALL_BODY}\n")
    slash = edit(wsgi_mount(venv, "/slash", "slash"), "WSGIScriptAlias /slash ",
                 "WSGIScriptAlias /slash/ ")
    cgi_noauth = edit(cgi_mount(venv, "/cgi-noauth"), "    CGIPassAuth On\n", "")
    program = str(venv / "bin" / "webquiz-cgi")
    dbl = edit(cgi_mount(venv, "/dbl"), f'ScriptAlias /dbl "{program}"',
               f'ScriptAlias /dbl "{program}/dbl"')
    scripts = root / "cgi"
    scripts.mkdir()
    stray_confs = []
    for name, prints in STRAY_CGI.items():
        script = scripts / f"{name}.cgi"
        script.write_text(_ENTRY.format(python=venv / "bin" / "python", prints=prints))
        script.chmod(0o755)
        stray_confs.append(f'ScriptAlias /{name} "{script}"\n'
                           f"<Location /{name}>\n    CGIPassAuth On\n</Location>\n")
    open_up(scripts)
    stray_confs.append(f'<Directory "{scripts}">\n    Require all granted\n</Directory>\n')
    return "\n".join(["ScriptSock cgid.sock", "WSGISocketPrefix run/wsgi", noauth, small,
                      slash, cgi_noauth, dbl, *stray_confs])


def start_faulty(venv: Path, root: Path) -> Server:
    """One Apache serving the pack at every mount of FAULTS, each broken its own way."""
    (root / "run").mkdir(mode=0o755)
    # Its readiness is checked at /noauth/: its index answers 200 once the daemon is up.
    return start_apache("Apache with faults", root, "/noauth", MODULES,
                        faulty_config(venv, root))


def start_without_socket_folder(venv: Path, root: Path) -> Server:
    """Apache + mod_wsgi by the snippet, its daemon sockets in a folder that does not exist.

    Apache starts and listens, but no page ever answers 200 (start_apache's sign of
    life), so this waits for the port only.
    """
    missing = root / "no-such-folder"
    body = (apache_config(venv, "wsgi", "--mount", "/py")
            + f'WSGISocketPrefix "{missing}/wsgi"\n')
    for folder in ("logs", "run", "htdocs"):
        (root / folder).mkdir(mode=0o755, exist_ok=True)
    port = free_port()
    conf = root / "httpd.conf"
    conf.write_text(httpd_conf(root, port, ["env", "reqtimeout"], body))
    with (root / "logs" / "stdout.log").open("wb") as out:
        proc = subprocess.Popen([str(APACHE), "-DFOREGROUND", "-f", str(conf)], cwd=root,
                                env=APACHE_ENV, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server("Apache, no socket folder", proc, port, "/py", root / "logs" / "error.log")
    try:
        wait_for_port(port, proc)
    except (RuntimeError, TimeoutError):
        server.stop()
        raise RuntimeError(f"Apache did not start:\n{server.log_text()}") from None
    return server
