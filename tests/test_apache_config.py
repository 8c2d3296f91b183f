"""``webquiz apache-config``: the templates of apache/ filled in for this machine.

That the output works in a real Apache is tested in test_gateways.py; here, what it says.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from support import ROOT, server_env

SCRIPTS = Path(sysconfig.get_path("scripts"))
PLACEHOLDER = re.compile(r"@[A-Z_]+@")


def apache_config(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "webquiz", "apache-config", *args],
                          capture_output=True, text=True, timeout=120, env=server_env())


def test_wsgi_snippet_names_this_venv_and_the_entry_script(tmp_path):
    result = apache_config("wsgi", "--handlers", str(tmp_path))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert not PLACEHOLDER.search(text)
    assert f'WSGIDaemonProcess webquiz python-home="{sys.prefix}"' in text
    assert f'WSGIScriptAlias /py "{ROOT / "apache" / "webquiz.wsgi"}"' in text
    assert "<Location /py>" in text and "WSGIApplicationGroup %{GLOBAL}" in text
    assert f'    SetEnv WEBQUIZ_HANDLERS "{tmp_path}"' in text
    assert "request-timeout=" in text and "queue-timeout=" in text
    assert "RequestReadTimeout" in text
    # mod_wsgi's LoadModule line, or a comment saying how to get it.
    assert re.search(r"^    (# )?LoadModule wsgi_module ", text, re.M)


def test_cgi_snippet_runs_the_installed_program():
    text = apache_config("cgi", "--mount", "/cgi-bin/webquiz.cgi/").stdout
    assert not PLACEHOLDER.search(text)
    assert f'ScriptAlias /cgi-bin/webquiz.cgi "{SCRIPTS / "webquiz-cgi"}"' in text
    assert f'<Directory "{SCRIPTS}">' in text and '<Files "webquiz-cgi">' in text
    assert '    # SetEnv WEBQUIZ_HANDLERS "' in text  # commented: the pack's own pages


def test_cgi_at_the_root_maps_paths_under_the_program():
    text = apache_config("cgi", "--mount", "/").stdout
    assert f'ScriptAlias / "{SCRIPTS / "webquiz-cgi"}/"' in text


@pytest.mark.parametrize("mount", ["py", "/py x", "/../etc", "/py/.hidden", '/"'])
def test_a_bad_mount_is_refused(mount):
    result = apache_config("wsgi", "--mount", mount)
    assert result.returncode == 2 and "--mount" in result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr


def test_a_missing_handlers_folder_is_refused(tmp_path):
    result = apache_config("cgi", "--handlers", str(tmp_path / "nope"))
    assert result.returncode == 2 and "handlers folder not found" in result.stderr


def test_write_is_for_htaccess_only(tmp_path):
    result = apache_config("wsgi", "--write", str(tmp_path))
    assert result.returncode == 2 and "--write is for htaccess" in result.stderr


def test_htaccess_writes_a_runnable_cgi_program(tmp_path):
    result = apache_config("htaccess", "--mount", "/site", "--write", str(tmp_path))
    assert result.returncode == 0, result.stderr
    htaccess = (tmp_path / ".htaccess").read_text()
    assert not PLACEHOLDER.search(htaccess)
    assert "RewriteBase /site/\n" in htaccess and "RewriteRule ^ webquiz.cgi [L]" in htaccess
    script = tmp_path / "webquiz.cgi"
    assert script.read_text().startswith(f"#!{sys.executable}\n")
    assert os.access(script, os.X_OK)
    env = {"PYTHONPATH": str(ROOT), "REQUEST_METHOD": "GET", "SCRIPT_NAME": "/site/webquiz.cgi",
           "PATH_INFO": "/simple", "SERVER_NAME": "x", "SERVER_PORT": "80",
           "SERVER_PROTOCOL": "HTTP/1.1"}
    run = subprocess.run([str(script)], env=env, capture_output=True, timeout=60)
    assert run.stdout.startswith(b"Status: 200 OK\r\n") and b"<time datetime=" in run.stdout


def test_every_placeholder_of_every_template_has_a_value():
    from webquiz.apacheconf import values

    known = set(values("/py", None)) | {"LOAD_MODULE"}
    for template in (ROOT / "apache").iterdir():
        used = {m[1:-1] for m in PLACEHOLDER.findall(template.read_text())}
        assert used <= known, (template.name, used - known)


def test_the_readmes_deploy_commands_work(tmp_path):
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Deploy under Apache", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"webquiz apache-config (\w+) --mount (\S+)", section)
    assert {kind for kind, _ in commands} == {"wsgi", "cgi", "htaccess"}
    for kind, mount in commands:
        result = apache_config(kind, "--mount", mount)
        assert result.returncode == 0 and f"{mount}" in result.stdout, result.stderr
    assert "mod_wsgi-express start-server apache/webquiz.wsgi" in section
    assert (ROOT / "apache" / "webquiz.wsgi").is_file()
