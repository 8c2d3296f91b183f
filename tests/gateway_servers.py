"""Real servers for the gateway conformance suite: the dev server, Apache + CGI, Apache +
mod_wsgi, mod_wsgi-express. Each on a free 127.0.0.1 port, stopped by its PID.

Apache starts as root and runs its children as www-data, which cannot read /root (the
pyenv Python) nor pytest's private tmp folders. So Apache's venv is built with Debian's
own /usr/bin/python3 under /var/tmp, world-readable, with ``webquiz[apache]`` installed
from a copy of this checkout; it is kept and reused while the sources hash the same.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from support import ROOT, require, server_env

APACHE = Path("/usr/sbin/apache2")
MODULES = Path("/usr/lib/apache2/modules")
SYSTEM_PYTHON = Path("/usr/bin/python3")
#: World-readable scratch space (pytest's own tmp folders are mode 700).
SCRATCH = Path(os.environ.get("WEBQUIZ_APACHE_TMP", "/var/tmp"))
#: What goes into the installed package: a change to any of these rebuilds the venv.
SOURCES = ("pyproject.toml", "README.md", "webquiz", "handlers", "apache")
#: A venv not used for this long is removed by the next build (30 MB each).
STALE_SECONDS = 86400
#: The environment Apache runs with: what an init system gives it, nothing of ours.
APACHE_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
              "LANG": "C.UTF-8"}
IS_ROOT = os.geteuid() == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 20) -> None:
    """Wait until something accepts connections on 127.0.0.1:port, or fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing answered on 127.0.0.1:{port} within {timeout} s")


def vm_kib(pid: int, field: str = "VmHWM") -> int:
    """A field of /proc/PID/status in KiB: VmHWM (peak resident memory) or VmRSS."""
    with open(f"/proc/{pid}/status") as status:
        (line,) = [line for line in status if line.startswith(field + ":")]
    return int(line.split()[1])


def world_readable_dir(prefix: str) -> Path:
    """A new folder under SCRATCH that Apache's user can read and enter."""
    path = Path(tempfile.mkdtemp(prefix=prefix, dir=SCRATCH))
    path.chmod(0o755)
    return path


def open_up(top: Path) -> None:
    """Make everything under *top* readable (and folders enterable) by everyone."""
    for folder, dirs, files in os.walk(top):
        for name in dirs:
            (Path(folder) / name).chmod(0o755)
        for name in files:
            path = Path(folder) / name
            if not path.is_symlink():
                mode = path.stat().st_mode
                path.chmod(mode | 0o444 | (0o111 if mode & 0o100 else 0))
    top.chmod(0o755)


def check_apache() -> None:
    """Skip (or fail, in CI) unless Apache, apxs and Debian's python3 with venv and headers
    are installed: scripts/system-deps installs them."""
    require(APACHE.exists(), f"Apache httpd {APACHE} (apt: apache2)")
    require(shutil.which("apxs") or Path("/usr/bin/apxs").exists(),
            "apxs, which mod_wsgi compiles against (apt: apache2-dev)")
    require(SYSTEM_PYTHON.exists(), f"Debian's {SYSTEM_PYTHON} (apt: python3)")
    probe = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", "import ensurepip, sysconfig, os; "
         "print(os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"],
        capture_output=True, text=True, timeout=60, check=False)
    require(probe.returncode == 0, f"the venv module of {SYSTEM_PYTHON} (apt: python3-venv)")
    require(probe.stdout.strip() == "True", f"Python.h of {SYSTEM_PYTHON} (apt: python3-dev)")


