"""Benchmarks: webquiz against the limit and its peers, each ratio measured in one run.

Run through ``bench/run`` (it builds the benchmark's own environment). Every figure is
the median of 3 runs (1 in ``--quick`` mode) and sits beside its reference, measured in
the same run on the same machine, so the ratio is what to read, not the raw number.
Loopback only; every run is bounded in time; every server started here is stopped by
its PID.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "tests"))  # the servers the test suite starts, pytest-free

import apps  # noqa: E402
from gateway_servers import free_port, wait_for_port  # noqa: E402

from webquiz import make_app  # noqa: E402


@dataclass
class Row:
    """One line of the result table: a webquiz figure beside its reference."""

    case: str
    what: str
    figure: float
    reference_name: str
    reference: float
    unit: str
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float:
        if not self.reference:
            return float("nan")
        return self.figure / self.reference


@dataclass
class Settings:
    quick: bool
    runs: int
    seconds: float


# -- helpers ----------------------------------------------------------------------


def median_of(runs: int, measure: Callable[..., float], *args: Any) -> float:
    """Run ``measure(*args)`` *runs* times and return the median."""
    return statistics.median(measure(*args) for _ in range(runs))


@contextmanager
def server(argv: list[str], port: int, env: dict[str, str] | None = None) -> Iterator[int]:
    """Start a server subprocess listening on *port*; stop it by its PID afterwards."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)
    try:
        wait_for_port(port, proc)
        yield proc.pid
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def wrk(url: str, connections: int, seconds: float) -> float:
    """Requests per second that wrk measured against *url* (bounded by *seconds*)."""
    threads = max(1, min(connections, 2))
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s",
         "--timeout", "5s", url],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"wrk printed no rate:\n{out}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"{url}: {errors.group(1)} error responses")
    return float(match.group(1))


def wsgi_rate(app: Any, path: str, seconds: float) -> float:
    """Requests per second through *app* called directly as WSGI (no server, no socket)."""
    from werkzeug.test import EnvironBuilder

    template = EnvironBuilder(path=path).get_environ()

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    count = 0
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        for _ in range(20):
            environ = dict(template)
            environ["wsgi.input"] = io.BytesIO()
            body = app(environ, start_response)
            for _chunk in body:
                pass
            close = getattr(body, "close", None)
            if close:
                close()
        count += 20
    return count / (time.perf_counter() - started)


def body_of(app: Any, path: str) -> tuple[bytes, str]:
    """The bytes and content type *app* answers for *path*."""
    from werkzeug.test import Client

    response = Client(app).get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.data, response.headers["Content-Type"]


# -- the cases ----------------------------------------------------------------------

#: The quiz's date is pinned so /pathinfo/M/D is the right answer whatever the day.
TODAY = "2026-11-21"  # a Saturday: month 11, weekday 5
IN_PROCESS_PAGES = ["/simple", "/pathinfo/11/5", "/escape?data=%3C%26%3F%2B%22%3E+test", "/",
                    "/stats", "/logsink", "/xmlrpc"]


def case_inprocess(settings: Settings) -> Iterable[Row]:
    """Full app called as WSGI, beside a bare callable returning the same bytes, and peers."""
    os.environ["WEBQUIZ_TODAY"] = TODAY
    machinery = make_app(HERE / "handlers")
    figure = median_of(settings.runs, wsgi_rate, machinery, "/hello", settings.seconds)
    for name, factory in (("bare WSGI (limit)", apps.bare_wsgi),
                          ("werkzeug hello", apps.werkzeug_hello)):
        reference = median_of(settings.runs, wsgi_rate, factory(), "/", settings.seconds)
        yield Row("in-process", "GET /hello (machinery only)", figure, name, reference, "req/s",
                  note=f"{1e6 / figure:.1f} µs per request")
    webquiz = make_app()
    for path in IN_PROCESS_PAGES:
        body, ctype = body_of(webquiz, path)
        references = {
            "bare WSGI (limit)": apps.bare_wsgi(body, ctype),
            "werkzeug hello": apps.werkzeug_hello(body, ctype),
        }
        for peer in ("flask", "bottle"):
            try:
                references[f"{peer} hello"] = apps.APPS[peer](body, ctype)
            except ImportError:
                print(f"bench: {peer} is not installed here; its row is skipped",
                      file=sys.stderr)
        figure = median_of(settings.runs, wsgi_rate, webquiz, path, settings.seconds)
        for name, reference_app in references.items():
            reference = median_of(settings.runs, wsgi_rate, reference_app, path, settings.seconds)
            yield Row("in-process", f"GET {path}", figure, name, reference, "req/s",
                      note=f"{1e6 / figure:.0f} µs per request")


