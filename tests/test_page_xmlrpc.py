"""The xmlrpc page: the book's Math and Stats methods, introspection, multicall, the
documentation page, and every hostile body answered with a Fault or a 413, quickly."""

from __future__ import annotations

import threading
import time
import xmlrpc.client

import pytest
from support import ValidatingClient, check_page

BOOK_FAILURE = "<class 'RuntimeError'>:This function always raises an error."
METHODS = ["failure", "getruntime", "getstats", "hex", "pow", "system.listMethods",
           "system.methodHelp", "system.methodSignature", "system.multicall"]


def post(client, body: bytes, **kwargs):
    """POST *body* as an XML-RPC client does; assert it took under two seconds."""
    started = time.monotonic()
    response = client.post("/xmlrpc", data=body, content_type="text/xml", **kwargs)
    assert time.monotonic() - started < 2
    return response


def call(client, method: str, *params):
    """Call *method*; return its result or raise its Fault, as ServerProxy would."""
    response = post(client, xmlrpc.client.dumps(params, method).encode())
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    (result,), _ = xmlrpc.client.loads(response.data)
    return result


def fault(client, body: bytes) -> xmlrpc.client.Fault:
    """The Fault a body gets: HTTP 200, a well-formed fault response."""
    response = post(client, body)
    assert response.status_code == 200, response.data[:300]
    assert response.headers["Content-Type"] == "text/xml; charset=utf-8"
    with pytest.raises(xmlrpc.client.Fault) as raised:
        xmlrpc.client.loads(response.data)
    return raised.value


# -- the book's methods ------------------------------------------------------------------


def test_the_book_methods(client):
    assert call(client, "pow", 2, 10) == 1024
    assert call(client, "pow", 2.0, 0.5) == pytest.approx(1.4142135623730951)
    assert call(client, "pow", 2, -2) == 0.25
    assert call(client, "pow", -3, 3) == -27
    assert call(client, "pow", 2, 30) == 2**30
    assert call(client, "hex", 255) == "ff"
    assert call(client, "hex", -16) == "-10"
    assert call(client, "getstats") == {"pow": 5, "hex": 2}
    assert 0 <= call(client, "getruntime") < 60


def test_failure_reaches_the_client_as_a_fault(client):
    with pytest.raises(xmlrpc.client.Fault) as raised:
        call(client, "failure")
    assert (raised.value.faultCode, raised.value.faultString) == (1, BOOK_FAILURE)


def test_introspection(client):
    assert call(client, "system.listMethods") == METHODS
    assert call(client, "system.methodHelp", "pow").startswith(
        "Returns x raised to the yth power")
    assert "the number of times each function was called" in call(
        client, "system.methodHelp", "getstats")
    assert call(client, "system.methodSignature", "pow") == "signatures not supported"


def test_multicall(client):
    calls = [{"methodName": "pow", "params": [3, 3]}, {"methodName": "hex", "params": [16]},
             {"methodName": "failure", "params": []}, {"methodName": "nope", "params": []}]
    results = call(client, "system.multicall", calls)
    assert results[:2] == [[27], ["10"]]
    assert results[2] == {"faultCode": 1, "faultString": BOOK_FAILURE}
    assert results[3]["faultString"].endswith('method "nope" is not supported')
    assert call(client, "getstats") == {"pow": 1, "hex": 1}


