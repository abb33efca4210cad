"""The `regia` command: one Typer sub-app per domain."""

from __future__ import annotations

import typer

from regia.cli import system, taxonomy

app = typer.Typer(no_args_is_help=True, help="Regia: skills and employment policy from shared data.")
app.add_typer(taxonomy.app, name="taxonomy")
app.add_typer(system.db_app, name="db")
app.command("serve")(system.serve)
app.command("demo")(system.demo)

__all__ = ["app"]
