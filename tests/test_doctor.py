"""``webquiz doctor URL``: clean on every real set-up the suite starts (dev server, Apache +
CGI by ScriptAlias and by .htaccess, mod_wsgi daemon mode, mod_wsgi-express); on each
deliberately broken one (tests/doctor_setups.py) it fails, names the check and the fix.

The doctor runs as a user runs it, ``python -m webquiz doctor URL``, and the tests read
what a user reads: the exit status, the table's row, the fix line (or the --json).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from doctor_setups import FAULTS, SMALL_BODY, start_faulty, start_without_socket_folder
from gateway_servers import world_readable_dir
from support import HANDLERS, require, server_env
from werkzeug.test import Client

from webquiz import make_app
from webquiz.doctor_compare import junk_before, shape
from webquiz.doctor_requests import Answer
from webquiz.probe import PROBE_OFF


def doctor(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m webquiz doctor ARGS``, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "webquiz", "doctor", *args],
                          capture_output=True, text=True, timeout=900, env=server_env())


def verdicts(result: subprocess.CompletedProcess[str]) -> dict[str, dict[str, object]]:
    """The checks of a ``--json`` run, by name."""
    assert not result.stderr, result.stderr
    return {check["check"]: check for check in json.loads(result.stdout)["checks"]}


def row(table: str, check: str) -> str:
    """The table's row for *check*."""
    (line,) = [line for line in table.splitlines() if line.startswith(check + "  ")]
    return line


def fix(table: str, check: str) -> str:
    """The fix the table gives for *check*."""
    (line,) = [line for line in table.splitlines()
               if line.startswith(f"  {check} (FAIL): ") or line.startswith(f"  {check} (warn): ")]
    return line


# -- the probe, in process ---------------------------------------------------------------


def probe_get(app, path="/_webquiz/probe", **kwargs):
    return Client(app).get(path, base_url="http://example.test/py/", **kwargs)


def test_the_probe_reports_what_arrived_and_never_a_credential():
    answer = probe_get(make_app(HANDLERS), "/_webquiz/probe/%C3%A9t%C3%A9/a%20b?q=%C3%A9",
                       headers={"Authorization": "Basic c2VjcmV0LXVzZXI6c2VjcmV0LXB3"})
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    assert answer.headers["Cache-Control"] == "no-store"
    assert answer.headers["X-Content-Type-Options"] == "nosniff"  # through the one exit
    report = answer.get_json()
    assert report["script_name"] == "/py"
    assert bytes.fromhex(report["path_info_bytes"]) == "/_webquiz/probe/été/a b".encode()
    assert bytes.fromhex(report["query_string_bytes"]) == b"q=%C3%A9"
    assert report["authorization"] is True and b"c2VjcmV0" not in answer.data
    assert report["python"]["prefix"] == sys.prefix and report["process"]["pid"] == os.getpid()
    assert probe_get(make_app(HANDLERS)).get_json()["authorization"] is False


def test_the_probe_counts_a_body_and_refuses_one_over_the_cap():
    app = make_app(HANDLERS, max_upload=1000)
    client = Client(app)
    ok = client.post("/_webquiz/probe", data=b"x" * 1000)
    assert ok.status_code == 200 and ok.get_json()["body_bytes"] == 1000
    over = client.post("/_webquiz/probe", data=b"x" * 1001)
    assert over.status_code == 413
    assert over.get_json() == {"refused_by": "webquiz", "max_upload": 1000}
    chunked = client.post("/_webquiz/probe", input_stream=io.BytesIO(b"y" * 5000),
                          environ_overrides={"wsgi.input_terminated": True,
                                             "HTTP_TRANSFER_ENCODING": "chunked"})
    assert chunked.status_code == 413  # a chunked body is capped too
    assert client.put("/_webquiz/probe").status_code == 405


@pytest.mark.parametrize("how", ["make_app", "request environ", "process environ"])
def test_the_probe_can_be_turned_off(how, monkeypatch):
    app = make_app(HANDLERS, probe=how != "make_app")
    overrides = {"WEBQUIZ_PROBE": "0"} if how == "request environ" else {}
    if how == "process environ":
        monkeypatch.setenv("WEBQUIZ_PROBE", "off")
    answer = probe_get(app, environ_overrides=overrides)
    assert answer.status_code == 404 and PROBE_OFF in answer.get_data(as_text=True)
    assert b'"pid"' not in answer.data


# -- the comparison rules --------------------------------------------------------------------


def html(body: str) -> Answer:
    return Answer(200, [("Content-Type", "text/html; charset=utf-8")], body.encode())


FRAME = ('<!doctype html><html><head><title>{title}</title>'
         '<link rel="stylesheet" href="{root}/_webquiz/webquiz.css?v=1"></head><body>'
         '<h1>{title}</h1><main>{main}</main><a href="{root}/">Back</a></body></html>')