def source_digest(extras: tuple[str, ...] = ()) -> str:
    """A hash of everything the installed package is built from, of the base Python, and of
    the *extras* installed beside it."""
    digest = hashlib.sha256(str(os.path.realpath(SYSTEM_PYTHON)).encode())
    digest.update(repr(extras).encode())
    for name in SOURCES:
        top = ROOT / name
        paths = [top] if top.is_file() else sorted(
            p for p in top.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        for path in paths:
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def remove_stale_venvs(keep: Path) -> None:
    """Remove venvs of older sources (and their lock files) unused for STALE_SECONDS."""
    now = time.time()
    for other in SCRATCH.glob("webquiz-apache-*"):
        venv = other.with_suffix("") if other.suffix == ".lock" else other
        if venv == keep:
            continue
        marker = venv / ".webquiz-complete"
        used = marker.stat().st_mtime if marker.exists() else other.stat().st_mtime
        if now - used > STALE_SECONDS:
            if other.is_dir():
                shutil.rmtree(other, ignore_errors=True)
            else:
                other.unlink(missing_ok=True)


def apache_venv(extras: tuple[str, ...] = ()) -> tuple[Path, float]:
    """The venv Apache runs (``webquiz[apache]`` on Debian's python3, plus *extras*, such as
    the benchmark's peers); seconds spent building.

    Built once per state of the sources; concurrent sessions wait on a lock file.
    """
    check_apache()
    venv = SCRATCH / f"webquiz-apache-{source_digest(extras)}"
    marker = venv / ".webquiz-complete"
    started = time.monotonic()
    with open(f"{venv}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.exists():
            marker.touch()
            return venv, 0.0
        shutil.rmtree(venv, ignore_errors=True)
        source = Path(tempfile.mkdtemp(prefix="webquiz-src-", dir=SCRATCH))
        try:
            for name in SOURCES:
                if (ROOT / name).is_dir():
                    shutil.copytree(ROOT / name, source / name,
                                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    shutil.copy2(ROOT / name, source / name)
            subprocess.run([str(SYSTEM_PYTHON), "-m", "venv", str(venv)], check=True,
                           capture_output=True, timeout=300)
            # --use-pep517 builds mod_wsgi as a wheel, which pip caches: the next venv
            # installs it in a second instead of compiling it again.
            install = subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                 "--disable-pip-version-check", "--use-pep517", f"{source}[apache]", *extras],
                capture_output=True, text=True, timeout=1200, check=False)
        finally:
            shutil.rmtree(source, ignore_errors=True)
        if install.returncode != 0:
            shutil.rmtree(venv, ignore_errors=True)
        require(install.returncode == 0, "mod_wsgi: pip install webquiz[apache] failed:\n"
                + install.stderr[-3000:])
        open_up(venv)
        marker.write_text("built for the Apache tests; removed when unused for a day\n")
    remove_stale_venvs(venv)
    return venv, time.monotonic() - started


@dataclass
class Server:
    """A server under test: where it listens, its mount point, its error log, its process."""

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    mount: str  # "" for the root of the site, else "/py" and the like
    error_log: Path

    def url(self, path: str = "/") -> str:
        """The full URL of *path* under this server's mount."""
        return f"http://127.0.0.1:{self.port}{self.mount}{path}"

    def log_text(self) -> str:
        """What the server wrote to its error log so far."""
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""

    def wait_for_log(self, text: str, timeout: float = 10) -> str:
        """Wait until *text* is in the error log (CGI stderr arrives asynchronously)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            log = self.log_text()
            if text in log:
                return log
            time.sleep(0.1)
        return self.log_text()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        """Send *sig* and wait; SIGKILL if it does not stop in time. By PID, never by name.
        Returns the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        return int(self.proc.returncode)


def wait_until_serving(server: Server, timeout: float = 60) -> None:
    """Wait until the index answers 200 (mod_wsgi daemons start after the port opens)."""
    wait_for_port(server.port, server.proc, timeout=timeout)
    deadline = time.monotonic() + timeout
    last: object = None
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(server.url("/"), timeout=10) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        if server.proc.poll() is not None:
            break
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{server.name} did not serve the index ({last}):\n{server.log_text()}")


def start_dev_server(root: Path, *args: str, env: dict[str, str] | None = None,
                     cwd: Path | None = None, wait: bool = True) -> Server:
    """``python -m webquiz serve --port P ARGS`` from this checkout, on the test's Python,
    its output in *root*; waits until it accepts connections (unless *wait* is false).
    The one launcher of the dev server, for the gateway fixture and every other test."""
    port = free_port()
    log = root / f"devserver-{port}.log"
    with log.open("wb") as out:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            [sys.executable, "-m", "webquiz", "serve", "--port", str(port), *args],
            cwd=cwd or root, env=env or server_env(), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT)
    server = Server("dev server", proc, port, "", log)
    if wait:
        try:
            wait_for_port(port, proc)
        except (RuntimeError, TimeoutError):
            server.stop()
            raise RuntimeError(f"the dev server did not start:\n{server.log_text()}") from None
    return server


def module(name: str) -> str:
    """A LoadModule line for one of Debian's Apache modules."""
    return f'LoadModule {name}_module "{MODULES}/mod_{name}.so"'


def httpd_conf(root: Path, port: int, modules: list[str], body: str) -> str:
    """A minimal httpd.conf: only *modules*, one loopback port, everything under *root*."""
    user = "User www-data\nGroup www-data\n" if IS_ROOT else ""
    loads = "\n".join(module(name) for name in ["mpm_event", "authz_core", *modules])
    return f"""\
ServerRoot "{root}"
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
DefaultRuntimeDir run
PidFile run/httpd.pid
ErrorLog logs/error.log
LogLevel warn
LogFormat "%h \\"%r\\" %>s %b %D" short
CustomLog logs/access.log short
{loads}
{user}<IfModule mime_module>
    TypesConfig /dev/null
</IfModule>
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
MinSpareThreads 4
MaxSpareThreads 32
DocumentRoot "{root}/htdocs"
<Directory />
    AllowOverride None
    Require all denied
</Directory>
{body}
"""


