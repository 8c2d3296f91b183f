"""mod_python test example, after the book's chapter 19 (test.py): "mod_python is working".

Ported to webquiz by changing the mod_python import line only. Open /test.prog.
"""

from html import escape
from sys import version

from webquiz.mod_python import apache


def writeinfo(req, name, value):
    req.write(f"<dt>{escape(name)}</dt><dd>{escape(str(value))}</dd>\n")


def handler(req):
    req.content_type = "text/html"
    if req.header_only:
        # Don't supply the body
        return apache.OK

    req.write("""<html><head><title>mod_python is working</title></head>
<body>
<h1>mod_python is working</h1>
You have successfully configured mod_python on your Apache system.
Here is some information about the environment and this request:
<p>
<dl>
""")

    writeinfo(req, "Client IP", req.get_remote_host(apache.REMOTE_NOLOOKUP))
    writeinfo(req, "URI", req.uri)
    writeinfo(req, "Filename", req.filename)
    writeinfo(req, "Canonical filename", req.canonical_filename)
    writeinfo(req, "Path_info", req.path_info)
    writeinfo(req, "Python version", version)

    req.write("</dl></body></html>\n")
    return apache.OK
