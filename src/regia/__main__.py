"""``python -m regia``: the ``regia`` command."""

from regia.cli import main

main()