def test_a_shape_ignores_what_main_holds_and_sees_the_frame():
    page = FRAME.format(title="Time", root="/py", main="<p>It is <time>10:00</time></p>")
    later = FRAME.format(title="Time", root="/py", main="<table><tr><td>3</td></tr></table>")
    assert shape(html(page)) == shape(html(later))
    assert shape(html(page)) != shape(html(FRAME.format(title="404 Not Found", root="/py",
                                                        main="")))
    assert shape(html(page)) != shape(html(FRAME.format(title="Time", root="/py/",
                                                        main="")))  # the links moved


def test_a_shape_counts_repeated_rows_once():
    rows = "".join(f"<dt>{n}</dt><dd>{n}</dd>" for n in range(5))
    assert shape(html(f"<dl>{rows}</dl>")) == shape(html("<dl><dt>a</dt><dd>b</dd></dl>"))
    assert shape(html("<dl><dt>a</dt></dl>")) != shape(html("<dl><dd>b</dd></dl>"))


def test_stray_output_is_the_header_lines_before_webquizs_own():
    body = (b"Status: 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
            b"<!doctype html>\n<html>")
    assert junk_before(body) == body[:body.index(b"\r\n\r\n") + 2]
    assert junk_before(b"<!doctype html>\n<p>Note: this\n\n</p>") is None
    assert junk_before(b"Note: plain text\n\nmore") is None  # no CGI header in it


def test_a_url_the_doctor_cannot_use_is_refused_with_status_2(tmp_path):
    for url in ("ftp://example.test/py", "http:///py", "http://127.0.0.1/py?x=1"):
        result = doctor(url)
        assert result.returncode == 2 and "webquiz: " in result.stderr, result
    result = doctor("http://127.0.0.1:9/py", "--handlers", str(tmp_path / "nope"))
    assert result.returncode == 2 and "handlers folder not found" in result.stderr


# -- clean set-ups ------------------------------------------------------------------------


@pytest.mark.slow
def test_every_set_up_the_snippets_make_is_clean(gateway, served_handlers):
    result = doctor(gateway.url(""), "--handlers", str(served_handlers), "--json")
    checks = verdicts(result)
    failed = {name: check for name, check in checks.items() if check["verdict"] == "FAIL"}
    assert result.returncode == 0 and not failed, (failed, gateway.log_text()[-3000:])
    pages = {name for name in checks if name.startswith("page ")}
    assert pages == {"page /", "page /_webquiz/webquiz.css",
                     *(f"page /{path.stem}" for path in served_handlers.glob("[!_]*.py"))}
    assert checks["mount"]["got"] == (gateway.mount or "(empty)")
    assert checks["authorization"]["verdict"] == "ok"  # WSGIPassAuthorization, CGIPassAuth
    assert checks["path info"]["verdict"] == "ok" and checks["clean output"]["verdict"] == "ok"
    # The clock, the process and the server show on these: compared by shape.
    for name in ("simple", "stats", "environ", "test", "echo"):
        assert checks[f"page /{name}"]["expected"].endswith("same shape"), name
    for name in ("get", "pathinfo", "escape", "setcookies", "boom"):
        assert checks[f"page /{name}"]["expected"].endswith("same bytes"), name
    assert checks["body size"]["got"] == "16 MiB accepted"
    if gateway.name in ("Apache + mod_wsgi", "mod_wsgi-express"):
        # Chunked bodies need WSGIChunkedRequest: a warning, with its fix.
        assert checks["chunked body"]["verdict"] == "warn"
        assert "411" in str(checks["chunked body"]["got"])
        assert ("--chunked-request" if gateway.name == "mod_wsgi-express"
                else "WSGIChunkedRequest On") in str(checks["chunked body"]["fix"])
    else:
        assert checks["chunked body"]["verdict"] == "ok"


@pytest.mark.slow
@pytest.mark.parametrize("gateway", ["dev"], indirect=True)
def test_a_server_of_another_folder_shows_the_pages_that_differ(gateway):
    result = doctor(gateway.url(""), "--handlers", str(HANDLERS))
    assert result.returncode == 1, result.stdout
    assert row(result.stdout, "page /").endswith("FAIL")
    assert "+<li><a href=\"/echo\">echo</a>" in result.stdout  # the server lists it, we don't
    # The pack's own folder links each page to its source; a copy of it does not.
    assert '-<a href="/_webquiz/source/get.py">' in result.stdout or "more pages" in result.stdout


@pytest.mark.slow
def test_with_the_probe_off_the_pages_are_still_compared(serve):
    server = serve("--handlers", str(HANDLERS), env=server_env(WEBQUIZ_PROBE="0"))
    result = doctor(server.url(""), "--handlers", str(HANDLERS), "--json")
    checks = verdicts(result)
    assert result.returncode == 0, result.stdout
    assert checks["probe"]["verdict"] == "skip" and checks["probe"]["got"] == "turned off"
    assert "authorization" not in checks and checks["mount"]["verdict"] == "ok"
    assert checks["page /simple"]["verdict"] == "ok"


