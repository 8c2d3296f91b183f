"""Properties over generated input (hypothesis, derandomized so CI runs the same examples):
escaping round-trips and leaves nothing raw, upload digests match hashlib at every 64 KiB
boundary, and no path at all gets a 5xx."""

from __future__ import annotations

import hashlib
import html
import io
import random
import re
from urllib.parse import parse_qs, quote, quote_plus, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import HANDLERS, PAGES, ValidatingClient, check_page
from werkzeug.wrappers import Request

from webquiz import make_app

#: Reproducible, modest: the same examples on every run, in a few seconds.
CHECKS = settings(derandomize=True, deadline=None, max_examples=150,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

CLIENT = ValidatingClient(make_app(HANDLERS), use_cookies=False)

SHOWN = re.compile(r'<p><a href="([^"]*)"><code>(.*?)</code></a></p>', re.DOTALL)
VALUE = re.compile(r'<input type="text" id="data" name="data" size="40" value="([^"]*)">')


# -- escaping ---------------------------------------------------------------------------


@CHECKS
@given(st.text(max_size=60))
def test_the_escape_page_round_trips_any_text_and_leaves_nothing_raw(data):
    response = CLIENT.get("/escape?data=" + quote_plus(data))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    check_page(page)
    link, text = SHOWN.search(page).groups()
    (value,) = VALUE.findall(page)
    # HTML text and the quoted attribute hold no <, " or ' but as entities...
    for escaped in (text, value, link):
        assert not set("<>\"'") & set(escaped), escaped
        assert "&" not in re.sub(r"&(?:amp|lt|gt|#34|#39);", "", escaped), escaped
    # ...and say exactly what was sent, in the text, the attribute and the link's query.
    assert html.unescape(text) == (data or "(empty)")
    assert html.unescape(value) == data
    url = urlsplit(html.unescape(link))
    assert url.path == "/escape"
    assert parse_qs(url.query, keep_blank_values=True) == {"data": [data]}


# -- upload digests ----------------------------------------------------------------------

BOUNDARY = "property-boundary"


@CHECKS
@given(
    blocks=st.integers(0, 4), offset=st.integers(-2, 2), name=st.text("abc.", max_size=40),
    seed=st.integers(0, 2**32), trap=st.sampled_from([None, 0, 1, 2, 3, 4, 38]),
)
def test_upload_digests_equal_hashlibs_around_64_kib_boundaries(blocks, offset, name, seed,
                                                                 trap):
    """Sizes 64 KiB x N +/- 2, a file name whose length shifts where the parser's 64 KiB
    reads fall, and a boundary-like run (\\r\\n--boundary...) placed across a block edge."""
    size = max(0, blocks * 65536 + offset)
    data = bytearray(random.Random(seed).randbytes(size))
    if trap is not None and size > 64:
        lure = b"\r\n--" + BOUNDARY.encode()[:-1]
        at = max(0, min(size - len(lure), (blocks or 1) * 65536 - trap - 200))
        data[at:at + len(lure)] = lure
    data = bytes(data)
    body = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="{name}.bin"\r\n\r\n').encode() + data + f"\r\n--{BOUNDARY}--\r\n".encode()
    response = CLIENT.post("/file", data=body,
                           content_type=f"multipart/form-data; boundary={BOUNDARY}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    assert (f"Received file of {size} bytes. MD5sum is {hashlib.md5(data).hexdigest()}<br>\n"
            f"SHA-256 is {hashlib.sha256(data).hexdigest()}") in page


# -- any path -------------------------------------------------------------------------------

#: Printable ASCII, every control character, and some of the rest of Unicode.
CHARACTERS = st.characters(max_codepoint=0x7F) | st.characters(codec="utf-8")


@CHECKS
@given(page=st.sampled_from(["", *PAGES]), suffix=st.sampled_from(["", ".py", ".prog", "."]),
       rest=st.text(CHARACTERS, max_size=30), query=st.text(CHARACTERS, max_size=20))
def test_any_path_gets_an_answer_below_500(page, suffix, rest, query):
    """Any bytes in the path (sent percent-encoded, as a client must, and decoded as a
    server does), under a page's name or not: 2xx, 3xx or 4xx, never 5xx or a traceback."""
    raw_path = quote(f"/{page}{suffix}{rest}".encode(), safe="/")
    environ = {
        "REQUEST_METHOD": "GET", "SCRIPT_NAME": "", "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(), "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False, "wsgi.multiprocess": False, "wsgi.run_once": False,
        "PATH_INFO": f"/{page}{suffix}{rest}".encode().decode("latin-1"),
        "QUERY_STRING": quote(query.encode(), safe="=&"), "REQUEST_URI": raw_path,
    }
    response = CLIENT.open(Request(environ))
    assert 200 <= response.status_code < 500, (raw_path, response.status_code)
    assert b"Traceback" not in response.data
