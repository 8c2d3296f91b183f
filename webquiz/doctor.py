"""``webquiz doctor URL``: prove a deployment serves the same pages, and name the fix when not.

Most of what goes wrong under Apache is the deployment, not the code, and the symptoms
are opaque (a 503, a header that never arrives, a 413 on a small upload). The doctor
asks the live server and the application in this process the same questions and
compares the answers:

1. **Pages.** Every page of the handlers folder (the index, the stylesheet, each
   ``/NAME``) is requested from the server at URL and from ``make_app(DIR)`` through
   werkzeug's test client, with the same method, path, query and headers; status,
   headers (less those a server adds or that tell the time: ``IGNORED_HEADERS``) and
   body must match. A page whose body the application itself changes (asked again by
   another process a second later, or with only the server's own facts changed: the
   client's address, the server software, the gateway's name) shows the clock, the
   process or the server, and is compared by its shape (webquiz/doctor_compare.py).
2. **Traps**, through the probe at ``/_webquiz/probe`` (webquiz/probe.py): the mount
   (SCRIPT_NAME), PATH_INFO with non-ASCII and encoded characters, the Authorization
   header, the largest body accepted, chunked bodies, stray output before a CGI
   response, the security headers, and who answers (gateway, Python, processes).
3. **The verdict**: one table (check, expected, got, verdict), each difference, and for
   each failure the directive that fixes it and the file it belongs in. The exit status
   is 1 when any check failed (warnings and notes do not count), 0 otherwise.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any

from . import __version__
from .app import make_app
from .builtin import PROBE
from .doctor_compare import body_differences, header_differences, junk_before, shape
from .doctor_requests import (
    CHUNKS,
    OTHER_SERVER,
    Answer,
    DoctorError,
    Live,
    Target,
    app_root,
    elsewhere,
    local,
)
from .headers import SECURITY_HEADERS
from .html import STYLESHEET

#: Verdicts. Only FAIL makes the exit status non-zero.
OK, FAIL, WARN, INFO, SKIP = "ok", "FAIL", "warn", "info", "skip"

#: The probe's path tail and query: non-ASCII, an encoded space, a plus, an encoded %.
PROBE_TAIL = "/%C3%A9t%C3%A9/a%20b/a+b%25"
PROBE_TAIL_BYTES = "/été/a b/a+b%".encode()
PROBE_QUERY = "q=%C3%A9&r=a+b"
#: A credential that is no one's: the probe answers only whether a header arrived.
DUMMY_AUTHORIZATION = "Basic " + base64.b64encode(b"webquiz-doctor:not-a-secret").decode()
#: The largest body the doctor sends by default (16 MiB: above mod_wsgi-express's 10 MiB).
DEFAULT_MAX_BODY = 16 * 1024 * 1024
#: The body sizes tried, smallest first, up to the bound.
BODY_STEPS = (64 * 1024, 1024 * 1024, 4 * 1024 * 1024)
#: How many extra requests narrow down where a server's body limit lies.
BISECT_STEPS = 6
#: Probe requests sent at once to see how many processes and threads answer.
PARALLEL = 4
SAMPLES = 8
#: Pages whose differences the table prints in full (--json has them all).
PAGES_SHOWN = 3


# -- the report ---------------------------------------------------------------------------


@dataclass
class Check:
    """One row of the table, with the differences behind it and the fix for a failure."""

    check: str
    expected: str
    got: str
    verdict: str
    fix: str = ""
    details: list[str] = field(default_factory=list)


@dataclass
class Deployment:
    """What the doctor learned about who answers at the URL."""

    kind: str = "unknown"  # mod_wsgi, mod_wsgi-express, CGI, htaccess, dev server, unknown
    gateway: str | None = None
    probe: dict[str, Any] | None = None


def where(kind: str, mount: str) -> str:
    """The block and file a directive for this mount belongs in."""
    block = f"<Location {mount or '/'}>"
    if kind == "mod_wsgi":
        return (f"inside {block} of your mod_wsgi config (what `webquiz apache-config wsgi` "
                "printed, e.g. /etc/apache2/conf-available/webquiz.conf), then reload Apache")
    if kind == "CGI":
        return (f"inside {block} of your CGI config (what `webquiz apache-config cgi` "
                "printed, e.g. /etc/apache2/conf-available/webquiz.conf), then reload Apache")
    if kind == "htaccess":
        return f"to the .htaccess file of the folder served at {mount or ''}/"
    return f"inside {block} of the Apache config that serves {mount or '/'}"


def _count(number: int, noun: str) -> str:
    """``1 process``, ``2 processes``."""
    plural = noun + ("es" if noun.endswith("s") else "s")
    return f"{number} {noun if number == 1 else plural}"


def _size(count: int) -> str:
    """A byte count for people: ``64 KiB``, ``1.5 MiB``."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if count >= factor:
            return f"{count / factor:.3g} {unit}"
    return f"{count} bytes"


