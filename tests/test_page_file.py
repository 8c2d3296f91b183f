"""The file page: uploads hashed (MD5, SHA-256) as they stream, in flat memory."""

from __future__ import annotations

import hashlib
import http.client
import io
import random
import socket
from collections.abc import Iterator

import pytest
from gateway_servers import vm_kib
from support import check_page

from webquiz import make_app

MiB = 1024 * 1024
FORM = '<form method="post" action="/file" enctype="multipart/form-data">'
BOUNDARY = "----webquiz-test-boundary"


def received(name: str, data: bytes) -> str:
    """The block the page writes for one file."""
    return (f"<p>Got file: {name}</p>\n<p>Received file of {len(data)} bytes. MD5sum is "
            f"{hashlib.md5(data).hexdigest()}<br>\nSHA-256 is {hashlib.sha256(data).hexdigest()}"
            "</p>")


def multipart(*parts: tuple[str, str | None, bytes]) -> bytes:
    """A multipart/form-data body of (field, file name or None, content) parts.

    File names are quoted-strings (backslash before \\ and "), so a test can send any name.
    """
    body = b""
    for field, filename, data in parts:
        disposition = f'form-data; name="{field}"'
        if filename is not None:
            quoted = filename.replace("\\", "\\\\").replace('"', '\\"')
            disposition += f'; filename="{quoted}"'
        body += (f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
                 "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def upload(client, files, status=200, **kwargs):
    """POST *files* ({field: [(name, data), ...]}) as multipart/form-data."""
    parts = [(field, name, data) for field, items in files.items() for name, data in items]
    return post_raw(client, multipart(*parts), status, **kwargs)


def post_raw(client, body, status=200, content_type=None, **kwargs):
    response = client.post("/file", data=body, content_type=content_type or
                           f'multipart/form-data; boundary="{BOUNDARY}"', **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:2000]
    return response.get_data(as_text=True)


def test_the_form_and_a_get_without_a_file(client):
    html = client.get("/file").get_data(as_text=True)
    check_page(html)
    assert "<title>File upload</title>" in html and "No file found." in html and FORM in html
    assert '<input type="file" id="file" name="file" multiple>' in html


def test_the_book_scenario(client):
    data = bytes(random.Random(1).randbytes(628_684))
    html = upload(client, {"file": [("bash", data)]})
    check_page(html)
    assert received("bash", data) in html and FORM in html and "No file found" not in html


CONTENTS = {
    "empty": b"",
    "one byte": b"x",
    "text": b"Hello, world\n",
    "boundary-like": (b"\r\n--" + BOUNDARY.encode()[:-1] + b"\r\n\r\n--\r\n") * 5000,
    "just under 64 KiB": random.Random(2).randbytes(64 * 1024 - 1),
    "64 KiB": random.Random(3).randbytes(64 * 1024),
    "just over 64 KiB": random.Random(4).randbytes(64 * 1024 + 1),
    "300 KB": random.Random(5).randbytes(300_000),
}


@pytest.mark.parametrize("name", CONTENTS)
def test_digests_match_hashlib(client, name):
    html = upload(client, {"file": [("f.bin", CONTENTS[name])]})
    assert received("f.bin", CONTENTS[name]) in html


def test_several_files_each_get_their_block_in_order(client):
    files = [("a.txt", b"alpha"), ("b.txt", b""), ("c.txt", b"gamma" * 1000)]
    html = upload(client, {"file": files, "other": [("ignored.txt", b"other field")]})
    blocks = [received(name, data) for name, data in files]
    assert all(block in html for block in blocks)
    assert [html.index(block) for block in blocks] == sorted(html.index(b) for b in blocks)
    assert "ignored.txt" not in html and html.count("Got file:") == 3


def test_a_form_without_a_chosen_file_says_no_file(client):
    # A browser sends an empty part with an empty file name when no file was chosen.
    assert "No file found." in upload(client, {"file": [("", b"")]})
    assert "No file found." in post_raw(client, "x=1",
                                        content_type="application/x-www-form-urlencoded")
    assert "No file found." in upload(client, {"other": [("o.txt", b"data")]})


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("C:\\Documents and Settings\\me\\report.txt", "report.txt"),
        ("../../etc/passwd", "passwd"),
        ("dir/", "(no name)"),
        ("<script>alert(1)</script>.txt", "script&gt;.txt"),
        ("<img src=x onerror=alert(1)>.txt", "&lt;img src=x onerror=alert(1)&gt;.txt"),
        ('"onmouseover=alert(1).txt', "&#34;onmouseover=alert(1).txt"),
        ("javascript:alert(1)", "javascript:alert(1)"),
        ("a\x00b\x1b[31m.txt", "a\ufffdb\ufffd[31m.txt"),
        ("é " + "n" * 300, "é " + "n" * 253),
    ],
)
def test_file_names_are_labels_escaped_and_cut(client, filename, shown):
    html = upload(client, {"file": [(filename, b"data")]})
    check_page(html)
    assert f"<p>Got file: {shown}</p>" in html


