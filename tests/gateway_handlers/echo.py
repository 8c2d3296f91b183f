"""Echo what the gateway handed over (path, query, form, links) as JSON, for the tests."""

import json

from webquiz import OK


def handler(req):
    """Write this request's path, query string, form fields and links as JSON."""
    req.content_type = "application/json"
    environ = req.environ
    req.write(json.dumps({
        "method": req.method,
        "script_name": req.script_name,
        "app_root": req.app_root,
        "path_info": req.path_info,
        # WSGI strings carry the request's bytes as latin-1: these are exactly what came in.
        "path_info_bytes": environ.get("PATH_INFO", "").encode("latin-1").hex(),
        "query_bytes": environ.get("QUERY_STRING", "").encode("latin-1").hex(),
        "form": {key: req.form.getlist(key) for key in req.form.keys()},
        "link_self": req.url("a b", "\u00e9", q="\u00fc&x"),
        "link_app": req.app_url("echo", "x"),
        "gateway": req.gateway,
    }, ensure_ascii=False, sort_keys=True))
    return OK