# -- the checks ---------------------------------------------------------------------------


class Doctor:
    """Run every check against one URL, comparing with the app of one handlers folder."""

    def __init__(self, url: str, handlers: str | os.PathLike[str] | None = None, *,
                 max_body: int = DEFAULT_MAX_BODY, timeout: float = 30) -> None:
        self.target = Target.parse(url)
        try:
            with contextlib.redirect_stdout(sys.stderr):  # a module's print() at import
                self.app = make_app(handlers)
        except NotADirectoryError as exc:
            raise DoctorError(str(exc)) from None
        self.live = Live(self.target, timeout)
        self.max_body = max_body
        self.timeout = timeout
        self.checks: list[Check] = []
        self.deployment = Deployment()
        #: Every answer the server gave, for the checks that look at all of them.
        self.seen: list[tuple[str, Answer]] = []

    def add(self, check: Check) -> Check:
        """Record one row of the table."""
        self.checks.append(check)
        return check

    def run(self) -> list[Check]:
        """Run the checks, in order; the table's rows."""
        index = self.live.get("/")
        self.seen.append(("/", index))
        if not self.reachable(index):
            return self.checks
        probe = self.probe()
        self.mount(probe, index)
        if probe is not None:
            self.path_info(probe)
            self.authorization(probe)
            self.body_size(probe)
            self.chunked()
            self.who_answers(probe)
        self.pages(index)
        self.clean_output()
        self.security_headers()
        return self.checks

    # -- can webquiz be reached at all

    def reachable(self, index: Answer) -> bool:
        """The server answers at the URL, and webquiz (not the server) writes the answer."""
        expected = "webquiz answers"
        if index.status is None:
            if (index.error or "").startswith("not an HTTP response"):
                fix = ("what answers is not an HTTP server, or a CGI program that writes "
                       "its own status line (an nph- script printing before webquiz): "
                       "check the URL's port and scheme (http or https)")
            else:
                fix = (f"nothing answers at {self.target.url}: start the server, or check "
                       "the URL's host, port and scheme")
            self.add(Check("reachable", expected, index.describe(), FAIL, fix))
            return False
        if index.from_webquiz:
            self.add(Check("reachable", expected, f"{index.describe()} from webquiz", OK))
            return True
        server = index.header("Server") or "the server"
        got = f"{index.describe()} from {server}, not from webquiz"
        if index.status == 503:
            fix = (
                "mod_wsgi daemon mode: Apache's workers cannot reach the daemon processes "
                "(Apache's error log says \"Unable to connect to WSGI daemon process\"). Add "
                "`WSGISocketPrefix /var/run/wsgi` (a folder that exists and Apache's user "
                "can enter) at the top level of your mod_wsgi config (what `webquiz "
                "apache-config wsgi` printed), outside any <VirtualHost>, then restart "
                "Apache. If the log says \"No module named 'encodings'\" instead, "
                "python-home names a venv of another Python than mod_wsgi's: run `webquiz "
                "apache-config wsgi` in that venv, which checks."
            )
        elif index.status == 500:
            fix = (
                "the program failed before webquiz answered: read Apache's error log. "
                "\"malformed header from script\": something printed to stdout before "
                "webquiz's headers (a print() in the CGI entry script, or in code it runs "
                "before cgi_main()): remove it, webquiz writes the headers itself; \"End of "
                "script output before headers\": the #! line names a Python without "
                "webquiz, or Apache's user cannot read the venv; \"Target WSGI script cannot "
                "be loaded\": the WSGIScriptAlias path or python-home is wrong."
            )
        else:
            fix = (
                f"the server does not hand {self.target.mount or '/'} to webquiz: check the "
                f"`ScriptAlias {self.target.mount or '/'}` (CGI) or `WSGIScriptAlias "
                f"{self.target.mount or '/'}` (mod_wsgi) line and the <Directory> block that "
                "lets Apache run it, as `webquiz apache-config` prints them."
            )
        self.add(Check("reachable", expected, got, FAIL, fix))
        return False

    # -- the probe

    def probe(self) -> dict[str, Any] | None:
        """Ask the probe what arrived; record the gateway. None when it did not answer."""
        answer = self.live.get(PROBE + PROBE_TAIL + "?" + PROBE_QUERY,
                               {"Authorization": DUMMY_AUTHORIZATION})
        self.seen.append((PROBE, answer))
        report = answer.json() if answer.status == 200 else None
        if report is None or "path_info_bytes" not in report:
            off = b"deployment probe is turned off" in answer.body
            self.add(Check(
                "probe", f"{PROBE} answers", "turned off" if off else answer.describe(),
                SKIP if off else FAIL,
                "" if off else "the checks below that need the probe could not run; "
                "the mount check says why"))
            return None
        self.add(Check("probe", f"{PROBE} answers", "answers", OK))
        self.deployment = Deployment(_kind(report), report.get("gateway"), report)
        return report

    def mount(self, probe: dict[str, Any] | None, index: Answer) -> None:
        """SCRIPT_NAME is the URL's path: links the pages write lead back to them."""
        expected = self.target.mount
        if probe is not None:
            got = probe.get("script_name", "")
            path_info = bytes.fromhex(probe.get("path_info_bytes", "")).decode(
                "utf-8", "replace")
        else:
            roots = [app_root(answer.body) for _, answer in self.seen]
            found = next((root for root in roots if root is not None), None)
            if found is None:
                self.add(Check("mount", f"SCRIPT_NAME {expected or '(empty)'}",
                               "unknown: no page of webquiz answered", FAIL,
                               self._mapping_fix(expected)))
                return
            got, path_info = found, ""
        shown = f"SCRIPT_NAME {expected or '(empty)'}"
        if got == expected:
            self.add(Check("mount", shown, got or "(empty)", OK))
            return
        if got.rstrip("/") == expected:
            why = (f"a slash after the URL path: the server passes {got!r}, so the links "
                   f"webquiz writes start with {got + '/'!r}")
        elif expected.startswith(got) or path_info.startswith(expected[len(got):] + "/"):
            why = (f"the server hands {expected[len(got):]!r} to webquiz again in PATH_INFO "
                   f"(SCRIPT_NAME {got or '(empty)'}): every page's name is read from the "
                   "wrong segment")
        else:
            why = f"the server mounts webquiz at {got or '(empty)'}"
        self.add(Check("mount", shown, got or "(empty)", FAIL, self._mapping_fix(expected),
                       [why]))

    def _mapping_fix(self, mount: str) -> str:
        """How the line that maps *mount* to webquiz must read, for this gateway."""
        shown = mount or "/"
        cgi = f'`ScriptAlias {shown} "/path/to/venv/bin/webquiz-cgi"`'
        wsgi = f'`WSGIScriptAlias {shown} "/path/to/webquiz.wsgi"`'
        rule = ("the URL path exactly as you open it (no slash after it), the target exactly "
                "the file (nothing after it), as `webquiz apache-config KIND --mount "
                f"{shown}` prints it")
        kind = self.deployment.kind
        if kind == "mod_wsgi":
            return f"write the line as {wsgi}: {rule}"
        if kind == "CGI":
            return f"write the line as {cgi}: {rule}"
        if kind == "htaccess":
            return ("put the .htaccess and webquiz.cgi in the folder served at "
                    f"{shown}: `webquiz apache-config htaccess --mount {shown} --write DIR`")
        return f"write the line that maps {shown} as {cgi} (CGI) or {wsgi} (mod_wsgi): {rule}"

    def path_info(self, probe: dict[str, Any]) -> None:
        """PATH_INFO and the query arrive as the client's bytes, decoded once."""
        want = PROBE.encode() + PROBE_TAIL_BYTES
        got = bytes.fromhex(probe.get("path_info_bytes", ""))
        query = bytes.fromhex(probe.get("query_string_bytes", ""))
        shown = want.decode()
        if got == want and query == PROBE_QUERY.encode():
            self.add(Check("path info", shown, "the same", OK))
            return
        details = []
        if got != want:
            details.append(f"PATH_INFO arrived as {got!r}, sent as {want!r}")
        if query != PROBE_QUERY.encode():
            details.append(f"the query arrived as {query!r}, sent as {PROBE_QUERY!r}")
        self.add(Check(
            "path info", shown, got.decode("utf-8", "replace"), FAIL,
            "a RewriteRule or proxy in front re-encodes the URL: pass it through unchanged "
            "(mod_rewrite: no [B] or [NE] flag on the rule; mod_proxy: `ProxyPass ... "
            "nocanon`)", details))

    def authorization(self, probe: dict[str, Any]) -> None:
        """The Authorization header reaches the application (ported pages read it)."""
        expected = "the header arrives"
        if probe.get("authorization"):
            self.add(Check("authorization", expected, "arrives", OK))
            return
        kind, mount = self.deployment.kind, self.target.mount
        if kind == "mod_wsgi":
            fix = f"add `WSGIPassAuthorization On` {where(kind, mount)}"
        elif kind == "CGI":
            fix = f"add `CGIPassAuth On` {where(kind, mount)} (Apache 2.4.13 or later)"
        elif kind == "htaccess":
            fix = ("add `RewriteCond %{HTTP:Authorization} .` and `RewriteRule ^ - "
                   "[E=HTTP_AUTHORIZATION:%{HTTP:Authorization}]` after `RewriteEngine On` "
                   f"in the .htaccess of the folder served at {mount}/ (or `CGIPassAuth On`, "
                   "where the host allows AuthConfig in .htaccess files)")
        else:
            fix = ("a server or proxy in front of webquiz drops the Authorization header: "
                   "configure it to pass the header on")
        self.add(Check("authorization", expected, "dropped on the way", FAIL, fix,
                       ["pages that check credentials themselves "
                        "(req.request.authorization) see none"]))

    def body_size(self, probe: dict[str, Any]) -> None:
        """Bodies up to webquiz's upload cap reach it (up to the bound the doctor sends)."""
        cap = int(probe.get("max_upload") or 0)
        bound = min(self.max_body, cap) if cap else self.max_body
        expected = f"{_size(bound)} accepted" + (" (webquiz's cap)" if bound == cap else "")
        sizes = [size for size in BODY_STEPS if size < bound] + [bound]
        accepted, refused = 0, None
        for size in sizes:
            answer = self.live.post(PROBE, size)
            self.seen.append((PROBE, answer))
            if _received(answer) == size:
                accepted = size
                continue
            refused = (size, answer)
            break
        if refused is None:
            self.add(Check("body size", expected, f"{_size(accepted)} accepted", OK))
            return
        size, answer = refused
        # Narrow it down: the largest size that still gets through.
        low, high = accepted, size
        for _ in range(BISECT_STEPS):
            middle = (low + high) // 2
            if middle in (low, high):
                break
            trial = self.live.post(PROBE, middle)
            if _received(trial) == middle:
                low = middle
            else:
                high = middle
        got = f"{_size(low)} accepted, {_size(high)} refused: {answer.describe()}"
        ours = (answer.json() or {}).get("refused_by") == "webquiz"
        detail = [f"webquiz's own cap is {_size(cap)} (WEBQUIZ_MAX_UPLOAD); it answers a "
                  "larger body with its own 413"] if cap else []
        if ours:
            fix = "webquiz refused it: raise WEBQUIZ_MAX_UPLOAD (bytes) where the server runs"
        elif answer.status == 413:
            kind, mount = self.deployment.kind, self.target.mount
            if kind == "mod_wsgi-express":
                fix = (f"start mod_wsgi-express with `--limit-request-body {cap}` "
                       "(its default is 10 MiB)")
            elif kind in ("mod_wsgi", "CGI", "htaccess"):
                fix = (f"add `LimitRequestBody {cap}` {where(kind, mount)} (0 lifts Apache's "
                       "limit; webquiz still refuses what is over its own cap)")
            else:
                fix = ("raise the body limit of the server or proxy in front of webquiz "
                       f"to {cap} bytes (Apache: LimitRequestBody; nginx: "
                       "client_max_body_size)")
        else:
            fix = ("the server or a proxy in front cut the upload short: raise its body "
                   "limit and its timeouts (Apache: LimitRequestBody, RequestReadTimeout)")
        self.add(Check("body size", expected, got, FAIL, fix, detail))

    def chunked(self) -> None:
        """A chunked body (no Content-Length) arrives whole. Browsers never send one."""
        want = sum(len(chunk) for chunk in CHUNKS)
        answer = self.live.post(PROBE, 0, chunked=True)
        self.seen.append((PROBE, answer))
        expected = f"{_size(want)} arrive"
        if _received(answer) == want:
            self.add(Check("chunked body", expected, "arrive", OK))
            return
        kind, mount = self.deployment.kind, self.target.mount
        if kind == "mod_wsgi-express":
            fix = "start mod_wsgi-express with `--chunked-request`"
        elif kind == "mod_wsgi":
            fix = f"add `WSGIChunkedRequest On` {where(kind, mount)}"
        else:
            fix = "the server or a proxy in front refuses chunked request bodies"
        got = answer.describe() if _received(answer) is None else (
            f"{_size(_received(answer) or 0)} arrived")
        self.add(Check("chunked body", expected, got, WARN, fix,
                       ["only clients that stream a body without a length are affected "
                        "(some HTTP libraries); browsers always send one"]))

    def who_answers(self, probe: dict[str, Any]) -> None:
        """Which gateway, Python and how many processes and threads serve (for the record)."""
        theirs = str(probe.get("webquiz"))
        if theirs == __version__:
            self.add(Check("version", f"webquiz {__version__}", f"webquiz {theirs}", OK))
        else:
            self.add(Check("version", f"webquiz {__version__}", f"webquiz {theirs}", WARN,
                           "install the same webquiz on both sides: pages may differ "
                           "because their code does"))
        python = probe.get("python") or {}
        gateway, kind = str(probe.get("gateway")), self.deployment.kind
        self.add(Check("gateway", "-", gateway if kind in gateway else f"{gateway} ({kind})",
                       INFO))
        self.add(Check("python", "-", f"{python.get('version')} at {python.get('prefix')}",
                       INFO))
        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(lambda _: self.live.get(PROBE), range(SAMPLES)))
        reports = [a.json() for a in answers if a.status == 200]
        seen = [r["process"] for r in reports if r and isinstance(r.get("process"), dict)]
        pids = {p.get("pid") for p in seen}
        threads = {(p.get("pid"), p.get("thread")) for p in seen}
        got = (f"{len(seen)} requests answered by {_count(len(pids), 'process')} and "
               f"{_count(len(threads), 'thread')}")
        pool_info = probe.get("mod_wsgi") or {}
        if pool_info.get("maximum_processes"):
            got += (f" (daemon group {pool_info.get('process_group')!r}: "
                    f"{pool_info['maximum_processes']} x {pool_info.get('threads_per_process')}"
                    " threads)")
        self.add(Check("processes", "-", got, INFO))

    # -- the pages

    def pages(self, index: Answer) -> None:
        """Every page, from the server and in process, compared (exactly, or by shape)."""
        paths = ["/", STYLESHEET, *(f"/{route.name}" for route in self.app.table.routes())]
        gateway = self.deployment.gateway
        # Pages that show the gateway's name show the server's.
        named = {"webquiz.gateway": gateway} if gateway else {}
        started = time.monotonic()
        here = local(self.app, self.target, paths, named)
        varied = local(self.app, self.target, paths, OTHER_SERVER)
        live = [index] + [self.live.get(path) for path in paths[1:]]
        self.seen += list(zip(paths, live, strict=True))
        time.sleep(max(0.0, 1.05 - (time.monotonic() - started)))  # another second
        other = elsewhere(self.app.folder, gateway, self.target, paths, self.timeout)
        if other is None:
            self.add(Check("replay", "another process answers the pages", "it failed", WARN,
                           "every page is compared by shape: check that `python -c 'import "
                           "webquiz'` works with this Python"))
        for i, path in enumerate(paths):
            volatile = varied[i].body != here[i].body or (
                other is None or other[i].body != here[i].body)
            self.add(self.compare_page(path, live[i], here[i], volatile))

    def compare_page(self, path: str, live: Answer, expected: Answer, volatile: bool) -> Check:
        """One page: status, headers, and body (by shape when *volatile*)."""
        how = "same shape" if volatile else "same bytes"
        want = f"{expected.status}, same headers, {how}"
        if live.status is None:
            return Check(f"page {path}", want, live.describe(), FAIL,
                         "the server gave no answer for this page: see its error log")
        details = []
        if live.status != expected.status:
            details.append(f"status {live.status}, in process {expected.status}")
        missing, added = header_differences(live, expected)
        details += [f"header missing or changed: {line}" for line in missing]
        if volatile:
            if shape(live) != shape(expected):
                details.append("the page's shape differs (its frame, title or structure):")
                details += body_differences(live.body, expected.body)
        elif live.body != expected.body:
            details.append("the body differs:")
            details += body_differences(live.body, expected.body)
        if not details:
            note = f"; the server added {', '.join(added)}" if added else ""
            return Check(f"page {path}", want, "same" + note, OK)
        return Check(f"page {path}", want, f"differs: {details[0]}", FAIL, details=details)

    # -- what every answer must be

    def clean_output(self) -> None:
        """No bytes before webquiz's response: a stray print() corrupts a CGI response."""
        expected = "responses as webquiz wrote them"
        for path, answer in self.seen:
            junk = junk_before(answer.body) if answer.status else None
            if answer.error and answer.error.startswith("not an HTTP response"):
                junk = answer.error.encode()
            if junk:
                text = junk[:70].decode("utf-8", "replace")
                self.add(Check(
                    "clean output", expected, f"{path}: {text!r}... before the body", FAIL,
                    "something printed to stdout before webquiz's response: remove the "
                    "print() (old CGI scripts print their own \"Content-Type:\" line and a "
                    "blank line) from the CGI entry script and from code it runs before "
                    "cgi_main(); webquiz writes the headers itself, and a handler's print() "
                    "goes to the error log",
                    ["the server took the printed lines for the response's headers, and "
                     "webquiz's own headers arrived as the start of the body"]))
                return
        self.add(Check("clean output", expected, "clean", OK))

    def security_headers(self) -> None:
        """webquiz's security headers reach the client on every answer webquiz wrote."""
        expected = ", ".join(key for key, _ in SECURITY_HEADERS)
        problems = []
        for path, answer in self.seen:
            if not _written_by_webquiz(path, answer):
                continue
            for key, value in SECURITY_HEADERS:
                got = answer.header(key)
                if got != value:
                    problems.append(f"{path}: {key}: {got!r}")
        if not problems:
            self.add(Check("security headers", expected, "on every page", OK))
            return
        self.add(Check(
            "security headers", expected, problems[0], FAIL,
            "a `Header unset` or `Header set` directive (mod_headers), a proxy, or output "
            "before webquiz's own headers (see clean output) removes or changes webquiz's "
            "security headers: remove it for this mount", problems[:10]))


