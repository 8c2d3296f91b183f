"""XML-RPC: the book's Math and Stats server, called over POST; GET shows its methods.

The book's CGI XML-RPC example (chapter 17) as a page. Open /xmlrpc in a browser for
the methods' documentation (as DocXMLRPCServer gives), or call it from Python::

    import xmlrpc.client
    server = xmlrpc.client.ServerProxy("http://127.0.0.1:8000/xmlrpc")
    server.pow(2, 10), server.hex(255), server.getstats()
    # (1024, 'ff', {'pow': 1, 'hex': 1})

It offers ``pow`` and ``hex`` (the book's Math), ``getstats``, ``getruntime`` and
``failure`` (its Stats: ``failure`` always raises, to show a Fault reaching the
client), and the standard library dispatcher's ``system.listMethods``,
``system.methodHelp``, ``system.methodSignature`` and ``system.multicall``.

``getstats`` and ``getruntime`` keep per-process state, on purpose: under CGI every
request is a new process, so the counts are always zero and the run time near zero
(the book's point); under mod_wsgi each daemon process counts on its own; the dev
server is one process. A lock guards the counts, which a process's threads share.

A client can send anything, so the body is checked before the XML parser sees it:
over 64 KiB is a 413; a document type (``<!DOCTYPE``, ``<!ENTITY``: entity-expansion
bombs, external entities), a NUL byte or an encoding other than UTF-8, ASCII or
Latin-1 is refused with a Fault, whatever expat version the server has. Malformed XML
and integers past Python's 4300-digit limit are Faults from the dispatcher; ``pow``
and ``hex`` take only XML-RPC's 32-bit integers and finite doubles, and refuse results
that an XML-RPC ``<int>`` cannot carry, so no call computes for long.

Copying it: replace the functions in ``METHODS`` with yours (each with a docstring:
it is the documentation page and ``system.methodHelp``), check their arguments as
``pow`` does, and keep ``refused()`` in front of the parser.
"""

import inspect
import math
import re
import threading
import time
from xmlrpc.client import Fault, dumps
from xmlrpc.server import SimpleXMLRPCDispatcher

from markupsafe import Markup

from webquiz import OK, page

TITLE = "XML-RPC methods"
#: Fault codes of the XML-RPC "fault code interoperability" convention.
PARSE_ERROR = -32700
INVALID_PARAMS = -32602
#: XML-RPC's ``<int>``: a 32-bit signed integer.
INT_RANGE = range(-(2**31), 2**31)

#: XML-RPC needs no document type; refusing one before parsing shuts out entity
#: expansion ("billion laughs") and external entities under any expat version.
DOCTYPE = re.compile(rb"<!(?:DOCTYPE|ENTITY)")
#: The encoding an XML declaration names.
DECLARED = re.compile(rb"""(?:\xef\xbb\xbf)?\s*<\?xml\b[^>]*?\bencoding\s*=\s*["']([^"']*)""")
#: Encodings in which the byte check above sees every tag (one byte per ASCII character).
SAFE_ENCODINGS = frozenset({"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin-1",
                            "latin1"})

# Per-process state, on purpose (see the docstring), changed only under the lock.
STARTED = time.monotonic()
_lock = threading.Lock()
_calls = {"pow": 0, "hex": 0}

INTRO = Markup(
    "<p>This URL is an XML-RPC server: POST calls to it (Content-Type <code>text/xml"
    "</code>, at most {limit} KiB). From Python:</p>\n"
    "<pre><code>import xmlrpc.client\n"
    "server = xmlrpc.client.ServerProxy({url})\n"
    "server.pow(2, 10)</code></pre>\n"
)
HOW = Markup(
    "A POST&#39;s body goes to the standard library&#39;s <code>SimpleXMLRPCDispatcher</code>,"
    " which parses the call, runs the method and turns its result, or any exception, into"
    " an XML-RPC response. Before that, the page refuses a body that declares a document"
    " type (entity-expansion bombs) or hides its tags in another encoding; the methods"
    " check their arguments, so no call computes for long. This page is its own"
    " documentation: the methods&#39; docstrings, as <code>system.methodHelp</code> gives"
    " them."
)
METHOD = Markup('<dt id="{name}"><code>{name}{signature}</code></dt>\n<dd><pre>{doc}</pre></dd>\n')


def count(name):
    """Add one call of *name* to this process's counts."""
    with _lock:
        _calls[name] += 1


