"""Several values for one field: checkboxes that all share the name ``data``.

Open /list, tick Blue, C++ and Haskell and submit: the URL becomes
/list?data=Blue&data=C%2B%2B&data=Haskell, and ``req.form.getlist("data")`` returns
the three values in order. The page lists them (escaped: ``K&R`` is ``K&amp;R`` in the
source, and a value not offered is shown too, escaped like the rest) and keeps those
boxes ticked.

Copying it: change ``CHOICES``; ``getlist`` works the same for a ``<select multiple>``
or several inputs of one name.
"""

from markupsafe import Markup

from webquiz import OK, page

TITLE = "Several values for one field"
CHOICES = ("Red", "Green", "Blue", "Black", "White", "Purple", "Python", "Perl", "Java",
           "Ruby", "K&R", "C++", "OCaml", "Haskell", "Prolog")
BOX = Markup(
    '<div><input type="checkbox" name="data" id="data-{index}" value="{value}"{checked}>'
    ' <label for="data-{index}">{value}</label></div>\n'
)
FORM = Markup(
    '<form method="get" action="{action}">\n<fieldset>\n'
    "<legend>Select some things:</legend>\n{boxes}</fieldset>\n"
    '<p><button type="submit">Show my selection</button></p>\n</form>\n'
)
HOW = Markup(
    "All the checkboxes share the name <code>data</code>: the browser sends one"
    " <code>data=</code> per ticked box, and <code>req.form.getlist(\"data\")</code> returns"
    " every value, in order (<code>getfirst</code> would keep only the first)."
)


def handler(req):
    """List the values selected and show the checkboxes, those selected ticked."""
    req.allow_methods("GET", "HEAD")
    selected = [value for value in req.form.getlist("data") if value]
    if selected:
        said = Markup("<p>You selected: {}</p>\n").format(", ".join(selected))
    else:
        said = Markup("<p>You selected nothing yet.</p>\n")
    boxes = Markup("").join(
        BOX.format(index=index, value=value,
                   checked=Markup(" checked") if value in selected else "")
        for index, value in enumerate(CHOICES)
    )
    req.write(page(req, TITLE, said + FORM.format(action=req.url(), boxes=boxes), how=HOW))
    return OK