def _written_by_webquiz(path: str, answer: Answer) -> bool:
    """True for answers webquiz wrote: its pages, its stylesheet, the probe's reports."""
    if answer.status is None:
        return False
    if path == STYLESHEET:
        return answer.status in (200, 304)
    report = answer.json() if path == PROBE else None
    return app_root(answer.body) is not None or bool(
        report and ("webquiz" in report or "refused_by" in report))


def _received(answer: Answer) -> int | None:
    """How many body bytes the probe says arrived; None when the probe did not answer."""
    if answer.status != 200:
        return None
    report = answer.json()
    value = report.get("body_bytes") if report else None
    return value if isinstance(value, int) else None


def _kind(report: dict[str, Any]) -> str:
    """Which kind of deployment answered: it decides which directive fixes what."""
    gateway = str(report.get("gateway") or "")
    if gateway.startswith("mod_wsgi"):
        group = str((report.get("mod_wsgi") or {}).get("process_group") or "")
        # mod_wsgi-express names its daemon group after the host and port it serves.
        return "mod_wsgi-express" if re.fullmatch(r"[^:]+:\d+", group) else "mod_wsgi"
    if gateway == "CGI":
        return "htaccess" if report.get("rewritten") else "CGI"
    if gateway == "dev server":
        return "dev server"
    return "unknown"


