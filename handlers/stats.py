"""Server statistics: how long this process has been serving, and how often this page.

The book's two-document server ("This server has been running for N seconds.") as a
page. Open /stats and reload it: the count goes up and so does the time, as long as
the same process answers. The page shows the process's PID and the gateway too,
because what it counts depends on them:

- under the dev server, one process with threads answers every request: the count
  covers them all and the time runs from start-up;
- under mod_wsgi, each daemon process (``processes=2`` in apache/wsgi.conf) counts on
  its own: reloading shows the PID alternate, each with its own count and time;
- under CGI, every request is a new process that dies after answering: the count is
  always 1 and the time always near zero (the book makes this point about its CGI
  XML-RPC server's ``getruntime``).

Keeping state (a counter, a start time) is the one thing the pack's other pages never
do: mod_wsgi runs several processes and threads, and CGI none that lasts. This page
keeps it on purpose, per process, with a lock around the counter because the threads
of one process share it. State that must survive a process (a visitor count for a
whole site) belongs in a file or a database, not in a module.

Copying it: ``LOADED_AT``, ``_lock`` and ``_served`` are this module's only mutable
state; keep the lock for anything your threads update together.
"""

import os
import threading
import time
from datetime import datetime

from markupsafe import Markup

from webquiz import OK, page

TITLE = "Server statistics"
#: When this process loaded the page (monotonic, for the elapsed time; wall clock, to show).
LOADED_AT = time.monotonic()
LOADED_WALL = datetime.now().astimezone()

# Per-process state, on purpose (see the docstring): updated under the lock, because
# ``count += 1`` is a read and a write that two threads can interleave.
_lock = threading.Lock()
_served = 0

FACTS = Markup(
    "<p>This server has been running for <strong>{seconds}</strong> seconds "
    '(this process loaded the page at <time datetime="{iso}">{loaded}</time>).</p>\n'
    "<dl>\n"
    "<dt>Requests for this page served by this process</dt><dd>{served}</dd>\n"
    "<dt>Process ID</dt><dd>{pid}</dd>\n"
    "<dt>Gateway</dt><dd>{gateway}</dd>\n"
    "</dl>\n"
)
HOW = Markup(
    "The figures belong to the process that answered: a start time and a counter kept "
    "in this module, the counter updated under a lock that the process&#39;s threads "
    "share. Under CGI each request is a new process, so the count is always 1 and the "
    "time near zero; under mod_wsgi each daemon process counts on its own, so reloading "
    "may show another process with other figures; the dev server is one process for "
    "every request."
)


def count_request():
    """Add this request to the process's count and return the new count."""
    global _served
    with _lock:
        _served += 1
        return _served


def handler(req):
    """Count this request and show the process's uptime, count, PID and gateway."""
    req.allow_methods("GET", "HEAD")
    served = count_request()
    body = FACTS.format(
        seconds=int(time.monotonic() - LOADED_AT),
        iso=LOADED_WALL.isoformat(timespec="seconds"),
        loaded=LOADED_WALL.strftime("%Y-%m-%d %H:%M:%S %Z"),
        served=served,
        pid=os.getpid(),
        gateway=req.gateway,
    )
    req.write(page(req, TITLE, body, how=HOW))
    return OK
