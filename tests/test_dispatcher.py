"""The dispatcher's rules: names, suffixes, SCRIPT_NAME/PATH_INFO, 404s, loading, errors."""

from __future__ import annotations

import sys

import pytest
from werkzeug.test import Client

from conftest import ValidatingClient
from webquiz import make_app

ECHO = '''
    """Echo where the request was routed."""
    from webquiz import OK

    def handler(req):
        req.content_type = "text/plain"
        req.write(f"{req.script_name}|{req.path_info}|{req.uri}|{req.app_root}")
        return OK
'''


@pytest.fixture
def folder(make_handlers):
    return make_handlers(
        echo=ECHO,
        _private='def handler(req):\n    req.write("private")\n',
        nohandler='"""A helper module with no handler."""\nVALUE = 1\n',
        notcallable="handler = 42\n",
        **{"my-page": ECHO},
    )


@pytest.fixture
def echo_client(folder):
    return ValidatingClient(make_app(folder))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/echo", "/echo||/echo|"),
        ("/echo/", "/echo|/|/echo/|"),
        ("/echo/3/4", "/echo|/3/4|/echo/3/4|"),
        ("/echo.prog/3/4", "/echo.prog|/3/4|/echo.prog/3/4|"),
        ("/echo.py/3", "/echo.py|/3|/echo.py/3|"),
        ("/echo.cgi", "/echo.cgi||/echo.cgi|"),
        ("/my-page/x", "/my-page|/x|/my-page/x|"),
        ("/echo/caf%C3%A9/%2541", "/echo|/café/%41|/echo/café/%41|"),
    ],
)
def test_name_moves_to_script_name(echo_client, url, expected):
    response = echo_client.get(url)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == expected


def test_mount_point_is_kept_in_script_name(folder):
    client = ValidatingClient(make_app(folder))
    response = client.get("/echo.prog/1", base_url="http://localhost/py/")
    assert response.get_data(as_text=True) == "/py/echo.prog|/1|/py/echo.prog/1|/py"


@pytest.mark.parametrize(
    "url",
    [
        "/os", "/sys", "/antigravity", "/this", "/importlib",
        "/_private", "/_private/x", "/__init__", "/__pycache__",
        "/nohandler", "/notcallable",
        "/echo.txt", "/echo.prog.py", "/os.path", "/echo.", "/.echo",
        "/echo%2F..", "/..", "/%2e%2e/echo", "/../echo", "/sub", "/sub/echo",
        "/ECHO", "/echo%0A", "/echo%0D%0AX: y", "/echo%09", "/%0Aecho", "/ech%C3%B6",
        "/echo.PROG", "/echo%00",
    ],
)
def test_unroutable_names_are_404_and_import_nothing(folder, url, errors):
    (folder / "sub").mkdir()
    (folder / "sub" / "__init__.py").write_text("def handler(req):\n    return 0\n")
    (folder / "sub" / "echo.py").write_text("def handler(req):\n    return 0\n")
    client = ValidatingClient(make_app(folder))
    client.get("/echo")  # what any first request imports (the test client's own modules)
    before = set(sys.modules)
    response = client.get(url, errors_stream=errors)
    assert response.status_code == 404
    assert set(sys.modules) == before, "a 404 must not import anything"
    body = response.get_data(as_text=True)
    assert "There is no page of that name here." in body
    assert str(folder) not in body, "the client page must not show server paths"
    assert "404" in errors.getvalue() and str(folder) in errors.getvalue()


@pytest.mark.parametrize("raw", ["/echo%2Fx", "/py/echo/a%2fb", "/echo%2F..?q=1"])
def test_encoded_slashes_in_the_raw_uri_are_404_as_under_apache(echo_client, raw):
    path = raw.split("?")[0].replace("%2F", "/").replace("%2f", "/")
    response = echo_client.get(path, environ_overrides={"REQUEST_URI": raw})
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/echo/%00", "/echo/a%00b/c", "/echo.py/x%00"])
def test_a_nul_in_the_path_is_404_as_under_apache(echo_client, path):
    # Apache answers %00 in a path with its own 404; the other gateways now agree.
    assert echo_client.get(path).status_code == 404


def test_encoded_slash_in_the_query_string_is_fine(echo_client):
    response = echo_client.get("/echo?a=%2F", environ_overrides={"REQUEST_URI": "/echo?a=%2F"})
    assert response.status_code == 200


