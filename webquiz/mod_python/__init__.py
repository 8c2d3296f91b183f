"""mod_python's API over webquiz: port a mod_python handler by changing one import line.

Replace ``from mod_python import apache, util`` with::

    from webquiz.mod_python import apache, util

and serve the folder with ``webquiz serve --handlers DIR`` (or under Apache mod_wsgi or
CGI). ``apache`` has the return codes, SERVER_RETURN and log_error; ``util`` has
FieldStorage and redirect; the request attributes the handlers use are on ``req``
itself. What webquiz does not provide raises NotImplementedError saying what to use.
"""

from __future__ import annotations

from . import apache, util

#: mod_python modules webquiz does not provide, with what to use instead.
UNSUPPORTED_MODULES = {
    "Cookie": "read req.cookies and call req.set_cookie(name, value) / req.delete_cookie(name)",
    "Session": "keep state in a cookie, the URL or the form, or a store of your own",
    "publisher": "webquiz's dispatcher maps /name to handler(req) in name.py",
    "psp": "build the page with markupsafe's Markup(...).format(...)",
    "cgihandler": "serve the CGI script under Apache CGI, or port it to handler(req)",
}


__getattr__ = apache.unsupported_names(__name__, "mod_python.{}", UNSUPPORTED_MODULES)


__all__ = ["apache", "util"]