def test_a_body_cut_short_reports_no_digest(client):
    body = multipart(("file", "cut.bin", random.Random(6).randbytes(200_000)))
    for cut in (len(body) // 2, len(body) - 10):
        html = post_raw(client, body[:cut], status=400)
        check_page(html)
        assert "The upload was incomplete or malformed" in html and "MD5sum" not in html


def test_a_complete_file_before_a_cut_one_reports_no_digest_either(client):
    body = multipart(("file", "whole.txt", b"whole"), ("file", "cut.txt", b"y" * 100_000))
    html = post_raw(client, body[:-1000], status=400)
    assert "whole.txt" not in html and "MD5sum" not in html


def test_a_client_that_disconnects_early_gets_a_400(client):
    body = multipart(("file", "z.bin", b"z" * 100_000))
    response = client.post("/file", input_stream=io.BytesIO(body[:50_000]),
                           content_length=len(body),
                           content_type=f'multipart/form-data; boundary="{BOUNDARY}"')
    assert response.status_code == 400 and b"MD5sum" not in response.data


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"garbage", None),
        (b"--" + BOUNDARY.encode() + b"\r\nno headers", None),
        (b"", None),
        (multipart(("file", "a.txt", b"abc")), "multipart/form-data"),  # no boundary
        (multipart(("file", "a.txt", b"abc")).replace(b"a.txt", b"\xff\xfe.txt"), None),
    ],
)
def test_malformed_bodies_are_a_400_not_a_500(client, body, content_type):
    html = post_raw(client, body, status=400, content_type=content_type)
    check_page(html)
    assert "The upload was incomplete or malformed" in html and "MD5sum" not in html


def test_uploads_over_the_cap_are_a_413(make_client):
    client = make_client(make_app(max_upload=100_000))
    assert "Received file of 90000 bytes" in upload(client, {"file": [("a", b"a" * 90_000)]})
    upload(client, {"file": [("b", b"b" * 150_000)]}, status=413)


def test_only_multipart_bodies_may_be_large(client):
    # A urlencoded body is read into memory whole: it keeps the 64 KiB limit.
    post_raw(client, "x=" + "y" * 70_000, status=413,
             content_type="application/x-www-form-urlencoded")


def test_under_the_mount_point(client):
    html = client.get("/file", base_url="http://localhost/py/").get_data(as_text=True)
    check_page(html, home="/py/")
    assert '<form method="post" action="/py/file" enctype="multipart/form-data">' in html


# -- under the dev server: real sockets, big files, the server's memory -----------------


class GeneratedFile:
    """*size* bytes of seeded random data, produced in 1 MiB chunks and hashed as sent."""

    def __init__(self, size: int, seed: int) -> None:
        self.size = size
        self.seed = seed
        self.md5 = hashlib.md5()
        self.sha256 = hashlib.sha256()

    def chunks(self) -> Iterator[bytes]:
        rng = random.Random(self.seed)
        left = self.size
        while left:
            chunk = rng.randbytes(min(MiB, left))
            self.md5.update(chunk)
            self.sha256.update(chunk)
            left -= len(chunk)
            yield chunk


def stream_upload(port: int, name: str, generated: GeneratedFile) -> tuple[int, str]:
    """POST one generated file to /file, streaming it with a Content-Length."""
    head = (f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; "
            f"filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from generated.chunks()
        yield tail

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/file", body=body(), headers={
            "Content-Type": f'multipart/form-data; boundary="{BOUNDARY}"',
            "Content-Length": str(len(head) + generated.size + len(tail)),
        })
        response = connection.getresponse()
        return response.status, response.read().decode()
    finally:
        connection.close()


def peak_rss(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    return vm_kib(pid, "VmHWM") * 1024


@pytest.mark.slow
def test_big_uploads_under_the_dev_server_in_flat_memory(serve, record_property):
    server = serve()
    peaks = {}
    for name, size in [("empty.bin", 0), ("one-mib.bin", MiB), ("odd.bin", 3 * MiB + 17),
                       ("big.bin", 64 * MiB)]:
        generated = GeneratedFile(size, seed=size)
        status, html = stream_upload(server.port, name, generated)
        assert status == 200, html[:2000]
        assert (f"<p>Got file: {name}</p>\n<p>Received file of {size} bytes. MD5sum is "
                f"{generated.md5.hexdigest()}<br>\nSHA-256 is {generated.sha256.hexdigest()}"
                "</p>") in html
        peaks[name] = peak_rss(server.proc.pid)
    record_property("peak_rss_bytes", peaks)
    print(f"\nserver VmHWM after each upload (MiB): "
          f"{ {name: round(peak / MiB, 1) for name, peak in peaks.items()} }")
    assert peaks["big.bin"] - peaks["one-mib.bin"] < 16 * MiB


@pytest.mark.slow
def test_a_client_that_stops_half_way_gets_a_400_and_no_digest(serve):
    server = serve()
    body = multipart(("file", "half.bin", random.Random(7).randbytes(2 * MiB)))
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as sock:
        sock.sendall(f"POST /file HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n"
                     f"Content-Type: multipart/form-data; boundary=\"{BOUNDARY}\"\r\n\r\n"
                     .encode() + body[:MiB])
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 ")
    assert b"MD5sum" not in answer
    # The server goes on serving.
    status, html = stream_upload(server.port, "after.bin", GeneratedFile(10, seed=1))
    assert status == 200 and "Received file of 10 bytes." in html