def start_apache(name: str, root: Path, mount: str, modules: list[str], body: str) -> Server:
    """Write httpd.conf in *root*, start Debian's apache2 in the foreground, wait for it."""
    for folder in ("logs", "run", "htdocs"):
        (root / folder).mkdir(exist_ok=True)
        (root / folder).chmod(0o755)
    port = free_port()
    conf = root / "httpd.conf"
    conf.write_text(httpd_conf(root, port, modules, body))
    check = subprocess.run([str(APACHE), "-t", "-f", str(conf)], env=APACHE_ENV,
                           capture_output=True, text=True, timeout=60, check=False)
    if check.returncode != 0:
        raise RuntimeError(f"apache2 -t refused {conf}:\n{check.stderr}\n{conf.read_text()}")
    with (root / "logs" / "stdout.log").open("wb") as out:
        proc = subprocess.Popen([str(APACHE), "-DFOREGROUND", "-f", str(conf)], cwd=root,
                                env=APACHE_ENV, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT)
    server = Server(name, proc, port, mount, root / "logs" / "error.log")
    wait_until_serving(server)
    return server


def apache_config(venv: Path, kind: str, *args: str) -> str:
    """``webquiz apache-config KIND ARGS`` as the installed package prints it."""
    result = subprocess.run([str(venv / "bin" / "webquiz"), "apache-config", kind, *args],
                            env=APACHE_ENV, capture_output=True, text=True, timeout=120,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"webquiz apache-config {kind} failed:\n{result.stderr}")
    return result.stdout


def start_cgi(venv: Path, handlers: Path, root: Path) -> Server:
    """Apache + mod_cgid running webquiz-cgi by the ScriptAlias snippet (cgi.conf)."""
    mount = "/cgi-bin/webquiz.cgi"
    snippet = apache_config(venv, "cgi", "--mount", mount, "--handlers", str(handlers))
    (root / "webquiz-cgi.conf").write_text(snippet)
    body = "ScriptSock cgid.sock\nInclude webquiz-cgi.conf\n"
    return start_apache("Apache + mod_cgid", root, mount,
                        ["alias", "env", "reqtimeout", "cgid"], body)


def start_htaccess(venv: Path, handlers: Path, root: Path) -> Server:
    """Apache + mod_cgid + mod_rewrite, configured only by the htaccess variant."""
    mount = "/site"
    site = root / "htdocs" / "site"
    site.mkdir(parents=True)
    written = subprocess.run(
        [str(venv / "bin" / "webquiz"), "apache-config", "htaccess", "--mount", mount,
         "--handlers", str(handlers), "--write", str(site)],
        env=APACHE_ENV, capture_output=True, text=True, timeout=120, check=False)
    if written.returncode != 0:
        raise RuntimeError(f"webquiz apache-config htaccess --write failed:\n{written.stderr}")
    open_up(root)
    # A shared host's main config: .htaccess files may configure CGI and rewriting.
    body = f"""\
ScriptSock cgid.sock
<Directory "{root}/htdocs">
    AllowOverride FileInfo Options=ExecCGI
    Require all granted
</Directory>
"""
    return start_apache("Apache + .htaccess", root, mount,
                        ["env", "reqtimeout", "cgid", "mime", "rewrite", "dir"], body)


def start_wsgi(venv: Path, handlers: Path, root: Path) -> Server:
    """Apache + mod_wsgi in daemon mode by the snippet (wsgi.conf)."""
    mount = "/py"
    snippet = apache_config(venv, "wsgi", "--mount", mount, "--handlers", str(handlers))
    (root / "webquiz-wsgi.conf").write_text(snippet)
    body = "Include webquiz-wsgi.conf\nWSGISocketPrefix run/wsgi\n"
    return start_apache("Apache + mod_wsgi", root, mount, ["env", "reqtimeout"], body)


def start_express(venv: Path, handlers: Path, root: Path) -> Server:
    """``mod_wsgi-express start-server apache/webquiz.wsgi``, as the README runs it."""
    entry = root / "webquiz.wsgi"
    shutil.copy(ROOT / "apache" / "webquiz.wsgi", entry)
    entry.chmod(0o644)
    port = free_port()
    logs = root / "logs"
    logs.mkdir(mode=0o755)
    command = [str(venv / "bin" / "mod_wsgi-express"), "start-server", str(entry),
               "--host", "127.0.0.1", "--port", str(port), "--server-root",
               str(root / "express"), "--log-directory", str(logs), "--locale", "C.UTF-8",
               "--setenv", "WEBQUIZ_HANDLERS", str(handlers),
               # mod_wsgi-express refuses bodies over 10 MiB unless told otherwise.
               "--limit-request-body", str(2**30)]
    if IS_ROOT:
        command += ["--user", "www-data", "--group", "www-data"]
    with (root / "express.log").open("wb") as out:
        # It execs Apache in the end: this PID is the Apache parent.
        proc = subprocess.Popen(command, cwd=root, env=APACHE_ENV, stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT)
    server = Server("mod_wsgi-express", proc, port, "", logs / "error_log")
    wait_until_serving(server)
    return server