# -- output -------------------------------------------------------------------------------


def failures(checks: Iterable[Check]) -> int:
    """How many checks failed."""
    return sum(check.verdict == FAIL for check in checks)


def as_json(doctor: Doctor) -> str:
    """The result for scripts: the URL, the folder, the count of failures, every check."""
    return json.dumps({
        "url": doctor.target.url,
        "handlers": str(doctor.app.folder),
        "deployment": doctor.deployment.kind,
        "failures": failures(doctor.checks),
        "checks": [asdict(check) for check in doctor.checks],
    }, indent=1) + "\n"


def _cell(text: str, width: int) -> str:
    return text if len(text) <= width else text[:width - 1] + "\N{HORIZONTAL ELLIPSIS}"


def as_table(doctor: Doctor) -> str:
    """The result for people: the table, then the differences, then each fix."""
    checks = doctor.checks
    widths = (min(28, max(len(c.check) for c in checks) if checks else 5), 30, 40)
    rows = [("CHECK", "EXPECTED", "GOT", "VERDICT")] + [
        (c.check, c.expected, c.got, c.verdict) for c in checks]
    lines = [f"webquiz doctor {doctor.target.url}  (handlers: {doctor.app.folder})", ""]
    for row in rows:
        cells = [_cell(text, width).ljust(width)
                 for text, width in zip(row[:3], widths, strict=True)]
        lines.append("  ".join([*cells, row[3]]).rstrip())
    detailed = [c for c in checks if c.details and c.verdict in (FAIL, WARN)]
    pages = [c for c in detailed if c.check.startswith("page ")]
    shown = [c for c in detailed if c not in pages[PAGES_SHOWN:]]
    if shown:
        lines += ["", "Differences:"]
        for check in shown:
            lines.append(f"  {check.check}:")
            lines += [f"    {line}" for line in check.details]
        if len(pages) > PAGES_SHOWN:
            lines.append(f"  ... and {len(pages) - PAGES_SHOWN} more pages differ "
                         "(--json lists every difference)")
    fixes = [c for c in checks if c.fix and c.verdict in (FAIL, WARN)]
    if fixes:
        lines += ["", "Fixes:"]
        lines += [f"  {check.check} ({check.verdict}): {check.fix}" for check in fixes]
    count = failures(checks)
    warnings = sum(c.verdict == WARN for c in checks)
    lines += ["", f"{count} failed, {warnings} warned, {len(checks)} checks."]
    return "\n".join(lines) + "\n"


def main(url: str, handlers: str | None, *, as_json_output: bool = False,
         max_body: int = DEFAULT_MAX_BODY, timeout: float = 30) -> int:
    """Run the doctor and print its result; the exit status (1: a check failed)."""
    try:
        doctor = Doctor(url, handlers, max_body=max_body, timeout=timeout)
    except DoctorError as exc:
        print(f"webquiz: {exc}", file=sys.stderr)
        return 2
    doctor.run()
    print(as_json(doctor) if as_json_output else as_table(doctor), end="")
    return 1 if failures(doctor.checks) else 0
