"""``python -m webquiz``: the same as the ``webquiz`` command."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