def number(value, what):
    """Return *value* if XML-RPC can carry it as a number; else raise a Fault."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Fault(INVALID_PARAMS, f"{what} must be an integer or a double")
    if isinstance(value, int) and value not in INT_RANGE:
        raise Fault(INVALID_PARAMS, f"{what} is outside XML-RPC's 32-bit integers")
    if isinstance(value, float) and not math.isfinite(value):
        raise Fault(INVALID_PARAMS, f"{what} must be a finite number")
    return value


def xmlrpc_pow(x, y):
    """Returns x raised to the yth power; that is, x ** y.

    x and y may be integers or floating-point values."""
    count("pow")
    x, y = number(x, "x"), number(y, "y")
    if isinstance(x, int) and isinstance(y, int) and abs(x) >= 2 and y >= 32:
        # |x| ** y >= 2 ** 32: no <int> can carry it, so do not spend time computing it.
        raise Fault(INVALID_PARAMS, "the result is outside XML-RPC's 32-bit integers")
    try:
        result = pow(x, y)
    except (ArithmeticError, ValueError) as exc:
        raise Fault(INVALID_PARAMS, f"pow({x!r}, {y!r}): {exc}") from None
    if isinstance(result, complex) or (isinstance(result, float) and not math.isfinite(result)):
        raise Fault(INVALID_PARAMS, f"pow({x!r}, {y!r}) has no finite real result")
    if isinstance(result, int) and result not in INT_RANGE:
        raise Fault(INVALID_PARAMS, "the result is outside XML-RPC's 32-bit integers")
    return result


def xmlrpc_hex(x):
    """Returns a string holding a hexadecimal representation of the integer x."""
    count("hex")
    if isinstance(number(x, "x"), float):
        raise Fault(INVALID_PARAMS, "x must be an integer")
    return f"{x:x}"


def getstats():
    """Returns a dictionary. The keys are names of the functions, and the values are
    the number of times each function was called (by this process)."""
    with _lock:
        return dict(_calls)


def getruntime():
    """Returns the number of seconds this process has been serving the page."""
    return time.monotonic() - STARTED


def failure():
    """Causes a RuntimeError to be raised."""
    raise RuntimeError("This function always raises an error.")


#: The XML-RPC name of each method offered.
METHODS = {"pow": xmlrpc_pow, "hex": xmlrpc_hex, "getstats": getstats,
           "getruntime": getruntime, "failure": failure}


def dispatcher():
    """A new dispatcher with our methods, introspection and multicall."""
    rpc = SimpleXMLRPCDispatcher(allow_none=False, encoding="utf-8")
    for name, function in METHODS.items():
        rpc.register_function(function, name)
    rpc.register_introspection_functions()
    rpc.register_multicall_functions()
    return rpc


def refused(body):
    """Say why *body* may not reach the XML parser, or return None."""
    if b"\0" in body:
        return "a NUL byte (UTF-16 or UTF-32?): send UTF-8"
    declared = DECLARED.match(body)
    if declared and declared[1].decode("latin-1").lower() not in SAFE_ENCODINGS:
        return "an encoding other than UTF-8, ASCII or Latin-1: send UTF-8"
    if DOCTYPE.search(body):
        return "a document type (<!DOCTYPE or <!ENTITY): XML-RPC needs none"
    return None


def call(body):
    """Run the call in *body* and return the XML-RPC response, a result or a Fault."""
    why = refused(body)
    if why is not None:
        return dumps(Fault(PARSE_ERROR, f"request refused: {why}")).encode("utf-8")
    # The dispatcher's own entry point (what SimpleXMLRPCRequestHandler and
    # CGIXMLRPCRequestHandler call): it parses, dispatches and turns any exception
    # into a Fault response, so nothing a client sends becomes a 500.
    return dispatcher()._marshaled_dispatch(body)


def documentation(req):
    """The methods, their signatures and docstrings, as HTML."""
    rpc = dispatcher()
    entries = Markup("").join(
        METHOD.format(name=name, signature=str(inspect.signature(rpc.funcs[name])),
                      doc=rpc.system_methodHelp(name))
        for name in rpc.system_listMethods()
    )
    url = f"{req.request.scheme}://{req.request.host or 'localhost'}{req.url()}"
    intro = INTRO.format(limit=req.max_body // 1024, url=repr(url))
    return intro + Markup("<h2>Methods</h2>\n<dl>\n{}</dl>\n").format(entries)


def handler(req):
    """Answer an XML-RPC call (POST), or show the methods' documentation (GET)."""
    req.allow_methods("GET", "HEAD", "POST")
    if req.method == "POST":
        req.content_type = "text/xml"
        req.write(call(req.request.get_data()))  # over req.max_body: a 413
        return OK
    req.write(page(req, TITLE, documentation(req), how=HOW))
    return OK
