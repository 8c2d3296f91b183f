"""Hostile input, one table for every gateway: each row is a raw request and the answer
webquiz owes it, checked in process (werkzeug's client, ``wsgiref.validate``), through a
real CGI process (the rows the CGI gateway's own code meets), and over a socket to every
server of the ``gateway`` fixture (the dev server, Apache + CGI twice, mod_wsgi twice).

Every row, every way: the expected status, never a 5xx; no payload echoed unescaped; one
well-formed header block and no injected header; no Set-Cookie the row did not ask for;
no traceback or file-system path in an error page; no digest of an incomplete upload; a
page of the pack sound HTML without script; nothing broken in the log. Where the server,
not webquiz, decides (Apache refuses %00, caps header lines, removes dot segments), the
row names that server's status and says why. How a row travels is in tests/hostile.py.

Then, on every server: a 413 ends cleanly and the server goes on; slow and idle clients
hold up no one.
"""

from __future__ import annotations

import http.client
import io
import os
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from gateway_fixtures import fetch
from gateway_servers import Server
from hostile import (
    BOUNDARY,
    FORM,
    KINDS,
    MULTIPART,
    Answer,
    Case,
    cgi_environ,
    check,
    chunked,
    is_page,
    md5_line,
    parse_cgi,
    parse_http,
    wsgi_environ,
)
from werkzeug.wrappers import Request

from conftest import HANDLERS, ROOT, ValidatingClient, check_page
from webquiz import make_app
from webquiz.dispatch import ROUTABLE


def multipart(*parts: tuple[str, bytes | None, bytes], close: bool = True) -> bytes:
    """A multipart/form-data body of (field, raw file name or None, content) parts."""
    body = b""
    for name, filename, data in parts:
        disposition = b'form-data; name="%s"' % name.encode()
        if filename is not None:
            disposition += b'; filename="%s"' % filename
        body += (b"--%s\r\nContent-Disposition: %s\r\nContent-Type: application/octet-stream"
                 b"\r\n\r\n%s\r\n" % (BOUNDARY.encode(), disposition, data))
    return body + (b"--%s--\r\n" % BOUNDARY.encode() if close else b"")


def get(id: str, target: bytes, status: int | frozenset[int], **kw) -> Case:
    return Case(id, "GET", target, status, **kw)


def post(id: str, target: bytes, body: bytes, status: int | frozenset[int],
         ctype: bytes = FORM, **kw) -> Case:
    headers = (b"Content-Type: " + ctype, *kw.pop("headers", ()))
    return Case(id, "POST", target, status, headers=headers, body=body, **kw)


def upload(id: str, body: bytes, status: int | frozenset[int], ctype: bytes = MULTIPART,
           **kw) -> Case:
    return post(id, b"/file", body, status, ctype, **kw)


SCRIPT = b"<script>alert(1)</script>"
XML = b"text/xml"


def xmlrpc_call(method: str, *values: str) -> bytes:
    """An XML-RPC methodCall whose params are raw <value> contents."""
    params = "".join(f"<param><value>{value}</value></param>" for value in values)
    return (f"<?xml version='1.0'?>\n<methodCall><methodName>{method}</methodName>"
            f"<params>{params}</params></methodCall>").encode()


#: Entity expansion: 10**9 "lol"s from a 1 KB body (refused before the parser).
BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY l0 "lol">\n'
    + b"".join(b'<!ENTITY l%d "%s">\n' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]>\n<methodCall><methodName>hex</methodName><params><param><value><string>&l9;"
      b"</string></value></param></params></methodCall>")
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    b"<methodCall><methodName>hex</methodName><params><param><value><string>&x;</string>"
    b"</value></param></params></methodCall>")
SCRIPT_Q = b"%3Cscript%3Ealert(1)%3C%2Fscript%3E"
#: The 400 for bytes that are not UTF-8, % the place (as it shows in the page).
NOT_UTF8 = b"The %s holds bytes that are not UTF-8 text."
GOOD = os.urandom(3000)

#: Apache removes dot segments and merges slashes before it maps a URL (RFC 3986 5.2.4):
#: the request webquiz gets there is the clean one.
NORMALIZED = "Apache normalizes the path (dot segments, double slashes) before webquiz sees it"
#: Apache answers 404 itself for %2F (AllowEncodedSlashes Off) and %00 in a path.
APACHE_404 = "Apache refuses an encoded slash or NUL in a path with its own 404"
#: Apache's LimitRequestLine, LimitRequestFieldSize (8190) and LimitRequestFields (100);
#: werkzeug's server (http.server) caps a line at 64 KiB and a request at 100 headers.
SIZE_CAPS = "the server caps request lines, header lines and header counts itself"
STRICT = "Apache's HttpProtocolOptions Strict refuses what RFC 9112 does not allow"
NO_CHUNKED = "mod_wsgi refuses a chunked body (411) unless WSGIChunkedRequest is on"
WIRE = "wire only: a malformed request never reaches an application"
NAME_MAX = ("Apache maps the URL to the file system first: a segment over 255 bytes "
            "(NAME_MAX) is refused there (403, or 404 under mod_wsgi) before webquiz runs")