def case_devserver(settings: Settings) -> Iterable[Row]:
    """wrk against ``webquiz serve`` and against references on the same werkzeug server."""
    if not shutil.which("wrk"):
        raise RuntimeError("wrk is not installed (Debian package wrk)")
    connections = [8] if settings.quick else [1, 8, 64]
    python = sys.executable
    page = Path(tempfile.mkdtemp(prefix="webquiz-bench-")) / "simple.html"
    page.write_bytes(body_of(make_app(), "/simple")[0])
    references = {"bare hello": ["bare"], "werkzeug hello": ["werkzeug"],
                  "bare WSGI, same bytes as /simple": ["bare", str(page)]}
    for conns in connections:
        port = free_port()
        with server([python, "-m", "webquiz", "serve", "--port", str(port)], port):
            figure = median_of(settings.runs, wrk, f"http://127.0.0.1:{port}/simple", conns,
                               settings.seconds)
        for label, (name, *body) in references.items():
            port = free_port()
            with server([python, str(HERE / "apps.py"), name, str(port), *body], port):
                reference = median_of(settings.runs, wrk, f"http://127.0.0.1:{port}/", conns,
                                      settings.seconds)
            yield Row("dev server", f"/simple, {conns} conn", figure, label, reference, "req/s")
    shutil.rmtree(page.parent, ignore_errors=True)


def case_modwsgi(settings: Settings) -> Iterable[Row]:
    """wrk against mod_wsgi-express (2 processes x 5 threads): webquiz and the hellos."""
    import apache_cases as ac

    venv = ac.bench_venv()
    connections = [8] if settings.quick else [1, 8, 64]
    figures: dict[tuple[str, int], float] = {}
    with ac.scratch("webquiz-bench-wsgi-") as root:
        entry = root / "webquiz.wsgi"
        shutil.copy(ROOT / "apache" / "webquiz.wsgi", entry)
        targets = {"webquiz": (entry, "/simple")}
        for name in ("bare", "werkzeug", "flask"):
            targets[name] = (ac.reference_entry(root, name), "/")
        targets["bare-page"] = (ac.reference_entry(root, "bare", body_of(make_app(), "/simple")[0]),
                                "/")
        ac.gs.open_up(root)
        for name, (script, path) in targets.items():
            with ac.scratch(f"webquiz-bench-{name}-") as server_root, \
                    ac.express(venv, script, server_root) as srv:
                wrk(srv.url(path), 8, 1)  # warm up: both daemon processes load the app
                for conns in connections:
                    figures[name, conns] = median_of(settings.runs, wrk, srv.url(path), conns,
                                                     settings.seconds)
    for conns in connections:
        for name, label in (("bare", "bare hello"), ("werkzeug", "werkzeug hello"),
                            ("flask", "flask hello"),
                            ("bare-page", "bare WSGI, same bytes as /simple")):
            yield Row("mod_wsgi 2×5", f"/simple, {conns} conn", figures["webquiz", conns],
                      label, figures[name, conns], "req/s")


def case_cgi(settings: Settings) -> Iterable[Row]:
    """Latency of CGI requests under Apache + mod_cgid, 2 connections: webquiz and floors."""
    import apache_cases as ac

    venv = ac.bench_venv()
    with ac.scratch("webquiz-bench-cgi-") as root, ac.cgi_server(venv, root) as srv:
        base = f"http://127.0.0.1:{srv.port}/cgi-bin/"
        references = {"shell echo (floor)": "echo.sh", "stdlib Python hello": "hello_stdlib.py",
                      "old cgi FieldStorage": "hello_fieldstorage.py",
                      "werkzeug hello (wsgiref)": "hello_werkzeug.py",
                      "Flask hello (wsgiref)": "hello_flask.py"}
        measured = {}
        for name, script in references.items():
            measured[name] = _latency(settings, base + script)
        for path in ("/simple", "/pathinfo/11/5"):
            p50, p99 = _latency(settings, base + "webquiz.cgi" + path)
            for name, (ref50, ref99) in measured.items():
                yield Row("CGI (mod_cgid)", f"{path} p50", p50, name, ref50, "ms",
                          higher_is_better=False, note=f"p99 {p99:.0f} ms vs {ref99:.0f} ms")


def _latency(settings: Settings, url: str) -> tuple[float, float]:
    import apache_cases as ac

    # A CGI request takes tens of milliseconds: give wrk time for enough of them.
    seconds = max(settings.seconds, 5.0)
    runs = [ac.wrk_latency(url, 2, seconds) for _ in range(settings.runs)]
    return (statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs))