def test_the_counts_are_exact_under_threads(client, app):
    def calls() -> None:
        own = ValidatingClient(app)
        for _ in range(20):
            assert call(own, "pow", 2, 2) == 4

    workers = [threading.Thread(target=calls) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
    assert call(client, "getstats") == {"pow": 120, "hex": 0}


# -- what a client may send ------------------------------------------------------------


def method_call(method: str, *values: str) -> bytes:
    """A methodCall whose params are raw XML-RPC <value> contents."""
    params = "".join(f"<param><value>{value}</value></param>" for value in values)
    return (f"<?xml version='1.0'?>\n<methodCall><methodName>{method}</methodName>"
            f"<params>{params}</params></methodCall>").encode()


def billion_laughs() -> bytes:
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">\n' for i in range(1, 10))
    return (f'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY l0 "lol">\n{entities}]>\n'
            "<methodCall><methodName>hex</methodName><params><param><value><string>&l9;"
            "</string></value></param></params></methodCall>").encode()


def nested(depth: int) -> bytes:
    return method_call("pow", "<array><data><value>" * depth + "1" +
                       "</value></data></array>" * depth, "<int>2</int>")


def nested_multicall(depth: int) -> bytes:
    head = ("<value><array><data><value><struct><member><name>methodName</name><value>"
            "<string>system.multicall</string></value></member><member><name>params</name>"
            "<value><array><data>")
    tail = "</data></array></value></member></struct></value></data></array></value>"
    return (f"<methodCall><methodName>system.multicall</methodName><params><param>"
            f"{head * depth}{tail * depth}</param></params></methodCall>").encode()


PARSE_ERROR, INVALID_PARAMS, GENERIC = -32700, -32602, 1

HOSTILE = [
    # (what, body, fault code, text in the fault string)
    ("not XML", b"pow(2, 10)", GENERIC, "ExpatError"),
    ("empty", b"", GENERIC, "no element found"),
    ("truncated", method_call("pow", "<int>2</int>")[:-20], GENERIC, "ExpatError"),
    ("no methodName", b"<methodCall><params/></methodCall>", GENERIC, ""),
    ("billion laughs", billion_laughs(), PARSE_ERROR, "document type"),
    ("external entity", b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM '
     b'"file:///etc/passwd">]><methodCall><methodName>hex</methodName><params><param>'
     b"<value><string>&x;</string></value></param></params></methodCall>",
     PARSE_ERROR, "document type"),
    ("UTF-16", method_call("hex", "<int>1</int>").decode().encode("utf-16"),
     PARSE_ERROR, "NUL byte"),
    ("EBCDIC", b'<?xml version="1.0" encoding="cp500"?>' + "<methodCall/>".encode("cp500"),
     PARSE_ERROR, "encoding"),
    ("5000-digit int", method_call("hex", "<int>" + "9" * 5000 + "</int>"), GENERIC,
     "Exceeds the limit (4300 digits)"),
    ("4000-digit int", method_call("hex", "<int>" + "9" * 4000 + "</int>"), INVALID_PARAMS,
     "outside XML-RPC's 32-bit integers"),
    ("pow(10, 10**9)", method_call("pow", "<int>10</int>", "<int>1000000000</int>"),
     INVALID_PARAMS, "outside XML-RPC's 32-bit integers"),
    ("pow(2, 31)", method_call("pow", "<int>2</int>", "<int>31</int>"), INVALID_PARAMS,
     "outside XML-RPC's 32-bit integers"),
    ("pow(2**31, 1)", method_call("pow", "<i8>2147483648</i8>", "<int>1</int>"),
     INVALID_PARAMS, "x is outside"),
    ("pow(2.0, 1e6)", method_call("pow", "<double>2.0</double>", "<double>1e6</double>"),
     INVALID_PARAMS, "out of range"),
    ("pow(-8, 0.5)", method_call("pow", "<int>-8</int>", "<double>0.5</double>"),
     INVALID_PARAMS, "no finite real result"),
    ("pow(0, -1)", method_call("pow", "<int>0</int>", "<int>-1</int>"), INVALID_PARAMS,
     "negative power"),
    ("pow(nan, 1)", method_call("pow", "<double>nan</double>", "<int>1</int>"),
     INVALID_PARAMS, "finite"),
    ("pow of a string", method_call("pow", "<string>2</string>", "<int>1</int>"),
     INVALID_PARAMS, "must be an integer or a double"),
    ("pow of a boolean", method_call("pow", "<boolean>1</boolean>", "<int>1</int>"),
     INVALID_PARAMS, "must be an integer or a double"),
    ("hex of a double", method_call("hex", "<double>1.5</double>"), INVALID_PARAMS,
     "x must be an integer"),
    ("too few arguments", method_call("pow", "<int>2</int>"), GENERIC, "missing 1 required"),
    ("unknown method", method_call("nope"), GENERIC, 'method "nope" is not supported'),
    ("private name", method_call("_lock"), GENERIC, "is not supported"),
    ("dotted name", method_call("pow.__globals__"), GENERIC, "is not supported"),
    ("deep nesting", nested(1400), INVALID_PARAMS, "must be an integer or a double"),
    ("multicall of junk", method_call("system.multicall", "<array><data><value><int>1</int>"
                                      "</value></data></array>"), GENERIC, ""),
]


@pytest.mark.parametrize(("what", "body", "code", "text"), HOSTILE,
                         ids=[case[0] for case in HOSTILE])
def test_hostile_bodies_get_a_fault_quickly(client, what, body, code, text):
    assert len(body) <= 64 * 1024
    raised = fault(client, body)
    assert raised.faultCode == code
    assert text in raised.faultString
    assert call(client, "pow", 2, 3) == 8  # and the page keeps serving


def test_multicalls_nested_as_deep_as_64_kib_allows_answer(client):
    # 240 levels: a result, or a RecursionError's Fault where the stack is already deep.
    response = post(client, nested_multicall(240))
    assert response.status_code == 200
    try:
        (result,), _ = xmlrpc.client.loads(response.data)
    except xmlrpc.client.Fault as raised:
        assert "RecursionError" in raised.faultString
    else:
        for _ in range(240):
            (result,) = result
        assert result == []


def test_a_body_over_64_kib_is_a_413(client):
    body = method_call("hex", "<string>" + "x" * 65536 + "</string>")
    response = post(client, body)
    assert response.status_code == 413
    assert b"at most 64 KiB" in response.data and b"Traceback" not in response.data


# -- the documentation page --------------------------------------------------------------


def test_get_shows_each_method_with_its_documentation(client):
    response = client.get("/xmlrpc")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    check_page(html)
    assert "<title>XML-RPC methods</title>" in html
    assert "server = xmlrpc.client.ServerProxy(&#39;http://localhost/xmlrpc&#39;)" in html
    for name in METHODS:
        assert f'<dt id="{name}"><code>{name}(' in html
    assert '<code>pow(x, y)</code></dt>\n<dd><pre>Returns x raised to the yth power' in html
    # The standard library's docstrings hold markup characters: escaped.
    assert "system.listMethods() =&gt; [&#39;add&#39;, &#39;subtract&#39;" in html


def test_the_documentation_follows_the_mount_and_escapes_the_host(client):
    html = client.get("/xmlrpc.cgi", base_url="https://example.org/py/").get_data(as_text=True)
    assert "ServerProxy(&#39;https://example.org/py/xmlrpc.cgi&#39;)" in html
    odd = client.get("/xmlrpc", headers={"Host": 'x"<script>'}).get_data(as_text=True)
    assert "<script>" not in odd
    check_page(odd)
