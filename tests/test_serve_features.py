"""``webquiz serve`` grown up: socket activation, PID file and stop, TLS, static files."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time

import pytest
from gateway_servers import free_port, wait_for_port
from support import ROOT, require, server_env

pytestmark = pytest.mark.slow


def get(port: int, path: str, method: str = "GET", headers: dict | None = None,
        context: ssl.SSLContext | None = None):
    if context is None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    else:
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=10, context=context)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def stop(proc: subprocess.Popen) -> int:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    return proc.returncode


# -- socket activation ----------------------------------------------------------------

ACTIVATE = """
import os, sys
os.dup2(int(sys.argv[1]), 3)
os.environ["LISTEN_PID"] = str(os.getpid())   # exec keeps the PID, as systemd's fork does
os.environ["LISTEN_FDS"] = "1"
os.execv(sys.executable, [sys.executable, "-m", "webquiz", "serve", "--port", "1"])
"""


def test_socket_activation_serves_on_the_inherited_socket(tmp_path):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    port = sock.getsockname()[1]
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", ACTIVATE, str(sock.fileno())],
                                pass_fds=(sock.fileno(),), env=server_env(), cwd=tmp_path,
                                stdout=out, stderr=subprocess.STDOUT)
    sock.close()  # the server holds its own copy now
    try:
        status, _, body = get(port, "/simple")
        assert status == 200 and b"<time" in body
        assert "socket systemd passed (fd 3)" in log.read_text()
    finally:
        assert stop(proc) == 0
    assert "Traceback" not in log.read_text()


def test_systemd_socket_activate_tool(tmp_path):
    tool = shutil.which("systemd-socket-activate")
    require(tool, "systemd-socket-activate (Debian package systemd)")
    port = free_port()
    env = server_env()
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [tool, "-l", f"127.0.0.1:{port}", "-E", f"PYTHONPATH={env['PYTHONPATH']}",
             sys.executable, "-m", "webquiz", "serve"],
            env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, proc)
        status, _, body = get(port, "/test")
        assert status == 200 and b"webquiz is working" in body
    finally:
        stop(proc)
    assert "socket systemd passed" in log.read_text()


# -- PID file and stop ------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "webquiz", *args], capture_output=True,
                          text=True, timeout=30, env=server_env())


def test_pid_file_and_stop(serve, tmp_path):
    pid_file = tmp_path / "webquiz.pid"
    server = serve("--pid-file", str(pid_file))
    assert int(pid_file.read_text()) == server.proc.pid
    result = run_cli("stop", "--pid-file", str(pid_file))
    assert result.returncode == 0, result.stderr
    assert server.proc.wait(10) == 0
    assert not pid_file.exists()
    assert "Traceback" not in server.log_text()


def test_stop_without_a_server(tmp_path):
    result = run_cli("stop", "--pid-file", str(tmp_path / "none.pid"))
    assert result.returncode == 1 and "no server to stop" in result.stderr
    stale = tmp_path / "stale.pid"
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale.write_text(f"{dead.pid}\n")
    result = run_cli("stop", "--pid-file", str(stale))
    assert result.returncode == 0 and not stale.exists()


def test_stop_refuses_a_process_that_is_not_webquiz(tmp_path):
    other = subprocess.Popen(["sleep", "30"])
    try:
        pid_file = tmp_path / "other.pid"
        pid_file.write_text(str(other.pid))
        result = run_cli("stop", "--pid-file", str(pid_file))
        assert result.returncode == 1 and "not a webquiz server" in result.stderr
        assert other.poll() is None
    finally:
        other.kill()
        other.wait()


# -- TLS --------------------------------------------------------------------------------


def test_tls_with_cert_and_key(serve, tmp_path):
    openssl = shutil.which("openssl")
    require(openssl, "openssl (to make a throw-away certificate)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    server = serve("--cert", str(cert), "--key", str(key))
    context = ssl.create_default_context(cafile=str(cert))
    status, _, body = get(server.port, "/simple", context=context)
    assert status == 200 and b"<time" in body
    with pytest.raises(ssl.SSLError):
        get(server.port, "/simple", context=ssl.create_default_context())  # not trusted
    assert run_cli("serve", "--cert", str(cert)).returncode == 2


# -- static files -----------------------------------------------------------------------


@pytest.fixture
def static_server(serve, tmp_path):
    folder = tmp_path / "public"
    (folder / "sub").mkdir(parents=True)
    (folder / "site.css").write_text("body { color: black }\n")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 16)
    (folder / "sub" / "deep.css").write_text("p {}\n")
    (folder / "secret.py").write_text("PASSWORD = 1\n")
    (folder / ".hidden.css").write_text("x\n")
    (folder / "inside.css").symlink_to(folder / "site.css")
    outside = tmp_path / "outside.css"
    outside.write_text("outside\n")
    (folder / "out.css").symlink_to(outside)
    (folder / "etc.css").symlink_to("/etc/passwd")
    os.mkfifo(folder / "pipe.css")
    (folder / "dir.css").mkdir()
    return serve("--static", str(folder))


def test_static_files_are_served_with_types_and_caching(static_server):
    port = static_server.port
    status, headers, body = get(port, "/static/site.css")
    assert status == 200 and body == b"body { color: black }\n"
    assert headers["Content-Type"].startswith("text/css")
    assert "max-age=3600" in headers["Cache-Control"] and headers["ETag"]
    assert get(port, "/static/site.css", headers={"If-None-Match": headers["ETag"]})[0] == 304
    assert get(port, "/static/logo.png")[1]["Content-Type"] == "image/png"
    assert get(port, "/static/sub/deep.css")[0] == 200
    assert get(port, "/static/inside.css")[0] == 200  # a link that stays inside
    head = get(port, "/static/site.css", method="HEAD")
    assert head[0] == 200 and head[2] == b""
    assert get(port, "/simple")[0] == 200  # the pages are still there
    for response in (get(port, "/static/site.css"), get(port, "/static/nope.css")):
        assert response[1]["X-Content-Type-Options"] == "nosniff"
        assert response[1]["Content-Security-Policy"].startswith("default-src 'self'")
        assert response[1]["Referrer-Policy"] == "same-origin"


@pytest.mark.parametrize("path", [
    "/static/secret.py", "/static/.hidden.css", "/static/out.css", "/static/etc.css",
    "/static/pipe.css", "/static/dir.css", "/static/sub/", "/static/", "/static/sub",
    "/static/../README.md", "/static/sub/../site.css", "/static/%2e%2e/outside.css",
    "/static/sub%2Fdeep.css", "/static/site.css%00", "/static/site.css%00.png",
    "/static//etc/passwd", "/static/nope.css", "/static/SITE.CSS",
])
def test_static_refuses_what_it_must(static_server, path):
    start = time.monotonic()
    status, _, body = get(static_server.port, path)
    assert status == 404, (path, status)
    assert b"PASSWORD" not in body and b"root:" not in body and b"outside" not in body
    assert time.monotonic() - start < 5  # the FIFO is never opened


def test_static_allows_only_get_and_head(static_server):
    assert get(static_server.port, "/static/site.css", method="POST")[0] == 405


def test_ext_limits_what_static_serves(serve, tmp_path):
    folder = tmp_path / "public"
    folder.mkdir()
    (folder / "a.css").write_text("a")
    (folder / "a.txt").write_text("a")
    server = serve("--static", str(folder), "--static-prefix", "/files", "--ext", "txt")
    assert get(server.port, "/files/a.txt")[0] == 200
    assert get(server.port, "/files/a.css")[0] == 404
    assert get(server.port, "/static/a.txt")[0] == 404


def test_systemd_units_are_shipped_and_valid(tmp_path):
    units = ROOT / "contrib" / "systemd"
    service = (units / "webquiz.service").read_text()
    socket_unit = (units / "webquiz.socket").read_text()
    for option in ("DynamicUser=yes", "NoNewPrivileges=yes", "ProtectSystem=strict",
                   "ExecStart=/opt/webquiz/venv/bin/webquiz serve"):
        assert option in service
    assert "ListenStream=127.0.0.1:8000" in socket_unit
    analyze = shutil.which("systemd-analyze")
    require(analyze, "systemd-analyze (Debian package systemd) to verify the units")
    # The ExecStart path is a placeholder for the user's venv: point it at a real file.
    (tmp_path / "webquiz.service").write_text(
        service.replace("/opt/webquiz/venv/bin/webquiz", shutil.which("true")))
    (tmp_path / "webquiz.socket").write_text(socket_unit)
    result = subprocess.run([analyze, "verify", str(tmp_path / "webquiz.socket"),
                             str(tmp_path / "webquiz.service")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
