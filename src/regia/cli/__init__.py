"""The `regia` command. ``main`` is the entry point; ``app`` (the whole Typer application) is imported on first use.

Importing every domain's commands costs about 2 s (scipy, DuckDB, the web app's models), more than classifying
a few hundred postings, so ``regia classify`` is dispatched before those imports: a batch of texts pays only for
the classifier (``bench/classify_speed.py``).
"""

from __future__ import annotations

import sys
from typing import Any

# Commands whose module imports only what they need: ``regia NAME ...`` runs them without the rest.
_LIGHT = {"classify": "classify"}


def _light_app(name: str) -> Any:
    import typer

    from regia.cli import classify

    app = typer.Typer(add_completion=False)

    @app.callback()
    def _regia() -> None:
        """Regia: skills and employment policy from shared data."""

    app.command(name)(getattr(classify, _LIGHT[name]))
    return app


def main() -> None:
    """The ``regia`` console script."""
    args = sys.argv[1:]
    if args and args[0] in _LIGHT:
        _light_app(args[0])(prog_name="regia")
    else:
        from regia.cli.root import app

        app(prog_name="regia")


def __getattr__(name: str) -> Any:
    if name == "app":
        from regia.cli.root import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
