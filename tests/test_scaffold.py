"""``webquiz new``: a handler and its test from the templates, served and tested for real;
names the dispatcher would not route are refused, and no file is overwritten."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from support import ROOT, ValidatingClient, check_page, server_env

from webquiz import make_app
from webquiz.cli import main


def new(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "webquiz", "new", *args], cwd=cwd,
                          env=server_env(**env), capture_output=True, text=True, timeout=60)


@pytest.mark.slow
def test_new_writes_a_page_that_serves_lints_and_passes_its_own_tests(tmp_path, serve):
    result = new("hello", "--handlers", "mypages", "--tests", "mytests", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "wrote mypages/hello.py",
        "wrote mytests/test_hello.py",
        "serve it with `webquiz serve --handlers mypages` and open "
        "http://127.0.0.1:8000/hello; test it with `pytest mytests/test_hello.py`",
    ]
    handler = (tmp_path / "mypages" / "hello.py").read_text()
    assert handler.startswith('"""Hello: show one form field back, escaped')
    assert 'TITLE = "Hello"' in handler and "def handler(req):" in handler

    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
         str(ROOT / "pyproject.toml"), "mypages", "mytests"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    server = serve("--handlers", str(tmp_path / "mypages"))
    url = server.url("/hello?text=%3Cscript%3E")
    with urllib.request.urlopen(url, timeout=10) as response:
        html = response.read().decode()
    assert "You typed: <strong>&lt;script&gt;</strong>" in html
    with urllib.request.urlopen(server.url("/"), timeout=10) as response:
        assert '<a href="/hello">hello</a>: Hello: show one form field back' in (
            response.read().decode())

    tests = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                            "mytests/test_hello.py"], cwd=tmp_path, env=server_env(),
                           capture_output=True, text=True, timeout=120)
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "4 passed" in tests.stdout


def test_the_generated_page_is_one_of_the_packs_pages(tmp_path):
    assert new("my-page", "--handlers", "h", "--tests", "t", cwd=tmp_path).returncode == 0
    assert (tmp_path / "t" / "test_my_page.py").exists()
    client = ValidatingClient(make_app(tmp_path / "h"))
    html = client.get("/my-page.py?text=a%22b", base_url="http://x/py/").get_data(as_text=True)
    check_page(html, home="/py/")
    assert "<title>My page</title>" in html
    assert '<a href="/py/my-page.py?text=a%22b">' in html and 'value="a&#34;b"' in html
    assert client.head("/my-page").status_code == 200


def test_the_handlers_folder_defaults_to_the_environment_then_handlers(tmp_path):
    assert new("one", cwd=tmp_path).returncode == 0
    assert (tmp_path / "handlers" / "one.py").exists()
    assert (tmp_path / "tests" / "test_one.py").exists()
    chosen = tmp_path / "chosen"
    assert new("two", cwd=tmp_path, WEBQUIZ_HANDLERS=str(chosen)).returncode == 0
    assert (chosen / "two.py").exists()
    assert "HANDLERS = Path(__file__).resolve().parent / '../chosen'" in (
        tmp_path / "tests" / "test_two.py").read_text()


@pytest.mark.parametrize("name", ["_private", "__init__", "a.b", "../up", "a/b", "-", "",
                                  "caf\u00e9", "a b", "x.py", "\u0661"])
def test_names_the_dispatcher_would_not_route_are_refused(tmp_path, capsys, name):
    assert main(["new", name, "--handlers", str(tmp_path / "h"),
                 "--tests", str(tmp_path / "t")]) == 2
    assert "cannot be a page" in capsys.readouterr().err
    assert not (tmp_path / "h").exists() and not (tmp_path / "t").exists()


def test_an_existing_file_is_never_overwritten(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "h").mkdir()
    (tmp_path / "h" / "mine.py").write_text("# my own work\n")
    assert main(["new", "mine", "--handlers", "h", "--tests", "t"]) == 1
    assert "not overwriting h/mine.py; nothing written" in capsys.readouterr().err
    assert (tmp_path / "h" / "mine.py").read_text() == "# my own work\n"
    assert not (tmp_path / "t").exists()
    # Its test file alone existing is refused the same way.
    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_other.py").write_text("# mine\n")
    assert main(["new", "other", "--handlers", "h", "--tests", "t"]) == 1
    assert not (tmp_path / "h" / "other.py").exists()
    assert (tmp_path / "t" / "test_other.py").read_text() == "# mine\n"


def test_a_file_that_appears_meanwhile_is_not_overwritten(tmp_path, monkeypatch):
    # Files are opened with mode "x": one the check missed (created by another program
    # between the check and the write) still stands.
    from webquiz import scaffold

    (tmp_path / "t").mkdir()
    (tmp_path / "t" / "test_late.py").write_text("# raced\n")
    with monkeypatch.context() as patched:
        patched.setattr(scaffold.Path, "exists", lambda self: False)
        with pytest.raises(scaffold.ScaffoldError, match=r"not overwriting .*test_late.py; "
                           r"wrote .*late.py only"):
            scaffold.create("late", tmp_path / "h", tmp_path / "t")
    assert (tmp_path / "t" / "test_late.py").read_text() == "# raced\n"
