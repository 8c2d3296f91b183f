"""The ``webquiz`` command: ``serve`` the pack locally, list its ``routes``, start a page
with ``new``, print an ``apache-config``, check a deployment with ``doctor``."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from collections.abc import Sequence
from typing import Any

from . import __version__
from .app import HANDLERS_ENV, make_app


def _is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def cmd_serve(args: argparse.Namespace) -> int:
    """Run werkzeug's development server, threaded, on the chosen host and port."""
    from .devserver import serve

    if args.debug and not _is_loopback(args.host) and not args.allow_remote_debug:
        print(
            f"webquiz: refusing --debug on {args.host}: the debugger runs any Python code a "
            "visitor types. Use a loopback host, or add --allow-remote-debug if you must.",
            file=sys.stderr,
        )
        return 2
    if bool(args.cert) != bool(args.key):
        print("webquiz: --cert and --key go together", file=sys.stderr)
        return 2
    app = make_app(args.handlers, gateway="dev server", debug=args.debug)
    routes = app.table.routes()
    print(f"webquiz: {len(routes)} pages from {app.folder}", file=sys.stderr, flush=True)
    wsgi_app: Any = app
    if args.static:
        from .static import DEFAULT_EXTENSIONS, StaticFiles

        wsgi_app = StaticFiles(app, args.static, prefix=args.static_prefix,
                               extensions=args.ext or DEFAULT_EXTENSIONS)
        print(f"webquiz: static files from {wsgi_app.folder} at {wsgi_app.prefix}/ "
              f"({', '.join(sorted(wsgi_app.extensions))})", file=sys.stderr, flush=True)
    serve(wsgi_app, args.host, args.port, reload=args.reload, debug=args.debug,
          extra_files=[str(route.path) for route in routes],
          ssl_context=(args.cert, args.key) if args.cert else None, pid_file=args.pid_file)
    return 0


def _running(pid: int) -> bool:
    """True while *pid* runs; a zombie (exited, not yet reaped by its parent) has stopped."""
    import os
    from pathlib import Path

    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def cmd_stop(args: argparse.Namespace) -> int:
    """Stop the server whose PID file is given: SIGTERM, then wait for it to exit."""
    import os
    import signal
    import time
    from pathlib import Path

    pid_file = Path(args.pid_file)
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError) as exc:
        print(f"webquiz: no server to stop: cannot read a PID from {pid_file} ({exc})",
              file=sys.stderr)
        return 1
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        cmdline = None
    if cmdline is not None and b"webquiz" not in cmdline:
        print(f"webquiz: PID {pid} from {pid_file} is not a webquiz server; not stopping it",
              file=sys.stderr)
        return 1
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        print(f"webquiz: PID {pid} is not running; removing the stale {pid_file}",
              file=sys.stderr)
        pid_file.unlink(missing_ok=True)
        return 0
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if not _running(pid):
            print(f"webquiz: stopped PID {pid}", file=sys.stderr)
            return 0
        time.sleep(0.05)
    print(f"webquiz: PID {pid} still runs after {args.timeout} s", file=sys.stderr)
    return 1


def cmd_routes(args: argparse.Namespace) -> int:
    """Print the routing table: URL name, module file, summary."""
    app = make_app(args.handlers, eager=True)
    routes = app.table.routes()
    width = max((len(route.name) for route in routes), default=4) + 1
    print(f"{'NAME':<{width}} FILE")
    for route in routes:
        note = "  (failed to import: answers 500)" if route.error else ""
        print(f"/{route.name:<{width - 1}} {route.path}{note}")
    for path in app.table.skipped():
        print(f"webquiz: {path} defines no handler(req): not routed", file=sys.stderr)
    return 0


