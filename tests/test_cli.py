"""The ``webquiz`` command: routes, options, and refusals (run as real subprocesses)."""

from __future__ import annotations

import subprocess
import sys

from support import HANDLERS, server_env


def run_cli(*args: str, cwd=None, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "webquiz", *args],
        capture_output=True, text=True, timeout=60, cwd=cwd, env=server_env(**env),
    )


def test_routes_prints_name_and_file_for_the_pack(tmp_path):
    result = run_cli("routes", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "FILE"]
    table = dict(line.split()[:2] for line in lines[1:])
    assert table["/simple"] == str(HANDLERS / "simple.py")
    assert table["/test"] == str(HANDLERS / "test.py")


def test_routes_for_a_users_folder_by_flag_and_by_env(make_handlers, tmp_path):
    folder = make_handlers(
        mine="def handler(req):\n    return 0\n",
        helper="X = 1\n",
        broken="raise ImportError('nope')\n",
    )
    by_flag = run_cli("routes", "--handlers", str(folder))
    by_env = run_cli("routes", WEBQUIZ_HANDLERS=str(folder))
    for result in (by_flag, by_env):
        assert result.returncode == 0
        assert f"/mine   {folder / 'mine.py'}" in result.stdout
        assert f"/broken {folder / 'broken.py'}  (failed to import: answers 500)" in result.stdout
        assert "/simple" not in result.stdout and "/helper" not in result.stdout
        assert f"{folder / 'helper.py'} defines no handler(req)" in result.stderr


def test_missing_handlers_folder_is_a_clear_error(tmp_path):
    result = run_cli("routes", "--handlers", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "handlers folder not found" in result.stderr and "Traceback" not in result.stderr


def test_debug_is_refused_on_a_public_address():
    result = run_cli("serve", "--debug", "--host", "0.0.0.0", "--port", "1")
    assert result.returncode == 2
    assert "refusing --debug on 0.0.0.0" in result.stderr


def test_version_and_help():
    assert run_cli("--version").stdout.startswith("webquiz ")
    helptext = run_cli("serve", "--help").stdout
    for option in ("--host", "--port", "--handlers", "--debug", "--reload"):
        assert option in helptext
