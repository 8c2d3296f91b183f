"""``python -m webquiz``: the same as the ``webquiz`` command."""

from .cli import main

raise SystemExit(main())