def cmd_apache_config(args: argparse.Namespace) -> int:
    """Print (or write, for htaccess) an Apache snippet with this machine's paths filled in."""
    from .apacheconf import ConfigError, python_mismatches, render, write_htaccess

    try:
        if args.write:
            if args.kind != "htaccess":
                raise ConfigError("--write is for htaccess (a folder of web space) only")
            for path in write_htaccess(args.write, mount=args.mount, handlers=args.handlers):
                print(f"webquiz: wrote {path}", file=sys.stderr)
        else:
            snippet = render(args.kind, mount=args.mount, handlers=args.handlers)
            if args.kind == "wsgi":
                for problem in python_mismatches(snippet):
                    print(f"webquiz: warning: {problem}", file=sys.stderr)
            print(snippet, end="")
    except (ConfigError, OSError) as exc:
        print(f"webquiz: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    """Compare a running deployment with the app in process, check its traps, name fixes."""
    from .doctor import main as doctor

    return doctor(args.url, args.handlers, as_json_output=args.json, max_body=args.max_body,
                  timeout=args.timeout)


def cmd_new(args: argparse.Namespace) -> int:
    """Write a new handler module and its test file; print them and the URL to open."""
    import os

    from .scaffold import NameRefused, ScaffoldError, create

    handlers = args.handlers or os.environ.get(HANDLERS_ENV) or "handlers"
    try:
        written = create(args.name, handlers, args.tests)
    except NameRefused as exc:
        print(f"webquiz: {exc}", file=sys.stderr)
        return 2
    except (ScaffoldError, OSError) as exc:
        print(f"webquiz: {exc}", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"serve it with `webquiz serve --handlers {handlers}` and open "
          f"http://127.0.0.1:8000/{args.name}; test it with `pytest {written[1]}`")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``webquiz`` command."""
    parser = argparse.ArgumentParser(
        prog="webquiz", description="Serve the classic CGI and mod_python example pages."
    )
    parser.add_argument("--version", action="version", version=f"webquiz {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    handlers_help = f"folder of handler modules (default: ${HANDLERS_ENV}, else the pack's own)"

    serve = sub.add_parser("serve", help="run the development server")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument("--handlers", metavar="DIR", help=handlers_help)
    serve.add_argument("--debug", action="store_true",
                       help="show tracebacks and werkzeug's interactive debugger (loopback only)")
    serve.add_argument("--allow-remote-debug", action="store_true",
                       help="allow --debug on a non-loopback host (dangerous)")
    serve.add_argument("--reload", action="store_true", help="restart when a source file changes")
    serve.add_argument("--cert", metavar="FILE", help="TLS certificate (PEM), with --key")
    serve.add_argument("--key", metavar="FILE", help="TLS private key (PEM), with --cert")
    serve.add_argument("--pid-file", metavar="FILE",
                       help="write the server's PID here; `webquiz stop --pid-file FILE` stops it")
    serve.add_argument("--static", metavar="DIR", help="also serve the files of DIR")
    serve.add_argument("--static-prefix", metavar="PATH", default="/static",
                       help="URL prefix for --static (default /static)")
    serve.add_argument("--ext", action="append", metavar="EXT",
                       help="an extension --static may serve (repeatable; default: css js "
                            "png jpg jpeg gif svg ico webp woff2 txt)")
    serve.set_defaults(func=cmd_serve)

    stop = sub.add_parser("stop", help="stop a server started with --pid-file")
    stop.add_argument("--pid-file", metavar="FILE", required=True)
    stop.add_argument("--timeout", type=float, default=10, help="seconds to wait (default 10)")
    stop.set_defaults(func=cmd_stop)

    routes = sub.add_parser("routes", help="list the pages: URL name and module file")
    routes.add_argument("--handlers", metavar="DIR", help=handlers_help)
    routes.set_defaults(func=cmd_routes)

    new = sub.add_parser(
        "new", help="write a new handler module and its test file",
        description="Write NAME.py (a documented handler that reads one form field and "
        "shows it escaped) and test_NAME.py (its tests); never overwrites a file.",
    )
    new.add_argument("name", help="the page's URL name: ASCII letters, digits, _ and -, "
                     "not starting with _")
    new.add_argument("--handlers", metavar="DIR",
                     help=f"where the module goes (default: ${HANDLERS_ENV}, else ./handlers)")
    new.add_argument("--tests", metavar="DIR", default="tests",
                     help="where its test file goes (default: ./tests)")
    new.set_defaults(func=cmd_new)

    apache = sub.add_parser(
        "apache-config", help="print an Apache config snippet for this machine",
        description="Print the Apache snippet from apache/ with this machine's paths filled "
        "in: wsgi (mod_wsgi daemon mode), cgi (ScriptAlias), htaccess (a shared host's "
        "folder; --write DIR also writes its webquiz.cgi).",
    )
    apache.add_argument("kind", choices=["wsgi", "cgi", "htaccess"], help="which snippet")
    apache.add_argument("--mount", default="/py", metavar="PATH",
                        help="URL path the pack answers under (default /py)")
    apache.add_argument("--handlers", metavar="DIR",
                        help="serve this folder (a SetEnv WEBQUIZ_HANDLERS line); default: "
                        "the pack, with that line commented")
    apache.add_argument("--write", metavar="DIR",
                        help="htaccess only: write .htaccess and webquiz.cgi into DIR")
    apache.set_defaults(func=cmd_apache_config)

    doctor = sub.add_parser(
        "doctor", help="check a running deployment against the app in process",
        description="Request every page from the server at URL and from the app in this "
        "process and compare them; check the deployment's traps through the probe at "
        "URL/_webquiz/probe (mount, PATH_INFO, Authorization, body size, chunked bodies, "
        "stray output, security headers). Prints a table and, for each failure, the "
        "directive that fixes it; exits 1 when a check failed.",
    )
    doctor.add_argument("url", help="where the pack answers, e.g. http://localhost/py")
    doctor.add_argument("--handlers", metavar="DIR",
                        help="the folder the server serves (default: $WEBQUIZ_HANDLERS, "
                        "else the pack's own)")
    doctor.add_argument("--json", action="store_true", help="print the result as JSON")
    doctor.add_argument("--max-body", type=int, default=16 * 1024 * 1024, metavar="BYTES",
                        help="the largest request body to send (default 16 MiB)")
    doctor.add_argument("--timeout", type=float, default=30, metavar="SECONDS",
                        help="how long to wait for each answer (default 30)")
    doctor.set_defaults(func=cmd_doctor)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``webquiz`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except NotADirectoryError as exc:
        print(f"webquiz: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return status


if __name__ == "__main__":
    raise SystemExit(main())
