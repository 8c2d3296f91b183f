"""A 256 MiB upload to /file in flat memory: through the dev server (its peak RSS, VmHWM,
at most 32 MiB above idle) and through a CGI process (its own VmHWM, at most 64 MiB in
all). The test streams the body from a generator: it never holds it."""

from __future__ import annotations

import hashlib
import http.client
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import IO

import pytest
from gateway_servers import vm_kib
from support import HANDLERS, ROOT

pytestmark = pytest.mark.slow

MiB = 1024 * 1024
SIZE = 256 * MiB
BOUNDARY = "memory-test-boundary"
HEAD = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n").encode()
TAIL = f"\r\n--{BOUNDARY}--\r\n".encode()
LENGTH = len(HEAD) + SIZE + len(TAIL)
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
#: The CGI program, then its own /proc/self/status on stderr (VmHWM: its peak RSS). Not
#: wait4's ru_maxrss: a child spawned by vfork takes the parent's peak (pytest's, here)
#: into its own at exec, so that figure says more about the test run than the program.
CGI = [sys.executable, "-c", "import sys; from webquiz.gateways import cgi_main; "
       "code = cgi_main(); sys.stderr.write(open('/proc/self/status').read()); "
       "raise SystemExit(code)"]


class Body:
    """The multipart body: HEAD, 256 MiB made of a random MiB stamped with its index, TAIL;
    hashed as it is produced."""

    def __init__(self) -> None:
        self.md5 = hashlib.md5()
        self.block = os.urandom(MiB)

    def chunks(self) -> Iterator[bytes]:
        yield HEAD
        for index in range(SIZE // MiB):
            chunk = index.to_bytes(8, "big") + self.block[8:]
            self.md5.update(chunk)
            yield chunk
        yield TAIL

    def expected(self) -> str:
        return f"Received file of {SIZE} bytes. MD5sum is {self.md5.hexdigest()}<br>"


def test_the_dev_server_stays_within_32_mib_of_idle(serve, record_property):
    server = serve()
    # Idle, but warm: the upload page and werkzeug's multipart parser have run once.
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    connection.request("POST", "/file", body=HEAD + b"x" + TAIL,
                       headers={"Content-Type": CONTENT_TYPE})
    assert connection.getresponse().read() and connection.close() is None
    idle = vm_kib(server.proc.pid, "VmHWM")
    body = Body()
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        connection.request("POST", "/file", body=body.chunks(), headers={
            "Content-Type": CONTENT_TYPE, "Content-Length": str(LENGTH)})
        response = connection.getresponse()
        page = response.read().decode()
    finally:
        connection.close()
    assert response.status == 200, page[:1000]
    assert body.expected() in page
    peak = vm_kib(server.proc.pid, "VmHWM")
    record_property("dev_server_kib", {"idle": idle, "peak": peak})
    print(f"\ndev server VmHWM: idle {idle / 1024:.1f} MiB, after 256 MiB {peak / 1024:.1f} MiB")
    assert peak - idle < 32 * 1024


def test_a_cgi_process_stays_within_64_mib(tmp_path, record_property):
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "LANG": "C.UTF-8",
           "WEBQUIZ_HANDLERS": str(HANDLERS), "GATEWAY_INTERFACE": "CGI/1.1",
           "SERVER_SOFTWARE": "Apache/2.4", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
           "SERVER_PROTOCOL": "HTTP/1.1", "REQUEST_METHOD": "POST", "SCRIPT_NAME": "/cgi",
           "PATH_INFO": "/file", "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1",
           "CONTENT_TYPE": CONTENT_TYPE, "CONTENT_LENGTH": str(LENGTH)}
    proc = subprocess.Popen(CGI, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdin and proc.stdout and proc.stderr
    outputs: dict[str, bytes] = {}

    def read(name: str, stream: IO[bytes]) -> None:
        with stream:
            outputs[name] = stream.read()

    readers = [threading.Thread(target=read, args=(name, stream), daemon=True)
               for name, stream in (("out", proc.stdout), ("err", proc.stderr))]
    for reader in readers:
        reader.start()
    body = Body()
    try:
        for chunk in body.chunks():
            proc.stdin.write(chunk)
        proc.stdin.close()
        proc.wait(120)
    finally:
        if proc.returncode is None:
            proc.kill()
            proc.wait(10)
    for reader in readers:
        reader.join(30)
    log = outputs.get("err", b"").decode(errors="replace")
    assert proc.returncode == 0, log
    head, _, page = outputs["out"].partition(b"\r\n\r\n")
    assert head.startswith(b"Status: 200 OK"), outputs["out"][:1000]
    assert body.expected().encode() in page
    peak = int(re.search(r"^VmHWM:\s+(\d+) kB", log, re.M)[1])
    record_property("cgi_vmhwm_kib", peak)
    print(f"\nCGI process peak RSS (VmHWM): {peak / 1024:.1f} MiB")
    assert peak < 64 * 1024
