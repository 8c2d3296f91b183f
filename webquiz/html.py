"""The HTML frame shared by the pack's pages: one place for doctype, title and heading.

``page(title, body, home=...)`` returns Markup. *title* is escaped; *body* must be
Markup already (build it with ``Markup("...{}...").format(value)``, which escapes
each value), so client data cannot reach the page unescaped by way of this frame.
"""

from __future__ import annotations

from markupsafe import Markup

_FRAME = Markup(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
</head>
<body>
<header><h1>{title}</h1></header>
<main>
{body}
</main>
{footer}</body>
</html>
"""
)

_HOME = Markup('<footer><p><a href="{}">Back to the index</a></p></footer>\n')


def page(title: str, body: Markup | str, *, home: str | None = None) -> Markup:
    """Wrap *body* in a complete HTML5 page; *home* is the index URL for a footer link."""
    footer = _HOME.format(home) if home is not None else Markup("")
    return _FRAME.format(title=title, body=body, footer=footer)
