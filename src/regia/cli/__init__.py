"""The `regia` command. ``main`` is the entry point; ``app`` (the whole Typer application) is imported on first use.

Importing every domain's commands costs about 2 s (scipy, DuckDB, the web app's models), more than classifying
a few hundred postings, so ``regia classify`` is dispatched before those imports: a batch of texts pays only for
the classifier (``bench/classify_speed.py``).
"""

from __future__ import annotations

import sys
from typing import Any

HELP = "Regia: skills and employment policy from shared data."


def _classify_app() -> Any:
    """A Typer app holding ``regia classify`` alone, with the same usage line as the whole application."""
    import typer

    from regia.cli.classify import classify

    app = typer.Typer(add_completion=False, help=HELP)
    app.callback()(lambda: None)  # a group, so that ``classify`` is parsed as the command's name
    app.command("classify")(classify)
    return app


def main() -> None:
    """The ``regia`` console script."""
    if sys.argv[1:2] == ["classify"]:
        _classify_app()(prog_name="regia")
    else:
        from regia.cli.root import app

        app(prog_name="regia")


def __getattr__(name: str) -> Any:
    if name == "app":
        from regia.cli.root import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
