"""A regular (non-editable) install into a fresh venv works from any directory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from gateway_servers import free_port, wait_for_port
from support import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    """A fresh venv with ``pip install <checkout>``, built from a copy of the source."""
    base = tmp_path_factory.mktemp("install")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".*_cache"))
    env_dir = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(env_dir)], check=True, timeout=120)
    subprocess.run([str(env_dir / "bin" / "python"), "-m", "pip", "install", "-q", str(source)],
                   check=True, timeout=600)
    shutil.rmtree(source)  # the installed package must not depend on the checkout
    return env_dir


def test_only_werkzeug_and_markupsafe_are_required(venv):
    code = ("import importlib.metadata as m, json; "
            "print(json.dumps(m.requires('webquiz')))")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], capture_output=True,
                         text=True, check=True).stdout
    core = sorted(r.split(">")[0].split("=")[0].strip().lower()
                  for r in json.loads(out) if "extra ==" not in r)
    assert core == ["markupsafe", "werkzeug"]
    assert any("mod_wsgi" in r and 'extra == "apache"' in r for r in json.loads(out))


def test_installed_command_serves_the_bundled_handlers(venv, tmp_path):
    routes = subprocess.run([str(venv / "bin" / "webquiz"), "routes"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60, check=True).stdout
    assert "/simple" in routes and "site-packages/webquiz/handlers/simple.py" in routes

    port = free_port()
    proc = subprocess.Popen([str(venv / "bin" / "python"), "-m", "webquiz", "serve",
                             "--port", str(port)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/simple", timeout=10) as r:
            assert r.status == 200 and b"<time datetime=" in r.read()
        # The quiz pages import their private helper (_quiz.py) from the bundled folder.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/pathinfo", timeout=10) as r:
            assert r.status == 200 and b"What month is it?" in r.read()
        # The stylesheet ships in the wheel as package data.
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_webquiz/webquiz.css",
                                    timeout=10) as r:
            css = (ROOT / "webquiz" / "static" / "webquiz.css").read_bytes()
            assert r.status == 200 and r.read() == css
    finally:
        proc.terminate()
        proc.wait(10)


def test_installed_package_ships_the_apache_templates_and_the_cgi_program(venv, tmp_path):
    def config(kind: str) -> str:
        return subprocess.run([str(venv / "bin" / "webquiz"), "apache-config", kind],
                              cwd=tmp_path, capture_output=True, text=True, timeout=120,
                              check=True).stdout

    entry = next(venv.glob("lib/python3*/site-packages/webquiz/apache/webquiz.wsgi"))
    assert f'WSGIScriptAlias /py "{entry}"' in config("wsgi")
    assert f'ScriptAlias /py "{venv / "bin" / "webquiz-cgi"}"' in config("cgi")
    assert "RewriteRule ^ webquiz.cgi [L]" in config("htaccess")
    assert (venv / "bin" / "webquiz-cgi").read_text().startswith(f"#!{venv}/bin/python")


def test_installed_package_has_the_mod_python_layer(venv, tmp_path):
    code = ("from webquiz.mod_python import apache, util; "
            "print(apache.HTTP_NOT_FOUND, util.FieldStorage.__name__)")
    out = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.split() == ["404", "FieldStorage"]


def test_installed_command_writes_a_new_page_from_the_shipped_templates(venv, tmp_path):
    result = subprocess.run([str(venv / "bin" / "webquiz"), "new", "hello"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "handlers" / "hello.py").read_text().startswith('"""Hello: show one')
    assert "def test_markup_is_escaped" in (tmp_path / "tests" / "test_hello.py").read_text()