def case_upload(settings: Settings) -> Iterable[Row]:
    """Upload throughput and server peak RSS for /file, beside md5sum of the same file."""
    import apache_cases as ac

    sizes = [16 << 20] if settings.quick else [256 << 20, 1 << 30]
    venv = ac.bench_venv()
    with ac.scratch("webquiz-bench-upload-") as root:
        for size in sizes:
            label = f"{size >> 20} MiB" if size < 1 << 30 else f"{size >> 30} GiB"
            data = root / "upload.bin"
            md5 = ac.make_file(data, size)
            limit = median_of(settings.runs, ac.md5sum_rate, data, size)

            def rows(where: str, rate: float, rss: float, label: str = label,
                     limit: float = limit) -> Row:
                return Row("upload /file", f"{label}, {where}", rate, "md5sum (limit)", limit,
                           "MiB/s", note=f"server peak RSS {rss:.0f} MiB")

            port = free_port()
            argv = [sys.executable, "-m", "webquiz", "serve", "--port", str(port)]
            with server(argv, port, env=dict(os.environ, WEBQUIZ_MAX_UPLOAD=str(2 << 30))) as pid:
                rate = median_of(settings.runs, ac.upload_rate,
                                 f"http://127.0.0.1:{port}/file", data, size, md5)
                yield rows("dev server", rate, ac.peak_rss_mib([pid]))

            entry = root / "webquiz.wsgi"
            shutil.copy(ROOT / "apache" / "webquiz.wsgi", entry)
            ac.gs.open_up(root)
            with ac.scratch("webquiz-bench-upw-") as server_root, ac.express(
                    venv, entry, server_root, env={"WEBQUIZ_MAX_UPLOAD": str(2 << 30)}) as srv:
                rate = median_of(settings.runs, ac.upload_rate, srv.url("/file"), data, size,
                                 md5)
                yield rows("mod_wsgi", rate, ac.peak_rss_mib(ac.descendants(srv.proc.pid)))

            with ac.scratch("webquiz-bench-upc-") as server_root, \
                    ac.cgi_server(venv, server_root) as srv:
                url = f"http://127.0.0.1:{srv.port}/cgi-bin/measured.py/file"
                rate = median_of(settings.runs, ac.upload_rate, url, data, size, md5)
                kib = [int(x) for x in (server_root / "cgi-maxrss.txt").read_text().split()]
                yield rows("CGI", rate, max(kib) / 1024)
            data.unlink()


CASES: dict[str, Callable[[Settings], Iterable[Row]]] = {
    "inprocess": case_inprocess,
    "devserver": case_devserver,
    "modwsgi": case_modwsgi,
    "cgi": case_cgi,
    "upload": case_upload,
}


# -- output -------------------------------------------------------------------------


def machine() -> str:
    """One line describing where the figures were measured."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores ({cpu}), "
            f"Python {platform.python_version()}")


HEADER = [
    "| case | webquiz | figure | reference | figure | ratio | notes |",
    "| --- | --- | ---: | --- | ---: | ---: | --- |",
]


def line(row: Row) -> str:
    """One row of the Markdown table."""
    better = "" if row.higher_is_better else " (lower is better)"
    return (f"| {row.case} | {row.what} | {row.figure:,.1f} {row.unit} | {row.reference_name} "
            f"| {row.reference:,.1f} {row.unit} | {row.ratio:.2f}×{better} | {row.note} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one short run per figure: checks the script works, not speed")
    parser.add_argument("--only", action="append", choices=sorted(CASES),
                        help="run only this case (repeatable)")
    parser.add_argument("--write", metavar="FILE", help="also write the table to FILE")
    args = parser.parse_args(argv)
    settings = Settings(quick=args.quick, runs=1 if args.quick else 3,
                        seconds=0.3 if args.quick else 3.0)
    lines, failed = list(HEADER), []
    print("\n".join(HEADER), flush=True)
    for name in args.only or list(CASES):
        try:
            for row in CASES[name](settings):  # each row printed as soon as it is measured
                lines.append(line(row))
                print(lines[-1], flush=True)
        except Exception as exc:  # one broken case must not lose the others' figures
            failed.append(f"{name}: {type(exc).__name__}: {exc}")
            print(f"bench: case {name} failed: {exc}", file=sys.stderr, flush=True)
    if args.write:
        text = "\n".join(lines)
        if failed:
            text += "\n\nFailed cases:\n" + "\n".join(f"- {f}" for f in failed)
        Path(args.write).write_text(
            f"# Benchmark results\n\nMeasured {time.strftime('%Y-%m-%d')} on {machine()}; "
            f"each figure the median of {settings.runs} runs. Regenerate with "
            f"`bench/run --write bench/RESULTS.md`.\n\n{text}\n"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