CASES = [
    # -- dispatcher: names and paths ------------------------------------------------
    get("name-os", b"/os", 404),
    get("name-antigravity", b"/antigravity", 404),
    get("name-private", b"/_quiz", 404),
    get("name-dunder", b"/__init__", 404),
    get("name-trailing-newline", b"/simple%0A", 404),
    get("name-suffix-newline", b"/simple.py%0A/x", 404),
    get("name-suffix-php", b"/simple.php", 404),
    get("name-double-suffix", b"/simple.prog.py", 404),
    get("name-upper-case", b"/SIMPLE", 404),
    get("name-fullwidth", b"/%EF%BD%93imple", 404),
    get("name-tab", b"/sim%09ple", 404),
    get("name-semicolon", b"/simple;x=1", 404),
    get("name-backslash", b"/simple%5C..%5Cenviron", 404),
    get("name-5000", b"/" + b"a" * 5000, 404, servers={"apache": frozenset({403, 404})},
        why=NAME_MAX),
    get("name-nul", b"/simple%00", 404, servers={"apache": 404}, why=APACHE_404),
    get("name-encoded-slash", b"/escape%2Fx", 404),
    get("name-suffix-prog", b"/simple.prog?%3Cscript%3E", 200, markers=(b"<script>",)),
    get("index-query", b"/?" + SCRIPT_Q, 200, markers=(SCRIPT,)),
    Case("index-post", "POST", b"/", 405, headers=(b"Content-Type: text/plain",), body=b"x"),
    get("assets-stylesheet-query", b"/_webquiz/webquiz.css?v=" + SCRIPT_Q, 200,
        markers=(SCRIPT,)),
    Case("assets-stylesheet-post", "POST", b"/_webquiz/webquiz.css", 405,
         headers=(b"Content-Type: " + FORM,), body=b"x=1"),
    get("assets-source-os", b"/_webquiz/source/os.py", 404),
    get("assets-source-dot-dot", b"/_webquiz/source/../../etc/passwd", 404),
    get("assets-source-encoded-slash", b"/_webquiz/source/..%2F..%2Fpyproject.toml", 404),
    get("assets-source-nul", b"/_webquiz/source/pathinfo.py%00", 404,
        servers={"apache": 404}, why=APACHE_404),
    get("assets-other", b"/_webquiz/%3Cscript%3E", 404, markers=(b"<script",)),
    get("assets-encoded-slash-prefix", b"/_webquiz%2fsource/cookie.py", 404,
        servers={"apache": 404}, why=APACHE_404),
    get("assets-encoded-slash-stylesheet", b"/_webquiz%2Fwebquiz.css", 404,
        servers={"apache": 404}, why=APACHE_404),
    get("path-dot-dot", b"/simple/../environ", 404, servers={"apache": 200}, why=NORMALIZED),
    get("path-dot", b"/./simple", 404, servers={"apache": 200}, why=NORMALIZED),
    get("path-dot-dot-encoded", b"/simple/%2E%2E/environ", 404,
        servers={"apache": 200}, why=NORMALIZED),
    get("path-above-root", b"/../../etc/passwd", 404,
        servers={"apache": frozenset({400, 403})}, why=NORMALIZED + "; above the root: 400"),
    get("path-double-slash", b"//simple", 404, servers={"apache": 200, "dev": 200},
        why="the servers merge a double slash (werkzeug's reads //simple as /simple)"),
    # -- paths: NUL, control characters, overlong, encoded slash, bytes not UTF-8 ------
    get("path-nul", b"/test/%00", 404, servers={"apache": 404}, why=APACHE_404),
    get("path-encoded-slash", b"/test/a%2fb", 404),
    get("path-controls", b"/test/%01%1B%7F", 200),
    get("path-not-utf8", b"/test/%FF%FE", 400, contains=(NOT_UTF8 % b"URL path",)),
    get("path-raw-8bit", b"/test/\xc3\xa9\xff", 400, contains=(NOT_UTF8 % b"URL path",)),
    get("path-utf8", b"/test/\xc3\xa9%C3%A9", 200, contains=("/test/\xe9\xe9".encode(),)),
    get("path-raw-control", b"/test/\x01", 200, servers={"apache": 400}, why=STRICT),
    get("path-bad-escape", b"/test/%zz%", 200, servers={"apache": 400},
        why="Apache refuses a % not followed by two hex digits with its own 400"),
    get("path-8000", b"/test/" + b"a" * 8000, 200, servers={"apache": frozenset({403, 404})},
        why=NAME_MAX),
    get("path-250", b"/test/" + b"a" * 250, 200),
    get("path-20000", b"/test/" + b"a" * 20000, 200, servers={"apache": 414}, why=SIZE_CAPS),
    get("path-70000", b"/test/" + b"a" * 70000, 200,
        servers={"apache": 414, "dev": 414}, why=SIZE_CAPS),
    get("path-script", b"/test/%3Cscript%3Ealert(1)%3C/script%3E", 200, markers=(SCRIPT,)),
    get("path-attribute", b"/test/%22%3E%3Csvg%20onload=alert(1)%3E", 200,
        markers=(b'"><svg', b"<svg")),
    Case("request-line-bad-method", "GET", b"/simple", 405, request_line=b"G<T /simple HTTP/1.1",
         ways=("wire",), servers={"apache": 400}, why=WIRE + "; " + STRICT),
    Case("request-line-space", "GET", b"/simple", 400, request_line=b"GET /sim ple HTTP/1.1",
         ways=("wire",), why=WIRE),
    # -- quiz numbers: pathinfo, get, post ------------------------------------------
    get("pathinfo-spaces", b"/pathinfo/%2012%20", 400),
    get("pathinfo-plus", b"/pathinfo/+5", 400),
    get("pathinfo-underscore", b"/pathinfo/1_000", 400),
    get("pathinfo-arabic-digit", b"/pathinfo/%D9%A3", 400),
    get("pathinfo-fullwidth-digit", b"/pathinfo/%EF%BC%93", 400),
    get("pathinfo-5000-digits", b"/pathinfo/" + b"9" * 5000, 400,
        servers={"apache": frozenset({403, 404})}, why=NAME_MAX),
    get("pathinfo-250-digits", b"/pathinfo/" + b"9" * 250, 400),
    get("pathinfo-five-digits", b"/pathinfo/00003", 400),
    get("pathinfo-four-digits", b"/pathinfo/0003", 200),
    get("pathinfo-markup", b"/pathinfo/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E", 400,
        markers=(b"<img",)),
    get("pathinfo-bad-weekday", b"/pathinfo/{M}/%EF%BC%93", 400),
    get("pathinfo-weekday-7", b"/pathinfo/{M}/7", 400),
    get("pathinfo-three-answers", b"/pathinfo/1/2/3", 404),
    get("get-plus", b"/get?month=%2B5", 400),
    get("get-spaces", b"/get?month=+12+", 400),
    get("get-two-values", b"/get?month=1&month=2", 400),
    get("get-same-twice", b"/get?month=3&month=3", 200),
    get("get-empty", b"/get?month=", 400),
    get("get-5000-digits", b"/get?month=" + b"9" * 5000, 400),
    get("get-hex", b"/get?month=0x3", 400),
    get("get-bad-weekday", b"/get?month={M}&day=%D9%A3", 400),
    get("get-markup", b"/get?month=%22%3E" + SCRIPT_Q, 400, markers=(b"<script",)),
    get("get-crlf", b"/get?month=3%0D%0ASet-Cookie:%20evil=1", 400),
    get("get-1000-fields", b"/get?" + b"&".join(b"x%d=1" % i for i in range(1000)), 200),
    post("post-plus", b"/post", b"month=%2B5", 400),
    post("post-space", b"/post", b"month=+5", 400),
    post("post-arabic-digit", b"/post", b"month=%D9%A3", 400),
    post("post-crlf", b"/post", b"month=1%0D%0ASet-Cookie%3A+evil%3D1", 400),
    post("post-multipart-markup", b"/post", multipart(("month", None, SCRIPT)), 400,
         MULTIPART, markers=(SCRIPT,)),
    post("post-bad-weekday", b"/post", b"month={M}&day=1_0", 400),
    post("post-64-kib", b"/post", b"month=" + b"0" * (65536 - 6), 400),
    post("post-64-kib-plus-1", b"/post", b"month=" + b"0" * (65537 - 6), 413,
         contains=(b"at most 64 KiB",)),
    post("post-200-kb", b"/post", b"month=" + b"1" * 200_000, 413),
    post("post-json", b"/post", b'{"month": 3}', 200, b"application/json"),
    Case("post-put", "PUT", b"/post", 405, headers=(b"Content-Type: text/plain",), body=b"x"),
    post("post-chunked", b"/post", chunked(b"month=", b"%2B5"), 400,
         headers=(b"Transfer-Encoding: chunked",), servers={"wsgi": 411, "express": 411},
         why=NO_CHUNKED),
    post("post-chunked-200-kb", b"/post", chunked(*[b"month=", *[b"1" * 20_000] * 10]), 413,
         headers=(b"Transfer-Encoding: chunked",), servers={"wsgi": 411, "express": 411},
         why=NO_CHUNKED),
    Case("simple-chunked-unread", "POST", b"/simple", 405, body=chunked(*[b"x" * 50_000] * 4),
         headers=(b"Transfer-Encoding: chunked",), servers={"wsgi": 411, "express": 411},
         why=NO_CHUNKED),
    # -- escaping: escape, list, environ, cookie, test ----------------------------------
    get("escape-script", b"/escape?data=" + SCRIPT_Q, 200, markers=(SCRIPT, b"<script")),
    get("escape-attribute", b"/escape?data=%22%3E%3Csvg%20onload%3Dalert(1)%3E", 200,
        markers=(b'"><svg', b"<svg")),
    get("escape-single-quote", b"/escape?data=%27%20onmouseover%3D%27alert(1)", 200,
        markers=(b"' onmouseover",)),
    get("escape-entity", b"/escape?data=%26lt%3Bscript%26gt%3B", 200,
        contains=(b"&amp;lt;script&amp;gt;",)),
    get("escape-nul", b"/escape?data=%00", 200),
    get("escape-not-utf8", b"/escape?data=%FF%FE", 400, contains=(NOT_UTF8 % b"query string",)),
    # -- bytes that are not UTF-8, raw or %-encoded: a 400 before any page sees them -----
    *(get(f"raw-ff-{page}", b"/%s?%s=\xff" % (page.encode(), field), 400,
          contains=(NOT_UTF8 % b"query string",))
      for page, field in (("get", b"month"), ("list", b"data"), ("escape", b"data"),
                          ("cookie", b"action"), ("logsink", b"format"))),
    get("raw-ff-query-name", b"/escape?\xff=1", 400),
    get("raw-c3-cut-short", b"/escape?data=caf\xc3", 400),
    get("raw-utf8-query", b"/escape?data=caf\xc3\xa9", 200, contains=("café".encode(),)),
    post("form-raw-ff", b"/post", b"month=\xff", 400, contains=(NOT_UTF8 % b"form",)),
    post("form-encoded-ff", b"/post", b"month=%FF", 400, contains=(NOT_UTF8 % b"form",)),
    Case("cookie-raw-ff", "GET", b"/cookie", 400, headers=(b"Cookie: testcookie=\xff",),
         contains=(NOT_UTF8 % b"Cookie header",)),
    get("list-markup", b"/list?data=%3Cb%3Ex%3C%2Fb%3E&data=%22%3E" + SCRIPT_Q, 200,
        markers=(b"<b>x", b'"><script')),
    Case("environ-headers", "GET", b"/environ/%3Cscript%3E?q=" + SCRIPT_Q, 200,
         headers=(b"User-Agent: " + SCRIPT, b'Referer: "><svg onload=alert(1)>'),
         markers=(SCRIPT, b"<svg", b"<script")),
    Case("environ-secrets", "GET", b"/environ", 200,
         headers=(b"Cookie: session=SECRET-COOKIE-VALUE",
                  b"Authorization: Basic U0VDUkVULUFVVEgtVkFMVUU="),
         markers=(b"SECRET-COOKIE-VALUE", b"U0VDUkVULUFVVEgtVkFMVUU=")),
    Case("cookie-shown-escaped", "GET", b"/cookie", 200,
         headers=(b"Cookie: a=" + SCRIPT + b"; b=\"\\\"><svg onload=alert(1)>\"",),
         markers=(SCRIPT, b"<svg")),
    # -- cookies -----------------------------------------------------------------------
    get("cookie-set", b"/cookie?cookieval=Blue&action=setCookie", 200, cookies=1),
    get("cookie-delete", b"/cookie?action=delCookie", 200, cookies=1),
    get("cookie-value-crlf", b"/cookie?cookieval=Blue%0D%0ASet-Cookie:%20evil=1"
        b"&action=setCookie", 400),
    get("cookie-value-attribute", b"/cookie?cookieval=Blue%3B%20Domain%3Devil.example"
        b"&action=setCookie", 400),
    get("cookie-two-values", b"/cookie?cookieval=Blue&cookieval=Red&action=setCookie", 400),
    get("cookie-action-markup", b"/cookie?action=" + SCRIPT_Q, 400, markers=(SCRIPT,)),
    Case("cookie-post", "POST", b"/cookie", 405, headers=(b"Content-Type: " + FORM,),
         body=b"action=delCookie"),
    Case("cookie-header-7000", "GET", b"/cookie", 200, headers=(b"Cookie: a=" + b"x" * 7000,)),
    Case("cookie-header-20000", "GET", b"/cookie", 200,
         headers=(b"Cookie: a=" + b"x" * 20000,), servers={"apache": 400}, why=SIZE_CAPS),
    Case("cookie-header-500-cookies", "GET", b"/cookie", 200,
         headers=(b"Cookie: " + b"; ".join(b"c%d=%d" % (i, i) for i in range(500)),)),
    Case("cookie-header-bad-names", "GET", b"/cookie", 200,
         headers=(b"Cookie: <script>=1; a b=2; =x; ;; \"q\"=<svg>",), markers=(b"<script",
                                                                             b"<svg")),
    Case("cookie-header-not-utf8", "GET", b"/cookie", 400, headers=(b"Cookie: a=\xff\xfe",)),
    Case("cookie-header-utf8", "GET", b"/cookie", 200, headers=("Cookie: a=café".encode(),),
         contains=("café".encode(),)),
    get("reflect-cookie-name-space", b"/reflect/cookie?name=a%20b&value=1", 400),
    get("reflect-cookie-name-crlf", b"/reflect/cookie?name=a%0D%0AX-Injected:%201&value=1",
        400),
    get("reflect-cookie-name-non-ascii", b"/reflect/cookie?name=%C3%A9&value=1", 400),
    get("reflect-cookie-value-crlf", b"/reflect/cookie?name=c&value=a%0D%0AX-Injected:"
        b"%201", 200, cookies=1),
    get("reflect-cookie-4096", b"/reflect/cookie?name=c&value=" + b"v" * 4095, 200, cookies=1),
    get("reflect-cookie-4097", b"/reflect/cookie?name=c&value=" + b"v" * 4096, 400),
    # -- headers: CR/LF/NUL into response headers, odd request headers -----------------
    get("reflect-header-crlf", b"/reflect/header?v=a%0D%0ASet-Cookie:%20evil=1", 400),
    get("reflect-header-lf", b"/reflect/header?v=a%0AX-Injected:%201", 400),
    get("reflect-header-cr", b"/reflect/header?v=a%0Db", 400),
    get("reflect-header-nul", b"/reflect/header?v=a%00b", 400),
    get("reflect-header-control", b"/reflect/header?v=a%01b%1B", 400),
    get("reflect-header-not-latin1", b"/reflect/header?v=%E2%82%AC", 400),
    get("reflect-header-tab", b"/reflect/header?v=a%09b", 400),
    get("reflect-header-latin1", b"/reflect/header?v=caf%C3%A9", 200),
    get("reflect-header-name", b"/reflect/name?v=X-Injected:%201", 400),
    get("reflect-response-nul", b"/reflect/response?v=a%00b", 400),
    get("reflect-header-c1", b"/reflect/header?v=a%C2%85b", 400),
    get("reflect-header-c1-9f", b"/reflect/header?v=a%C2%9Fb", 400),
    # -- the content type a page takes from the client (it once split the response) -------
    get("reflect-ctype-crlf", b"/reflect/ctype?v=text/html%0D%0ASet-Cookie:%20evil=1%0D%0A"
        b"%0D%0A" + SCRIPT_Q, 400, markers=(SCRIPT,)),
    get("reflect-ctype-lf", b"/reflect/ctype?v=text/plain%0AX-Injected:%201", 400),
    get("reflect-ctype-c1", b"/reflect/ctype?v=text/plain%C2%85X-Injected:%201", 400),
    get("reflect-ctype-nul", b"/reflect/ctype?v=text/plain%00", 400),
    get("reflect-ctype-fine", b"/reflect/ctype?v=text/csv", 200),
    get("reflect-flush-crlf", b"/reflect/flush?v=a%0D%0ASet-Cookie:%20evil=1", 400),
    get("reflect-flush-fine", b"/reflect/flush?v=fine", 200, contains=(b"ok",)),
    # -- redirects to where the client says: req.redirect's rule ---------------------------
    get("redirect-local", b"/reflect/redirect?v=/get%3Fmonth%3D3", 302),
    get("redirect-same-host", b"/reflect/redirect?v=http://127.0.0.1/simple", 302),
    get("redirect-javascript", b"/reflect/redirect?v=javascript:alert(1)", 400),
    get("redirect-javascript-spaced", b"/reflect/redirect?v=%20JavaScript:alert(1)", 400),
    get("redirect-data", b"/reflect/redirect?v=data:text/html,%3Cscript%3E", 400),
    get("redirect-scheme-relative", b"/reflect/redirect?v=//evil.example/", 400),
    get("redirect-backslash", b"/reflect/redirect?v=/%5Cevil.example/", 400),
    get("redirect-other-host", b"/reflect/redirect?v=https://evil.example/", 400),
    get("redirect-crlf", b"/reflect/redirect?v=/a%0D%0ASet-Cookie:%20evil=1", 400),
    get("redirect-tab-scheme", b"/reflect/redirect?v=java%09script:alert(1)", 400),
    Case("header-obs-fold", "GET", b"/environ", 200,
         headers=(b"X-Fold: a\r\n Set-Cookie: evil=1",)),
    Case("header-10000", "GET", b"/environ", 200, headers=(b"X-Long: " + b"a" * 10000,),
         servers={"apache": 400}, why=SIZE_CAPS),
    Case("header-70000", "GET", b"/environ", 200, headers=(b"X-Long: " + b"a" * 70000,),
         servers={"apache": 400, "dev": 431}, why=SIZE_CAPS),
    Case("header-150", "GET", b"/environ", 200,
         headers=tuple(b"X-H%d: %d" % (i, i) for i in range(150)),
         servers={"apache": 400, "dev": 431}, why=SIZE_CAPS),
    Case("header-name-markup", "GET", b"/environ", 200, headers=(b"X<script>: 1",),
         markers=(b"<script",), servers={"apache": 400}, why=STRICT),
    Case("header-host-markup", "GET", b"/environ", 200, headers=(b"Host: " + SCRIPT,),
         markers=(b"<script",), servers={"apache": 400}, why=STRICT),
    Case("header-nul", "GET", b"/environ", 200, headers=(b"X-Nul: a\x00b",),
         servers={"apache": 400}, why=STRICT),
    Case("header-controls", "GET", b"/environ", 200, headers=(b"X-Ctl: a\x01\x1bb",),
         servers={"apache": 400}, why=STRICT),
    Case("header-8bit", "GET", b"/environ", 200, headers=(b"X-8bit: \xff\xfe" + SCRIPT,),
         markers=(b"<script",)),
    Case("head-escape", "HEAD", b"/escape?data=" + SCRIPT_Q, 200),
    # -- multipart and uploads --------------------------------------------------------
    upload("upload-ok", multipart(("file", b"good.bin", GOOD)), 200,
           contains=(md5_line(GOOD), b"Got file: good.bin<")),
    upload("upload-truncated", multipart(("file", b"cut.bin", b"x" * 100_000))[:60_000], 400,
           incomplete=True),
    upload("upload-no-closing-boundary", multipart(("file", b"a.bin", b"abc"), close=False),
           400, incomplete=True),
    upload("upload-whole-then-cut", multipart(("file", b"whole.txt", b"whole"),
                                              ("file", b"cut.txt", b"y" * 10_000))[:-100],
           400, incomplete=True, markers=(b"whole.txt",)),
    upload("upload-malformed-part", b"--" + BOUNDARY.encode() + b"\r\nno headers\r\n\r\nx",
           400, incomplete=True),
    upload("upload-no-boundary", multipart(("file", b"a.txt", b"abc")), 400,
           b"multipart/form-data", incomplete=True),
    upload("upload-empty-boundary", multipart(("file", b"a.txt", b"abc")), 400,
           b'multipart/form-data; boundary=""', incomplete=True),
    upload("upload-101-parts", multipart(*[(f"f{i}", None, b"x") for i in range(101)]), 413,
           contains=(b"at most",)),
    upload("upload-100-parts", multipart(*[(f"f{i}", None, b"x") for i in range(100)]), 200),
    upload("upload-field-70000", multipart(("note", None, b"n" * 70_000)), 413),
    upload("upload-part-header-100000", multipart(("file", b"h" * 100_000, b"x")), 413),
    upload("upload-over-the-cap", b"--" + BOUNDARY.encode() + b"\r\n", 413,
           headers=(b"Content-Length: %d" % (2**30 + 1),),
           why="Apache's LimitRequestBody (1 GiB) answers first"),
    upload("upload-urlencoded-70000", b"file=" + b"x" * 70_000, 413, FORM),
    upload("upload-name-dot-dot", multipart(("file", b"../../etc/passwd", b"p")), 200,
           contains=(b"Got file: passwd<",), markers=(b"../",)),
    upload("upload-name-backslashes", multipart(("file", b"C:\\\\x\\\\..\\\\evil.txt", b"p")), 200,
           contains=(b"Got file: evil.txt<",)),
    upload("upload-name-nul", multipart(("file", b"a\x00b.txt", b"p")), 200,
           markers=(b"a\x00b",), contains=("Got file: a\ufffdb.txt<".encode(),)),
    upload("upload-name-300", multipart(("file", b"n" * 300, b"p")), 200,
           markers=(b"n" * 256,), contains=(b"Got file: " + b"n" * 255 + b"<",)),
    upload("upload-name-script", multipart(("file", SCRIPT + b".txt", b"p")), 200,
           markers=(b"<script",), contains=(b"Got file: script&gt;.txt<",)),
    upload("upload-name-markup", multipart(("file", b"<img src=x onerror=alert(1)>.txt", b"p")),
           200, markers=(b"<img",)),
    upload("upload-name-crlf", multipart(("file", b"a\r\nX-Injected: 1", b"p")),
           frozenset({200, 400})),
    upload("upload-name-quote", multipart(("file", b'\\"><svg onload=alert(1)>', b"p")), 200,
           markers=(b"<svg", b'"><svg')),
    upload("upload-chunked", chunked(multipart(("file", b"good.bin", GOOD))), 200,
           headers=(b"Transfer-Encoding: chunked",),
           contains=(md5_line(GOOD), b"Got file: good.bin<"),
           servers={"wsgi": 411, "express": 411}, why=NO_CHUNKED),
    Case("upload-head", "HEAD", b"/file", 200),
    get("simple-query", b"/simple?" + SCRIPT_Q, 200, markers=(SCRIPT,)),
    # -- stats, xmlrpc, logsink: per-process state, an XML parser, stored records --------
    get("stats-query", b"/stats?" + SCRIPT_Q, 200, markers=(SCRIPT,)),
    Case("stats-post", "POST", b"/stats", 405, headers=(b"Content-Type: " + FORM,), body=b"x=1"),
    get("xmlrpc-doc-query", b"/xmlrpc?" + SCRIPT_Q, 200, markers=(SCRIPT,)),
    Case("xmlrpc-doc-host-markup", "GET", b"/xmlrpc", 200, headers=(b"Host: " + SCRIPT,),
         markers=(b"<script",), servers={"apache": 400}, why=STRICT),
    post("xmlrpc-not-xml", b"/xmlrpc", SCRIPT, 200, XML, markers=(SCRIPT,)),
    post("xmlrpc-empty", b"/xmlrpc", b"", 200, XML),
    post("xmlrpc-method-markup", b"/xmlrpc", xmlrpc_call(SCRIPT.decode()), 200, XML,
         markers=(b"<script",)),
    post("xmlrpc-billion-laughs", b"/xmlrpc", BILLION_LAUGHS, 200, XML,
         markers=(b"lollollol",)),
    post("xmlrpc-external-entity", b"/xmlrpc", EXTERNAL_ENTITY, 200, XML, markers=(b"root:",)),
    post("xmlrpc-utf16", b"/xmlrpc", xmlrpc_call("hex", "<int>1</int>").decode().encode(
         "utf-16"), 200, XML),
    post("xmlrpc-5000-digits", b"/xmlrpc", xmlrpc_call("hex", "<int>" + "9" * 5000 + "</int>"),
         200, XML),
    post("xmlrpc-pow-10-to-the-10-to-the-9", b"/xmlrpc",
         xmlrpc_call("pow", "<int>10</int>", "<int>1000000000</int>"), 200, XML),
    post("xmlrpc-nested-1400", b"/xmlrpc", xmlrpc_call(
         "pow", "<array><data><value>" * 1400 + "1" + "</value></data></array>" * 1400,
         "<int>2</int>"), 200, XML),
    post("xmlrpc-64-kib-plus-1", b"/xmlrpc", b"x" * 65537, 413, XML,
         contains=(b"at most 64 KiB",)),
    Case("xmlrpc-put", "PUT", b"/xmlrpc", 405, headers=(b"Content-Type: text/xml",),
         body=b"<methodCall/>"),
    post("logsink-record-markup", b"/logsink", urlencode(
         {"created": "1700000000", "name": '"><img src=x onerror=alert(1)>',
          "levelname": "<b>x", "msg": SCRIPT.decode() + "\r\nX-Injected: 1", "args": "()"}
         ).encode(), 200, markers=(b"<img", b"<b>x", SCRIPT)),
    get("logsink-page", b"/logsink", 200, markers=(SCRIPT, b"<img", b"<b>x")),
    get("logsink-text", b"/logsink?format=text", 200, markers=(b"\r\nX-Injected",)),
    get("logsink-format-markup", b"/logsink?format=" + SCRIPT_Q, 400, markers=(SCRIPT,)),
    post("logsink-not-a-record", b"/logsink", b"msg=" + SCRIPT_Q, 400, markers=(SCRIPT,)),
    post("logsink-time-nan", b"/logsink", b"created=nan&name=a&levelname=b&msg=c", 400),
    post("logsink-time-1e400", b"/logsink", b"created=1e400&name=a&levelname=b&msg=c", 400),
    post("logsink-70000", b"/logsink", b"msg=" + b"x" * 70_000, 413),
    Case("logsink-put", "PUT", b"/logsink", 405, headers=(b"Content-Type: " + FORM,),
         body=b"x=1"),
]

