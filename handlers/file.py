"""File upload: each file's size, MD5 and SHA-256, hashed while it streams in.

Open /file, choose one or more files and submit: for each the page says "Got file:
NAME" and "Received file of N bytes. MD5sum is ..." with its SHA-256. Compare with
``md5sum FILE`` and ``sha256sum FILE``. Nothing is written to disk and memory stays flat
whatever the size: ``req.stream_uploads`` hands each file part to a ``HashingSink``
that digests and counts the bytes and keeps none (up to ``req.max_upload``, 1 GiB by
default; beyond it the client gets a 413).

Copying it: to keep the files, write to your own sink (a temporary file in a folder you
choose); never use the client's file name as a path, it is only a label.
"""

import hashlib

from markupsafe import Markup

from webquiz import OK, page

TITLE = "File upload"
#: Longest file name shown; names are labels chosen by the client.
MAX_NAME = 255
FORM = Markup(
    '<form method="post" action="{}" enctype="multipart/form-data">\n'
    '<p><label for="file">File:</label>\n'
    '<input type="file" id="file" name="file" multiple>\n'
    '<button type="submit">Upload and hash</button></p>\n</form>\n'
)
HOW = Markup(
    "The form is sent as <code>multipart/form-data</code>. Before reading it the handler"
    " calls <code>req.stream_uploads</code>, so werkzeug hands each file, as it arrives,"
    " to a sink that hashes and counts the bytes: nothing is stored and memory stays flat."
    " Compare with <code>md5sum</code> on your machine."
)
RECEIVED = Markup(
    "<section>\n<p>Got file: {name}</p>\n"
    "<p>Received file of {size} bytes. MD5sum is {md5}<br>\nSHA-256 is {sha256}</p>\n"
    "</section>\n"
)


class HashingSink:
    """A write-only file for werkzeug's form parser: hashes and counts, stores nothing."""

    def __init__(self):
        self.md5 = hashlib.md5()
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data):
        """Digest one chunk of the part as it arrives."""
        self.md5.update(data)
        self.sha256.update(data)
        self.size += len(data)
        return len(data)

    def seek(self, offset, whence=0):
        """Accept the rewind werkzeug does when a part ends; there is nothing to rewind."""
        return 0

    def close(self):
        """Nothing to release."""


def shown_name(filename):
    """The last component of a client's file name (browsers on Windows sent whole
    paths), cut to MAX_NAME characters, control characters (a NUL, say: not allowed in
    HTML) replaced: a label for the page, never a path."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1][:MAX_NAME]
    return "".join(c if c.isprintable() else "\ufffd" for c in name) or "(no name)"


def cut_short(req, sinks):
    """True when werkzeug could not parse the multipart body to its end.

    werkzeug then keeps no part at all (a file cut short, a malformed header, no
    boundary): a file part that was started but not delivered, or a body that gave no
    part, means nothing may be reported, least of all a digest of part of a file.
    """
    delivered = len(list(req.files.items(multi=True)))
    return delivered < len(sinks) or not (delivered or req.request.form)


def handler(req):
    """Hash the uploaded files and write one block per file, then the form."""
    req.allow_methods("GET", "HEAD", "POST")
    sinks = []

    def new_sink(*args, **kwargs):
        sink = HashingSink()
        sinks.append(sink)
        return sink

    multipart = req.request.mimetype == "multipart/form-data"
    if multipart:
        # Only a multipart body may be large: werkzeug streams its file parts, while
        # other bodies (urlencoded forms) are read into memory whole.
        req.max_body = req.max_upload
    req.stream_uploads(new_sink)
    if multipart and cut_short(req, sinks):
        req.status = 400
        body = Markup("<p>The upload was incomplete or malformed, so nothing was received."
                      " Please send it again.</p>\n")
    else:
        uploads = [upload for upload in req.files.getlist("file") if upload.filename]
        body = Markup("").join(
            RECEIVED.format(name=shown_name(upload.filename), size=upload.stream.size,
                            md5=upload.stream.md5.hexdigest(),
                            sha256=upload.stream.sha256.hexdigest())
            for upload in uploads
        ) or Markup("<p>No file found.</p>\n")
    req.write(page(req, TITLE, body + FORM.format(req.url()), how=HOW))
    return OK