def test_dangerous_module_names_are_never_imported(make_handlers):
    client = ValidatingClient(make_app(make_handlers(ok="def handler(req):\n    return 0\n")))
    for name in ("antigravity", "this", "webbrowser"):
        was_loaded = name in sys.modules
        assert client.get(f"/{name}").status_code == 404
        assert (name in sys.modules) == was_loaded


def test_a_module_elsewhere_on_sys_path_is_not_routable(make_handlers, tmp_path, monkeypatch):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "spy.py").write_text("raise SystemExit('must not be imported')\n")
    monkeypatch.syspath_prepend(str(outside))
    client = Client(make_app(make_handlers(ok="def handler(req):\n    return 0\n")))
    assert client.get("/spy").status_code == 404
    assert "spy" not in sys.modules


def test_handler_exception_is_500_without_traceback(make_handlers, errors):
    folder = make_handlers(boom='def handler(req):\n    raise ValueError("secret detail")\n')
    client = ValidatingClient(make_app(folder))
    response = client.get("/boom", errors_stream=errors)
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "secret detail" not in body
    assert "Internal Server Error" in body
    log = errors.getvalue()
    assert "Traceback" in log and "ValueError: secret detail" in log


def test_debug_mode_lets_the_exception_reach_the_debugger(make_handlers):
    folder = make_handlers(boom='def handler(req):\n    raise ValueError("secret detail")\n')
    client = Client(make_app(folder, debug=True))
    with pytest.raises(ValueError, match="secret detail"):
        client.get("/boom")


def test_import_error_answers_500_and_others_keep_working(make_handlers, capsys, errors):
    folder = make_handlers(
        broken="import no_such_module_anywhere\n\ndef handler(req):\n    return 0\n",
        fine=ECHO,
    )
    app = make_app(folder)
    startup = capsys.readouterr().err
    assert "'broken' failed to import" in startup and "no_such_module_anywhere" in startup
    client = ValidatingClient(app)
    response = client.get("/broken", errors_stream=errors)
    assert response.status_code == 500
    assert "no_such_module_anywhere" not in response.get_data(as_text=True)
    assert "no_such_module_anywhere" in errors.getvalue()
    assert client.get("/fine/1").get_data(as_text=True) == "/fine|/1|/fine/1|"


COUNTING = '''
    import os
    from pathlib import Path

    log = Path(os.environ["WEBQUIZ_TEST_IMPORT_LOG"])
    with log.open("a") as f:
        f.write(__name__.rsplit(".", 1)[1] + "\\n")

    def handler(req):
        return 0
'''


def test_long_running_servers_load_each_handler_once(make_handlers, tmp_path, monkeypatch):
    imports = tmp_path / "imports.log"
    monkeypatch.setenv("WEBQUIZ_TEST_IMPORT_LOG", str(imports))
    app = make_app(make_handlers(one=COUNTING, two=COUNTING))
    assert sorted(imports.read_text().split()) == ["one", "two"]
    client = Client(app)
    for _ in range(3):
        assert client.get("/one").status_code == 200
    assert sorted(imports.read_text().split()) == ["one", "two"]


def test_lazy_mode_loads_only_the_requested_handler(make_handlers, tmp_path, monkeypatch):
    imports = tmp_path / "imports.log"
    monkeypatch.setenv("WEBQUIZ_TEST_IMPORT_LOG", str(imports))
    app = make_app(make_handlers(one=COUNTING, two=COUNTING), eager=False)
    assert not imports.exists()
    client = Client(app)
    assert client.get("/two").status_code == 200
    assert client.get("/two").status_code == 200
    assert imports.read_text().split() == ["two"]


def test_a_handler_can_import_a_private_helper_beside_it(make_handlers):
    folder = make_handlers(
        _helper="GREETING = 'hello from the helper'\n",
        uses="from . import _helper\n\ndef handler(req):\n    req.write(_helper.GREETING)\n",
    )
    client = Client(make_app(folder))
    assert client.get("/uses").get_data(as_text=True) == "hello from the helper"
    assert client.get("/_helper").status_code == 404


def test_handlers_env_var_chooses_the_folder(make_handlers, monkeypatch):
    monkeypatch.setenv("WEBQUIZ_HANDLERS", str(make_handlers(mine=ECHO)))
    client = Client(make_app())
    assert client.get("/mine").status_code == 200
    assert client.get("/simple").status_code == 404


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(NotADirectoryError, match="handlers folder not found"):
        make_app(tmp_path / "nope")