#: Where the code and the served pages live: never in an error page.
PATHS = (str(ROOT).encode(), str(HANDLERS).encode())

IDS = [case.id for case in CASES]
assert len(IDS) == len(set(IDS)), "row ids must be unique"


def test_the_table_covers_every_page_of_the_pack():
    pages = {path.stem for path in HANDLERS.glob("*.py") if ROUTABLE.fullmatch(path.stem)}
    reached = {case.raw_target().split(b"?")[0].split(b"/")[1].split(b".")[0].decode("latin-1")
               for case in CASES}
    assert pages <= reached, f"pages without a row: {sorted(pages - reached)}"
    assert len(CASES) >= 60


def check_html(case: Case, answer: Answer, home: str) -> None:
    """A page of the pack must be sound HTML, with no script or event attribute."""
    index = case.raw_target().partition(b"?")[0] == b"/"  # the index has no home link
    if is_page(answer.body) and case.method != "HEAD" and not index:
        check_page(answer.body.decode("utf-8", "replace"), home=home)


# -- in process ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def inprocess(served_handlers: Path) -> ValidatingClient:
    """The served folder (the pack and the fixture handlers), cookies off: each row sends
    exactly its own Cookie header."""
    return ValidatingClient(make_app(served_handlers), use_cookies=False)