# -- broken set-ups -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def faulty(venv):
    """One Apache serving the pack at each mount of FAULTS, each with its mistake."""
    root = world_readable_dir("webquiz-faulty-")
    try:
        server = start_faulty(venv, root)
        yield server
        server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("fault", FAULTS, ids=[f.mount.strip("/") for f in FAULTS])
def test_a_broken_set_up_is_named_with_its_fix(faulty, fault):
    result = doctor(f"http://127.0.0.1:{faulty.port}{fault.mount}")
    assert result.returncode == 1, (fault.what, result.stdout, result.stderr)
    assert row(result.stdout, fault.check).endswith("FAIL"), (fault.what, result.stdout)
    assert fault.fix in fix(result.stdout, fault.check), (fault.what, result.stdout)


@pytest.mark.slow
def test_the_body_limit_is_found_where_apache_puts_it(faulty):
    result = doctor(f"http://127.0.0.1:{faulty.port}/smallbody", "--json")
    body = verdicts(result)["body size"]
    assert body["verdict"] == "FAIL"
    assert str(body["got"]).startswith(f"{SMALL_BODY // 1024**2} MiB accepted")
    assert "413 Request Entity Too Large" in str(body["got"])
    assert f"LimitRequestBody {2**30}" in str(body["fix"])
    assert "<Location /smallbody>" in str(body["fix"])


@pytest.mark.slow
def test_a_missing_daemon_socket_folder_is_named(venv):
    root = world_readable_dir("webquiz-nosocket-")
    try:
        server = start_without_socket_folder(venv, root)
        try:
            result = doctor(server.url(""))
            assert server.wait_for_log("Unable to connect to WSGI daemon process")
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    assert result.returncode == 1, result.stdout
    assert "503 Service Unavailable" in row(result.stdout, "reachable")
    assert "WSGISocketPrefix" in fix(result.stdout, "reachable")


# -- webquiz apache-config: the mod_wsgi Apache runs must match the venv's Python -----------


def apache_config_wsgi(confdir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "webquiz", "apache-config", "wsgi"],
                          capture_output=True, text=True, timeout=120,
                          env=server_env(APACHE_CONFDIR=str(confdir)))


def enable_module(confdir: Path, module: Path) -> None:
    """Enable *module* as Debian's a2enmod would: mods-enabled/wsgi.load."""
    (confdir / "mods-enabled").mkdir(parents=True)
    (confdir / "mods-enabled" / "wsgi.load").write_text(f"LoadModule wsgi_module {module}\n")


@pytest.mark.slow
def test_apache_config_warns_when_apaches_mod_wsgi_is_built_for_another_python(tmp_path):
    # A module linked against another Python's libpython, as Debian's
    # libapache2-mod-wsgi-py3 is against the system's: built here with the C compiler
    # mod_wsgi itself needs, since CI has one Python only.
    require(shutil.which("gcc"), "gcc (apt: build-essential), which mod_wsgi needs too")
    other = f"3.{sys.version_info.minor - 1}"
    (tmp_path / "empty.c").write_text("int webquiz_stub;\n")
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", f"libpython{other}.so",
                    f"-Wl,-soname,libpython{other}.so.1.0", "empty.c"],
                   cwd=tmp_path, check=True, timeout=60)
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", "mod_wsgi.so", "empty.c",
                    "-Wl,--no-as-needed", "-L.", f"-lpython{other}"],
                   cwd=tmp_path, check=True, timeout=60)
    enable_module(tmp_path / "apache2", tmp_path / "mod_wsgi.so")
    result = apache_config_wsgi(tmp_path / "apache2")
    assert result.returncode == 0 and "WSGIDaemonProcess" in result.stdout
    assert f"built for Python {other}" in result.stderr
    assert f"is Python 3.{sys.version_info.minor}" in result.stderr
    assert "a2dismod wsgi" in result.stderr


@pytest.mark.slow
def test_apache_config_is_quiet_when_mod_wsgi_matches_the_venv(tmp_path, venv):
    # The real module pip built for Debian's python3 (the Apache tests' venv).
    (module,) = venv.glob("lib/python3*/site-packages/mod_wsgi/server/mod_wsgi*.so")
    enable_module(tmp_path / "apache2", module)
    built = module.name.split("-py3")[1][:2]
    if built != str(sys.version_info.minor):
        pytest.skip(f"this Python is 3.{sys.version_info.minor}, the module 3.{built}")
    result = apache_config_wsgi(tmp_path / "apache2")
    assert result.returncode == 0 and result.stderr == "", result.stderr
