"""Take an upload of any size in constant memory; answer its size and MD5 per file."""

import hashlib

from markupsafe import Markup

from webquiz import OK, page


class Digest:
    """Where an uploaded file part is written: only its size and MD5 are kept."""

    def __init__(self, *args):
        self.md5 = hashlib.md5()
        self.size = 0

    def write(self, data):
        self.md5.update(data)
        self.size += len(data)
        return len(data)

    def seek(self, *args):
        return 0


def handler(req):
    """GET: a form posting here; POST: one line per file, ``name size md5``."""
    if req.method != "POST":
        form = Markup('<form method="post" enctype="multipart/form-data" action="{}">'
                      '<input type="file" name="file"><button>Send</button></form>')
        req.write(page("Upload", form.format(req.url()), home=req.app_url()))
        return OK
    req.content_type = "text/plain"
    req.max_body = req.max_upload
    req.stream_uploads(Digest)
    for name, upload in req.files.items(multi=True):
        req.write(f"{name} {upload.stream.size} {upload.stream.md5.hexdigest()}\n")
    return OK