#: What a server's log holds when a request broke something: a Python traceback,
#: werkzeug's "Error on request", a CGI program that died before its headers.
BROKEN = re.compile(r"Traceback|Error on request|Premature end of script headers|"
                    r"malformed header from script")


@pytest.mark.parametrize("case", [c for c in CASES if c.travels("inprocess")], ids=lambda c: c.id)
def test_in_process(inprocess, case):
    log = io.StringIO()
    response = inprocess.open(Request(wsgi_environ(case, log)))
    answer = Answer(response.status_code, list(response.headers.items()), response.get_data())
    check(case, answer, case.expected("inprocess"), secrets=PATHS)
    check_html(case, answer, home="/")
    assert not BROKEN.search(log.getvalue()), log.getvalue()


# -- a CGI process, as Apache runs it --------------------------------------------------------

CGI_MOUNT = "/cgi-bin/webquiz.cgi"
CGI_COMMAND = [sys.executable, "-c",
               "from webquiz.gateways import cgi_main; raise SystemExit(cgi_main())"]


def run_cgi(case: Case, handlers: Path) -> tuple[Answer, str]:
    """Run the CGI program once for *case*; its response and its stderr."""
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT),
            "WEBQUIZ_HANDLERS": str(handlers), "LANG": "C.UTF-8"}
    proc = subprocess.Popen(CGI_COMMAND, env=cgi_environ(case, CGI_MOUNT, base),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    # Apache writes the whole body before it reads the answer: a program that leaves
    # without reading it all breaks this write.
    out, err = proc.communicate(case.parsed().body, timeout=60)
    assert proc.returncode == 0, err.decode(errors="replace")
    return parse_cgi(out, case.method), err.decode(errors="replace")


@pytest.fixture(scope="module")
def cgi_answers(served_handlers: Path) -> dict[str, tuple[Answer, str] | BaseException]:
    """Every row through its own CGI process, three at a time (each costs ~0.1 s)."""
    rows = [case for case in CASES if case.travels("cgi")]

    def one(case: Case) -> tuple[Answer, str] | BaseException:
        try:
            return run_cgi(case, served_handlers)
        except (AssertionError, OSError, subprocess.SubprocessError) as exc:
            return exc

    with ThreadPoolExecutor(3) as pool:
        return dict(zip([c.id for c in rows], pool.map(one, rows), strict=True))


@pytest.mark.parametrize("case", [c for c in CASES if c.travels("cgi")], ids=lambda c: c.id)
def test_cgi_process(cgi_answers, case):
    result = cgi_answers[case.id]
    if isinstance(result, BaseException):
        raise result
    answer, stderr = result
    check(case, answer, case.expected("cgi"), secrets=PATHS)
    check_html(case, answer, home=CGI_MOUNT + "/")
    assert not BROKEN.search(stderr), stderr


# -- over the wire, to every server ------------------------------------------------------


def exchange(port: int, data: bytes, timeout: float = 20) -> bytes:
    """Send *data*, read until the server closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered and closed before all was sent: read the answer
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except ConnectionResetError:
            pass  # closed with unread data: what arrived before the reset is the answer
    return received


def log_size(server: Server) -> int:
    return server.error_log.stat().st_size if server.error_log.exists() else 0


def new_log(server: Server, since: int) -> str:
    """What the server logged after byte *since*, once it has stopped growing (a CGI
    program's stderr reaches Apache's log a moment after the response)."""
    size, deadline = -1, time.monotonic() + 5
    while time.monotonic() < deadline and size != (size := log_size(server)):
        time.sleep(0.3)
    with server.error_log.open("rb") as log:
        log.seek(since)
        return log.read().decode(errors="replace")


#: Per server: the raw answer to each row, and what the server logged meanwhile.
_WIRE: dict[str, tuple[dict[str, bytes | BaseException], str]] = {}


@pytest.fixture
def wire_answers(gateway: Server) -> tuple[dict[str, bytes | BaseException], str]:
    """Every wire row sent to this server, eight at a time, once per session."""
    if gateway.name not in _WIRE:
        rows = [case for case in CASES if case.travels("wire")]
        since = log_size(gateway)

        def one(case: Case) -> bytes | BaseException:
            try:
                return exchange(gateway.port, case.wire(gateway.mount))
            except OSError as exc:
                return exc

        with ThreadPoolExecutor(8) as pool:
            answers = dict(zip([c.id for c in rows], pool.map(one, rows), strict=True))
        _WIRE[gateway.name] = answers, new_log(gateway, since)
    return _WIRE[gateway.name]


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if c.travels("wire")], ids=lambda c: c.id)
def test_over_the_wire(gateway, wire_answers, case):
    data = wire_answers[0][case.id]
    if isinstance(data, BaseException):
        raise data
    answer = parse_http(data, case.method)
    check(case, answer, case.expected("wire", KINDS[gateway.name]), secrets=PATHS)
    check_html(case, answer, home=gateway.mount + "/")


@pytest.mark.slow
def test_nothing_in_the_table_broke_anything_in_the_servers_log(gateway, wire_answers):
    assert not BROKEN.search(wire_answers[1]), wire_answers[1][-3000:]


# -- over a limit, and slow clients, on every server ---------------------------------------


def send_and_read(sock: socket.socket, request: bytes, method: str) -> http.client.HTTPResponse:
    """Send one request on *sock* and read its whole response (the socket stays open)."""
    sock.sendall(request)
    response = http.client.HTTPResponse(sock, method=method)
    response.begin()
    response.read()
    return response


@pytest.mark.slow
def test_a_413_closes_cleanly_or_keeps_serving_and_the_server_goes_on(gateway):
    """Over the limit, a client gets its 413 and then either the end of the connection
    promptly (the server drained or dropped the body) or the answer to its next request
    on the same connection; a new connection is served either way."""
    body = b"month=" + b"1" * 200_000
    request = (b"POST %s/post HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
               b"Content-Length: %d\r\n\r\n" % (gateway.mount.encode(), FORM, len(body)) + body)
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=20) as sock:
        first = send_and_read(sock, request, "POST")
        assert first.status == 413
        if first.will_close:
            sock.settimeout(5)
            assert sock.recv(1) == b"", "the server did not close after Connection: close"
        else:
            again = send_and_read(sock, b"GET %s/simple HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                  % gateway.mount.encode(), "GET")
            assert again.status == 200
    assert fetch(gateway, "/simple").status == 200


@pytest.mark.slow
def test_slow_and_idle_clients_do_not_hold_up_the_others(gateway):
    """A client that sends its body a few bytes at a time, and one that sends nothing,
    while others come and go: those are served at once, and the slow one in the end."""
    head = (b"POST %s/post HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: %s\r\n"
            b"Content-Length: 100\r\nConnection: close\r\n\r\n" % (gateway.mount.encode(), FORM))
    with socket.create_connection(("127.0.0.1", gateway.port), timeout=20) as slow, \
            socket.create_connection(("127.0.0.1", gateway.port), timeout=20):
        slow.sendall(head + b"month=")
        started = time.monotonic()
        for _ in range(4):
            slow.sendall(b"1")
            assert fetch(gateway, "/simple").status == 200
        assert time.monotonic() - started < 10
        slow.sendall(b"1" * 90)
        answer = parse_http(exchange_rest(slow), "POST")
    assert answer.status == 400 and b"must be a whole number" in answer.body


def exchange_rest(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received
