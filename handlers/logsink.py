"""A log receiver: Python's logging.handlers.HTTPHandler posts records, this page lists them.

Point a logger at it and log something::

    import logging, logging.handlers
    log = logging.getLogger("myapp")
    log.addHandler(logging.handlers.HTTPHandler("127.0.0.1:8000", "/logsink", method="POST"))
    log.warning("Disk %s is full", "/var")

then open /logsink: a table of the last records (time, logger, level, message), newest
first. /logsink?format=text gives the same records as text, one line each, oldest
first, in the format of the blog post this page comes from (``time logger level
message``), ready for ``grep``. HTTPHandler's default method is GET, which a page must
not let change anything: pass ``method="POST"``.

HTTPHandler sends every attribute of the record, form-encoded, unformatted: ``msg`` is
the format string and ``args`` the text of its arguments. The page shows both and never
computes ``msg % args``: the format string comes from the client, and
``"%0999999999d"`` would make the server build a gigabyte of text.

The records live in this process's memory, the last ``MAX_RECORDS`` only: fine for
watching a program under development with the dev server (one process). Under mod_wsgi
each daemon process keeps its own records, so a page may show some and not others;
under CGI each record dies with the process that received it, so the page is always
empty. A log that must last goes to a file, a database or the system's journal. Anyone
who can reach the URL can add records: keep it on a trusted network.

Copying it: ``_records`` and ``_lock`` are this module's only mutable state, shared by
the threads of one process; take the lock to add a record and to copy them out (a
deque changed while it is read raises RuntimeError). Everything shown is escaped:
HTML by ``Markup.format``, text lines by ``one_line``, so a message cannot forge a row
or a line.
"""

import os
import threading
from collections import deque
from datetime import datetime
from typing import NamedTuple

from markupsafe import Markup

from webquiz import OK, BadRequest, page

TITLE = "Log records"
#: How many records this process keeps; older ones drop off.
MAX_RECORDS = 200
#: Characters kept of each field; a longer one is cut and ends with an ellipsis.
MAX_FIELD = 2000
#: The blog post's time format.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
#: The fields a record must carry (HTTPHandler sends these and more).
REQUIRED = ("created", "name", "levelname", "msg")
#: What HTTPHandler sends as ``args`` when the message had none.
NO_ARGS = frozenset({"", "()", "None", "{}"})


class Record(NamedTuple):
    """One log record as received."""

    created: datetime
    name: str
    level: str
    msg: str
    args: str


# Per-process state, on purpose (see the docstring), touched only under the lock.
_lock = threading.Lock()
_records: deque[Record] = deque(maxlen=MAX_RECORDS)

ROW = Markup('<tr><td><time datetime="{iso}">{time}</time></td><td>{name}</td>'
             "<td>{level}</td><td>{message}</td></tr>\n")
ARGS = Markup(" <small>(args: <code>{}</code>)</small>")
TABLE = Markup(
    "<p>This process (PID {pid}) holds the last {count} records (at most {limit}), "
    'newest first; <a href="{text}">the same as text</a>.</p>\n'
    "<table>\n<thead><tr><th>Time</th><th>Logger</th><th>Level</th><th>Message</th></tr>"
    "</thead>\n<tbody>\n{rows}</tbody>\n</table>\n"
)
HOW = Markup(
    "<code>HTTPHandler</code> posts every attribute of a log record, form-encoded;"
    " <code>req.form</code> reads them. The page keeps the last records in a"
    " <code>deque</code> in this module, under a lock the process&#39;s threads share, and"
    " escapes every field where it lands. It never computes <code>msg % args</code>: the"
    " format string comes from the client."
)
EMPTY = Markup(
    "<p>This process (PID {pid}) has received no log records. Send some with:</p>\n"
    "<pre><code>import logging, logging.handlers\n"
    "log = logging.getLogger({logger})\n"
    "log.addHandler(logging.handlers.HTTPHandler({host}, {url}, method=&#34;POST&#34;))\n"
    "log.warning(&#34;Hello&#34;)</code></pre>\n"
    "<p>Under CGI every request is a new process, so records never stay here; under "
    "mod_wsgi each process keeps its own.</p>\n"
)


def clip(text):
    """*text*, cut to MAX_FIELD characters."""
    return text if len(text) <= MAX_FIELD else text[: MAX_FIELD - 1] + "\N{HORIZONTAL ELLIPSIS}"


def one_line(text):
    r"""*text* with line breaks and other control characters as escapes: one line of text.

    >>> one_line("a\nb\tc\x1b[31m")
    'a\\nb\\tc\\x1b[31m'
    """
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def parse_record(form):
    """The Record in a posted form; a 400 when a field is missing or the time is no time."""
    missing = [name for name in REQUIRED if form.getfirst(name) is None]
    if missing:
        raise BadRequest(f"Not a log record: no {', '.join(missing)} field. "
                         "Send records with logging.handlers.HTTPHandler(method='POST').")
    try:
        created = datetime.fromtimestamp(float(form.getfirst("created"))).astimezone()
    except (ValueError, OverflowError, OSError):
        raise BadRequest("The created field must be a time in seconds since 1970.") from None
    args = form.getfirst("args", "")
    return Record(created, clip(form.getfirst("name")), clip(form.getfirst("levelname")),
                  clip(form.getfirst("msg")), "" if args in NO_ARGS else clip(args))


def add(record):
    """Keep *record*, dropping the oldest beyond MAX_RECORDS."""
    with _lock:
        _records.append(record)


def snapshot():
    """The records kept, oldest first (a copy, safe from other threads)."""
    with _lock:
        return list(_records)


def as_text(records):
    """The blog post's format: ``time logger level message``, one line per record."""
    lines = []
    for r in records:
        message = r.msg + (f" (args: {r.args})" if r.args else "")
        lines.append(f"{r.created.strftime(TIME_FORMAT)} {one_line(r.name[:40]):>40} "
                     f"{one_line(r.level):>9} {one_line(message)}\n")
    return "".join(lines)


def as_html(req, records):
    """The records as a table, newest first; instructions when there are none."""
    if not records:
        host = req.request.host or "localhost"
        return EMPTY.format(pid=os.getpid(), logger=repr("myapp"), host=repr(host),
                            url=repr(req.url()))
    rows = Markup("").join(
        ROW.format(iso=r.created.isoformat(timespec="seconds"),
                   time=r.created.strftime(TIME_FORMAT), name=r.name, level=r.level,
                   message=Markup("{}{}").format(r.msg, ARGS.format(r.args) if r.args else ""))
        for r in reversed(records)
    )
    return TABLE.format(pid=os.getpid(), count=len(records), limit=MAX_RECORDS,
                        text=req.url(format="text"), rows=rows)


def handler(req):
    """Keep a posted log record (POST), or show those kept (GET)."""
    req.allow_methods("GET", "HEAD", "POST")
    if req.method == "POST":
        add(parse_record(req.form))
        req.content_type = "text/plain"
        req.write(f"recorded by process {os.getpid()}, which keeps the last {MAX_RECORDS}\n")
        return OK
    output = req.form.getfirst("format", "html")
    if output == "text":
        req.content_type = "text/plain"
        req.write(as_text(snapshot()))
    elif output == "html":
        req.write(page(req, TITLE, as_html(req, snapshot()), how=HOW))
    else:
        raise BadRequest("The format must be html or text.")
    return OK
