"""The README's handler example works as written."""

from __future__ import annotations

import re

from support import ROOT, ValidatingClient

from webquiz import make_app


def test_readme_hello_handler(tmp_path):
    readme = (ROOT / "README.md").read_text()
    source = re.search(r"Save this as\s+`mypages/hello.py`.*?```python\n(.*?)```", readme, re.S)
    assert source, "the README's handler example is missing"
    folder = tmp_path / "mypages"
    folder.mkdir()
    (folder / "hello.py").write_text(source.group(1))
    client = ValidatingClient(make_app(folder))
    html = client.get("/hello?name=%3Cscript%3E").get_data(as_text=True)
    assert "<p>Hello, &lt;script&gt;!</p>" in html
    assert "<p>Hello, stranger!</p>" in client.get("/hello").get_data(as_text=True)
    index = client.get("/").get_data(as_text=True)
    assert "Greet the visitor by the name in the query string." in index


def test_readme_lists_every_page():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## The pages", 1)[1].split("\n## ", 1)[0]
    listed = re.findall(r"^\| `([a-z]+)` \| `/", table, re.M)
    assert listed and sorted(listed) == sorted(p.stem for p in (ROOT / "handlers").glob("[!_]*.py"))
